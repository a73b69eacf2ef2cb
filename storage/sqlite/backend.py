"""The SQLite connection the bot owns: pragmas, migrations, transactions and time encoding."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.sqlite.migrations import apply_migrations, current_version

#: Milliseconds a writer waits for another connection's write lock before giving up.
BUSY_TIMEOUT_MS = 5000
#: Pause between attempts to switch a database that another process holds into WAL mode.
WAL_RETRY_MS = 50

MEMORY = ":memory:"


def encode_time(value: datetime) -> str:
    """Return ISO 8601 UTC text with microseconds, which sorts in time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def decode_time(text: str) -> datetime:
    """Read text written by `encode_time` (or any ISO 8601 time) as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def decode_optional_time(text: str | None) -> datetime | None:
    """Like `decode_time`, passing NULL through."""
    return None if text is None else decode_time(text)


async def _pragma(conn: aiosqlite.Connection, pragma: str) -> None:
    """Run a PRAGMA and close its cursor.

    A PRAGMA that returns a row otherwise stays "in progress" until garbage-collected, and
    blocks the next COMMIT.
    """
    async with conn.execute(pragma):
        pass


async def _enable_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL, retrying while another process holds the lock the switch needs.

    Changing the journal mode of a new file needs an exclusive lock, and SQLite reports
    "database is locked" at once rather than waiting out the busy timeout, so two processes
    creating one database together would otherwise race.
    """
    attempts = BUSY_TIMEOUT_MS // WAL_RETRY_MS
    for attempt in range(attempts):
        try:
            await _pragma(conn, "PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(WAL_RETRY_MS / 1000)


class Database:
    """Owns one aiosqlite connection; serialises access with an asyncio.Lock."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Connect (creating the folder), set pragmas and apply pending migrations."""
        in_memory = str(path) == MEMORY
        if not in_memory:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await _pragma(conn, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _enable_wal(conn)
            await _pragma(conn, "PRAGMA synchronous = NORMAL")
            await _pragma(conn, "PRAGMA foreign_keys = ON")
            await apply_migrations(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(Path(path), conn)

    async def close(self) -> None:
        """Close the connection once; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the lock inside BEGIN IMMEDIATE; commit on success, roll back on any error."""
        async with self._lock:
            conn = self._conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await asyncio.shield(conn.execute("ROLLBACK"))
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the lock without a transaction, for reads (each statement its own snapshot)."""
        async with self._lock:
            yield self._conn

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        async with self.read() as conn:
            return await current_version(conn)

    async def integrity_problems(self) -> list[str]:
        """Return what SQLite's and the search index's integrity checks report (empty: sound)."""
        async with self.read() as conn:
            rows = await fetch_all(conn, "PRAGMA integrity_check")
            problems = [str(row[0]) for row in rows if row[0] != "ok"]
            for index in ("briefs_fts", "briefs_titles"):
                try:
                    async with conn.execute(
                        f"INSERT INTO {index} ({index}) VALUES ('integrity-check')"
                    ):
                        pass
                except sqlite3.DatabaseError as exc:
                    problems.append(f"search index: {exc}")
        return problems


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    """Run one statement and return all its rows as a list."""
    return list(await conn.execute_fetchall(sql, params))


async def fetch_value(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """Run one statement and return the first column of its first row (None if no row)."""
    rows = await fetch_all(conn, sql, params)
    return rows[0][0] if rows else None
