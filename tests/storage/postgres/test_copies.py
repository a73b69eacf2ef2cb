"""Whole-library copies: neutral rows out, the same rows in, search and audit ids working after."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.backends import open_storage
from storage.base import TABLES
from storage.library import Storage
from storage.models import Brief
from storage.sql import Row
from tests.databases import postgres_schema
from tests.storage.conftest import make_content

GUILD, CHANNEL = 111, 222


async def fill(store: Storage) -> None:
    """A small library touching every table and column kind."""
    exported = Brief(
        **make_content(title="Old flood warning", topics=["weather", "Ça va"]).model_dump(),
        id=7,
        created_at=datetime(2023, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
        created_by=5,
    )
    await store.briefs.add_many([exported])
    kept = await store.briefs.add(make_content(published_at=datetime(2024, 1, 2, tzinfo=UTC)))
    gone = await store.briefs.add(make_content(title="Gone"))
    await store.briefs.update(kept.id, make_content(title="Comet returns"), actor_id=3)
    await store.briefs.delete(gone.id, actor_id=4)
    sub = await store.subscriptions.set_channel(GUILD, CHANNEL, crosspost=True)
    await store.subscriptions.pause(sub.id, "Missing permission")
    assert await store.post_log.claim(sub, kept.id)
    await store.post_log.record_message(sub, kept.id, 999)
    await store.post_log.skip(sub, [7])
    await store.state.set("command_hash:global", "abc")


async def dump_all(store: Storage, *, batch: int = 1000) -> dict[str, list[Row]]:
    return {
        table: [row async for rows in store.dump(table, batch=batch) for row in rows]
        for table in TABLES
    }


async def test_dump_yields_neutral_rows_in_key_order(pg: Storage) -> None:
    await fill(pg)
    rows = await dump_all(pg, batch=2)
    briefs = rows["briefs"]
    assert [row["id"] for row in briefs] == [7, 8, 9]
    assert "search" not in briefs[0]
    assert "title_search" not in briefs[0]
    assert briefs[0]["tags"] == ["weather", "Ça va"]
    assert briefs[0]["created_at"] == datetime(2023, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert briefs[2]["deleted_at"].tzinfo is not None
    audit = rows["audit_log"]
    assert [row["id"] for row in audit] == [1, 2, 3, 4, 5]
    assert isinstance(audit[0]["snapshot"], str)
    assert rows["subscriptions"][0]["crosspost"] is True
    assert rows["post_log"] == [
        {**rows["post_log"][0], "brief_id": 7, "skipped": True},
        {**rows["post_log"][1], "brief_id": 8, "message_id": 999, "skipped": False},
    ]
    assert rows["bot_state"] == [{"key": "command_hash:global", "value": "abc"}]
    assert await pg.counts() == {table: len(found) for table, found in rows.items()}


async def test_dump_refuses_unknown_tables(pg: Storage) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        [rows async for rows in pg.dump("pg_class")]


async def test_restore_round_trip_keeps_rows_and_continues_ids(pg: Storage) -> None:
    await fill(pg)
    source = await dump_all(pg)
    async with postgres_schema() as url:
        target = await open_storage(url)
        try:
            async with target.restore() as loader:
                for table in TABLES:
                    await loader.load(table, source[table])
                assert await loader.counts() == await pg.counts()
            assert await dump_all(target) == source
            assert await target.integrity_problems() == []
            # Search vectors were computed for the copied briefs.
            assert [hit.brief_id for hit in await target.briefs.search("comet returns")] == [8]
            assert await target.briefs.suggest("flo") == [(7, "Old flood warning")]
            assert await target.briefs.search("gone") == []
            # New audit entries and briefs continue after the copied ids.
            assert (await target.briefs.add(make_content())).id == 10
            await target.briefs.update(7, make_content(title="Flood over"), actor_id=1)
            history = await target.briefs.history(7)
            assert [entry.id for entry in history] == [1, 7]
            assert [entry.id for entry in await target.briefs.history(10)] == [6]
        finally:
            await target.close()


async def test_failed_restore_leaves_the_target_empty(pg: Storage) -> None:
    await fill(pg)
    source = await dump_all(pg)
    async with postgres_schema() as url:
        target = await open_storage(url)
        try:

            async def restore() -> None:
                async with target.restore() as loader:
                    await loader.load("briefs", source["briefs"])
                    await loader.load("bot_state", [{"key": "k", "value": "v", "extra": 1}])

            with pytest.raises(ValueError, match="no column"):
                await restore()
            assert set((await target.counts()).values()) == {0}
        finally:
            await target.close()


async def test_integrity_problems_notice_stale_search_and_ids(pg: Storage) -> None:
    await fill(pg)
    assert await pg.integrity_problems() == []
    async with pg.db.transaction() as conn:
        await conn.execute(
            "UPDATE briefs SET search = ''::tsvector, title_search = '' WHERE id = 7"
        )
        await conn.execute("UPDATE briefs SET search = 'stale'::tsvector WHERE id = 8")
        await conn.execute("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 2)")
    problems = await pg.integrity_problems()
    assert any("empty for brief(s) #7" in problem for problem in problems)
    assert any("out of date for brief(s) #7, #8" in problem for problem in problems)
    assert any(problem.startswith("audit_log: next id 3") for problem in problems)


async def table_rows_known(store: Storage) -> bool:
    """Say whether the planner has statistics for briefs (ANALYZE sets reltuples; -1: never)."""
    async with store.db.read() as conn:
        return bool(
            await conn.fetchval(
                "SELECT reltuples >= 0 FROM pg_class WHERE oid = 'briefs'::regclass"
            )
        )


async def test_restore_and_big_imports_leave_statistics_for_the_planner(
    pg: Storage,
) -> None:
    assert not await table_rows_known(pg)
    async with pg.restore() as loader:
        await loader.load("bot_state", [{"key": "k", "value": "v"}])
    assert await table_rows_known(pg)

    async with postgres_schema() as other_url:
        other = await open_storage(other_url)
        try:
            await other.briefs.add_many([make_content(title=f"N {n}") for n in range(10)])
            assert not await table_rows_known(other)  # small: left to autovacuum
            await other.briefs.add_many([make_content(title=f"M {n}") for n in range(1000)])
            assert await table_rows_known(other)
        finally:
            await other.close()
