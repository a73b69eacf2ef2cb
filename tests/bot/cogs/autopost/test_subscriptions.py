"""Subscriptions: many destinations per server, routed by topic, to text channels, threads
and forums; each brief posted once per channel."""

from __future__ import annotations

import discord

from storage.models import MAX_SUBSCRIPTIONS, BriefContent, SubscriptionOptions
from tests.helpers import Server, deny_bot, posts, publish, titles

from .test_copies import correct, edits


def content(n: int, *tags: str) -> BriefContent:
    """A small valid brief numbered n, with these topics."""
    return BriefContent(
        title=f"Brief number {n}", what_happened=f"Event {n} happened.", topics=list(tags)
    )


async def add(server: Server, channel, **options) -> str:
    """Run `/autopost add` as the manager; return the bot's private answer."""
    result = await server.manager.slash(server.news, "autopost add", channel=channel, **options)
    assert result.ephemeral
    return str(result.response.content)


async def test_briefs_are_routed_by_topic(simcord_env):
    env = simcord_env
    server = Server(env)
    sport = server.guild.create_text_channel("sport")
    quiet = server.guild.create_text_channel("not-sport")
    both = server.guild.create_text_channel("local-sport")
    assert "Done" in await add(server, sport, topics="Sport, football")
    assert "Done" in await add(server, quiet, topics="sport", match="none")
    assert "Done" in await add(server, both, topics="sport, local news", match="all")
    assert "Done" in await add(server, server.news)  # every brief

    await publish(env, content(1, "Football"))
    await publish(env, content(2, "weather"))
    await publish(env, content(3, "local  news", "SPORT"))

    assert titles(env, sport) == ["Brief number 1", "Brief number 3"]
    assert titles(env, quiet) == ["Brief number 1", "Brief number 2"]  # football is not sport
    assert titles(env, both) == ["Brief number 3"]
    assert titles(env, server.news) == ["Brief number 1", "Brief number 2", "Brief number 3"]
    # The topics show on the post.
    (post,) = [m for m in posts(env, sport) if m.embeds[0].title == "Brief number 1"]
    assert "Football" in str(post.embeds[0].to_dict())


async def test_two_subscriptions_to_one_channel_post_a_brief_there_once(simcord_env):
    env = simcord_env
    server = Server(env)
    await add(server, server.news, topics="sport")
    await add(server, server.news, topics="weather")

    brief = await publish(env, content(1, "sport", "weather"))
    await publish(env, content(2, "weather"))
    await publish(env, content(3, "politics"))

    assert titles(env, server.news) == ["Brief number 1", "Brief number 2"]
    copies = await env.bot.storage.post_log.copy(server.news.id, brief.id)
    assert copies is not None
    # A correction reaches the one copy, once.
    await correct(
        env, brief.id, content(1, "sport", "weather").model_copy(update={"title": "Fixed"})
    )
    assert titles(env, server.news)[0] == "Fixed"
    assert len(edits(env, server.news)) == 1


