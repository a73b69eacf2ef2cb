"""Feeds as sources (storage/feeds.py): stored with their source, leased to one poller at a
time, their polls recorded; their items found by key; their backlog never auto-posted."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.backends import open_storage
from storage.base import content_key
from storage.errors import FeedExistsError, SourceExistsError, SourceNameError
from storage.feeds import FeedRecord, FeedResult
from storage.library import Storage
from storage.models import Brief, SubscriptionOptions, utcnow
from storage.publishing import Source, UpsertOutcome

from .conftest import make_content

URL = "https://news.example/feed.xml"
TEN_MINUTES = timedelta(minutes=10)
LEASE = timedelta(minutes=5)
WIRE = Source("wire", "The Wire")


async def add(store: Storage, name: str = "wire", url: str = URL, **options: object) -> FeedRecord:
    return await store.feeds.add(name, url, interval=TEN_MINUTES, **options)  # type: ignore[arg-type]


def result(**overrides: object) -> FeedResult:
    """A poll's result: 200, due again in ten minutes; overridable field by field."""
    now = utcnow()
    fields: dict[str, object] = {
        "fetched_at": now,
        "status": "200",
        "error": None,
        "etag": '"v2"',
        "last_modified": "Mon, 07 Dec 2026 06:00:00 GMT",
        "next_due_at": now + TEN_MINUTES,
        "failures": 0,
        "failing_since": None,
    }
    return FeedResult(**(fields | overrides))  # type: ignore[arg-type]


async def test_a_feed_is_stored_with_its_source(store: Storage) -> None:
    before = utcnow()
    feed = await add(store, label="The Wire", topics=["world", "Ça va"], added_by=42)
    assert (feed.source, feed.label, feed.url) == ("wire", "The Wire", URL)
    assert (feed.interval, feed.topics, feed.added_by) == (TEN_MINUTES, ["world", "Ça va"], 42)
    assert before <= feed.next_due_at <= utcnow()  # due at once
    assert feed.seeded_at is None
    assert feed.failures == 0
    assert not feed.paused
    assert feed.etag is None
    assert feed.last_fetch_at is None
    assert await store.feeds.get("wire") == feed
    source = await store.sources.get("wire")
    assert source is not None
    assert source.label == "The Wire"

    later = utcnow() + timedelta(hours=1)
    other = await add(store, "alpha", "https://alpha.example/atom", due_at=later)
    assert other.next_due_at == later
    assert other.topics == []
    assert [f.source for f in await store.feeds.list()] == ["alpha", "wire"]
    assert await store.feeds.get("nothing") is None


async def test_a_taken_url_or_name_stores_nothing(store: Storage) -> None:
    await add(store)
    with pytest.raises(FeedExistsError) as taken:
        await add(store, "copy")
    assert taken.value.feed == "wire"
    await store.sources.add("cms")
    with pytest.raises(SourceExistsError):
        await add(store, "cms", "https://cms.example/rss")
    with pytest.raises(SourceNameError):
        await add(store, "Not A Name", "https://x.example/rss")
    assert [f.source for f in await store.feeds.list()] == ["wire"]
    assert [s.name for s in await store.sources.list()] == ["cms", "wire"]


async def test_removing_a_feed_removes_its_source_not_its_briefs(store: Storage) -> None:
    await add(store)
    await store.tokens.create("wire")
    upsert = await store.publisher.upsert(WIRE, "item-1", make_content())
    assert await store.feeds.remove("wire")
    assert await store.feeds.get("wire") is None
    assert await store.sources.get("wire") is None
    assert await store.tokens.list("wire") == []
    assert await store.briefs.get(upsert.brief.id) is not None
    assert not await store.feeds.remove("wire")
    await store.sources.add("cms")
    assert not await store.feeds.remove("cms")  # a source that is no feed stays
    assert await store.sources.get("cms") is not None


