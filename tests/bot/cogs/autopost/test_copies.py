"""Corrections and retractions reach every posted copy; crossposting never holds delivery up."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from storage.models import BriefContent
from storage.publishing import Change
from tests.helpers import Restart, Server, announce, last, posts, publish, titles

NOTE = "An earlier version gave the wrong town."


def content(n: int, **fields: str) -> BriefContent:
    """A small valid brief numbered n."""
    values = {"title": f"Brief number {n}", "what_happened": f"Event {n} happened."} | fields
    return BriefContent.model_validate(values)


def edits(env, channel=None) -> list:
    """The bot's message edits (in one channel, or anywhere)."""
    prefix = f"/channels/{channel.id}/messages/" if channel else "/channels/"
    return [r for r in env.http_requests if r.method == "PATCH" and r.path.startswith(prefix)]


async def correct(env, brief_id: int, new: BriefContent, note: str | None = None):
    """Save an edit the way `/brief edit` does, and wait for what it starts."""
    edited = await env.bot.storage.briefs.update(brief_id, new, actor_id=None, note=note)
    await announce(env, edited, change=Change.EDITED)
    return edited


async def servers(env, count: int) -> list[Server]:
    subscribed = [Server(env, f"server {n}") for n in range(count)]
    for server in subscribed:
        await server.subscribe()
    return subscribed


async def test_an_edit_reaches_every_posted_copy_in_every_server(simcord_env):
    env = simcord_env
    subscribed = await servers(env, 3)
    brief = await publish(env, content(1, body="The first article."))
    unrelated = await publish(env, content(2))

    await correct(env, brief.id, content(1, title="Corrected", body="The new article."), NOTE)

    for server in subscribed:
        first, second = posts(env, server.news)
        embed = first.embeds[0]
        assert embed.title == "Corrected"
        assert "Updated" in (embed.footer.text or "")
        assert [(f.name, f.value) for f in embed.fields][-1] == ("✏️ Correction", NOTE)
        assert [b.custom_id for row in first.components for b in row.children] == [
            f"brief:more:{brief.id}"
        ]
        more = await server.manager.click(first, label="More")
        assert "The new article." in more.response.embeds[0].description
        assert second.embeds[0].title == "Brief number 2"
        assert len(edits(env, server.news)) == 1
    assert unrelated.id not in {int(r.path.rsplit("/", 1)[1]) for r in edits(env)}
    log = await subscribed[0].manager.slash(subscribed[0].news, "autopost log")
    assert f"brief #{brief.id} updated after an edit" in log.response.content


async def test_an_edit_that_leaves_the_summary_alone_edits_no_message(simcord_env):
    env = simcord_env
    (server,) = await servers(env, 1)
    brief = await publish(env, content(1, body="Old article."))

    await correct(env, brief.id, content(1, body="A rewritten article behind More."))

    assert edits(env) == []
    (post,) = posts(env, server.news)
    more = await server.manager.click(post, label="More")
    assert "A rewritten article" in more.response.embeds[0].description
    assert await env.bot.storage.copies.behind(server.guild.id) == 0


async def test_a_deleted_copy_is_marked_gone_and_never_pauses_the_server(simcord_env):
    env = simcord_env
    gone, kept = await servers(env, 2)
    brief = await publish(env, content(1))
    (post,) = posts(env, gone.news)
    env.backend.delete_message(gone.news.id, post.id)

    await correct(env, brief.id, content(1, title="Corrected"))
    await publish(env, content(2))

    assert titles(env, kept.news) == ["Corrected", "Brief number 2"]
    assert titles(env, gone.news) == ["Brief number 2"]  # still delivered to
    status = await gone.status()
    assert "**on**" in status
    copy = await env.bot.storage.post_log.copy(gone.news.id, brief.id)
    assert copy is not None
    log = await gone.manager.slash(gone.news, "autopost log")
    assert "copy deleted in Discord" in log.response.content
    await correct(env, brief.id, content(1, title="Corrected twice"))
    assert len(edits(env, gone.news)) == 1  # never tried again


async def test_a_copy_out_of_reach_is_marked_so_and_others_carry_on(simcord_env):
    env = simcord_env
    closed, kept = await servers(env, 2)
    brief = await publish(env, content(1))
    (post,) = posts(env, closed.news)
    env.inject_error(
        "PATCH", f"/channels/{closed.news.id}/messages/{post.id}", status=403, code=50001
    )

    await correct(env, brief.id, content(1, title="Corrected"))

    assert titles(env, kept.news) == ["Corrected"]
    assert titles(env, closed.news) == ["Brief number 1"]
    assert "**on**" in await closed.status()
    log = await closed.manager.slash(closed.news, "autopost log")
    assert "out of reach" in log.response.content


