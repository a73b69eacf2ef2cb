"""Hearing of briefs other processes store: PostgreSQL announces them; SQLite cannot."""

from __future__ import annotations

import asyncio

import pytest

from storage.backends import open_storage
from storage.errors import DuplicateIdError
from storage.library import Storage
from storage.publishing import CLI, Announcement, Subscriber

from .conftest import make_content

#: Generous guard that turns a lost notification into a failure; nothing here measures speed.
WAIT = 10.0


async def test_new_briefs_are_announced_to_every_listening_process(
    store: Storage, store_url: str, backend: str
) -> None:
    heard: asyncio.Queue[int] = asyncio.Queue()
    subscriber = ids(heard)
    listening = await store.announcements.subscribe(subscriber)
    assert listening == (backend == "postgresql")
    assert await store.announcements.subscribe(subscriber) == listening  # idempotent
    other = await open_storage(store_url)  # another process, as far as the database knows
    try:
        publisher = other.publisher
        first = await publisher.publish(make_content(title="From the other shard"), by=CLI)
        batch = await publisher.publish_many(
            [make_content(title=f"Batch {n}") for n in range(3)], by=CLI
        )
        await publisher.correct(first.id, make_content(title="Edited"), by=CLI)
    finally:
        await other.close()
    if not listening:
        return
    assert await asyncio.wait_for(heard.get(), WAIT) == first.id
    assert await asyncio.wait_for(heard.get(), WAIT) == batch[-1].id  # one per commit
    # An edit is announced too: every process then brings its posted copies up to date.
    assert await asyncio.wait_for(heard.get(), WAIT) == first.id
    await asyncio.sleep(0.2)
    assert heard.empty()


async def test_a_rolled_back_import_announces_nothing(store: Storage, backend: str) -> None:
    heard: asyncio.Queue[int] = asyncio.Queue()
    if not await store.announcements.subscribe(ids(heard)):
        return
    [kept] = await store.publisher.publish_many([make_content()], by=CLI)
    assert await asyncio.wait_for(heard.get(), WAIT) == kept.id
    taken = kept.model_copy(update={"title": "Same id again"})
    with pytest.raises(DuplicateIdError):
        await store.publisher.publish_many([make_content(), taken], by=CLI)
    await asyncio.sleep(0.2)
    assert heard.empty()


def ids(heard: asyncio.Queue[int]) -> Subscriber:
    """A subscriber putting the id of each brief announced into `heard`."""

    def subscriber(announcement: Announcement) -> None:
        heard.put_nowait(announcement.brief_id)

    return subscriber
