"""Drafts in review: invisible to every read but their author's and the editors', approved
once however many editors press at once, and never seen when turned down or withdrawn."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.backends import open_storage
from storage.library import Storage
from storage.models import utcnow
from storage.publishing import Announcement, Change, Source, UpsertOutcome, User

from .conftest import make_content
from .test_scheduling import every_read_misses

AUTHOR, EDITOR, OTHER = User(21), User(7), User(8)


async def test_a_submitted_draft_is_invisible_until_approved(store: Storage) -> None:
    heard: list[Announcement] = []
    await store.announcements.subscribe(heard.append)
    draft = await store.publisher.submit(make_content(title="Zeppelin draft"), by=AUTHOR)
    assert draft.review == "submitted"
    await every_read_misses(store, draft.id, "zeppelin")
    assert await store.briefs.count() == 0
    assert [b.id for b in await store.briefs.drafts()] == [draft.id]
    assert [b.id for b in await store.briefs.drafts(author_id=AUTHOR.id)] == [draft.id]
    assert await store.briefs.drafts(author_id=OTHER.id) == []
    assert await store.publisher.release_due(now=utcnow() + timedelta(days=400)) == []
    approved = await store.publisher.approve(draft.id, by=EDITOR)
    assert approved is not None
    assert approved.review is None
    assert approved.released_at is not None
    assert await store.briefs.get(draft.id) is not None
    assert [h.brief_id for h in await store.briefs.search("zeppelin")] == [draft.id]
    await asyncio.sleep(0.05)
    assert Announcement(Change.PUBLISHED, draft.id) in heard
    actions = [e.action for e in await store.briefs.history(draft.id)]
    assert actions == ["add", "submit", "approve"]


async def test_changes_requested_then_revised_and_resubmitted(store: Storage) -> None:
    draft = await store.publisher.submit(make_content(title="First go"), by=AUTHOR)
    back = await store.publisher.request_changes(draft.id, "Name the source.", by=EDITOR)
    assert back is not None
    assert (back.review, back.review_note) == ("changes", "Name the source.")
    revised = await store.publisher.correct(draft.id, make_content(title="Second go"), by=AUTHOR)
    assert revised is not None
    assert revised.review == "changes"  # still with its author until sent again
    assert revised.correction is None
    again = await store.publisher.resubmit(draft.id, by=AUTHOR)
    assert again is not None
    assert (again.review, again.review_note) == ("submitted", None)
    await every_read_misses(store, draft.id, "second")
    history = [(e.action, e.note) for e in await store.briefs.history(draft.id)]
    assert history == [
        ("add", None), ("submit", None), ("request_changes", "Name the source."),
        ("edit", None), ("submit", None),
    ]  # fmt: skip


async def test_two_editors_approving_at_once_publish_once(store_url: str) -> None:
    first, second = await open_storage(store_url), await open_storage(store_url)
    try:
        drafts = [
            await first.publisher.submit(make_content(title=f"Draft {n}"), by=AUTHOR)
            for n in range(10)
        ]
        for draft in drafts:
            results = await asyncio.gather(
                first.publisher.approve(draft.id, by=EDITOR),
                second.publisher.approve(draft.id, by=OTHER),
            )
            assert sum(result is not None for result in results) == 1
            actions = [e.action for e in await first.briefs.history(draft.id)]
            assert actions.count("approve") == 1
    finally:
        await first.close()
        await second.close()


async def test_turned_down_or_withdrawn_drafts_are_never_seen(store: Storage) -> None:
    rejected = await store.publisher.submit(make_content(title="No"), by=AUTHOR)
    withdrawn = await store.publisher.submit(make_content(title="Mine"), by=AUTHOR)
    assert not await store.publisher.withdraw(withdrawn.id, by=OTHER)  # not theirs
    assert await store.publisher.withdraw(withdrawn.id, by=AUTHOR)
    assert await store.publisher.reject(rejected.id, by=EDITOR, reason="Off topic.")
    for brief_id in (rejected.id, withdrawn.id):
        assert await store.briefs.get(brief_id, held=True) is None
        assert await store.briefs.retraction(brief_id) is None  # nothing said: never seen
        assert await store.publisher.approve(brief_id, by=EDITOR) is None
    assert await store.briefs.drafts() == []
    assert [e.action for e in await store.briefs.history(rejected.id)][-1] == "reject"
    assert [e.action for e in await store.briefs.history(withdrawn.id)][-1] == "withdraw"


async def test_an_approved_draft_with_a_release_time_is_held_until_then(store: Storage) -> None:
    later = utcnow() + timedelta(hours=2)
    draft = await store.publisher.submit(make_content(release_at=later), by=AUTHOR)
    assert await store.publisher.release_due(now=later + timedelta(hours=1)) == []  # in review
    approved = await store.publisher.approve(draft.id, by=EDITOR)
    assert approved is not None
    assert approved.release_at == later
    assert await store.briefs.get(draft.id) is None  # held now
    [released] = await store.publisher.release_due(now=later)
    assert released.brief_id == draft.id


async def test_a_source_that_requires_review_pushes_drafts(store: Storage) -> None:
    await store.sources.add("wire")
    await store.sources.set_review("wire", True)
    assert (await store.sources.get("wire")).requires_review  # type: ignore[union-attr]
    wire = Source("wire", "the wire")
    pushed = await store.publisher.upsert(wire, "w1", make_content(title="Wire story"))
    assert pushed.outcome is UpsertOutcome.CREATED
    assert pushed.brief.review == "submitted"
    assert await store.briefs.get(pushed.brief.id) is None
    again = await store.publisher.upsert(wire, "w1", make_content(title="Wire story, fixed"))
    assert again.outcome is UpsertOutcome.CORRECTED
    assert again.brief.review == "submitted"
    assert again.brief.title == "Wire story, fixed"
    assert await store.publisher.approve(pushed.brief.id, by=EDITOR) is not None
    assert await store.briefs.get(pushed.brief.id) is not None