async def test_due_feeds_are_claimed_oldest_first_and_leased(store: Storage) -> None:
    now = utcnow()
    await add(store, "late", "https://late.example/rss", due_at=now - timedelta(minutes=1))
    await add(store, "early", "https://early.example/rss", due_at=now - timedelta(hours=1))
    await add(store, "future", "https://future.example/rss", due_at=now + timedelta(hours=1))
    await add(store, "paused", "https://paused.example/rss", due_at=now - timedelta(hours=2))
    await store.feeds.pause("paused", "told to")
    claimed = await store.feeds.claim_due(limit=10, lease=LEASE)
    assert [f.source for f in claimed] == ["early", "late"]
    assert await store.feeds.claim_due(limit=10, lease=LEASE) == []  # leased
    everything = await store.feeds.claim_due(limit=10, lease=LEASE, everything=True)
    assert [f.source for f in everything] == ["future"]  # not paused, not leased
    assert await store.feeds.claim_due(limit=0, lease=LEASE) == []


async def test_two_processes_never_claim_one_feed(store: Storage, store_url: str) -> None:
    for n in range(20):
        await add(store, f"feed{n}", f"https://f{n}.example/rss")
    other = await open_storage(store_url)
    try:
        batches = await asyncio.gather(
            *(s.feeds.claim_due(limit=7, lease=LEASE) for s in (store, other, store, other))
        )
    finally:
        await other.close()
    names = [feed.source for batch in batches for feed in batch]
    assert len(names) == len(set(names)) == 20


async def test_a_lease_that_ran_out_lets_another_claim(store: Storage) -> None:
    await add(store)
    [first] = await store.feeds.claim_due(limit=1, lease=timedelta(milliseconds=1))
    await asyncio.sleep(0.01)
    [again] = await store.feeds.claim_due(limit=1, lease=LEASE)
    assert again.source == first.source == "wire"
    assert await store.feeds.claim_due(limit=1, lease=LEASE) == []


async def test_finish_records_the_poll_and_releases_the_lease(store: Storage) -> None:
    await add(store)
    await store.feeds.claim_due(limit=1, lease=LEASE)
    done = result(seeded=True)
    feed = await store.feeds.finish("wire", done)
    assert feed is not None
    assert (feed.etag, feed.last_modified, feed.last_status) == (
        done.etag,
        done.last_modified,
        "200",
    )
    assert feed.last_fetch_at == done.fetched_at == feed.seeded_at
    assert feed.next_due_at == done.next_due_at
    assert feed.url == URL
    assert await store.feeds.claim_due(limit=1, lease=LEASE, everything=True) != []  # released

    # Seeded once: a later poll keeps the first time.
    later = await store.feeds.finish("wire", result(seeded=True))
    assert later is not None
    assert later.seeded_at == done.fetched_at
    assert await store.feeds.finish("gone", done) is None


async def test_failures_pause_and_a_redirect_moves_the_url(store: Storage) -> None:
    await add(store)
    await add(store, "other", "https://other.example/rss")
    since = utcnow() - timedelta(days=3)
    failing = result(
        status="503",
        error="Service Unavailable",
        failures=9,
        failing_since=since,
        paused_reason="failing for 3 days",
        url="https://other.example/rss",  # another feed's URL: not taken
    )
    feed = await store.feeds.finish("wire", failing)
    assert feed is not None
    assert (feed.failures, feed.failing_since, feed.last_error) == (9, since, "Service Unavailable")
    assert feed.paused
    assert feed.paused_at == failing.fetched_at
    assert feed.pause_reason == "failing for 3 days"
    assert feed.url == URL
    assert await store.feeds.claim_due(limit=5, lease=LEASE, everything=True) != []  # other only

    resumed = await store.feeds.resume("wire")
    assert resumed is not None
    assert not resumed.paused
    assert resumed.pause_reason is None
    assert (resumed.failures, resumed.failing_since) == (0, None)
    assert resumed.next_due_at <= utcnow()
    moved = await store.feeds.finish("wire", result(url="https://news.example/new.xml"))
    assert moved is not None
    assert moved.url == "https://news.example/new.xml"