async def test_a_temporary_failure_is_retried_at_the_next_sweep(simcord_env, settings):
    env = simcord_env
    (server,) = await servers(env, 1)
    brief = await publish(env, content(1))
    (post,) = posts(env, server.news)
    env.inject_error("PATCH", f"/channels/{server.news.id}/messages/{post.id}", status=503)

    await correct(env, brief.id, content(1, title="Corrected"))
    assert titles(env, server.news) == ["Brief number 1"]
    assert "being updated" in await server.status()
    await env.advance_time(settings.autopost_interval_seconds)
    assert titles(env, server.news) == ["Brief number 1"]  # it waits out COPY_RETRY first
    async with env.bot.storage.db.transaction() as conn:  # the database's clock moves on too
        await conn.execute("UPDATE post_log SET lease_until = ?", datetime(2000, 1, 1, tzinfo=UTC))
    await env.advance_time(settings.autopost_interval_seconds)

    assert titles(env, server.news) == ["Corrected"]


async def test_a_retraction_replaces_every_copy_and_more_says_so(simcord_env):
    env = simcord_env
    subscribed = await servers(env, 2)
    brief = await publish(env, content(1, body="The article."))
    member_post = await subscribed[0].manager.slash(
        subscribed[0].lobby, "brief show", brief=str(brief.id)
    )
    publishers = env.bot.settings.admin_user_ids
    publishers.append(subscribed[0].manager.id)

    asked = await subscribed[0].manager.slash(
        subscribed[0].lobby, "brief delete", brief=str(brief.id), reason="The story was false."
    )
    await subscribed[0].manager.click(asked.response.message, label="Delete")
    await env.settle()

    for server in subscribed:
        (post,) = posts(env, server.news)
        embed = post.embeds[0]
        assert embed.title == "Retracted: Brief number 1"
        assert embed.description == "The story was false."
        assert "Retracted" in (embed.footer.text or "")
        assert post.components == []
    more = await subscribed[0].manager.click(member_post.response.message, label="More")
    assert "retracted" in more.response.content
    assert "The story was false." in more.response.content
    history = await env.bot.storage.briefs.history(brief.id)
    assert history[-1].snapshot["body"] == "The article."


async def test_copies_edited_meanwhile_are_updated_after_a_restart(
    simcord_env, settings, restart: Restart
):
    env = simcord_env
    (server,) = await servers(env, 1)
    brief = await publish(env, content(1))
    # Another process (or the command line) edits it; this bot hears nothing of it.
    await env.bot.storage.briefs.update(brief.id, content(1, title="Corrected"), actor_id=None)

    await restart()
    await env.advance_time(settings.autopost_interval_seconds)

    assert titles(env, server.news) == ["Corrected"]
    assert len(edits(env)) == 1


async def test_a_correction_wave_never_holds_a_new_brief_back(simcord_env):
    env = simcord_env
    subscribed = await servers(env, 4)
    brief = await publish(env, content(1))
    await env.bot.storage.briefs.update(brief.id, content(1, title="Corrected"), actor_id=None)

    await publish(env, content(2))  # its delivery pass runs before the copies' round

    sends = [
        n
        for n, r in enumerate(env.http_requests)
        if r.method == "POST" and r.path.endswith("/messages") and "channels" in r.path
    ]
    patches = [n for n, r in enumerate(env.http_requests) if r.method == "PATCH"]
    assert len(patches) == 4
    assert max(sends) < min(patches)
    for server in subscribed:
        assert titles(env, server.news) == ["Corrected", "Brief number 2"]


async def test_a_crosspost_rate_limit_never_holds_delivery_up(simcord_env, settings):
    env = simcord_env
    loud = Server(env, "loud")
    announcements = loud.guild.create_news_channel("announcements")
    await loud.manager.slash(loud.news, "autopost channel", channel=announcements, crosspost=True)
    quiet = (await servers(env, 1))[0]
    env.inject_error(
        "POST", f"/channels/{announcements.id}/messages/*/crosspost", status=429, times=1
    )

    await publish(env, content(1))
    await publish(env, content(2))

    assert titles(env, quiet.news) == ["Brief number 1", "Brief number 2"]
    assert titles(env, announcements) == ["Brief number 1", "Brief number 2"]
    await env.advance_time(settings.autopost_interval_seconds)
    crossposts = [r for r in env.http_requests if r.path.endswith("/crosspost")]
    assert len({r.path for r in crossposts}) == 2  # both published in the end
    log = await loud.manager.slash(loud.news, "autopost log")
    assert "published to following servers" in log.response.content


async def test_autopost_test_with_nothing_to_post_answers_without_failing(simcord_env):
    server = Server(simcord_env, "one")
    off = await server.manager.slash(server.news, "autopost test")
    assert off.response.content.startswith("Auto-posting is off")
    await server.subscribe()
    nothing = await server.manager.slash(server.news, "autopost test")
    assert "so there is nothing to post" in last(nothing).content
    assert not simcord_env.errors  # answers, not failures (the demo's page would flag those)


