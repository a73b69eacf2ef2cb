"""Fixtures for storage tests: every test here runs on both backends, on a fresh database.

SQLite gets a file in tmp_path; PostgreSQL a schema of its own on the test server (see
tests/databases.py), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.backends import open_storage
from storage.briefs import Briefs
from storage.library import Storage
from storage.models import BriefContent, Subscription, SubscriptionOptions
from tests.databases import BACKENDS, database_url


def make_content(**overrides: Any) -> BriefContent:
    """A valid brief with every section filled, overridable field by field."""
    fields: dict[str, Any] = {
        "title": "Comet seen over Lisbon",
        "what_happened": "Astronomers tracked a bright comet across the night sky.",
        "who_was_involved": "The Lisbon Observatory",
        "when_and_where": "Tuesday night, Lisbon",
        "key_quote": "We have not seen one this bright in decades.",
        "impact": "Stargazers are expected to gather all week.",
        "body": "A longer account of the sighting.",
        "source_url": "https://example.com/comet",
        "topics": ["science", "space"],
    }
    fields.update(overrides)
    return BriefContent(**fields)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database of this test's backend."""
    async with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Storage]:
    storage = await open_storage(store_url)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
def repo(store: Storage) -> Briefs:
    return store.briefs


async def check_upgraded_to_subscriptions(store: Storage) -> Subscription:
    """Check a library upgraded from before subscriptions, as both backends' upgrade tests
    fill it: guild 10 posted to #100 (brief 1 posted, 2 skipped), guild 20 paused with a
    mention, guild 30 had turned posting off. Return guild 10's subscription."""
    [first] = await store.subscriptions.of_guild(10)
    assert (first.channel_id, first.crosspost, first.topics, first.paused_reason) == (
        100, True, [], None,
    )  # fmt: skip
    [paused] = await store.subscriptions.of_guild(20)
    assert (paused.channel_id, paused.mention_role_id, paused.paused_reason) == (
        200, 7, "Channel deleted.",
    )  # fmt: skip
    assert await store.subscriptions.of_guild(30) == []  # it had turned posting off
    # Posted and skipped stay so, for the subscription now holding the channel.
    assert not await store.post_log.claim(first, 1)
    assert not await store.post_log.claim(first, 2)
    assert await store.post_log.claim(first, 3)
    copy = await store.post_log.copy(100, 1)
    assert copy is not None
    assert (copy.guild_id, copy.message_id) == (10, 1001)
    return first


#: Post log rows an upgrade test stores before subscription numbers were kept for good:
#: (channel, brief, guild, subscription), each posted. Subscriptions 1 (guild 10, #100) and
#: 2 (guild 20, #200, capped) exist; 3 (guild 30, the highest) was removed, and the number 2
#: once belonged to a removed subscription of guild 40.
POSTS_BEFORE_NUMBERS = [(100, 1, 10, 1), (300, 1, 30, 3), (200, 1, 40, 2)]


async def check_numbers_kept(store: Storage) -> None:
    """Check a library upgraded as POSTS_BEFORE_NUMBERS says: no subscription is credited
    with another's posts, and no number, the removed highest included, is handed out again."""
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    assert len(await store.post_log.posted_times(1, long_ago)) == 1
    assert len(await store.post_log.posted_times(2, long_ago)) == 0  # guild 40's, not guild 20's
    assert len(await store.post_log.posted_times(3, long_ago)) == 0
    new = await store.subscriptions.add(50, SubscriptionOptions(channel_id=500))
    assert new.id == 4
    assert await store.subscriptions.remove(50, new.id)
    assert (await store.subscriptions.add(50, SubscriptionOptions(channel_id=500))).id == 5


#: Post log rows an upgrade test stores before copies due were marked: (channel, brief, guild,
#: message, shown_version, copy_state). Briefs 1 and 3 were edited on 2026-11-05, 4 retracted
#: on 2026-11-06, 2 never changed; only #100's copies of 1 and 4 show an older version.
COPIES_BEFORE_DUE = [
    (100, 1, 10, 1001, "2026-11-02", None),
    (100, 2, 10, 1002, "2026-11-02", None),
    (100, 3, 10, 1003, "2026-11-05", None),
    (100, 4, 10, 1004, "2026-11-02", None),
    (200, 1, 20, 2001, "2026-11-02", "gone"),
    (200, 3, 20, None, None, None),
]


async def check_copies_due_marked(store: Storage) -> None:
    """Check a library upgraded as COPIES_BEFORE_DUE says: exactly the copies behind their
    brief are due a correction, and counted as behind."""
    due = await store.copies.due(limit=10, lease=timedelta(minutes=1))
    assert sorted((copy.channel_id, copy.brief_id) for copy in due) == [(100, 1), (100, 4)]
    assert await store.copies.behind(10) == 2
    assert await store.copies.behind(20) == 0


async def check_sources_after_upgrade(store: Storage) -> None:
    """Check a library upgraded to sources: its one brief (#1, audited as the command line's)
    has no source, there are no sources yet, and a source then pushes as in a new library."""
    from storage.publishing import CLI, Source, UpsertOutcome, actor_of

    [entry] = await store.briefs.history(1)
    assert entry.source_label is None
    assert actor_of(entry) == CLI
    assert await store.sources.list() == []
    assert await store.tokens.list() == []
    await store.sources.add("cms")
    pushed = await store.publisher.upsert(Source("cms", "staging"), "1", make_content())
    assert pushed.outcome is UpsertOutcome.CREATED
    assert pushed.brief.id == 2
    found = await store.briefs.by_external("cms", "1")
    assert found is not None
    assert found.id == 2