async def test_pause_and_resume(store: Storage) -> None:
    await add(store)
    paused = await store.feeds.pause("wire", "asked by a publisher")
    assert paused is not None
    assert paused.paused
    assert paused.pause_reason == "asked by a publisher"
    again = await store.feeds.pause("wire", "another reason")
    assert again is not None
    assert again.pause_reason == "asked by a publisher"
    assert await store.feeds.claim_due(limit=5, lease=LEASE, everything=True) == []
    resumed = await store.feeds.resume("wire")
    assert resumed is not None
    assert not resumed.paused
    assert [f.source for f in await store.feeds.claim_due(limit=5, lease=LEASE)] == ["wire"]
    assert await store.feeds.pause("gone", "x") is None
    assert await store.feeds.resume("gone") is None


async def test_known_finds_a_sources_items_by_key(store: Storage) -> None:
    await add(store)
    await store.sources.add("cms")
    content = make_content(title="Item one", topics=["world"])
    one = await store.publisher.upsert(WIRE, "item-1", content)
    two = await store.publisher.upsert(WIRE, "item-2", make_content(title="Item two"))
    await store.publisher.upsert(Source("cms", "CMS"), "item-3", make_content(title="Theirs"))
    await store.publisher.retract_external(WIRE, "item-2")
    keys = ["item-1", "item-2", "item-3", "absent", "item-1", *(f"x{n}" for n in range(1200))]
    known = await store.feeds.known("wire", keys)
    assert set(known) == {"item-1", "item-2"}
    assert known["item-1"].brief_id == one.brief.id
    assert known["item-1"].content_hash == content_key(content)  # compared with a new item's
    assert known["item-1"].created_at == one.brief.created_at
    assert not known["item-1"].retracted
    assert known["item-2"].brief_id == two.brief.id
    assert known["item-2"].retracted
    assert await store.feeds.known("wire", []) == {}


async def test_a_feeds_backlog_is_never_pending(store: Storage) -> None:
    await add(store)
    sub = await store.subscriptions.add(1, SubscriptionOptions(channel_id=2))
    old = await store.publisher.upsert(WIRE, "old", make_content(title="Backlog"), backfill=True)
    assert old.brief.backfill
    new = await store.publisher.upsert(WIRE, "new", make_content(title="Fresh"))
    assert not new.brief.backfill
    assert await store.post_log.pending(sub, limit=10) == ([new.brief.id], 1)

    edited = await store.publisher.upsert(WIRE, "old", make_content(title="Backlog, edited"))
    assert edited.outcome is UpsertOutcome.CORRECTED
    assert edited.brief.backfill  # a correction never changes it
    assert await store.post_log.pending(sub, limit=10) == ([new.brief.id], 1)
    stored = await store.briefs.get(old.brief.id)
    assert stored is not None
    assert stored.backfill
    trace = await store.post_log.trace(1, old.brief.id)
    assert trace is not None
    assert trace.backfill


async def test_a_feeds_record_says_whether_its_source_requires_review(store: Storage) -> None:
    feed = await add(store)
    assert not feed.requires_review
    await store.sources.set_review("wire", True)

    got = await store.feeds.get("wire")
    assert got is not None
    assert got.requires_review
    assert [f.requires_review for f in await store.feeds.list()] == [True]
    [claimed] = await store.feeds.claim_due(limit=1, lease=LEASE)
    assert claimed.requires_review
    finished = await store.feeds.finish("wire", result())
    assert finished is not None
    assert finished.requires_review
    new = await store.publisher.upsert(WIRE, "new", make_content(title="Fresh"))
    assert new.brief.review == "submitted"

    await store.sources.set_review("wire", False)
    paused = await store.feeds.pause("wire", "for a test")
    assert paused is not None
    assert not paused.requires_review


async def test_an_export_read_back_keeps_the_backfill_flag(store: Storage) -> None:
    await add(store)
    old = await store.publisher.upsert(WIRE, "old", make_content(title="Backlog"), backfill=True)
    exported = old.brief.model_dump(mode="json")
    assert exported["backfill"] is True
    exported["id"] = 100  # read back into a library where its number is free
    [back] = await store.briefs.add_many([Brief.model_validate(exported)])
    assert back.id == 100
    assert back.backfill
    stored = await store.briefs.get(100)
    assert stored is not None
    assert stored.backfill
    fresh = await store.briefs.add(make_content(title="Typed in"))
    assert not fresh.backfill
