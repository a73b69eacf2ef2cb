"""`/feed` as publishers use it in Discord (simcord), against feeds served on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import simcord
from simcord.backend.errors import SetupError

from bot.config import Settings
from tests.bot.feeds.support import FeedServer, Item, rss
from tests.helpers import Server, posts, woken


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The bot may fetch loopback feeds here (as only tests and the demo may)."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_path=tmp_path / "briefs.db",
        shard_count=1,
        feeds_allow_private=True,
    )


@pytest_asyncio.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    served = FeedServer()
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


def items(*numbers: int) -> bytes:
    return rss([Item(f"s-{n}", f"Story {n}", f"Something happened, number {n}.") for n in numbers])


def cog(env: simcord.Env) -> Any:
    return env.bot.get_cog("FeedCommands")


async def poll(env: simcord.Env) -> None:
    """Run the poller's round now (its loop would, within 15 s), then let delivery finish."""
    await cog(env).poller.poll_due(everything=True)
    await woken(env)


@pytest_asyncio.fixture
async def newsroom(simcord_env: simcord.Env, settings: Settings) -> Server:
    """A server whose manager is a publisher, with #news subscribed to every brief."""
    server = Server(simcord_env, "Harbour")
    settings.admin_user_ids.append(server.manager.user.id)
    await server.subscribe()
    return server


async def test_a_publisher_adds_a_feed_its_backlog_is_not_posted_its_new_items_are(
    simcord_env: simcord.Env, newsroom: Server, feeds: FeedServer
) -> None:
    url = feeds.serve("/news.xml", items(2, 1))

    result = await newsroom.manager.slash(newsroom.news, "feed add", url=url, name="gazette")

    assert result.ephemeral
    assert "Added feed **gazette**" in str(result.response.content)
    assert "2 items" in str(result.response.content)
    await woken(simcord_env)
    assert posts(simcord_env, newsroom.news) == []

    feeds.serve("/news.xml", items(3, 2, 1))
    await poll(simcord_env)
    assert [p.embeds[0].title for p in posts(simcord_env, newsroom.news)] == ["Story 3"]

    status = await newsroom.manager.slash(newsroom.news, "feed status", feed="gazette")
    embed = status.response.embeds[0]
    assert embed.title == "Feed gazette"
    fields = {field.name: field.value for field in embed.fields}
    assert fields["State"] == "✅ ok"
    assert fields["Result"] == "ok: 1 new, 0 corrected"
    assert "Review" not in fields
    listed = await newsroom.manager.slash(newsroom.news, "feed list")
    assert "review" not in str(listed.response.content)


async def test_with_review_new_items_wait_as_drafts_unposted_and_the_backlog_does_not(
    simcord_env: simcord.Env, newsroom: Server, feeds: FeedServer
) -> None:
    storage = simcord_env.bot.storage
    url = feeds.serve("/news.xml", items(2, 1))

    result = await newsroom.manager.slash(
        newsroom.news, "feed add", url=url, name="gazette", review=True
    )

    text = str(result.response.content)
    assert "2 items" in text
    assert "wait as drafts for an editor's approval" in text
    backlog = await storage.briefs.latest(5)
    assert sorted(brief.title for brief in backlog) == ["Story 1", "Story 2"]
    assert all(brief.backfill and brief.review is None for brief in backlog)
    assert await storage.briefs.drafts() == []
    source = await storage.sources.get("gazette")
    assert source is not None
    assert source.requires_review

    feeds.serve("/news.xml", items(3, 2, 1))
    await poll(simcord_env)

    (draft,) = await storage.briefs.drafts()
    assert (draft.title, draft.review, draft.backfill) == ("Story 3", "submitted", False)
    assert await storage.briefs.get(draft.id) is None  # members never see it
    assert posts(simcord_env, newsroom.news) == []
    status = await newsroom.manager.slash(newsroom.news, "feed status", feed="gazette")
    fields = {field.name: field.value for field in status.response.embeds[0].fields}
    assert "items wait for review" in str(fields["Review"])
    listed = await newsroom.manager.slash(newsroom.news, "feed list")
    assert "items wait for review" in str(listed.response.content)