async def test_a_forum_gets_a_post_per_brief_titled_and_tagged(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = server.guild.create_forum_channel("briefs")
    await env.bot.get_channel(forum.id).edit(
        available_tags=[discord.ForumTag(name="Sport"), discord.ForumTag(name="Weather")]
    )
    await env.settle()
    answer = await add(server, forum)
    assert "Done" in answer
    assert "post in the forum" in answer

    brief = await publish(env, content(1, "sport"))

    (thread,) = forum.threads
    assert thread.name == "Brief number 1"
    (starter,) = [m for m in thread.history() if m.author.id == env.bot.user.id]
    assert starter.embeds[0].title == "Brief number 1"
    assert any(
        c.get("custom_id", "").startswith("brief:more:")
        for row in starter.components
        for c in row.to_dict()["components"]
    )
    tags = {tag.id: tag.name for tag in env.bot.get_channel(forum.id).available_tags}
    applied = env.bot.get_channel(thread.id).applied_tags
    assert [tags[tag.id] for tag in applied] == ["Sport"]
    # Corrections edit the forum post's first message.
    await correct(env, brief.id, content(1, "sport").model_copy(update={"title": "Corrected"}))
    (starter,) = [m for m in thread.history() if m.author.id == env.bot.user.id]
    assert starter.embeds[0].title == "Corrected"


async def test_a_thread_is_opened_under_each_post_named_after_the_brief(simcord_env):
    env = simcord_env
    server = Server(env)
    await add(server, server.news, thread=True, silent=True)

    await publish(env, content(1).model_copy(update={"title": "A long title " * 12}))

    (post,) = posts(env, server.news)
    assert post.flags.suppress_notifications  # silent
    (thread,) = server.news.threads
    assert thread.name.startswith("A long title")
    assert len(thread.name) <= 100


async def test_subscribing_names_the_missing_permissions(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = server.guild.create_forum_channel("briefs")
    deny_bot(env, forum, send_messages=True)
    deny_bot(env, server.news, create_public_threads=True)

    assert "Create Posts" in await add(server, forum)
    assert "Create Public Threads" in await add(server, server.news, thread=True)
    assert "Done" in await add(server, server.news)  # no thread: nothing missing
    assert len(await env.bot.storage.subscriptions.of_guild(server.guild.id)) == 1


async def test_list_edit_status_and_remove(simcord_env):
    env = simcord_env
    server = Server(env)
    sport = server.guild.create_text_channel("sport")
    await server.subscribe()
    await add(server, sport, topics="sport", daily_cap=1)
    first, second = await env.bot.storage.subscriptions.of_guild(server.guild.id)

    listed = await server.manager.slash(server.news, "autopost list")
    assert f"#{first.id}" in listed.response.content
    assert "every brief" in listed.response.content
    assert "`sport`" in listed.response.content
    choices = await server.manager.autocomplete(server.news, "autopost edit", "subscription", "")
    assert [c["value"] for c in choices] == [first.id, second.id]

    # The daily cap holds the second sport brief back; status says so.
    await publish(env, content(1, "sport"))
    await publish(env, content(2, "sport"))
    assert titles(env, sport) == ["Brief number 1"]
    status = await server.manager.slash(server.news, "autopost status", subscription=second.id)
    assert "**Waiting to post:** 1" in status.response.content
    assert "1 of at most 1" in status.response.content

    edited = await server.manager.slash(
        server.news, "autopost edit", subscription=second.id, topics="weather", daily_cap=0
    )
    assert "`weather`" in edited.response.content
    stored = await env.bot.storage.subscriptions.get(second.id)
    assert stored is not None
    assert (stored.topics, stored.daily_cap) == (["weather"], None)

    # `/autopost channel` cannot tell which of two subscriptions is meant.
    several = await server.manager.slash(server.news, "autopost channel", channel=sport)
    assert "several subscriptions" in several.response.content

    removed = await server.manager.slash(server.news, "autopost remove", subscription=second.id)
    assert f"Removed subscription #{second.id}" in removed.response.content
    assert [s.id for s in await env.bot.storage.subscriptions.of_guild(server.guild.id)] == [
        first.id
    ]
    other = Server(env, "Other")
    stranger = await other.manager.slash(other.news, "autopost remove", subscription=first.id)
    assert "no subscription" in stranger.response.content
    assert await env.bot.storage.subscriptions.get(first.id) is not None


async def test_a_server_has_at_most_25_subscriptions(simcord_env):
    env = simcord_env
    server = Server(env)
    for n in range(MAX_SUBSCRIPTIONS):
        await env.bot.storage.subscriptions.add(
            server.guild.id, SubscriptionOptions(channel_id=server.news.id, topics=[f"t{n}"])
        )
    answer = await add(server, server.news, topics="one more")
    assert "remove one" in answer.lower()
    assert len(await env.bot.storage.subscriptions.of_guild(server.guild.id)) == MAX_SUBSCRIPTIONS


async def test_bad_topic_lists_are_refused_in_one_line(simcord_env):
    env = simcord_env
    server = Server(env)
    assert "longer than" in await add(server, server.news, topics="x" * 60)
    assert "at most" in await add(server, server.news, topics=",".join(f"t{n}" for n in range(11)))
    assert "one or more" in await add(server, server.news, topics=" , ;")
    assert await env.bot.storage.subscriptions.of_guild(server.guild.id) == []


async def test_a_lost_channel_pauses_that_subscription_only(simcord_env):
    env = simcord_env
    server = Server(env)
    sport = server.guild.create_text_channel("sport")
    await server.subscribe()
    await add(server, sport, topics="sport")
    deny_bot(env, sport, send_messages=True)

    await publish(env, content(1, "sport"))
    await publish(env, content(2, "sport"))

    assert titles(env, server.news) == ["Brief number 1", "Brief number 2"]
    assert posts(env, sport) == []
    news_sub, sport_sub = await env.bot.storage.subscriptions.of_guild(server.guild.id)
    assert news_sub.paused_reason is None
    assert sport_sub.paused_reason is not None
    assert "Send Messages" in sport_sub.paused_reason


async def test_topics_autocomplete_offers_known_topics_for_the_last_one_typed(simcord_env):
    env = simcord_env
    server = Server(env)
    await publish(env, content(1, "Sport", "Local news"))
    await publish(env, content(2, "sport", "Weather"))

    def values(choices) -> list[str]:
        return [c["value"] for c in choices]

    first = await server.manager.autocomplete(server.news, "autopost add", "topics", "")
    assert values(first) == ["Sport", "Local news", "Weather"]  # most used first
    more = await server.manager.autocomplete(server.news, "autopost add", "topics", "sport, lo")
    assert values(more) == ["sport, Local news"]
    after = await server.manager.autocomplete(server.news, "autopost add", "topics", "Sport,")
    assert values(after) == ["Sport, Local news", "Sport, Weather"]  # not Sport again


async def test_25_subscriptions_with_long_topic_lists_fit_one_answer(simcord_env):
    env = simcord_env
    server = Server(env)
    for n in range(MAX_SUBSCRIPTIONS):
        topics = [f"{n} topic {k} " + "x" * 28 for k in range(10)]
        await env.bot.storage.subscriptions.add(
            server.guild.id,
            SubscriptionOptions(
                channel_id=server.news.id, topics=topics, silent=True, thread=True, daily_cap=999
            ),
        )
    for command in ("autopost list", "autopost status"):
        answer = (await server.manager.slash(server.news, command)).response.content
        assert len(answer) <= 2000  # (the contract check holds every payload to Discord's limits)
        assert "/autopost status subscription:" in answer
    first = (await env.bot.storage.subscriptions.of_guild(server.guild.id))[0]
    one = await server.manager.slash(server.news, "autopost status", subscription=first.id)
    assert "**Waiting to post:** 0" in one.response.content


# --- mentions: never a confused deputy ------------------------------------------------------


def mention_sends(env, channel) -> list:
    """The content and pingable roles of each post the bot sent in a channel."""
    path = f"/channels/{channel.id}/messages"
    return [
        (r.json.get("content"), [int(role) for role in r.json["allowed_mentions"].get("roles", [])])
        for r in env.http_requests
        if r.method == "POST" and r.path == path
    ]


async def test_a_manager_cannot_have_the_bot_ping_a_role_they_could_not(simcord_env):
    env = simcord_env
    server = Server(env)
    hidden = server.guild.create_role("Everyone who reads")  # not mentionable
    open_role = server.guild.create_role("Readers", mentionable=True)
    await server.subscribe()
    [subscription] = await env.bot.storage.subscriptions.of_guild(server.guild.id)

    refusals = [
        await add(server, server.news, mention=hidden),
        (await server.manager.slash(server.news, "autopost mention", role=hidden)).response.content,
        (
            await server.manager.slash(
                server.news, "autopost edit", subscription=subscription.id, mention=hidden
            )
        ).response.content,
    ]

    for refusal in refusals:
        assert f"You can't mention {hidden.mention} yourself" in refusal
        assert "Mention @everyone" in refusal
    assert (await env.bot.storage.subscriptions.get(subscription.id)).mention_role_id is None
    assert "Done" in await add(server, server.guild.create_text_channel("sport"), mention=open_role)
    # Someone who may mention everyone may choose it, and the bot pings it for them.
    editors = server.guild.create_role(
        "Editors", permissions=discord.Permissions(manage_guild=True, mention_everyone=True)
    )
    editor = server.guild.add_member(env.create_user("editor"), roles=[editors])
    chosen = await editor.slash(
        server.news, "autopost edit", subscription=subscription.id, mention=hidden
    )
    assert f"mentions {hidden.mention}" in chosen.response.content
    await publish(env, content(1))
    assert mention_sends(env, server.news) == [(hidden.mention, [hidden.id])]


async def test_a_role_its_chooser_can_no_longer_ping_is_not_pinged(simcord_env):
    env = simcord_env
    server = Server(env)
    readers = server.guild.create_role("Readers", mentionable=True)
    await server.subscribe()
    await server.manager.slash(server.news, "autopost mention", role=readers)
    await publish(env, content(1))

    env.backend.edit_role(server.guild.id, readers.id, {"mentionable": False})
    await env.settle()
    await publish(env, content(2))

    assert mention_sends(env, server.news) == [(readers.mention, [readers.id]), (None, [])]
    log = await server.manager.slash(server.news, "autopost log")
    assert "not mentioned" in log.response.content
    # A role kept from before its chooser was recorded is pinged only while mentionable.
    await env.bot.storage.subscriptions.set_mention(server.guild.id, readers.id)
    await publish(env, content(3))
    assert mention_sends(env, server.news)[-1] == (None, [])
