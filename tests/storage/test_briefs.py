"""Briefs: storing, listing, searching, suggesting, auditing and exporting."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import storage.briefs
import storage.postgres.search
import storage.sqlite.search
from storage.backends import open_storage
from storage.base import SEARCH_CANDIDATES, SEARCH_COUNT_CAP, content_key, snapshot
from storage.briefs import Briefs
from storage.errors import DuplicateIdError, StaleEditError
from storage.library import Storage
from storage.models import MAX_BRIEF_ID, MAX_IMPORTED_ID, STORED, Brief, BriefContent
from tests.databases import database_url, highest_id
from tests.storage.sqlite.test_search import any_text

from .conftest import make_content

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def limit_candidates(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Shrink the search candidate window (and count cap) of both backends."""
    for module in (storage.sqlite.search, storage.postgres.search, storage.briefs):
        monkeypatch.setattr(module, "SEARCH_CANDIDATES", size)
    monkeypatch.setattr(storage.briefs, "SEARCH_COUNT_CAP", size)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


# --- add / get / update / delete -------------------------------------------------------


async def test_add_then_get_round_trips(repo: Briefs) -> None:
    content = make_content(published_at=day(3))
    brief = await repo.add(content, created_by=42)
    assert brief.id == 1
    assert brief.created_by == 42
    assert brief.created_at.tzinfo is not None
    assert brief.content() == content
    assert await repo.get(brief.id) == brief


async def test_add_ignores_identity_of_a_brief(repo: Briefs) -> None:
    first = await repo.add(make_content())
    second = await repo.add(first)
    assert second.id == 2


async def test_get_missing_or_absurd_id_is_none(repo: Briefs) -> None:
    assert await repo.get(1) is None
    assert await repo.get(-1) is None
    assert await repo.get(10**30) is None


async def test_update_replaces_content_and_is_audited(repo: Briefs) -> None:
    brief = await repo.add(make_content())
    new = make_content(title="Comet fades", topics=["space"])
    updated = await repo.update(brief.id, new, actor_id=7)
    assert updated is not None
    assert updated.content() == new
    assert updated.created_at == brief.created_at
    assert await repo.get(brief.id) == updated
    assert [hit.brief_id for hit in await repo.search("fades")] == [brief.id]
    assert await repo.search("over") == []  # a word only the old title had
    assert await repo.update(999, new, actor_id=7) is None


async def test_delete_hides_everywhere_but_history(store: Storage, repo: Briefs) -> None:
    keep = await repo.add(make_content(title="Harbour reopens", what_happened="Ships return."))
    gone = await repo.add(make_content())
    assert await repo.delete(gone.id, actor_id=9)
    assert await repo.get(gone.id) is None
    assert await repo.latest(10) == [keep]
    assert await repo.page(0, 10) == [keep]
    assert await repo.count() == 1
    assert await repo.search("comet") == []
    assert await repo.search_count("comet") == 0
    assert await repo.suggest("com") == []
    assert await repo.suggest(str(gone.id)) == []
    assert await repo.find_duplicate(gone.title, gone.what_happened) is None
    assert [b.id async for b in repo.iter_all()] == [keep.id]
    assert await repo.update(gone.id, make_content(), actor_id=9) is None
    assert not await repo.delete(gone.id, actor_id=9)
    assert await highest_id(store) == gone.id
    history = await repo.history(gone.id)
    assert [(e.action, e.actor_id) for e in history] == [("add", None), ("delete", 9)]
    assert history[-1].snapshot["title"] == gone.title


async def test_fts_index_stays_consistent(store: Storage, repo: Briefs) -> None:
    briefs = [await repo.add(make_content(title=f"Item {i}")) for i in range(5)]
    await repo.update(briefs[0].id, make_content(title="Renamed"), actor_id=None)
    await repo.delete(briefs[1].id, actor_id=None)
    assert await store.integrity_problems() == []


