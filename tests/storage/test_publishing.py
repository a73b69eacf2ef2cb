"""The one publishing operation: stores with its actor audited, then announces once, after
the commit (in-process on SQLite, to every process on PostgreSQL), and never a rollback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from storage.backends import open_storage
from storage.errors import DuplicateIdError, StaleEditError
from storage.library import Storage
from storage.publishing import CLI, Announcement, Change, Source, User, actor_of
from tests.databases import postgres_schema

from .conftest import make_content

#: Generous guard that turns a lost announcement into a failure; nothing here measures speed.
WAIT = 10.0
#: How long to listen for an announcement that must not come.
QUIET = 0.2


class Heard:
    """Announcements as a subscriber gets them, each with the audit action another
    connection reads for that brief at that moment (so only a committed change is seen)."""

    def __init__(self, reader: Storage) -> None:
        self.reader = reader
        self.queue: asyncio.Queue[tuple[Announcement, str]] = asyncio.Queue()

    def __call__(self, announcement: Announcement) -> None:
        asyncio.get_running_loop().create_task(self._read(announcement))

    async def _read(self, announcement: Announcement) -> None:
        history = await self.reader.briefs.history(announcement.brief_id)
        self.queue.put_nowait((announcement, history[-1].action if history else "none"))

    async def next(self) -> tuple[Announcement, str]:
        return await asyncio.wait_for(self.queue.get(), WAIT)

    async def nothing_more(self) -> None:
        await asyncio.sleep(QUIET)
        assert self.queue.empty()


@pytest.fixture
async def heard(store: Storage, store_url: str) -> AsyncIterator[Heard]:
    """A subscriber to `store`'s announcements, reading through a connection of its own."""
    reader = await open_storage(store_url)
    subscriber = Heard(reader)
    await store.announcements.subscribe(subscriber)
    try:
        yield subscriber
    finally:
        store.announcements.unsubscribe(subscriber)
        await asyncio.sleep(QUIET)  # reads under way finish before the reader closes
        await reader.close()


async def test_each_change_is_announced_once_after_its_commit(store: Storage, heard: Heard) -> None:
    publisher = store.publisher
    brief = await publisher.publish(make_content(title="First"), by=CLI)
    await publisher.correct(brief.id, make_content(title="Corrected"), by=CLI, note="Fixed.")
    assert await publisher.retract(brief.id, by=CLI, reason="Untrue.")
    batch = await publisher.publish_many(
        [make_content(title=f"Batch {n}") for n in range(3)], by=CLI
    )

    assert [await heard.next() for _ in range(4)] == [
        (Announcement(Change.PUBLISHED, brief.id), "add"),
        (Announcement(Change.EDITED, brief.id), "edit"),
        (Announcement(Change.RETRACTED, brief.id), "delete"),
        (Announcement(Change.PUBLISHED, batch[-1].id), "import"),  # one per commit
    ]
    await heard.nothing_more()  # on PostgreSQL too: its NOTIFY is the only way it comes


async def test_nothing_is_announced_for_a_change_that_did_not_happen(
    store: Storage, heard: Heard
) -> None:
    publisher = store.publisher
    brief = await publisher.publish(make_content(title="Kept"), by=CLI)
    assert (await heard.next())[0] == Announcement(Change.PUBLISHED, brief.id)
    taken = brief.model_copy(update={"title": "Same id again"})

    with pytest.raises(DuplicateIdError):  # refused inside the transaction: rolled back
        await publisher.publish_many([make_content(), taken], by=CLI)
    await publisher.correct(brief.id, make_content(title="Mine"), by=User(1), base=brief)
    assert (await heard.next())[0] == Announcement(Change.EDITED, brief.id)
    with pytest.raises(StaleEditError):  # based on the version before that edit
        await publisher.correct(brief.id, make_content(title="Theirs"), by=User(2), base=brief)
    assert await publisher.correct(brief.id + 1, make_content(), by=CLI) is None
    assert not await publisher.retract(brief.id + 1, by=CLI)
    assert await publisher.publish_many([], by=CLI) == []
    marker = await publisher.publish(make_content(title="Marker"), by=CLI)

    assert await heard.next() == (Announcement(Change.PUBLISHED, marker.id), "add")
    await heard.nothing_more()


async def test_a_batch_published_without_announce_is_stored_and_not_announced(
    store: Storage, heard: Heard
) -> None:
    quiet = await store.publisher.publish_many(
        [make_content(title="Quiet")], by=CLI, announce=False
    )
    marker = await store.publisher.publish(make_content(title="Marker"), by=CLI)

    assert await heard.next() == (Announcement(Change.PUBLISHED, marker.id), "add")
    await heard.nothing_more()
    assert await store.briefs.get(quiet[0].id) is not None


async def test_the_actor_is_audited_a_user_or_a_named_source(store: Storage) -> None:
    api = Source("api", "the HTTP API")
    publisher = store.publisher
    brief = await publisher.publish(make_content(title="By a user"), by=User(7))
    await publisher.correct(brief.id, make_content(title="By the API"), by=api)
    await publisher.retract(brief.id, by=CLI)
    older = await store.briefs.add(make_content(title="Before sources were named"))

    entries = await store.briefs.history(brief.id)
    assert [(e.action, e.actor_id, e.source) for e in entries] == [
        ("add", 7, None),
        ("edit", None, "api"),
        ("delete", None, "cli"),
    ]
    assert brief.created_by == 7
    # An unknown source is shown by its name; entries with neither were the command line's.
    assert [actor_of(e) for e in entries] == [User(7), Source("api", "api"), CLI]
    assert [actor_of(e) for e in await store.briefs.history(older.id)] == [CLI]


async def test_a_change_from_another_process_is_heard_there_once(
    store: Storage, store_url: str, backend: str
) -> None:
    """On PostgreSQL, another process's publish reaches this one by NOTIFY, once; SQLite
    cannot hear other processes (their briefs wait for the sweep)."""
    heard: asyncio.Queue[Announcement] = asyncio.Queue()
    listening = await store.announcements.subscribe(heard.put_nowait)
    assert listening == (backend == "postgresql")
    other = await open_storage(store_url)
    try:
        brief = await other.publisher.publish(make_content(), by=CLI)
    finally:
        await other.close()
    if listening:
        got = await asyncio.wait_for(heard.get(), WAIT)
        assert got == Announcement(Change.PUBLISHED, brief.id)
    await asyncio.sleep(QUIET)
    assert heard.empty()


async def test_a_library_in_another_schema_of_the_database_is_not_heard(
    store: Storage, backend: str
) -> None:
    """A NOTIFY channel is the whole database's: each library (schema) announces on its own."""
    if backend != "postgresql":
        return
    heard: asyncio.Queue[Announcement] = asyncio.Queue()
    assert await store.announcements.subscribe(heard.put_nowait)
    async with postgres_schema() as url:
        neighbour = await open_storage(url)
        try:
            await neighbour.publisher.publish(make_content(title="Next door"), by=CLI)
        finally:
            await neighbour.close()
    mine = await store.publisher.publish(make_content(title="Here"), by=CLI)

    assert await asyncio.wait_for(heard.get(), WAIT) == Announcement(Change.PUBLISHED, mine.id)
    await asyncio.sleep(QUIET)
    assert heard.empty()
