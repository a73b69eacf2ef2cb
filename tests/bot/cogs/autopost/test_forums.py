"""What a forum accepts: the tags a post carries, and when a forum needs no default tag."""

from __future__ import annotations

import discord
import pytest
import simcord

from bot.cogs.autopost._forums import always_tagged, post_tags
from storage.models import SubscriptionOptions
from storage.topics import Match
from tests.helpers import Server, deny_bot, publish

from .test_subscriptions import add, content


def tag(tag_id: int, name: str) -> discord.ForumTag:
    """A forum tag as Discord sends it."""
    data = {"id": str(tag_id), "name": name, "moderated": False}
    return discord.ForumTag.from_data(
        state=None, data={**data, "emoji_id": None, "emoji_name": None}
    )  # type: ignore[arg-type]


SPORT, WEATHER, NEWS = tag(1, "Sport"), tag(2, "Weather"), tag(3, "Local news")
TAGS = [SPORT, WEATHER, NEWS]


def test_a_post_carries_the_tags_its_topics_name_else_the_default() -> None:
    assert post_tags(TAGS, ["SPORT", "local  news"], default_id=2) == [SPORT, NEWS]
    assert post_tags(TAGS, ["politics"], default_id=2) == [WEATHER]
    assert post_tags(TAGS, [], default_id=None) == []
    assert post_tags([SPORT], ["politics"], default_id=2) == []  # a default it may not apply


@pytest.mark.parametrize(
    ("topics", "match", "tagged"),
    [
        ([], Match.ANY, False),  # every brief: some have no topic at all
        (["sport"], Match.ANY, True),
        (["sport", "politics"], Match.ANY, False),  # a politics brief names no tag
        (["sport", "weather"], Match.ANY, True),
        (["sport", "politics"], Match.ALL, True),  # every one has sport
        (["politics"], Match.ALL, False),
        (["sport"], Match.NONE, False),
    ],
)
def test_a_subscription_whose_every_brief_names_a_tag_needs_no_default(
    topics: list[str], match: Match, tagged: bool
) -> None:
    options = SubscriptionOptions(channel_id=1, topics=topics, match=match)
    assert always_tagged(options, TAGS) is tagged


# --- in a server --------------------------------------------------------------------------


def require_tag(env: simcord.Env, forum: simcord.ChannelHandle) -> None:
    """Make a forum require a tag on every post, as its settings can.

    simcord does not model channel flags, so the bot's view of the forum gets the flag
    Discord would send with it.
    """
    channel = env.bot.get_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    channel._flags = discord.ChannelFlags(require_tag=True).value


async def tagged_forum(
    env: simcord.Env, server: Server, *names: str, moderated: tuple[str, ...] = ()
) -> simcord.ChannelHandle:
    """A forum with these tags (the `moderated` ones only Manage Threads may apply)."""
    forum = server.guild.create_forum_channel("briefs")
    tags = [discord.ForumTag(name=name, moderated=name in moderated) for name in names]
    await env.bot.get_channel(forum.id).edit(available_tags=tags)
    await env.settle()
    return forum


def applied(env: simcord.Env, forum: simcord.ChannelHandle) -> list[list[str]]:
    """The names of the tags each of the forum's posts carries, oldest first."""
    names = {tag.id: tag.name for tag in env.bot.get_channel(forum.id).available_tags}
    return [[names[t.id] for t in env.bot.get_channel(th.id).applied_tags] for th in forum.threads]