async def test_an_edit_based_on_an_older_version_is_refused(repo: Briefs) -> None:
    opened = await repo.add(make_content())
    first = await repo.update(opened.id, make_content(title="First"), actor_id=7, base=opened)
    assert first is not None
    assert first.updated_at is not None

    with pytest.raises(StaleEditError) as caught:
        await repo.update(opened.id, make_content(title="Second"), actor_id=8, base=opened)
    assert caught.value.changed_by == 7
    assert caught.value.changed_at == first.updated_at
    assert (await repo.get(opened.id)) == first
    assert [e.action for e in await repo.history(opened.id)] == ["add", "edit"]

    again = await repo.update(opened.id, make_content(title="Second"), actor_id=8, base=first)
    assert again is not None
    assert again.title == "Second"
    await repo.delete(opened.id, actor_id=1)
    assert await repo.update(opened.id, make_content(), actor_id=8, base=again) is None


async def test_ids_beyond_any_brief_name_none(repo: Briefs) -> None:
    await repo.add(make_content())
    for absurd in (0, -1, MAX_BRIEF_ID + 1, 10**30):
        assert await repo.get(absurd) is None
        assert await repo.update(absurd, make_content(), actor_id=1) is None
        assert not await repo.delete(absurd, actor_id=1)
        assert await repo.history(absurd) == []


async def test_publishing_after_the_highest_importable_id_still_works(repo: Briefs) -> None:
    top = Brief(**make_content(title="Top").model_dump(), id=MAX_IMPORTED_ID, created_at=day(1))
    await repo.add_many([top])
    for expected in (MAX_IMPORTED_ID + 1, MAX_IMPORTED_ID + 2):
        brief = await repo.add(make_content(title=f"After {expected}"))
        assert brief.id == expected
        assert await repo.get(expected) == brief


# --- listing ---------------------------------------------------------------------------


async def test_latest_orders_by_published_else_created(repo: Briefs) -> None:
    old = await repo.add(make_content(title="Old", published_at=day(1)))
    unpublished = await repo.add(make_content(title="Unpublished"))  # created now
    newer = await repo.add(make_content(title="Newer", published_at=day(2)))
    same = await repo.add(make_content(title="Same day", published_at=day(2)))
    expected = [unpublished.id, same.id, newer.id, old.id]
    assert [b.id for b in await repo.latest(10)] == expected
    assert [b.id for b in await repo.latest(2)] == expected[:2]
    assert [b.id for b in await repo.page(1, 2)] == expected[1:3]
    assert await repo.page(10, 5) == []
    assert await repo.latest(0) == []
    assert await repo.count() == 4


# --- add_many --------------------------------------------------------------------------


async def test_add_many_keeps_identity_of_briefs(repo: Briefs) -> None:
    exported = Brief(**make_content(title="Exported").model_dump(), id=50, created_at=day(5))
    stored = await repo.add_many([make_content(title="Fresh"), exported], created_by=3)
    assert [b.id for b in stored] == [51, 50]
    assert await repo.get(50) == exported
    fresh = await repo.get(51)
    assert fresh is not None
    assert fresh.created_by == 3
    assert [e.action for e in await repo.history(50)] == ["import"]
    assert (await repo.add(make_content())).id == 52


async def test_add_many_with_taken_id_stores_nothing(repo: Briefs) -> None:
    await repo.add(make_content())
    clash = Brief(**make_content().model_dump(), id=1, created_at=day(1))
    with pytest.raises(DuplicateIdError) as caught:
        await repo.add_many([make_content(title="A"), clash, make_content(title="B")])
    assert caught.value.ids == [1]
    assert "#1" in str(caught.value)
    assert await repo.count() == 1
    assert await repo.history(2) == []


async def test_add_many_with_repeated_id_stores_nothing(repo: Briefs) -> None:
    twins = [Brief(**make_content().model_dump(), id=5, created_at=day(1)) for _ in range(2)]
    with pytest.raises(DuplicateIdError):
        await repo.add_many(twins)
    assert await repo.count() == 0


