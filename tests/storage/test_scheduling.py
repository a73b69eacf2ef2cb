"""Held briefs (scheduled, or under embargo): invisible to every read but the publishers',
released once on their time whoever asks, and delivered then as any new brief."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from storage.backends import open_storage
from storage.errors import AlreadyReleasedError
from storage.library import Storage
from storage.models import BriefContent, SubscriptionOptions, utcnow
from storage.publishing import Announcement, Source, UpsertOutcome, User

from .conftest import make_content

EDITOR = User(7)
WIRE = Source("wire", "the wire")
GUILD, CHANNEL = 111, 222


def held(hours: float = 1, **fields: Any) -> BriefContent:
    return make_content(release_at=utcnow() + timedelta(hours=hours), **fields)


async def every_read_misses(store: Storage, brief_id: int, word: str) -> None:
    """Assert that no member-facing read finds the brief (or its words, or its topic)."""
    briefs = store.briefs
    assert await briefs.get(brief_id) is None
    assert brief_id not in [b.id for b in await briefs.latest(50)]
    assert brief_id not in [b.id for b in await briefs.page(0, 50)]
    assert await briefs.search(word) == []
    assert await briefs.search_count(word) == 0
    assert word not in [t.name for t in await briefs.topics()]
    assert brief_id not in [i for i, _ in await briefs.suggest(word)]
    assert brief_id not in [i for i, _ in await briefs.suggest(str(brief_id))]
    assert brief_id not in [i for i, _ in await briefs.suggest("")]
    assert await briefs.retraction(brief_id) is None
    assert brief_id not in [b.id async for b in briefs.iter_all(retracted=True)]
    assert await store.post_log.trace(GUILD, brief_id) is None


async def test_a_held_brief_is_invisible_to_every_read_but_the_publishers(
    store: Storage,
) -> None:
    await store.publisher.publish(make_content(title="Out already"), by=EDITOR)
    brief = await store.publisher.publish(
        held(title="Zeppelin embargo", topics=["airships"]), by=EDITOR
    )
    assert brief.release_at is not None
    await every_read_misses(store, brief.id, "zeppelin")
    assert await store.briefs.count() == 1
    assert "airships" not in [t.key for t in await store.briefs.topics()]
    # Publishers find it, marked by its release time.
    found = await store.briefs.get(brief.id, held=True)
    assert found is not None
    assert found.release_at == brief.release_at
    assert [b.id for b in await store.briefs.scheduled(limit=10)] == [brief.id]
    assert await store.briefs.scheduled_count() == 1
    assert [b.id for b in await store.briefs.suggest_held("zepp")] == [brief.id]
    assert [b.id for b in await store.briefs.suggest_held(f"#{brief.id}")] == [brief.id]
    assert [b.id async for b in store.briefs.iter_all(held=True)] == [1, brief.id]
    history = await store.briefs.history(brief.id)
    assert [e.action for e in history] == ["add", "schedule"]


async def test_a_held_brief_is_released_once_when_due(store: Storage) -> None:
    heard: list[Announcement] = []
    await store.announcements.subscribe(heard.append)
    brief = await store.publisher.publish(held(hours=1, title="Comet report"), by=EDITOR)
    assert await store.publisher.release_due() == []
    assert heard == []  # nothing to tell while it is held
    later = utcnow() + timedelta(hours=1, seconds=3)
    [released] = await store.publisher.release_due(now=later)
    assert released.brief_id == brief.id
    assert brief.release_at is not None
    assert released.late == later - brief.release_at
    assert await store.publisher.release_due(now=later) == []
    out = await store.briefs.get(brief.id)
    assert out is not None
    assert out.release_at is None
    assert out.released_at == later
    assert out.created_at == later
    assert [h.brief_id for h in await store.briefs.search("comet")] == [brief.id]
    await asyncio.sleep(0.05)  # SQLite delivers in-process; PostgreSQL's NOTIFY comes back
    assert [a.brief_id for a in heard] == [brief.id]
    actions = [e.action for e in await store.briefs.history(brief.id)]
    assert actions == ["add", "schedule", "release"]


async def test_two_processes_release_each_brief_once(store_url: str) -> None:
    first, second = await open_storage(store_url), await open_storage(store_url)
    try:
        for i in range(30):
            await first.publisher.publish(held(hours=0.5, title=f"Due {i}"), by=EDITOR)
        later = utcnow() + timedelta(hours=1)
        results = await asyncio.gather(
            *(store.publisher.release_due(now=later) for store in (first, second, first, second))
        )
        released = [item.brief_id for batch in results for item in batch]
        assert sorted(released) == list(range(1, 31))  # each once, none twice
        history = [e.action for i in range(1, 31) for e in await first.briefs.history(i)]
        assert history.count("release") == 30
    finally:
        await first.close()
        await second.close()


async def test_an_edit_while_held_is_no_correction(store: Storage) -> None:
    brief = await store.publisher.publish(held(title="Draft title"), by=EDITOR)
    edited = await store.publisher.correct(
        brief.id, make_content(title="Better title"), by=EDITOR, note="typo"
    )
    assert edited is not None
    assert edited.release_at == brief.release_at  # still held, at its time
    assert edited.correction is None
    [entry] = [e for e in await store.briefs.history(brief.id) if e.action == "edit"]
    assert entry.note is None
    await store.publisher.release(brief.id, by=EDITOR)
    out = await store.briefs.get(brief.id)
    assert out is not None
    assert out.title == "Better title"
    assert out.updated_at is None
    assert out.correction is None


async def test_rescheduling_and_withdrawing_are_audited(store: Storage) -> None:
    brief = await store.publisher.publish(held(hours=1), by=EDITOR)
    later = utcnow() + timedelta(hours=5)
    moved = await store.publisher.schedule(brief.id, later, by=EDITOR)
    assert moved is not None
    assert moved.release_at == later
    assert await store.publisher.release_due(now=utcnow() + timedelta(hours=2)) == []
    assert await store.publisher.retract(brief.id, by=EDITOR, reason="spiked")
    assert await store.briefs.get(brief.id, held=True) is None
    assert await store.briefs.retraction(brief.id) is None  # nobody saw it: nothing to say
    assert await store.publisher.release_due(now=later + timedelta(hours=1)) == []
    actions = [(e.action, e.note) for e in await store.briefs.history(brief.id)]
    assert actions[1:] == [
        ("schedule", brief.release_at.isoformat()),  # type: ignore[union-attr]
        ("schedule", later.isoformat()),
        ("cancel", "spiked"),
    ]
    assert await store.publisher.schedule(brief.id, later, by=EDITOR) is None


async def test_a_time_already_passed_publishes_at_once(store: Storage) -> None:
    brief = await store.publisher.publish(
        make_content(release_at=utcnow() - timedelta(minutes=1)), by=EDITOR
    )
    assert brief.release_at is None
    assert await store.briefs.get(brief.id) is not None


async def test_released_briefs_are_queued_past_the_mark(store: Storage) -> None:
    sub = await store.subscriptions.add(GUILD, SubscriptionOptions(channel_id=CHANNEL))
    brief = await store.publisher.publish(held(hours=1), by=EDITOR)
    after = [
        (await store.publisher.publish(make_content(title=f"N{i}"), by=EDITOR)).id for i in range(3)
    ]
    assert await store.post_log.pending(sub, limit=10) == (after, 3)
    for brief_id in after:
        assert await store.post_log.claim(sub, brief_id)
    assert await store.post_log.pending(sub, limit=10) == ([], 0)  # the mark passed it
    await store.publisher.release(brief.id, by=EDITOR)
    assert await store.post_log.pending(sub, limit=10) == ([brief.id], 1)
    assert await store.post_log.claim(sub, brief.id)
    assert await store.post_log.pending(sub, limit=10) == ([], 0)


async def test_a_source_holds_moves_and_releases_its_brief(store: Storage) -> None:
    await store.sources.add(WIRE.name)
    first = await store.publisher.upsert(WIRE, "a1", held(hours=2, title="Embargoed"))
    assert first.outcome is UpsertOutcome.CREATED
    assert first.brief.release_at is not None
    same = await store.publisher.upsert(WIRE, "a1", first.brief.content())
    assert same.outcome is UpsertOutcome.UNCHANGED
    later = utcnow() + timedelta(hours=3)
    moved = await store.publisher.upsert(
        WIRE, "a1", first.brief.content().model_copy(update={"release_at": later})
    )
    assert moved.outcome is UpsertOutcome.CORRECTED
    assert moved.brief.release_at == later
    lifted = await store.publisher.upsert(WIRE, "a1", make_content(title="Embargoed"))
    assert lifted.brief.release_at is None
    assert lifted.brief.released_at is not None
    assert await store.briefs.get(lifted.brief.id) is not None
    with pytest.raises(AlreadyReleasedError):
        await store.publisher.upsert(WIRE, "a1", held(hours=1, title="Embargoed"))
    again = await store.publisher.upsert(
        WIRE, "a1", make_content(title="Embargoed", release_at=utcnow() - timedelta(days=1))
    )
    assert again.outcome is UpsertOutcome.UNCHANGED