async def test_a_forum_that_requires_a_tag_is_refused_without_one_saying_why(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = await tagged_forum(env, server, "Sport", "Weather")
    require_tag(env, forum)

    refused = await add(server, forum)

    assert "requires a tag on every post" in refused
    assert "`tag`" in refused
    assert "`Sport`, `Weather`" in refused
    assert await env.bot.storage.subscriptions.of_guild(server.guild.id) == []
    assert "has no tag named that" in await add(server, forum, tag="Politics")
    assert "not a forum" in await add(server, server.news, tag="Sport")
    assert await env.bot.storage.subscriptions.of_guild(server.guild.id) == []


async def test_a_default_tag_is_carried_by_posts_whose_topics_name_none(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = await tagged_forum(env, server, "Sport", "Weather")
    require_tag(env, forum)

    answer = await add(server, forum, tag="weather")

    assert "Done" in answer
    assert "tagged `Weather`" in answer
    await publish(env, content(1, "sport"))
    await publish(env, content(2))
    await publish(env, content(3, "politics"))
    assert applied(env, forum) == [["Sport"], ["Weather"], ["Weather"]]
    create = [r for r in env.http_requests if r.path == f"/channels/{forum.id}/threads"]
    assert all(r.json["applied_tags"] for r in create)


async def test_a_required_tag_is_chosen_when_there_is_one_or_every_brief_names_one(simcord_env):
    env = simcord_env
    server = Server(env)
    only = await tagged_forum(env, server, "News")
    require_tag(env, only)
    several = await tagged_forum(env, server, "Sport", "Weather")
    require_tag(env, several)

    assert "tagged `News`" in await add(server, only)
    answer = await add(server, several, topics="sport, weather")  # each names a tag

    assert "Done" in answer
    assert "tagged" not in answer
    await publish(env, content(1, "weather"))
    assert applied(env, only) == [["News"]]
    assert applied(env, several) == [["Weather"]]


async def test_a_moderated_tag_needs_manage_threads(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = await tagged_forum(env, server, "Official", "Sport", moderated=("Official",))
    deny_bot(env, forum, manage_threads=True)
    require_tag(env, forum)  # after: a channel update brings the flags simcord lacks

    refused = await add(server, forum, tag="Official")

    assert "Manage Threads" in refused
    assert "tagged `Sport`" in await add(server, forum)  # the one tag it may apply
    await publish(env, content(1, "official"))
    assert applied(env, forum) == [["Sport"]]


async def test_a_forum_that_comes_to_require_a_tag_pauses_instead_of_being_refused(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = await tagged_forum(env, server, "Sport", "Weather")
    assert "Done" in await add(server, forum)
    require_tag(env, forum)  # after subscribing

    await publish(env, content(1, "politics"))

    assert forum.threads == []
    [subscription] = await env.bot.storage.subscriptions.of_guild(server.guild.id)
    assert subscription.paused_reason is not None
    assert "requires a tag on every post" in subscription.paused_reason
    assert f"/autopost edit subscription:{subscription.id} tag:" in subscription.paused_reason
    status = await server.status()
    assert "**paused**" in status
    assert "edits it" not in status  # nothing promised that will not happen
    answer = await server.manager.slash(
        server.news, "autopost edit", subscription=subscription.id, tag="Sport"
    )
    assert "tagged `Sport`" in answer.response.content
    await publish(env, content(2, "politics"))
    assert applied(env, forum) == [["Sport"]]


async def test_discord_refusing_an_untagged_post_pauses_and_gives_the_brief_back(simcord_env):
    env = simcord_env
    server = Server(env)
    forum = await tagged_forum(env, server, "Sport")
    assert "Done" in await add(server, forum)
    env.inject_error(
        "POST",
        f"/channels/{forum.id}/threads",
        status=400,
        code=40067,
        message="A tag is required to create a forum post in this channel",
    )

    brief = await publish(env, content(1))

    [subscription] = await env.bot.storage.subscriptions.of_guild(server.guild.id)
    assert subscription.paused_reason is not None
    assert "refused a post without a tag" in subscription.paused_reason
    assert "tag:" in subscription.paused_reason
    assert await env.bot.storage.post_log.rejected(forum.id) == []  # not waiting for an edit
    assert await env.bot.storage.post_log.copy(forum.id, brief.id) is None
    assert "Refused by Discord" not in await server.status()