async def test_an_edit_at_the_source_corrects_the_posted_copy(
    simcord_env: simcord.Env, newsroom: Server, feeds: FeedServer
) -> None:
    url = feeds.serve("/news.xml", items(1))
    await newsroom.manager.slash(newsroom.news, "feed add", url=url, name="gazette")
    feeds.serve("/news.xml", items(2, 1))
    await poll(simcord_env)
    (post,) = posts(simcord_env, newsroom.news)
    assert post.embeds[0].title == "Story 2"

    edited = [
        Item("s-2", "Story 2, corrected", "It happened on Tuesday."),
        Item("s-1", "Story 1", "Something happened, number 1."),
    ]
    feeds.serve("/news.xml", rss(edited))
    await poll(simcord_env)

    (post,) = posts(simcord_env, newsroom.news)
    assert post.embeds[0].title == "Story 2, corrected"
    assert "Updated from the source" in str(post.embeds[0].to_dict())


async def test_test_shows_what_a_feed_would_give_and_stores_nothing(
    simcord_env: simcord.Env, newsroom: Server, feeds: FeedServer
) -> None:
    url = feeds.serve("/news.xml", items(2, 1))

    result = await newsroom.manager.slash(newsroom.news, "feed test", url=url)

    text = str(result.response.content)
    assert "2 items" in text
    assert "Story 2" in text
    assert "Nothing was stored" in text
    assert await simcord_env.bot.storage.feeds.list() == []
    assert await simcord_env.bot.storage.briefs.latest(5) == []


async def test_a_member_who_is_no_publisher_is_refused(
    simcord_env: simcord.Env, newsroom: Server, feeds: FeedServer
) -> None:
    url = feeds.serve("/news.xml", items(1))
    member = newsroom.guild.add_member(simcord_env.create_user("reader"))
    with pytest.raises(SetupError, match="default-member-permissions"):  # hidden from members
        await member.slash(newsroom.news, "feed add", url=url)
    command = simcord_env.backend.find_command("feed", None)
    assert command is not None
    # a server that shows /feed to everyone: the bot still refuses who is no publisher
    newsroom.guild.set_command_permissions(int(command["id"]), {member: True})

    result = await member.slash(newsroom.news, "feed add", url=url)

    assert result.ephemeral
    assert "Only publishers" in str(result.response.content)
    assert feeds.hits == {}


async def test_a_private_address_is_refused_when_not_allowed(
    simcord_env: simcord.Env, newsroom: Server, settings: Settings
) -> None:
    result = await newsroom.manager.slash(
        newsroom.news, "feed add", url="http://169.254.169.254/latest/meta-data"
    )

    assert result.ephemeral
    assert "can't read" in str(result.response.content)


async def test_a_paused_feed_is_told_in_the_newsroom_and_resumed_by_its_button(
    simcord_env: simcord.Env, newsroom: Server, feeds: FeedServer, settings: Settings
) -> None:
    settings.newsroom_channel_id = newsroom.lobby.id
    url = feeds.serve("/news.xml", items(1))
    await newsroom.manager.slash(newsroom.news, "feed add", url=url, name="gazette")
    storage = simcord_env.bot.storage
    feeds.serve("/news.xml", b"", status=503)
    await poll(simcord_env)
    feed = await storage.feeds.get("gazette")
    assert feed is not None
    assert feed.failing_since is not None
    async with storage.db.transaction() as conn:  # as if it had been failing for a year
        await conn.execute(
            "UPDATE feeds SET failing_since = ? WHERE source_name = ?",
            feed.failing_since.replace(year=feed.failing_since.year - 1),
            "gazette",
        )
    await poll(simcord_env)

    told = [m for m in newsroom.lobby.history() if m.author.id == simcord_env.bot.user.id]
    assert "paused" in told[-1].content
    feeds.serve("/news.xml", items(1))
    result = await newsroom.manager.click(told[-1], label="Resume")

    assert "resumed" in str(result.response.content)
    feed = await storage.feeds.get("gazette")
    assert feed is not None
    assert not feed.paused