async def test_add_many_with_invalid_item_stores_nothing(store: Storage, repo: Briefs) -> None:
    broken = Brief.model_construct(
        **{**make_content().model_dump(), "title": None}, id=9, created_at=day(1)
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - NOT NULL from SQLite
        await repo.add_many([make_content(title="Good"), broken])
    assert await repo.count() == 0
    assert await highest_id(store) == 0
    assert await repo.search("good") == []


async def test_reimporting_stores_nothing_twice(repo: Briefs) -> None:
    items = [make_content(title="One"), make_content(title="Two")]
    assert len(await repo.add_many(items, skip_present=True)) == 2

    assert await repo.add_many(items, skip_present=True) == []
    changed = make_content(title="Two", body="A corrected article.")
    stored = await repo.add_many([*items, changed, changed], skip_present=True)
    assert [b.body for b in stored] == ["A corrected article."]
    assert await repo.count() == 3
    assert len(await repo.add_many(items)) == 2  # forced: stored again
    assert await repo.count() == 5


async def test_reimporting_an_export_keeps_ids_and_refuses_clashes(repo: Briefs) -> None:
    exported = [
        Brief(**make_content(title="Same").model_dump(), id=n, created_at=day(n)) for n in (3, 4)
    ]
    assert [b.id for b in await repo.add_many(exported, skip_present=True)] == [3, 4]
    assert await repo.add_many(exported, skip_present=True) == []

    other = Brief(**make_content(title="Other").model_dump(), id=3, created_at=day(3))
    with pytest.raises(DuplicateIdError):
        await repo.add_many([other], skip_present=True)
    await repo.delete(4, actor_id=None)
    with pytest.raises(DuplicateIdError):  # a deleted brief's id stays taken
        await repo.add_many([exported[1]], skip_present=True)
    assert await repo.count() == 1


async def test_an_export_read_back_keeps_retractions_corrections_and_numbers(
    store: Storage, backend: str, tmp_path: Path
) -> None:
    first = await store.briefs.add(make_content(title="First"))
    await store.briefs.add(make_content(title="Second"))
    third = await store.briefs.add(make_content(title="Third"))
    await store.briefs.update(first.id, make_content(title="First!"), actor_id=7, note="Typo.")
    await store.briefs.delete(third.id, actor_id=7, reason="The story was false.")
    exported = [brief async for brief in store.briefs.iter_all(retracted=True)]
    assert [brief.id async for brief in store.briefs.iter_all()] == [1, 2]
    assert [(b.id, b.correction, b.retraction) for b in exported] == [
        (1, "Typo.", None), (2, None, None), (3, None, "The story was false."),
    ]  # fmt: skip
    retracted = await store.briefs.retraction(third.id)
    assert retracted is not None

    async with database_url(backend, tmp_path / "new") as url:
        new = await open_storage(url)
        try:
            assert len(await new.briefs.add_many(exported, skip_present=True)) == 3

            assert await new.briefs.retraction(third.id) == retracted
            assert await new.briefs.get(third.id) is None
            assert await new.briefs.count() == 2
            assert await new.briefs.search("Third") == []
            corrected = await new.briefs.get(first.id)
            assert corrected is not None
            assert (corrected.title, corrected.correction) == ("First!", "Typo.")
            assert [(e.action, e.note) for e in await new.briefs.history(first.id)] == [
                ("import", "Typo.")
            ]
            assert [(e.action, e.note, e.at) for e in await new.briefs.history(third.id)][1:] == [
                ("delete", "The story was false.", retracted.at)
            ]
            assert [b async for b in new.briefs.iter_all(retracted=True)] == exported
            assert await new.briefs.add_many(exported, skip_present=True) == []  # all present
            assert (await new.briefs.add(make_content(title="Fourth"))).id == 4  # never 3 again
        finally:
            await new.close()


async def test_a_live_brief_never_counts_as_present_under_a_retracted_ones_id(
    repo: Briefs,
) -> None:
    brief = await repo.add(make_content())
    live = await repo.get(brief.id)
    assert live is not None
    await repo.delete(brief.id, actor_id=None, reason="Wrong.")
    [retracted] = [b async for b in repo.iter_all(retracted=True)]

    with pytest.raises(DuplicateIdError):  # the export says live, the library retracted
        await repo.add_many([live], skip_present=True)
    assert await repo.add_many([retracted], skip_present=True) == []
    with pytest.raises(DuplicateIdError):
        await repo.add_many([retracted])


async def test_add_many_ten_thousand_in_one_call(repo: Briefs) -> None:
    items = [
        make_content(
            title=f"Council vote number {i} on the harbour budget",
            what_happened=f"The council voted {i} times on the budget for harbour repairs.",
            body="Residents packed the hall as members debated the cost of repairs. " * 3,
        )
        for i in range(10_000)
    ]
    stored = await repo.add_many(items)
    assert len(stored) == 10_000
    assert [b.id for b in stored] == sorted(b.id for b in stored)
    assert await repo.count() == 10_000
    assert await repo.search_count("harbour") == SEARCH_COUNT_CAP


# --- search ----------------------------------------------------------------------------


async def test_title_match_ranks_above_body_match(repo: Briefs) -> None:
    in_body = await repo.add(
        make_content(title="Budget passes", what_happened="The vote was close.", body="volcano")
    )
    in_title = await repo.add(make_content(title="Volcano erupts", what_happened="Ash fell."))
    hits = await repo.search("VOLCANO")
    assert [h.brief_id for h in hits] == [in_title.id, in_body.id]
    assert hits[0].rank > hits[1].rank
    assert hits[0].title == "Volcano erupts"
    assert hits[0].created_at == in_title.created_at


async def test_search_snippet_highlights_matches(repo: Briefs) -> None:
    await repo.add(
        make_content(
            title="Budget passes",
            what_happened=" ".join(["filler"] * 30 + ["Café", "owners", "cheered"] + ["x"] * 30),
        )
    )
    [hit] = await repo.search("cafe owners")
    assert "«Café» «owners»" in hit.snippet
    assert "…" in hit.snippet
    assert len(hit.snippet.split()) <= 14


async def test_search_requires_every_word_and_pages(repo: Briefs) -> None:
    for i in range(15):
        await repo.add(make_content(title=f"Storm warning {i}", what_happened="Winds."))
    await repo.add(make_content(title="Storm passes", what_happened="Calm."))
    assert await repo.search_count("storm warning") == 15
    first = await repo.search("storm warning", limit=10)
    second = await repo.search("storm warning", limit=10, offset=10)
    assert len(first) == 10
    assert len(second) == 5
    assert not {h.brief_id for h in first} & {h.brief_id for h in second}


async def test_search_count_is_capped(repo: Briefs, monkeypatch: pytest.MonkeyPatch) -> None:
    limit_candidates(monkeypatch, 4)
    for i in range(7):
        await repo.add(make_content(title=f"Harbour report {i}"))
    assert await repo.search_count("harbour") == 4  # "4 or more"
    assert await repo.search_count("harbour report 3") == 1
    assert await repo.search_count("nothing here") == 0


def test_count_cap_matches_candidate_window() -> None:
    # Every page the capped count promises exists, and none beyond it.
    assert SEARCH_COUNT_CAP == SEARCH_CANDIDATES > 0


async def test_search_ranks_title_first_within_candidates(repo: Briefs) -> None:
    titled = await repo.add(make_content(title="Lighthouse restored", what_happened="Done."))
    for i in range(5):
        await repo.add(
            make_content(title=f"Coast news {i}", what_happened="They saw the lighthouse.")
        )
    hits = await repo.search("lighthouse", limit=3)
    assert hits[0].brief_id == titled.id  # oldest, but the only title match
    assert hits[0].rank > hits[1].rank
    assert "«lighthouse»" in hits[1].snippet


async def test_search_pages_within_newest_candidates(
    repo: Briefs, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit_candidates(monkeypatch, 5)
    oldest = await repo.add(make_content(title="Ferry ferry ferry", what_happened="Ferry."))
    newer = [
        (await repo.add(make_content(title=f"Update {i}", what_happened="A ferry ran."))).id
        for i in range(6)
    ]
    await repo.delete(newer[-1], actor_id=None)  # deleted briefs never take a candidate slot
    total = await repo.search_count("ferry")
    assert total == 5
    pages = [await repo.search("ferry", limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    found = [hit.brief_id for page in pages for hit in page]
    assert [len(page) for page in pages] == [2, 2, 1, 0]
    assert sorted(found) == sorted(newer[:5])  # the newest matches, each exactly once
    assert oldest.id not in found  # the best match, but outside the candidate window
    assert await repo.search("ferry", offset=5) == []
    assert await repo.search("ferry", offset=10**9) == []
    assert all(hit.snippet for page in pages for hit in page)


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "comet AND",
        "OR NOT NEAR(",
        "title:comet",
        "-comet ^lisbon *",
        "((((",
        "🙂 ... !!!",
        "co\u200bmet",
        "x" * 10_000,
        "comet " * 2_000,
        "NEAR/3 comet",
    ],
)
async def test_search_accepts_anything(repo: Briefs, query: str) -> None:
    await repo.add(make_content())
    hits = await repo.search(query)
    assert len(hits) == await repo.search_count(query) or len(hits) == 10


async def test_nothing_searchable_finds_nothing(repo: Briefs) -> None:
    await repo.add(make_content())
    assert await repo.search("!!!") == []
    assert await repo.search_count('"()') == 0


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=any_text)
async def test_search_never_raises(repo: Briefs, text: str) -> None:
    if await repo.count() == 0:
        await repo.add(make_content())
        await repo.add(make_content(title="NEAR AND OR NOT", what_happened="Ça va ôté 日本."))
    hits = await repo.search(text, limit=5)
    assert len(hits) <= await repo.search_count(text)
    await repo.suggest(text)
    await repo.find_duplicate(text, text)


# --- suggest ---------------------------------------------------------------------------


async def test_suggest_empty_gives_latest_titles(repo: Briefs) -> None:
    a = await repo.add(make_content(title="Alpha", published_at=day(1)))
    b = await repo.add(make_content(title="Bravo", published_at=day(2)))
    assert await repo.suggest("") == [(b.id, "Bravo"), (a.id, "Alpha")]
    assert await repo.suggest("  ", limit=1) == [(b.id, "Bravo")]
    assert await repo.suggest("#") == [(b.id, "Bravo"), (a.id, "Alpha")]


async def test_suggest_by_title_prefix(repo: Briefs) -> None:
    await repo.add(make_content(title="Election results", what_happened="Counted."))
    electric = await repo.add(make_content(title="Electric buses arrive", what_happened="Quiet."))
    await repo.add(make_content(title="Budget", what_happened="Election spending rose."))
    assert [t for _, t in await repo.suggest("elec")] == [
        "Electric buses arrive",
        "Election results",
    ]
    assert await repo.suggest("ELECTRIC bu") == [(electric.id, "Electric buses arrive")]
    assert await repo.suggest("élec", limit=1) == [(electric.id, "Electric buses arrive")]
    assert await repo.suggest("zzz") == []


async def test_suggest_follows_edits_and_deletes(repo: Briefs) -> None:
    kept = await repo.add(make_content(title="Council meets", what_happened="Agenda."))
    renamed = await repo.add(make_content(title="Council budget", what_happened="Numbers."))
    gone = await repo.add(make_content(title="Council vote", what_happened="Ayes."))
    await repo.add(make_content(title="Harbour", what_happened="The council spoke."))
    assert [i for i, _ in await repo.suggest("c")] == [gone.id, renamed.id, kept.id]
    await repo.update(renamed.id, make_content(title="Harbour budget"), actor_id=None)
    await repo.delete(gone.id, actor_id=None)
    assert await repo.suggest("coun") == [(kept.id, "Council meets")]
    assert await repo.suggest("harbour bud") == [(renamed.id, "Harbour budget")]


async def test_suggest_by_id(repo: Briefs) -> None:
    briefs = [await repo.add(make_content(title=f"Brief {i}")) for i in range(12)]
    target = briefs[11]
    assert (await repo.suggest(str(target.id)))[0] == (target.id, target.title)
    assert (await repo.suggest(f"#{target.id}"))[0] == (target.id, target.title)
    assert await repo.suggest("99999") == []
    assert await repo.suggest("9" * 40) == []


# --- duplicates ------------------------------------------------------------------------


async def test_find_duplicate_ignores_case_spacing_punctuation(repo: Briefs) -> None:
    brief = await repo.add(make_content(title="Café reopens", what_happened="Doors open at 9."))
    await repo.add(make_content(title="Café reopens", what_happened="Something else."))
    found = await repo.find_duplicate("  cafe   REOPENS! ", "doors open at 9")
    assert found == brief
    assert await repo.find_duplicate("Café reopens", "Doors open at 10.") is None
    assert (
        await repo.find_duplicate("Café reopens", "Doors open at 9.", exclude_id=brief.id) is None
    )
    assert await repo.find_duplicate("???", "!!!") is None


# --- history, export, auto-post helpers -----------------------------------------------


async def test_history_records_every_change(repo: Briefs) -> None:
    brief = await repo.add(make_content(), created_by=1)
    await repo.update(brief.id, make_content(title="Second"), actor_id=2)
    await repo.delete(brief.id, actor_id=3)
    history = await repo.history(brief.id)
    assert [(e.action, e.actor_id) for e in history] == [("add", 1), ("edit", 2), ("delete", 3)]
    assert [e.snapshot["title"] for e in history] == [brief.title, "Second", "Second"]
    assert history[0].at <= history[1].at <= history[2].at
    assert BriefContent.model_validate(history[1].snapshot).title == "Second"


async def test_iter_all_streams_in_id_order(repo: Briefs) -> None:
    exported = [
        Brief(**make_content(title=f"B{i}").model_dump(), id=i, created_at=day(-i))
        for i in (30, 10, 20)
    ]
    await repo.add_many(exported)
    fresh = await repo.add_many([make_content(title=f"N{i}") for i in range(7)])
    await repo.delete(20, actor_id=None)
    seen: list[int] = []
    async for brief in repo.iter_all(batch=3):
        seen.append(brief.id)
        await repo.count()  # the lock is free between batches
    assert seen == [10, 30, *(b.id for b in fresh)]
    assert [b async for b in repo.iter_all()] == [await repo.get(i) for i in seen]


# --- concurrency -----------------------------------------------------------------------


async def test_fifty_concurrent_tasks_share_one_database(repo: Briefs) -> None:
    async def add(i: int) -> object:
        return await repo.add(make_content(title=f"Concurrent {i}"))

    async def search(i: int) -> object:
        return await repo.search(f"concurrent {i}")

    results = await asyncio.gather(
        *(add(i) if i % 2 else search(i) for i in range(50)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await repo.count() == 25
    assert await repo.search_count("concurrent") == 25


# --- topics -----------------------------------------------------------------------------


def test_the_content_hash_is_the_one_stored_before_topics_had_their_name() -> None:
    """Stored hashes (and audit snapshots) keep the topics under the column's name, `tags`,
    so a copy re-imported after the rename is still recognised as the brief it is."""
    content = BriefContent(
        title='Ça "va"\n\t\x01 😀',
        what_happened="x\u2028y\x7f",
        body="b\\ody",
        source_url="https://example.com/a?b=1",
        topics=["Sport", "local news"],
        published_at=datetime(2024, 5, 1, 12, 30, 1, 123456, tzinfo=timezone(timedelta(hours=2))),
    )
    assert content_key(content) == (
        "0a6be7d785e600ab0f97a632e3e014d3bddef2ad8be0d0de7b3b67aad41ada25"
    )
    record = json.loads(snapshot(content))
    assert (record["tags"], "topics" in record) == (["Sport", "local news"], False)


def as_stored(content: BriefContent) -> BriefContent:
    """Return the content with its topics exactly as given, as read back from a library."""
    return BriefContent.model_validate(content.model_dump(), context=STORED)


async def tagged(repo: Briefs, *topics: str, **fields: object) -> Brief:
    return await repo.add(make_content(topics=list(topics), **fields))


async def test_topics_count_live_briefs_by_key_most_used_first(repo: Briefs) -> None:
    await tagged(repo, "sport", "Local News")
    await tagged(repo, "SPORT", "weather")
    await tagged(repo, "sport")
    await tagged(repo, "local  news")
    gone = await tagged(repo, "sport", "archive")
    await repo.delete(gone.id, actor_id=None)
    await tagged(repo)

    topics = await repo.topics()

    assert [(t.name, t.key, t.briefs) for t in topics] == [
        ("sport", "sport", 3),
        ("Local News", "local news", 2),
        ("weather", "weather", 1),
    ]
    assert topics[0].spellings == ("SPORT", "sport")
    assert await repo.topic("  Sport ") == topics[0]
    assert await repo.topic("LOCAL   news") == topics[1]
    assert await repo.topic("archive") is None  # only a deleted brief had it
    assert await repo.topic("") is None


async def test_topics_follow_every_change(repo: Briefs) -> None:
    assert await repo.topics() == []
    first = await tagged(repo, "sport")
    assert [t.name for t in await repo.topics()] == ["sport"]
    await repo.update(first.id, make_content(topics=["weather"]), actor_id=None)
    assert [t.name for t in await repo.topics()] == ["weather"]
    await repo.add_many([make_content(title=f"T{n}", topics=["ferry"]) for n in range(3)])
    assert [(t.name, t.briefs) for t in await repo.topics()] == [("ferry", 3), ("weather", 1)]
    await repo.delete(first.id, actor_id=None)
    assert [t.name for t in await repo.topics()] == ["ferry"]


async def test_a_topics_page_holds_its_briefs_newest_first(repo: Briefs) -> None:
    wanted = []
    for n in range(25):
        tags = ["Harbour"] if n % 3 == 0 else ["harbour extra", "other"]
        brief = await tagged(repo, *tags, title=f"Brief {n}", published_at=day(n))
        if n % 3 == 0:
            wanted.append(brief.id)
    # Words of the topic elsewhere, or in other topics, are not the topic.
    await tagged(repo, "harbour", "x", title="Deleted")
    await repo.delete((await repo.latest(1))[0].id, actor_id=None)
    await tagged(repo, "extra", "harbour news", what_happened="Harbour news, harbour.")
    topic = await repo.topic("HARBOUR")
    assert topic is not None
    assert topic.briefs == len(wanted) == 9

    pages = [await repo.page(offset, 4, topic=topic) for offset in (0, 4, 8, 12)]

    assert [len(page) for page in pages] == [4, 4, 1, 0]
    assert [b.id for page in pages for b in page] == list(reversed(wanted))


async def test_search_in_a_topic_keeps_to_its_briefs_and_their_ranking(repo: Briefs) -> None:
    for n in range(12):
        tags = ["Space"] if n % 2 else ["space weather"]
        title = "Comet comet" if n in (3, 4) else f"Night {n}"
        await tagged(repo, *tags, title=title, what_happened=f"A comet, number {n}.")
    topic = await repo.topic("space")
    assert topic is not None

    everything = [hit.brief_id for hit in await repo.search("comet", limit=50)]
    within = [hit.brief_id for hit in await repo.search("comet", limit=50, topic=topic)]
    in_topic = {b.id for b in await repo.page(0, 50, topic=topic)}

    assert within == [brief_id for brief_id in everything if brief_id in in_topic]
    assert len(within) == 6
    assert within[0] == 4  # the title match ranks first, as without the topic
    assert await repo.search_count("comet", topic=topic) == 6
    assert await repo.search_count("lighthouse", topic=topic) == 0
    page = await repo.search("comet", limit=4, offset=4, topic=topic)
    assert [hit.brief_id for hit in page] == within[4:]


async def test_a_topic_fills_the_candidate_window_with_its_own_matches(
    repo: Briefs, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit_candidates(monkeypatch, 3)
    older = [(await tagged(repo, "rare", what_happened="Ferry news.")).id for _ in range(2)]
    for _ in range(5):
        await tagged(repo, "common", what_happened="Ferry news.")
    topic = await repo.topic("rare")
    assert topic is not None

    found = await repo.search("ferry", limit=10, topic=topic)

    assert sorted(hit.brief_id for hit in found) == older
    assert await repo.search_count("ferry", topic=topic) == 2


@pytest.mark.parametrize(
    ("tags", "asked"),
    [
        (["Straße", "STRASSE"], "strasse"),  # case folding beyond lower case
        (["Économie", "ÉCONOMIE"], "économie"),
        (["🚀", "🚀"], "🚀"),  # no words: found without the full-text index's help
        (["C++", "c++"], "C++"),
        (["a: b", "A:  B"], "a: b"),
        (["sport", "sport\u200b"], "sport"),  # what shows is what matches
        (["ｓｐｏｒｔ", "Sport"], "sport\u2060"),
        (["local\u00a0news", "Local News"], "local news"),
        (["e\u0301conomie", "économie"], "Économie"),
    ],
)
async def test_a_topic_is_found_by_key_in_every_spelling(
    repo: Briefs, tags: list[str], asked: str
) -> None:
    # Stored as typed, as a library stored them before topics were folded this far.
    ids = [
        (await repo.add(as_stored(make_content(topics=[tag], what_happened="Plain words.")))).id
        for tag in tags
    ]
    await tagged(repo, "other", what_happened="Plain words.")
    topic = await repo.topic(asked)
    assert topic is not None
    assert topic.briefs == 2
    assert sorted(b.id for b in await repo.page(0, 10, topic=topic)) == ids
    assert sorted(h.brief_id for h in await repo.search("plain", topic=topic)) == ids
