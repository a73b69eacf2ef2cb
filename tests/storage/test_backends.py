"""Opening a library from its URL, on either backend; closing it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from storage.backends import DatabaseUnavailableError, open_storage, redact, sqlite_path


async def test_close_is_idempotent(store_url: str) -> None:
    store = await open_storage(store_url)
    await store.close()
    await store.close()


async def test_a_schema_newer_than_the_code_is_refused_naming_the_database(
    store_url: str,
) -> None:
    store = await open_storage(store_url)
    try:
        async with store.db.transaction() as conn:  # as a newer version of the bot leaves it
            await conn.execute("UPDATE schema_version SET version = 99 WHERE id = 1")
    finally:
        await store.close()
    with pytest.raises(DatabaseUnavailableError, match="newer than this code") as caught:
        await open_storage(store_url)
    assert str(caught.value).startswith("cannot open ")


def notes_file(path: Path) -> bytes:
    """Make another program's SQLite database (a table `notes`); return its bytes."""
    path.parent.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('buy milk')")
    return path.read_bytes()


def files_beside(path: Path) -> dict[str, bytes]:
    """Every file in the database's folder, with its bytes."""
    return {p.name: p.read_bytes() for p in path.parent.iterdir()}


async def schema_tables(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await conn.close()
    return [row["table_name"] for row in rows]


async def test_another_programs_database_is_refused_and_left_unchanged(
    store_url: str, backend: str
) -> None:
    path = Path(sqlite_path(store_url))
    if backend == "sqlite":
        before = {path.name: notes_file(path)}
    else:
        conn = await asyncpg.connect(store_url)
        try:
            await conn.execute("CREATE TABLE notes (text text)")
        finally:
            await conn.close()

    with pytest.raises(DatabaseUnavailableError) as caught:
        await open_storage(store_url)

    assert str(caught.value) == (
        f"cannot open {redact(store_url)}: not a briefbot library"
        " (it holds other tables: notes); nothing was changed"
    )
    if backend == "sqlite":
        assert files_beside(path) == before  # byte for byte, and no journal left beside it
    else:
        assert await schema_tables(store_url) == ["notes"]


async def test_an_empty_file_or_schema_becomes_a_library(store_url: str, backend: str) -> None:
    if backend == "sqlite":  # as `touch briefs.db` leaves it
        path = Path(sqlite_path(store_url))
        await asyncio.to_thread(path.parent.mkdir, parents=True)
        await asyncio.to_thread(path.touch)
    for _ in range(2):  # made a library, then opened as one
        store = await open_storage(store_url, create=False)
        try:
            assert await store.schema_version() == store.latest_version()
        finally:
            await store.close()


async def test_briefs_from_before_content_hashes_get_theirs_once_not_at_every_open(
    store_url: str,
) -> None:
    """The backfill is a one-off upgrade step: recorded when done, never scanned for again."""
    from storage.backends import CONTENT_KEYS_FILLED
    from tests.storage.conftest import make_content

    store = await open_storage(store_url)
    try:
        assert await store.state.get(CONTENT_KEYS_FILLED) is None  # an empty library stays so
        (brief,) = await store.briefs.add_many([make_content()])
    finally:
        await store.close()

    store = await open_storage(store_url)
    try:
        assert await store.state.get(CONTENT_KEYS_FILLED) == "0"  # every brief had its hash
        await store.state.take(CONTENT_KEYS_FILLED)  # as if upgraded from before the hashes
        async with store.db.transaction() as conn:
            await conn.execute("UPDATE briefs SET content_hash = NULL")
    finally:
        await store.close()

    store = await open_storage(store_url)
    try:
        assert await store.state.get(CONTENT_KEYS_FILLED) == "1"
        assert await store.briefs.add_many([make_content()], skip_present=True) == []
        async with store.db.transaction() as conn:  # what no write of this code leaves
            await conn.execute("UPDATE briefs SET content_hash = NULL WHERE id = ?", brief.id)
    finally:
        await store.close()

    store = await open_storage(store_url)
    try:
        async with store.db.read() as conn:
            hashes = await conn.fetchval("SELECT COUNT(*) FROM briefs WHERE content_hash IS NULL")
        assert hashes == 1  # this open did not scan the library for it
    finally:
        await store.close()