async def test_autopost_test_posts_the_latest_once(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await env.bot.storage.briefs.add(content(1))
    off = await server.manager.slash(server.news, "autopost test")
    assert "off" in off.response.content
    await server.subscribe()  # from now on: brief 1 is not pending (no backlog)

    posted = await server.manager.slash(server.news, "autopost test")

    text = posted.followups[-1].content if posted.followups else posted.response.content
    assert "Posted the latest brief, #1" in text
    assert f"https://discord.com/channels/{server.guild.id}/{server.news.id}/" in text
    assert titles(env, server.news) == ["Brief number 1"]
    again = await server.manager.slash(server.news, "autopost test")
    text = again.followups[-1].content if again.followups else again.response.content
    assert "already posted there" in text
    await env.advance_time(3 * env.bot.settings.autopost_interval_seconds)
    assert titles(env, server.news) == ["Brief number 1"]
    log = await server.manager.slash(server.news, "autopost log")
    assert "posted by /autopost test" in log.response.content


async def test_autopost_test_names_what_is_missing(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await env.bot.storage.briefs.add(content(1))
    await server.subscribe()
    overwrite = discord.PermissionOverwrite(send_messages=False)
    from tests.bot.cogs.autopost.test_delivery import deny_bot

    deny_bot(env, server.news, send_messages=True)
    del overwrite

    refused = await server.manager.slash(server.news, "autopost test")

    text = refused.followups[-1].content if refused.followups else refused.response.content
    assert "Send Messages" in text
    assert posts(env, server.news) == []
    assert "**on**" in await server.status()


# --- forum posts: titled after the brief, reached when archived ------------------------------


async def forum_post(env):
    """A server subscribed with a forum, and the forum post (a thread) of one brief there."""
    server = Server(env, "forum")
    forum = server.guild.create_forum_channel("briefs")
    await server.manager.slash(server.news, "autopost add", channel=forum)
    brief = await publish(env, content(1))
    (thread,) = forum.threads
    return forum, thread, brief


def archive(env, thread) -> None:
    """Archive a thread, as Discord does after its inactivity period."""
    env.backend.edit_channel(thread.id, {}, thread_metadata={"archived": True})


def shown(env, thread):
    """The thread as Discord has it (name, archived) and the title its first message shows."""
    channel = env.backend.channels[thread.id]
    (starter,) = [m for m in thread.history() if m.author.id == env.bot.user.id]
    return channel.name, channel.thread_metadata.archived, starter.embeds[0].title


def thread_changes(env, thread) -> list:
    """The bot's changes to a thread (PATCH /channels/<thread>), and its message edits, in order."""
    return [
        r.json if r.path == f"/channels/{thread.id}" else "message edited"
        for r in env.http_requests
        if r.method == "PATCH" and r.path.startswith(f"/channels/{thread.id}")
    ]


async def test_a_forum_post_is_renamed_after_a_corrected_title(simcord_env):
    env = simcord_env
    forum, thread, brief = await forum_post(env)

    await correct(env, brief.id, content(1, title="Corrected headline"))

    assert shown(env, thread) == ("Corrected headline", False, "Corrected headline")
    await correct(env, brief.id, content(1, title="Corrected headline", what_happened="Fixed."))
    assert thread_changes(env, thread) == [
        "message edited",
        {"name": "Corrected headline"},
        "message edited",  # the same title: not renamed again
    ]


async def test_a_correction_reaches_an_archived_forum_post_and_leaves_it_archived(simcord_env):
    env = simcord_env
    forum, thread, brief = await forum_post(env)
    archive(env, thread)

    await correct(env, brief.id, content(1, title="Corrected headline"))

    assert shown(env, thread) == ("Corrected headline", True, "Corrected headline")
    assert thread_changes(env, thread) == [
        {"archived": False},
        "message edited",
        {"name": "Corrected headline", "archived": True},
    ]
    log = await env.bot.storage.delivery_log.recent(forum.guild.id)
    assert log[0].event == "updated"


async def test_a_retraction_reaches_an_archived_forum_post_and_renames_it(simcord_env):
    env = simcord_env
    forum, thread, brief = await forum_post(env)
    archive(env, thread)

    await env.bot.storage.briefs.delete(brief.id, actor_id=None, reason="The story was false.")
    await announce(env, brief.id, change=Change.RETRACTED)

    assert shown(env, thread) == (
        "Retracted: Brief number 1",
        True,
        "Retracted: Brief number 1",
    )
    copy = await env.bot.storage.post_log.copy(forum.id, brief.id)
    assert copy is not None
    assert await env.bot.storage.copies.behind(forum.guild.id) == 0


async def test_a_post_discord_archived_unseen_is_reopened_when_discord_says_so(simcord_env):
    env = simcord_env
    forum, thread, brief = await forum_post(env)
    env.backend.channels[thread.id].thread_metadata.archived = True  # no event: cache stale
    env.inject_error(  # simcord edits archived threads' messages; Discord refuses
        "PATCH",
        f"/channels/{thread.id}/messages/*",
        status=400,
        code=50083,
        message="Thread is archived",
    )

    await correct(env, brief.id, content(1, title="Corrected headline"))

    assert shown(env, thread) == ("Corrected headline", True, "Corrected headline")
