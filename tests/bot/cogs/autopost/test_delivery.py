"""Auto-post delivery as servers experience it: once per channel, no floods, pauses that explain."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.cogs.autopost._delivery import AutoPoster
from bot.cogs.autopost._waking import TASK_NAME as WOKEN
from bot.config import Settings
from storage.models import BriefContent
from storage.publishing import Announcement, Change
from tests.databases import age_posts
from tests.helpers import Restart, Server, announce, deny_bot, posts, publish, titles

BOT_POST = "POST"


def content(n: int) -> BriefContent:
    """Return a small valid brief numbered n."""
    return BriefContent(title=f"Brief number {n}", what_happened=f"Event {n} happened.")


def send_requests(env, channel) -> list:
    path = f"/channels/{channel.id}/messages"
    return [r for r in env.http_requests if r.method == "POST" and r.path == path]


async def test_publish_posts_once_in_each_subscribed_channel_with_more_button(simcord_env):
    env = simcord_env
    one, two = Server(env, "one"), Server(env, "two")
    await one.subscribe()
    await two.subscribe()

    brief = await publish(env, content(1))
    await announce(env, brief)
    await env.advance_time(3 * env.bot.settings.autopost_interval_seconds)

    for server in (one, two):
        (post,) = posts(env, server.news)
        assert post.embeds[0].title == "Brief number 1"
        assert f"#{brief.id}" in (post.embeds[0].footer.text or "")
        assert post.content == ""
        buttons = [child for row in post.components for child in row.children]
        assert [b.custom_id for b in buttons] == [f"brief:more:{brief.id}"]
        assert len(send_requests(env, server.news)) == 1
    assert posts(env, one.lobby) == []


async def test_more_button_on_an_auto_post_opens_the_article(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    await publish(env, content(1))

    reader = server.guild.add_member(env.create_user("reader"))
    result = await reader.click(posts(env, server.news)[0], label="More")

    assert result.ephemeral
    assert result.response.embeds[0].title == "Brief number 1"


async def test_restart_mid_way_never_reposts(simcord_env, settings: Settings, restart: Restart):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    await publish(env, content(1))
    await publish(env, content(2))

    await restart()
    await env.settle()
    await env.advance_time(2 * settings.autopost_interval_seconds)
    await publish(env, content(3))
    await restart()
    await env.advance_time(2 * settings.autopost_interval_seconds)

    assert titles(env, server.news) == ["Brief number 1", "Brief number 2", "Brief number 3"]


async def test_first_subscription_posts_no_backlog(simcord_env, settings: Settings):
    env = simcord_env
    for n in range(1, 4):
        await env.bot.storage.briefs.add(content(n))
    server = Server(env, "one")

    reply = await server.subscribe()
    await env.advance_time(2 * settings.autopost_interval_seconds)

    assert "from now on" in reply
    assert posts(env, server.news) == []
    assert "**Waiting to post:** 0" in await server.status()
    await publish(env, content(4))
    assert titles(env, server.news) == ["Brief number 4"]


async def test_catch_up_after_downtime_is_capped_oldest_first(
    simcord_env, settings: Settings, restart: Restart
):
    env = simcord_env
    settings.autopost_catchup_max = 3
    server = Server(env, "one")
    await server.subscribe()
    await publish(env, content(1))

    for n in range(2, 10):  # stored while the bot is down: nobody announces them
        await env.bot.storage.briefs.add(content(n))
    await restart()
    await env.settle()
    await env.advance_time(3 * settings.autopost_interval_seconds)

    assert titles(env, server.news) == [
        "Brief number 1",
        "Brief number 7",
        "Brief number 8",
        "Brief number 9",
    ]
    assert "**Waiting to post:** 0" in await server.status()
    await publish(env, content(10))
    assert titles(env, server.news)[-1] == "Brief number 10"
    assert len(posts(env, server.news)) == 5


async def test_lost_permission_pauses_that_server_only_and_says_why(
    simcord_env, settings: Settings
):
    env = simcord_env
    broken, healthy = Server(env, "broken"), Server(env, "healthy")
    await broken.subscribe()
    await healthy.subscribe()
    deny_bot(env, broken.news, send_messages=True, embed_links=True)

    await publish(env, content(1))
    await env.advance_time(3 * settings.autopost_interval_seconds)

    assert titles(env, healthy.news) == ["Brief number 1"]
    assert posts(env, broken.news) == []
    assert send_requests(env, broken.news) == []
    status = await broken.status()
    assert "**paused**" in status
    assert "Send Messages, Embed Links" in status
    assert "/autopost channel" in status
    (notice,) = [m for m in broken.lobby.history() if m.author.id == env.bot.user.id]
    assert "paused" in notice.content
    assert "Send Messages" in notice.content

    await publish(env, content(2))
    assert len([m for m in broken.lobby.history() if m.author.id == env.bot.user.id]) == 1
    assert titles(env, healthy.news) == ["Brief number 1", "Brief number 2"]


async def test_discord_403_on_send_pauses_and_gives_the_brief_back(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    env.inject_error(
        "POST",
        f"/channels/{server.news.id}/messages",
        status=403,
        code=50013,
        message="Missing Permissions",
    )

    await publish(env, content(1))

    status = await server.status()
    assert "**paused**" in status
    assert "Missing Permissions" in status
    assert "**Waiting to post:** 1" in status
    assert posts(env, server.news) == []


async def test_deleted_channel_pauses_the_server(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    env.backend.delete_channel(server.news.id)
    await env.settle()

    await publish(env, content(1))

    result = await server.manager.slash(server.lobby, "autopost status")
    assert "**paused**" in result.response.content
    assert "no longer exists" in result.response.content


async def test_server_that_removed_the_bot_is_paused_and_others_carry_on(simcord_env):
    env = simcord_env
    gone, staying = Server(env, "gone"), Server(env, "staying")
    await gone.subscribe()
    await staying.subscribe()
    env.backend.remove_guild(gone.guild.id)
    await env.settle()

    await publish(env, content(1))

    assert titles(env, staying.news) == ["Brief number 1"]
    settings = await env.bot.storage.subscriptions.first(gone.guild.id)
    assert settings is not None
    assert settings.paused_reason is not None
    assert await env.bot.storage.subscriptions.active() == [
        await env.bot.storage.subscriptions.first(staying.guild.id)
    ]


async def test_resubscribing_after_a_pause_resumes_without_backlog(simcord_env, settings):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    deny_bot(env, server.news, send_messages=True)
    await publish(env, content(1))
    env.backend.delete_overwrite(server.news.id, env.bot.user.id)
    await env.settle()

    await server.subscribe()
    await publish(env, content(2))

    assert titles(env, server.news) == ["Brief number 2"]
    assert "**on**" in await server.status()


async def test_server_error_releases_the_claim_and_a_later_sweep_retries(simcord_env, settings):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    env.inject_error("POST", f"/channels/{server.news.id}/messages", status=503, times=None)

    await publish(env, content(1))

    assert posts(env, server.news) == []
    status = await server.status()
    assert "**on**" in status
    assert "temporary problem" in status
    assert "**Waiting to post:** 1" in status
    env.backend.faults.clear()
    await env.advance_time(settings.autopost_interval_seconds)
    assert titles(env, server.news) == ["Brief number 1"]
    assert "temporary problem" not in await server.status()


async def test_rejected_message_is_not_retried_and_other_servers_carry_on(simcord_env, settings):
    env = simcord_env
    bad, good = Server(env, "bad"), Server(env, "good")
    await bad.subscribe()
    await good.subscribe()
    env.inject_error("POST", f"/channels/{bad.news.id}/messages", status=400, code=50035)

    await publish(env, content(1))
    await env.advance_time(3 * settings.autopost_interval_seconds)
    await publish(env, content(2))

    assert len(send_requests(env, bad.news)) == 2
    assert titles(env, bad.news) == ["Brief number 2"]
    assert titles(env, good.news) == ["Brief number 1", "Brief number 2"]


async def test_a_refused_post_is_shown_in_status_and_posted_once_the_brief_is_edited(
    simcord_env, settings, caplog
):
    env = simcord_env
    bad, good = Server(env, "bad"), Server(env, "good")
    await bad.subscribe()
    await good.subscribe()
    env.inject_error("POST", f"/channels/{bad.news.id}/messages", status=400, code=50035)
    brief = await publish(env, content(1))

    status = await bad.status()
    assert "**Refused by Discord:** brief #1" in status
    assert "HTTP 400" in status
    assert "once a publisher edits it" in status
    assert "**Waiting to post:** 0" in status
    (record,) = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert "title=14" in record.shape
    assert "Brief number" not in record.shape  # sizes, never the text
    await env.advance_time(3 * settings.autopost_interval_seconds)
    assert len(send_requests(env, bad.news)) == 1

    edited = await env.bot.storage.briefs.update(brief.id, content(11), actor_id=None)
    await announce(env, edited, change=Change.EDITED)

    assert titles(env, bad.news) == ["Brief number 11"]
    assert titles(env, good.news) == ["Brief number 11"]  # the correction reached it too
    assert "Refused" not in await bad.status()
    await env.advance_time(3 * settings.autopost_interval_seconds)
    assert len(send_requests(env, bad.news)) == 2


async def test_a_brief_with_a_stored_link_discord_refuses_is_still_posted(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    brief = await env.bot.storage.briefs.add(content(1))
    async with env.bot.storage.db.transaction() as conn:  # stored before the link rule existed
        await conn.execute(
            "UPDATE briefs SET source_url = ? WHERE id = ?",
            "https://example.com/" + "a" * 600,
            brief.id,
        )

    await announce(env, brief)

    (post,) = posts(env, server.news)
    assert post.embeds[0].url is not None
    assert [c.label for row in post.components for c in row.children] == ["More"]


async def test_mention_role_is_pinged_in_that_post_only(simcord_env):
    env = simcord_env
    pinged, quiet = Server(env, "pinged"), Server(env, "quiet")
    readers = pinged.guild.create_role("Readers", mentionable=True)
    await pinged.subscribe()
    await quiet.subscribe()
    reply = await pinged.manager.slash(pinged.news, "autopost mention", role=readers)
    assert readers.mention in reply.response.content

    await publish(env, content(1))

    (request,) = send_requests(env, pinged.news)
    assert request.json["content"] == readers.mention
    allowed = request.json["allowed_mentions"]
    assert allowed["parse"] == []
    assert [int(r) for r in allowed["roles"]] == [readers.id]
    assert not allowed.get("replied_user")
    assert posts(env, pinged.news)[0].role_mentions[0].id == readers.id

    (other,) = send_requests(env, quiet.news)
    assert not other.json.get("content")
    assert other.json["allowed_mentions"] == {"parse": []}
    ack = [r for r in env.http_requests if "/callback" in r.path and r.json["data"]]
    assert all(r.json["data"]["allowed_mentions"] == {"parse": []} for r in ack)

    await pinged.manager.slash(pinged.news, "autopost mention")
    await publish(env, content(2))
    last = send_requests(env, pinged.news)[-1]
    assert not last.json.get("content")
    assert last.json["allowed_mentions"] == {"parse": []}


async def test_crosspost_publishes_in_an_announcement_channel(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    announcements = server.guild.create_news_channel("announcements")
    result = await server.manager.slash(
        server.news, "autopost channel", channel=announcements, crosspost=True
    )
    assert "published" in result.response.content

    await publish(env, content(1))

    (post,) = posts(env, announcements)
    assert any(
        r.method == "POST" and r.path.endswith(f"/messages/{post.id}/crosspost")
        for r in env.http_requests
    )


async def test_overlapping_triggers_and_sweeps_post_once(simcord_env, settings):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    brief = await env.bot.storage.briefs.add(content(1))

    announcements = env.bot.storage.announcements
    for _ in range(5):
        await announcements.announce(Announcement(Change.PUBLISHED, brief.id))
    other_process = AutoPoster(env.bot)
    await asyncio.gather(
        other_process.run(),
        other_process.run(),
        AutoPoster(env.bot).run(),
        *[t for t in asyncio.all_tasks() if t.get_name() == WOKEN],
    )
    await env.settle()
    await env.advance_time(3 * settings.autopost_interval_seconds)

    assert titles(env, server.news) == ["Brief number 1"]
    assert len(send_requests(env, server.news)) == 1


async def test_off_stops_posting(simcord_env):
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()

    result = await server.manager.slash(server.news, "autopost off")
    await publish(env, content(1))

    assert "off" in result.response.content
    assert posts(env, server.news) == []
    assert "**off**" in await server.status()


async def test_a_daily_cap_defers_the_rest_to_the_next_window_never_drops_them(
    simcord_env, settings: Settings
):
    env = simcord_env
    settings.autopost_catchup_max = 1  # not what paces a capped subscription
    server = Server(env, "one")
    answer = await server.manager.slash(
        server.news, "autopost add", channel=server.news, daily_cap=2
    )
    assert "at most 2 a day" in answer.response.content
    for n in range(1, 6):
        await publish(env, content(n))
    assert titles(env, server.news) == ["Brief number 1", "Brief number 2"]

    (sub,) = await env.bot.storage.subscriptions.of_guild(server.guild.id)
    first, _ = await env.bot.storage.post_log.posted_times(sub.id, sub.subscribed_at)
    status = await server.status()
    assert "**Last 24 hours:** 2 of at most 2 posts" in status
    assert "**Waiting to post:** 3" in status
    next_turn = int((first + timedelta(days=1)).timestamp())
    assert f"**Waiting for the daily cap:** 3, the next from <t:{next_turn}:R>" in status
    last_turn = int((first + timedelta(days=2)).timestamp())
    assert f"the last by <t:{last_turn}:f>" in status

    await env.advance_time(2 * settings.autopost_interval_seconds)
    assert len(posts(env, server.news)) == 2  # the window is full: they wait
    await age_posts(env.bot.storage, timedelta(days=1))
    await env.advance_time(2 * settings.autopost_interval_seconds)
    assert titles(env, server.news)[2:] == ["Brief number 3", "Brief number 4"]
    await age_posts(env.bot.storage, timedelta(days=1))
    await env.advance_time(2 * settings.autopost_interval_seconds)
    assert titles(env, server.news)[4:] == ["Brief number 5"]
    status = await server.status()
    assert "**Waiting to post:** 0" in status
    assert "Waiting for the daily cap" not in status
    events = await env.bot.storage.delivery_log.recent(server.guild.id)
    assert "skipped" not in {event.event for event in events}
