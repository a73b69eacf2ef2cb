"""Polling feeds into a real library (both backends) from a real local server: the backlog is
stored and never posted, new items are, edits at the source correct within seven days, failures
back off, are told and pause the feed, and processes sharing a database fetch a feed once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.feeds import FeedNotice, Fetcher, Notice, Poller
from bot.feeds._policy import CORRECTION_NOTE
from storage.backends import open_storage
from storage.feeds import FeedRecord
from storage.library import Storage
from storage.models import SubscriptionOptions
from storage.publishing import Source
from tests.bot.feeds.support import FeedServer, Item, rss
from tests.databases import BACKENDS, database_url

GUILD, CHANNEL = 1001, 2001


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(backend, tmp_path) as database:
        yield database


@pytest_asyncio.fixture
async def store(url: str) -> AsyncIterator[Storage]:
    storage = await open_storage(url)
    try:
        yield storage
    finally:
        await storage.close()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FeedServer]:
    served = FeedServer()
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="briefbot-tests", allow_private=True, timeout=5) as made:
        yield made


class Newsroom:
    """What the newsroom was told."""

    def __init__(self) -> None:
        self.notices: list[FeedNotice] = []

    async def __call__(self, notice: FeedNotice) -> None:
        self.notices.append(notice)

    def kinds(self) -> list[Notice]:
        return [notice.kind for notice in self.notices]


def item(n: int, **changes: str) -> Item:
    fields = {"title": f"Story {n}", "summary": f"Something happened, number {n}."}
    fields.update(changes)
    return Item(guid=f"story-{n}", **fields)


async def add_feed(store: Storage, url: str, poller: Poller) -> FeedRecord:
    """Add a feed and poll it at once, as `/feed add` does: its items now are its backlog."""
    feed = await store.feeds.add("gazette", url, interval=timedelta(minutes=10))
    report = await poller.poll(feed)
    return report.feed


async def pending(store: Storage) -> list[int]:
    subscription = (await store.subscriptions.of_guild(GUILD))[0]
    ids, _ = await store.post_log.pending(subscription, limit=None)
    return ids


async def make_due(store: Storage, name: str) -> None:
    """Bring a feed's next fetch forward to now."""
    feed = await store.feeds.get(name)
    assert feed is not None
    async with store.db.transaction() as conn:
        await conn.execute(
            "UPDATE feeds SET next_due_at = ? WHERE source_name = ?", feed.added_at, name
        )


async def test_the_backlog_is_stored_never_posted_and_new_items_are(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    await store.subscriptions.add(GUILD, SubscriptionOptions(channel_id=CHANNEL))
    url = server.serve("/feed.xml", rss([item(2), item(1)]))
    poller = Poller(store, fetcher, max_chars=100_000)
    feed = await add_feed(store, url, poller)

    assert feed.seeded_at is not None
    backlog = [await store.briefs.by_external("gazette", f"story-{n}") for n in (1, 2)]
    assert [b.title for b in backlog if b is not None] == ["Story 1", "Story 2"]
    assert len(await store.briefs.search("happened")) == 2  # searchable
    assert await pending(store) == []

    server.serve("/feed.xml", rss([item(3), item(2), item(1)]))
    await make_due(store, "gazette")
    (report,) = await poller.poll_due()
    assert report.ingested is not None
    assert report.ingested.new == 1
    new = await store.briefs.by_external("gazette", "story-3")
    assert new is not None
    assert await pending(store) == [new.id]
    (created,) = await store.briefs.history(new.id)
    assert created.source == "gazette"


async def test_an_unchanged_feed_is_asked_conditionally_and_stores_nothing(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(1)]))
    poller = Poller(store, fetcher, max_chars=100_000)
    await add_feed(store, url, poller)
    await make_due(store, "gazette")

    (report,) = await poller.poll_due()

    assert server.hits["/feed.xml"] == 2
    assert "If-None-Match" in server.last_headers["/feed.xml"]
    assert report.feed.last_status == "not-modified"
    assert report.ingested is None
    assert report.next_due_at > report.feed.last_fetch_at  # type: ignore[operator]


async def test_an_edit_at_the_source_corrects_the_brief_with_a_note(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(1)]))
    poller = Poller(store, fetcher, max_chars=100_000)
    await add_feed(store, url, poller)
    server.serve("/feed.xml", rss([item(1, summary="Corrected: it happened on Tuesday.")]))
    await make_due(store, "gazette")

    (report,) = await poller.poll_due()

    assert report.ingested is not None
    assert report.ingested.corrected == 1
    brief = await store.briefs.by_external("gazette", "story-1")
    assert brief is not None
    assert brief.what_happened == "Corrected: it happened on Tuesday."
    assert brief.correction == CORRECTION_NOTE


