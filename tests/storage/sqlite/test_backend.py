"""The connection: pragmas, transactions, closing, and sharing a file between connections."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage.briefs import Briefs
from storage.sqlite.backend import SqliteDatabase, decode_time, encode_time
from storage.sqlite.migrations import latest_version
from storage.state import State
from tests.storage.conftest import make_content


async def pragma(db: SqliteDatabase, name: str) -> object:
    async with db.read() as conn:
        return await conn.fetchval(f"PRAGMA {name}")


async def test_pragmas_are_set(db: SqliteDatabase) -> None:
    assert await pragma(db, "journal_mode") == "wal"
    assert await pragma(db, "foreign_keys") == 1
    assert await pragma(db, "busy_timeout") == 5000
    assert await pragma(db, "synchronous") == 1  # NORMAL


async def test_open_creates_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "briefs.db"
    db = await SqliteDatabase.open(str(path))
    try:
        assert path.exists()
        assert db.path == path
    finally:
        await db.close()


async def test_in_memory_database_works() -> None:
    db = await SqliteDatabase.open(":memory:")
    try:
        brief = await Briefs(db).add(make_content())
        assert await Briefs(db).get(brief.id) == brief
    finally:
        await db.close()


async def test_schema_version_is_latest(db: SqliteDatabase) -> None:
    assert await db.schema_version() == latest_version() == 20


async def test_transaction_rolls_back_on_error(db: SqliteDatabase) -> None:
    state = State(db)

    async def failing_write() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_write()
    assert await state.get("k") is None
    await state.set("k", "after")  # the connection is usable again
    assert await state.get("k") == "after"


async def test_transaction_rolls_back_when_cancelled(db: SqliteDatabase) -> None:
    entered = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(writer())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await State(db).get("k") is None
    await State(db).set("k", "ok")


async def test_two_connections_on_one_file_both_write(db_path: Path) -> None:
    first = await SqliteDatabase.open(db_path)
    second = await SqliteDatabase.open(db_path)
    try:
        repos = [Briefs(first), Briefs(second)]
        await asyncio.gather(
            *(repos[i % 2].add(make_content(title=f"Brief {i}")) for i in range(60))
        )
        assert await repos[0].count() == await repos[1].count() == 60
    finally:
        await first.close()
        await second.close()


def test_times_are_sortable_utc_text_with_microseconds() -> None:
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    text = encode_time(moment)
    assert text == "2024-05-01T10:30:00.000000+00:00"
    assert decode_time(text) == moment
    assert decode_time(text).tzinfo == UTC
    assert encode_time(moment + timedelta(microseconds=1)) > text
