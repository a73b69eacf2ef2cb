"""The embedded default backend: one SQLite file, one aiosqlite connection, FTS5 search.

Times are stored as ISO 8601 UTC text with microseconds (which sorts in time order), lists
(tags, and lists given as one argument) as JSON text, yes/no as 0 and 1; `SqliteConnection`
converts both ways, so the repositories see the same values as on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiosqlite

from storage.schema import KINDS, Kind
from storage.sql import (
    SQLITE,
    Connection,
    Operation,
    Reachability,
    Reads,
    Row,
    guarded,
)
from storage.sqlite.migrations import (
    apply_migrations,
    current_version,
    latest_version,
    refuse_foreign,
)
from storage.sqlite.search import SqliteSearch

#: Milliseconds a writer waits for another connection's write lock before giving up.
BUSY_TIMEOUT_MS = 5000
#: Pause between attempts to switch a database that another process holds into WAL mode.
WAL_RETRY_MS = 50

MEMORY = ":memory:"
#: What SQLite says when the file is held too long by another process, or cannot be read or
#: written: the library is unreachable, not broken.
_LOST = ("locked", "busy", "disk i/o", "unable to open", "interrupted")

#: Text exactly as `encode_time` writes it: what a time read under an undeclared name looks like.
_ENCODED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


def encode_time(value: datetime) -> str:
    """Return ISO 8601 UTC text with microseconds, which sorts in time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def decode_time(text: str) -> datetime:
    """Read text written by `encode_time` (or any ISO 8601 time) as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return encode_time(value)
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return value


def _lost(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return any(words in str(error).lower() for words in _LOST)
    return isinstance(error, OSError)


def _args(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(_encode(value) for value in values)


def _undeclared(name: str) -> Callable[[Any], Any]:
    def refuse_times(value: Any) -> Any:
        if isinstance(value, str) and _ENCODED_TIME.fullmatch(value):
            raise TypeError(
                f"result column {name!r} holds a time but has no kind: name it as its column,"
                " or declare it in storage/schema.py RESULTS (PostgreSQL would read a datetime)"
            )
        return value

    return refuse_times


#: How a stored value of each kind is read, so it comes back as PostgreSQL's driver gives it.
_READ: dict[Kind, Callable[[Any], Any]] = {
    Kind.TIME: decode_time,
    Kind.FLAG: bool,
    Kind.LIST: json.loads,
}


def _pass(value: Any) -> Any:
    return value


@lru_cache(maxsize=256)
def _readers(names: tuple[str, ...]) -> tuple[Callable[[Any], Any], ...]:
    """Return how to read each result column: by the kind storage/schema.py gives its name.

    SQLite keeps no type a result column could be read by (a time is text, a flag a number),
    so every name a query returns is a column's or a declared result's; a time under any other
    name is refused rather than read as text.
    """
    return tuple(
        _READ.get(KINDS[name], _pass) if name in KINDS else _undeclared(name) for name in names
    )


def _row(row: sqlite3.Row) -> Row:
    names = tuple(row.keys())
    return {
        name: None if value is None else read(value)
        for name, read, value in zip(names, _readers(names), row, strict=True)
    }


class SqliteConnection(Reads):
    """The one aiosqlite connection, speaking `storage.sql.Connection`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run one statement and return its rows."""
        return [_row(row) for row in await self._conn.execute_fetchall(sql, _args(args))]

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return how many rows it inserted, changed or deleted."""
        async with self._conn.execute(sql, _args(args)) as cursor:
            return max(cursor.rowcount, 0)

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per set of arguments."""
        async with self._conn.executemany(sql, [_args(values) for values in args]):
            pass

    async def iterate(self, sql: str, *args: Any, batch: int) -> AsyncIterator[list[Row]]:
        """Yield a statement's rows `batch` at a time."""
        async with self._conn.execute(sql, _args(args)) as cursor:
            while rows := await cursor.fetchmany(batch):
                yield [_row(row) for row in rows]


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


