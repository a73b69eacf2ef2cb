"""The PostgreSQL connection pool the bot owns: migrations, transactions and reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.postgres.migrations import apply_migrations, current_version

#: Connections one process keeps open: enough for concurrent commands and auto-posting.
POOL_MIN, POOL_MAX = 1, 10

#: Seconds to wait for the server to accept a connection before reporting it unreachable.
CONNECT_TIMEOUT = 10.0

#: The GIN indexes (migrations/0001_schema.sql) whose pending lists a bulk write leaves behind.
SEARCH_INDEXES = ("briefs_search", "briefs_title_search")

#: Plan every statement for its actual parameters. asyncpg prepares statements, and a generic
#: plan cannot know how common a searched word is: for a rare one it would walk every brief
#: in id order (~1 s at 100,000 briefs) instead of asking the GIN index (~1 ms).
SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}

#: A connection as the pool lends it (or as `asyncpg.connect` returns it).
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


def aware(value: datetime) -> datetime:
    """Read a naive datetime as UTC (as the SQLite backend does), so no local time sneaks in."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class Database:
    """Owns an asyncpg pool; each transaction or read borrows one connection from it."""

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], url: str) -> None:
        self._pool = pool
        self._url = url
        self._listener: asyncpg.Connection[asyncpg.Record] | None = None
        self._closed = False

    @classmethod
    async def open(cls, url: str) -> Database:
        """Connect and apply pending migrations."""
        pool = await asyncpg.create_pool(
            url,
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            server_settings=SERVER_SETTINGS,
            timeout=CONNECT_TIMEOUT,
        )
        try:
            async with pool.acquire() as conn:
                await apply_migrations(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url)

    async def close(self) -> None:
        """Close the pool once (waiting for borrowed connections); later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        if self._listener is not None:
            await self._listener.close()
        await self._pool.close()

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Keep a connection of its own listening on `channel`, calling `callback(payload)`.

        Idempotent while that connection lives; after it dropped (a server restart), the next
        call connects again. Notifications sent while it was down are not replayed.
        """
        if self._closed:
            raise RuntimeError("the database is closed")
        if self._listener is not None and not self._listener.is_closed():
            return
        listener = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT)
        await listener.add_listener(
            channel, lambda _conn, _pid, _channel, payload: callback(payload)
        )
        self._listener = listener

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Borrow a connection inside a transaction; commit on success, roll back on any error."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """Borrow a connection outside any transaction: each statement reads its own snapshot."""
        async with self._pool.acquire() as conn:
            yield conn

    async def settle_bulk_write(self, tables: str) -> None:
        """After a bulk write: refresh planner statistics and merge the search indexes' backlog.

        Until autovacuum gets there, the planner has no statistics for new rows, and GIN keeps
        fresh entries in a pending list every search scans linearly: right after copying 5,000
        briefs, a rare word took ~80 ms instead of ~10 ms.
        """
        async with self.read() as conn:
            await conn.execute(f"ANALYZE {tables}")
            for index in SEARCH_INDEXES:
                await conn.execute("SELECT gin_clean_pending_list($1::regclass)", index)

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        async with self.read() as conn:
            return await current_version(conn)