async def test_a_bumped_date_alone_is_no_correction(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(1)]))
    poller = Poller(store, fetcher, max_chars=100_000)
    await add_feed(store, url, poller)
    bumped = item(1)
    bumped.published = bumped.published + timedelta(hours=5)
    server.serve("/feed.xml", rss([bumped]))
    await make_due(store, "gazette")

    (report,) = await poller.poll_due()

    assert report.ingested is not None
    assert (report.ingested.new, report.ingested.corrected) == (0, 0)
    brief = await store.briefs.by_external("gazette", "story-1")
    assert brief is not None
    assert brief.updated_at is None


async def test_an_edit_after_seven_days_is_left_alone(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(1)]))
    poller = Poller(store, fetcher, max_chars=100_000)
    await add_feed(store, url, poller)
    async with store.db.transaction() as conn:
        rows = await conn.fetch("SELECT id, created_at FROM briefs")
        await conn.executemany(
            "UPDATE briefs SET created_at = ? WHERE id = ?",
            [(row["created_at"] - timedelta(days=8), row["id"]) for row in rows],
        )
    server.serve("/feed.xml", rss([item(1, summary="Rewritten much later.")]))
    await make_due(store, "gazette")

    (report,) = await poller.poll_due()

    assert report.ingested is not None
    assert report.ingested.ignored == 1
    brief = await store.briefs.by_external("gazette", "story-1")
    assert brief is not None
    assert brief.what_happened == "Something happened, number 1."


async def test_a_retracted_item_stays_retracted_and_a_dropped_one_stays(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(2), item(1)]))
    poller = Poller(store, fetcher, max_chars=100_000)
    await add_feed(store, url, poller)
    first = await store.briefs.by_external("gazette", "story-1")
    assert first is not None
    await store.publisher.retract_external(Source("gazette", "Gazette"), "story-1")
    server.serve("/feed.xml", rss([item(1, summary="Back again?")]))  # story-2 dropped out
    await make_due(store, "gazette")

    await poller.poll_due()

    assert await store.briefs.get(first.id) is None  # still retracted
    assert await store.briefs.by_external("gazette", "story-2") is not None


async def test_failures_back_off_are_told_pause_the_feed_and_recovery_is_told(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(1)]))
    newsroom = Newsroom()
    poller = Poller(store, fetcher, max_chars=100_000, notify=newsroom)
    await add_feed(store, url, poller)
    server.serve("/feed.xml", b"", status=500)
    waits = []
    for _ in range(3):
        await make_due(store, "gazette")
        (report,) = await poller.poll_due()
        waits.append(report.next_due_at - report.feed.last_fetch_at)  # type: ignore[operator]
    assert report.feed.failures == 3
    assert waits[0] < waits[1] < waits[2]  # exponential backoff
    assert newsroom.kinds() == [Notice.FAILING]  # told once, at the third failure in a row
    assert "500" in (report.feed.last_error or "")

    async with store.db.transaction() as conn:  # as if it had failed since three days ago
        await conn.execute(
            "UPDATE feeds SET failing_since = ? WHERE source_name = ?",
            report.feed.failing_since - timedelta(days=3),  # type: ignore[operator]
            "gazette",
        )
    await make_due(store, "gazette")
    (report,) = await poller.poll_due()
    assert report.feed.paused
    assert newsroom.kinds() == [Notice.FAILING, Notice.PAUSED]
    await make_due(store, "gazette")
    assert await poller.poll_due() == []  # a paused feed is not fetched

    server.serve("/feed.xml", rss([item(1)]))
    await store.feeds.resume("gazette")
    (report,) = await poller.poll_due()
    assert report.feed.failures == 0
    assert newsroom.kinds() == [Notice.FAILING, Notice.PAUSED, Notice.RECOVERED]


async def test_a_gone_feed_is_told_at_once(
    store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.serve("/feed.xml", rss([item(1)]))
    newsroom = Newsroom()
    poller = Poller(store, fetcher, max_chars=100_000, notify=newsroom)
    await add_feed(store, url, poller)
    server.serve("/feed.xml", b"", status=410)
    await make_due(store, "gazette")

    (report,) = await poller.poll_due()

    assert newsroom.kinds() == [Notice.FAILING]
    assert report.next_due_at - report.feed.last_fetch_at >= timedelta(hours=1)  # type: ignore[operator]


async def test_two_processes_fetch_each_due_feed_once(
    url: str, store: Storage, server: FeedServer, fetcher: Fetcher
) -> None:
    names = [f"paper-{n}" for n in range(6)]
    for name in names:
        feed_url = server.serve(f"/{name}.xml", rss([item(1)]))
        await store.feeds.add(name, feed_url, interval=timedelta(minutes=10))
    other = await open_storage(url)
    try:
        async with Fetcher(user_agent="briefbot-tests", allow_private=True) as second:
            one = Poller(store, fetcher, max_chars=100_000)
            two = Poller(other, second, max_chars=100_000)
            first, then = await asyncio.gather(one.poll_due(), two.poll_due())
    finally:
        await other.close()

    assert sorted(r.feed.source for r in [*first, *then]) == names
    assert all(server.hits[f"/{name}.xml"] == 1 for name in names)