class SqliteDatabase:
    """A library in one SQLite file; one connection, its use serialised by an asyncio.Lock.

    Writers of other processes wait for the file's lock (BEGIN IMMEDIATE, busy timeout), so
    handing out ids needs no lock of its own, and other processes' briefs are found by the
    auto-post sweep.
    """

    dialect = SQLITE
    search = SqliteSearch()

    def __init__(self, path: Path, conn: aiosqlite.Connection, url: str) -> None:
        self.path = path
        self.url = url
        self._conn = conn
        self._lock = asyncio.Lock()
        self._closed = False
        self.timeout: float | None = None
        self.reach = Reachability()

    @classmethod
    async def open(cls, path: Path | str, *, url: str | None = None) -> SqliteDatabase:
        """Connect (creating the folder), set pragmas and apply pending migrations.

        Another program's database is refused (NotALibraryError) before anything is written
        to it, even the write-ahead log mode.
        """
        if str(path) != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await _pragma(conn, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await refuse_foreign(conn)
            await _enable_wal(conn)
            await _pragma(conn, "PRAGMA synchronous = NORMAL")
            await _pragma(conn, "PRAGMA foreign_keys = ON")
            await apply_migrations(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(Path(path), conn, url or f"sqlite:///{path}")

    async def close(self) -> None:
        """Close the connection once; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            # A cursor not yet collected (one caught in a reference cycle, say) keeps its
            # statement prepared, and SQLite then closes the file only when it is: the
            # write-ahead log would stay behind. Collect them first, so closing is complete.
            gc.collect()
            await self._conn.close()

    async def answer_within(self, seconds: float | None) -> None:
        """Bound every operation to `seconds` (None: no bound), and a wait for another
        process's write lock to half of it, so the rollback after a deadline is quick too."""
        self.timeout = seconds
        busy = BUSY_TIMEOUT_MS if seconds is None else min(BUSY_TIMEOUT_MS, int(seconds * 500))
        async with self._lock:
            await _pragma(self._conn, f"PRAGMA busy_timeout = {busy}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
        """Hold the lock inside BEGIN IMMEDIATE; commit on success, roll back on any error."""
        async with (
            guarded(self.reach, self.timeout, _lost) as operation,
            self._lock,
            self._begin("BEGIN IMMEDIATE", operation) as conn,
        ):
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteConnection]:
        """Hold the lock without a transaction, for reads (each statement its own snapshot)."""
        async with guarded(self.reach, self.timeout, _lost) as operation, self._lock:
            yield SqliteConnection(self._conn)
            operation.done()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqliteConnection]:
        """Hold the lock inside a read transaction: every read sees one state of the file."""
        async with (
            guarded(self.reach, self.timeout, _lost) as operation,
            self._lock,
            self._begin("BEGIN", operation) as conn,
        ):
            yield conn

    @asynccontextmanager
    async def _begin(self, begin: str, operation: Operation) -> AsyncIterator[SqliteConnection]:
        conn = self._conn
        await conn.execute(begin)
        try:
            yield SqliteConnection(conn)
            operation.committing()
            await conn.execute("COMMIT")
            operation.done()
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                await conn.interrupt()  # a deadline: stop the statement under way
            if conn.in_transaction:
                await asyncio.shield(conn.execute("ROLLBACK"))
            raise

    async def lock_ids(self, conn: Connection) -> None:
        """Nothing to do: BEGIN IMMEDIATE already keeps every other writer out."""

    async def lock_guild(self, conn: Connection, guild_id: int) -> None:
        """Nothing to do: BEGIN IMMEDIATE already keeps every other writer out."""

    async def insert(self, conn: Connection, table: str, rows: Sequence[Row]) -> None:
        """Insert rows with one prepared statement (the search index follows by trigger)."""
        if not rows:
            return
        columns = list(rows[0])
        await conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            ([row[column] for column in columns] for row in rows),
        )

    async def announce(self, change: str, brief_id: int) -> bool:
        """Return False: other processes find changes at their next sweep."""
        return False

    async def settle(self, tables: Sequence[str]) -> None:
        """Nothing to do: SQLite plans without collected statistics here."""

    async def listen(self, callback: Callable[[str, int], None]) -> bool:
        """Return False: SQLite cannot tell other processes' writes; the sweep finds them."""
        return False

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        async with self._lock:
            return await current_version(self._conn)

    def latest_version(self) -> int:
        """Return the version the packaged migrations bring a database to."""
        return latest_version()

    async def integrity_problems(self) -> list[str]:
        """Return what SQLite's and the search index's integrity checks report (empty: sound)."""
        async with self.read() as conn:
            rows = await conn.fetch("PRAGMA integrity_check")
            problems = [str(value) for row in rows for value in row.values() if value != "ok"]
            problems += await self.search.check(conn)
        return problems
