"""The SQLite backend as one `Storage`: the repositories on one file, checks and copies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.interface import FLAG_COLUMNS, PRIMARY_KEYS, TABLES, Row, check_table
from storage.sqlite.briefs import BriefRepository
from storage.sqlite.database import Database, decode_optional_time, encode_time, fetch_value
from storage.sqlite.guilds import GuildRepository, PostLog
from storage.sqlite.migrations import latest_version
from storage.sqlite.state import BotState

_TIMES = frozenset(
    {
        "published_at",
        "created_at",
        "updated_at",
        "deleted_at",
        "at",
        "subscribed_at",
        "paused_at",
        "last_post_at",
        "posted_at",
        "rejected_at",
    }
)
_JSON_LISTS = frozenset({"tags"})


def _decode(column: str, value: Any) -> Any:
    """Turn a stored SQLite value into the backend-neutral row value."""
    if column in _TIMES:
        return decode_optional_time(value)
    if column in FLAG_COLUMNS:
        return bool(value)
    if column in _JSON_LISTS:
        return json.loads(value)
    return value


def _encode(column: str, value: Any) -> Any:
    """Turn a backend-neutral row value into what SQLite stores."""
    if value is None:
        return None
    if column in _TIMES:
        return encode_time(value)
    if column in FLAG_COLUMNS:
        return int(value)
    if column in _JSON_LISTS:
        return json.dumps(list(value), ensure_ascii=False)
    return value


async def _counts(conn: aiosqlite.Connection) -> dict[str, int]:
    return {
        table: int(await fetch_value(conn, f"SELECT count(*) FROM {table}")) for table in TABLES
    }


class _Loader:
    """Inserts copied rows on the connection of one open transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def load(self, table: str, rows: Sequence[Row]) -> None:
        check_table(table)
        if not rows:
            return
        columns = list(rows[0])
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        await self._conn.executemany(
            sql, [tuple(_encode(column, row[column]) for column in columns) for row in rows]
        )

    async def counts(self) -> dict[str, int]:
        return await _counts(self._conn)


class SqliteStorage:
    """A library in one SQLite file (the embedded default)."""

    def __init__(self, db: Database, url: str) -> None:
        self.db = db
        self.url = url
        self.briefs = BriefRepository(db)
        self.guilds = GuildRepository(db)
        self.post_log = PostLog(db)
        self.state = BotState(db)

    @classmethod
    async def open(cls, path: Path | str, *, url: str | None = None) -> SqliteStorage:
        """Open (creating and migrating) the database file at `path`."""
        db = await Database.open(path)
        storage = cls(db, url or f"sqlite:///{path}")
        try:
            await storage.briefs.fill_content_keys()
        except BaseException:
            await db.close()
            raise
        return storage

    async def close(self) -> None:
        await self.db.close()

    async def listen_published(self, callback: Callable[[int], None]) -> bool:
        """Return False: SQLite cannot tell other processes' writes; the sweep finds them."""
        return False

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def latest_version(self) -> int:
        return latest_version()

    async def integrity_problems(self) -> list[str]:
        return await self.db.integrity_problems()

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as conn:
            return await _counts(conn)

    async def dump(self, table: str, *, batch: int = 1000) -> AsyncIterator[list[Row]]:
        check_table(table)
        async with self.db.read() as conn:
            cursor = await conn.execute(f"SELECT * FROM {table} ORDER BY {PRIMARY_KEYS[table]}")
            try:
                columns = [item[0] for item in cursor.description]
                while rows := await cursor.fetchmany(batch):
                    yield [
                        {column: _decode(column, row[column]) for column in columns} for row in rows
                    ]
            finally:
                await cursor.close()

    @asynccontextmanager
    async def restore(self) -> AsyncIterator[_Loader]:
        async with self.db.transaction() as conn:
            yield _Loader(conn)
