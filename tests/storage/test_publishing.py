"""The one publishing operation: stores with its actor audited, then announces once, after
the commit (in-process on SQLite, to every process on PostgreSQL), and never a rollback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from storage.backends import open_storage
from storage.errors import DuplicateIdError, ExternalRetractedError, StaleEditError
from storage.library import Storage
from storage.publishing import (
    CLI,
    Announcement,
    Change,
    Source,
    UpsertOutcome,
    User,
    actor_of,
)
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
    # A source is shown by the label it acted under; entries with neither were the command line's.
    assert [actor_of(e) for e in entries] == [User(7), api, CLI]
    assert [actor_of(e) for e in await store.briefs.history(older.id)] == [CLI]
    # One audited before labels were kept is shown by its name.
    await store.briefs.update(
        older.id, make_content(title="Unlabelled"), actor_id=None, source="api"
    )
    assert actor_of((await store.briefs.history(older.id))[-1]) == Source("api", "api")


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


# A source's upserts by external id: one brief however many race, the same content a no-op,
# a change a correction its copies follow, an unpublish a retraction.

CMS = Source("cms", "Newsroom CMS")
WIRE = Source("wire", "Wire desk")


async def copies_due(store: Storage, brief_id: int) -> list[int]:
    """Return the channels whose posted copy of a brief is marked due a correction."""
    async with store.db.read() as conn:
        rows = await conn.fetch(
            "SELECT channel_id FROM post_log WHERE brief_id = ? AND due_version IS NOT NULL"
            " ORDER BY channel_id",
            brief_id,
        )
    return [row["channel_id"] for row in rows]


async def post_copy(store: Storage, brief_id: int, channel_id: int) -> None:
    """Record a posted copy of a brief in a channel, as auto-posting does."""
    sub = await store.subscriptions.set_channel(channel_id * 10, channel_id)
    assert await store.post_log.claim(sub, brief_id)
    await store.post_log.record_message(sub, brief_id, channel_id + 1)


async def test_an_upsert_creates_once_then_is_unchanged_by_the_same_content(
    store: Storage, heard: Heard
) -> None:
    created = await store.publisher.upsert(CMS, "story-1", make_content())
    assert created.outcome is UpsertOutcome.CREATED
    assert await heard.next() == (Announcement(Change.PUBLISHED, created.brief.id), "add")

    again = await store.publisher.upsert(CMS, "story-1", make_content())
    assert again.outcome is UpsertOutcome.UNCHANGED
    assert again.brief.id == created.brief.id
    await heard.nothing_more()
    history = await store.briefs.history(created.brief.id)
    assert [(e.action, e.source) for e in history] == [("add", "cms")]
    assert actor_of(history[0]) == CMS
    found = await store.briefs.by_external("cms", "story-1")
    assert found is not None
    assert found.id == created.brief.id


async def test_eight_concurrent_upserts_of_one_id_leave_one_brief(store: Storage) -> None:
    results = await asyncio.gather(
        *(store.publisher.upsert(CMS, "race", make_content()) for _ in range(8))
    )

    assert len({result.brief.id for result in results}) == 1
    outcomes = sorted(result.outcome for result in results)
    assert outcomes == [UpsertOutcome.CREATED] + [UpsertOutcome.UNCHANGED] * 7
    assert (await store.counts())["briefs"] == 1
    assert len(await store.briefs.history(results[0].brief.id)) == 1


async def test_concurrent_upserts_of_different_content_leave_one_brief(store: Storage) -> None:
    results = await asyncio.gather(
        *(store.publisher.upsert(CMS, "race", make_content(title=f"Version {n}")) for n in range(8))
    )

    assert len({result.brief.id for result in results}) == 1
    assert [r.outcome for r in results].count(UpsertOutcome.CREATED) == 1
    assert (await store.counts())["briefs"] == 1
    stored = await store.briefs.by_external("cms", "race")
    history = await store.briefs.history(results[0].brief.id)
    assert stored is not None
    assert stored.title == history[-1].snapshot["title"]


async def test_a_changed_upsert_is_a_correction_announced_once_with_copies_due(
    store: Storage, heard: Heard
) -> None:
    created = await store.publisher.upsert(CMS, "story-1", make_content())
    await heard.next()
    await post_copy(store, created.brief.id, 500)
    await post_copy(store, created.brief.id, 600)
    assert await copies_due(store, created.brief.id) == []

    fixed = await store.publisher.upsert(
        CMS, "story-1", make_content(title="Comet seen over Porto"), correction="City fixed."
    )

    assert fixed.outcome is UpsertOutcome.CORRECTED
    assert fixed.brief.id == created.brief.id
    assert fixed.brief.title == "Comet seen over Porto"
    assert fixed.brief.correction == "City fixed."
    assert await heard.next() == (Announcement(Change.EDITED, created.brief.id), "edit")
    await heard.nothing_more()
    assert await copies_due(store, created.brief.id) == [500, 600]
    [_, edit] = await store.briefs.history(created.brief.id)
    assert (edit.action, edit.note, actor_of(edit)) == ("edit", "City fixed.", CMS)


async def test_external_ids_are_each_sources_own(store: Storage) -> None:
    cms = await store.publisher.upsert(CMS, "1", make_content(title="From the CMS"))
    wire = await store.publisher.upsert(WIRE, "1", make_content(title="From the wire"))

    assert cms.brief.id != wire.brief.id
    assert wire.outcome is UpsertOutcome.CREATED
    found = await store.briefs.by_external("wire", "1")
    assert found is not None
    assert found.title == "From the wire"
    assert await store.briefs.by_external("wire", "2") is None


async def test_an_unpublish_retracts_and_the_id_then_refuses_content(
    store: Storage, heard: Heard
) -> None:
    created = await store.publisher.upsert(CMS, "story-1", make_content())
    await heard.next()
    await post_copy(store, created.brief.id, 500)

    retracted = await store.publisher.retract_external(CMS, "story-1", "Published in error.")

    assert retracted is not None
    assert retracted.retracted_at is not None
    assert retracted.retraction == "Published in error."
    assert await heard.next() == (Announcement(Change.RETRACTED, created.brief.id), "delete")
    assert await copies_due(store, created.brief.id) == [500]
    assert await store.briefs.get(created.brief.id) is None
    again = await store.publisher.retract_external(CMS, "story-1", "Twice.")
    assert again is not None
    assert again.retraction == "Published in error."
    await heard.nothing_more()
    assert await store.publisher.retract_external(CMS, "never-sent", None) is None
    with pytest.raises(ExternalRetractedError):
        await store.publisher.upsert(CMS, "story-1", make_content(title="Back again"))
    assert (await store.counts())["briefs"] == 1
