"""A PostgreSQL server that hangs or goes away: bounded answers, the truth about writes, one
log line per outage, and listening again as soon as the server is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest

from storage.backends import open_storage
from storage.errors import LibraryUnreachableError
from storage.library import Storage
from storage.models import utcnow
from storage.publishing import CLI
from storage.sql import ANSWER_TIMEOUT
from tests.databases import Freezer
from tests.storage.conftest import make_content

#: Generous guard for what must happen soon; nothing here measures speed closely.
WAIT = 10.0


@pytest.fixture
async def freezer(pg_url: str) -> AsyncIterator[Freezer]:
    async with Freezer(pg_url) as proxy:
        yield proxy


@pytest.fixture
async def bounded(freezer: Freezer, pg_url: str) -> AsyncIterator[Storage]:
    """The library through the proxy, bounded as the bot bounds it."""
    storage = await open_storage(freezer.url(pg_url))
    await storage.db.answer_within(ANSWER_TIMEOUT)
    try:
        yield storage
    finally:
        await storage.close()


async def test_a_frozen_server_is_reported_within_the_bound(
    bounded: Storage, freezer: Freezer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storage")
    await bounded.briefs.add(make_content())
    freezer.freeze()
    for attempt in range(3):
        started = time.monotonic()
        write = attempt == 1
        with pytest.raises(LibraryUnreachableError) as raised:
            await (bounded.briefs.add(make_content()) if write else bounded.briefs.get(1))
        assert time.monotonic() - started < ANSWER_TIMEOUT + 0.5
        assert raised.value.stored is False  # nothing got as far as a commit
    freezer.thaw()
    assert (await bounded.briefs.get(1)) is not None
    assert await bounded.briefs.count() == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "storage"]
    assert lines == ["library unreachable", "library reachable again"]


async def test_a_commit_the_server_never_confirmed_is_unknown_then_found(
    bounded: Storage, freezer: Freezer
) -> None:
    content = make_content(title="Went through during the freeze")
    since = utcnow()
    freezer.freeze_on(b"COMMIT")
    with pytest.raises(LibraryUnreachableError) as raised:
        await bounded.briefs.add(content, created_by=7)
    assert raised.value.stored is None  # the commit was sent: stored or not, unknown
    freezer.thaw()  # the server gets the commit after all
    found = await bounded.briefs.find_stored(content, since=since, created_by=7)
    assert found is not None
    assert found.title == content.title
    assert await bounded.briefs.find_stored(content, since=since, created_by=8) is None
    assert await bounded.briefs.find_stored(content, since=utcnow(), created_by=7) is None


async def test_listening_resumes_as_soon_as_the_server_is_back(
    bounded: Storage, freezer: Freezer, pg: Storage
) -> None:
    heard: asyncio.Queue[int] = asyncio.Queue()
    assert await bounded.announcements.subscribe(
        lambda heard_of: heard.put_nowait(heard_of.brief_id)
    )
    first = await pg.publisher.publish(make_content(title="Heard"), by=CLI)
    await hear(heard, first.id)

    freezer.drop()  # as a server restart drops every connection
    started = time.monotonic()
    missed = await pg.publisher.publish(make_content(title="Stored while nobody listened"), by=CLI)
    # Listening again says which briefs may have gone unheard (the newest id then, or this
    # one's own notification if listening was back first), without waiting for a sweep.
    await hear(heard, missed.id)
    assert time.monotonic() - started < 1.0
    assert bounded.db.reach.state == "reachable"
    later = await pg.publisher.publish(make_content(title="Heard again"), by=CLI)
    await hear(heard, later.id)


async def hear(heard: asyncio.Queue[int], brief_id: int) -> None:
    """Wait to hear of `brief_id` (the channel is the server's: other tests' ids pass by)."""
    while await asyncio.wait_for(heard.get(), WAIT) != brief_id:
        pass
