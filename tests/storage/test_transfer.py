"""Copying a whole library between databases (`python -m bot migrate-db`), both directions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage.backends import open_storage
from storage.base import TABLES
from storage.library import Storage
from storage.models import SubscriptionOptions
from storage.publishing import Source, UpsertOutcome
from storage.sql import Row
from storage.topics import Match
from storage.transfer import TransferError, copy_library
from tests.databases import database_url

from .conftest import make_content

PAIRS = [("sqlite", "postgresql"), ("postgresql", "sqlite"), ("sqlite", "sqlite")]


@pytest.fixture(params=PAIRS, ids=["-to-".join(pair) for pair in PAIRS])
async def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Storage, Storage]]:
    """A source and an empty target database, of the backends this test copies between."""
    source_backend, target_backend = request.param
    async with (
        database_url(source_backend, tmp_path / "source") as source_url,
        database_url(target_backend, tmp_path / "target") as target_url,
    ):
        source, target = await open_storage(source_url), await open_storage(target_url)
        try:
            yield source, target
        finally:
            await source.close()
            await target.close()


#: The source `fill` pushes a brief as.
CMS = Source("cms", "staging")
#: The feed `fill` adds, and stores an item of its backlog as.
WIRE = Source("wire", "The Wire")


async def fill(store: Storage) -> None:
    """Put something in every table: edits, a deletion, settings, posts, skips, state."""
    briefs = await store.briefs.add_many(
        [make_content(title=f"Harbour report {n}", topics=[f"tag{n}"]) for n in range(30)],
        created_by=7,
    )
    await store.briefs.update(briefs[0].id, make_content(title="Lighthouse renamed"), actor_id=8)
    await store.briefs.delete(briefs[1].id, actor_id=9)
    sub = await store.subscriptions.set_channel(111, 222, crosspost=True)
    await store.subscriptions.set_mention(111, 333)
    paused = await store.subscriptions.set_channel(444, 555)
    await store.subscriptions.pause(paused.id, "The channel was deleted.")
    await store.subscriptions.add(
        111, SubscriptionOptions(channel_id=223, topics=["Ça va", "tag5"], match=Match.NONE)
    )
    assert await store.post_log.claim(sub, briefs[2].id)
    await store.post_log.record_message(sub, briefs[2].id, 999, thread_id=998)
    await store.post_log.skip(sub, [briefs[3].id, briefs[4].id])
    await store.state.set("command_hash:global", "abc")
    await store.sources.add("cms", label="Newsroom CMS")
    _, secret = await store.tokens.create("cms", "staging")
    await store.sources.set_webhook_secret("cms")
    await store.publisher.upsert(CMS, "story-1", make_content(title="Pushed by the CMS"))
    token = await store.tokens.verify(secret)
    assert token is not None
    await store.idempotency.remember(token.id, "key-1", "hash", 201, "{}")
    feed = "https://wire.example/feed.xml"
    await store.feeds.add("wire", feed, label="The Wire", interval=timedelta(minutes=10),
                          topics=["world", "Ça va"])  # fmt: skip
    await store.publisher.upsert(WIRE, "item-1", make_content(title="Backlog"), backfill=True)


async def everything(store: Storage) -> dict[str, list[Row]]:
    return {table: [row async for rows in store.dump(table) for row in rows] for table in TABLES}


async def test_copy_keeps_every_row_exactly(pair: tuple[Storage, Storage]) -> None:
    source, target = pair
    await fill(source)
    counts = await copy_library(source, target, batch=7)
    assert counts == await source.counts() == await target.counts()
    assert counts["briefs"] == 32  # 30 imported, one pushed by a source, one a feed's
    assert await everything(target) == await everything(source)
    assert await target.integrity_problems() == []


async def test_copied_library_works_on_the_target(pair: tuple[Storage, Storage]) -> None:
    source, target = pair
    await fill(source)
    await copy_library(source, target)
    assert [hit.title for hit in await target.briefs.search("lighthouse")] == ["Lighthouse renamed"]
    assert await target.briefs.search_count("harbour") == 28  # one renamed, one deleted
    assert await target.briefs.get(2) is None  # still deleted
    assert [e.action for e in await target.briefs.history(1)] == ["import", "edit"]
    added = await target.briefs.add(make_content(title="After the move"))
    assert added.id == 33  # ids continue after the highest copied one
    assert [e.action for e in await target.briefs.history(added.id)] == ["add"]
    subs = await target.subscriptions.of_guild(111)
    assert subs == await source.subscriptions.of_guild(111)
    assert not await target.post_log.claim(subs[0], 3)  # posted before the move: never again
    assert not await target.post_log.claim(subs[0], 4)  # skipped before: still skipped
    more = await target.subscriptions.add(111, SubscriptionOptions(channel_id=224))
    assert more.id == subs[-1].id + 1  # subscription ids continue too
    assert await target.state.get("command_hash:global") == "abc"
    # A source keeps its tokens, briefs and keys; a new token is numbered after the copied one.
    pushed = await target.briefs.by_external("cms", "story-1")
    assert pushed is not None
    assert pushed.title == "Pushed by the CMS"
    copied = await target.publisher.upsert(CMS, "story-1", make_content(title="Pushed by the CMS"))
    assert copied.outcome is UpsertOutcome.UNCHANGED
    [token] = await target.tokens.list("cms")
    fresh, _ = await target.tokens.create("cms")
    assert fresh.id == token.id + 1
    assert await target.idempotency.recall(token.id, "key-1") is not None
    # A feed keeps its settings, and its backlog is still never auto-posted.
    assert await target.feeds.list() == await source.feeds.list()
    backlog = await target.briefs.by_external("wire", "item-1")
    assert backlog is not None
    assert backlog.backfill


async def test_target_must_be_empty(pair: tuple[Storage, Storage]) -> None:
    source, target = pair
    await fill(source)
    await target.briefs.add(make_content(title="Already here"))
    before = await target.counts()
    with pytest.raises(TransferError, match="not empty"):
        await copy_library(source, target)
    assert await target.counts() == before


async def test_copy_into_itself_is_refused(store: Storage) -> None:
    with pytest.raises(TransferError, match="same database"):
        await copy_library(store, store)
