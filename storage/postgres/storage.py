"""The PostgreSQL backend as one `Storage`: the repositories on one pool, checks and copies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from storage.interface import TABLES, Row
from storage.postgres import checks, copies
from storage.postgres.briefs import PUBLISHED_CHANNEL, BriefRepository
from storage.postgres.database import Database
from storage.postgres.guilds import GuildRepository, PostLog
from storage.postgres.migrations import latest_version
from storage.postgres.state import BotState


class PostgresStorage:
    """A library in a PostgreSQL database (or schema), shared by any number of processes."""

    def __init__(self, db: Database, url: str) -> None:
        self.db = db
        self.url = url
        self.briefs = BriefRepository(db)
        self.guilds = GuildRepository(db)
        self.post_log = PostLog(db)
        self.state = BotState(db)

    @classmethod
    async def open(cls, url: str) -> PostgresStorage:
        """Connect to the database `url` names and apply pending migrations."""
        db = await Database.open(url)
        storage = cls(db, url)
        try:
            await storage.briefs.fill_content_keys()
        except BaseException:
            await db.close()
            raise
        return storage

    async def close(self) -> None:
        """Close every connection; later calls do nothing."""
        await self.db.close()

    async def listen_published(self, callback: Callable[[int], None]) -> bool:
        """Call `callback(newest id)` whenever any process commits new briefs (LISTEN/NOTIFY)."""
        await self.db.listen(PUBLISHED_CHANNEL, lambda payload: callback(int(payload)))
        return True

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        return await self.db.schema_version()

    async def latest_version(self) -> int:
        """Return the version this code's migrations bring the database to."""
        return latest_version()

    async def integrity_problems(self) -> list[str]:
        """Return what the schema, search column and reference checks report (empty: sound)."""
        async with self.db.read() as conn:
            return await checks.integrity_problems(conn)

    async def counts(self) -> dict[str, int]:
        """Return each table's row count (every brief, deleted ones included)."""
        async with self.db.read() as conn:
            return await copies.counts(conn)

    async def dump(self, table: str, *, batch: int = 1000) -> AsyncIterator[list[Row]]:
        """Yield every row of `table` in primary-key order, `batch` at a time.

        One read-only snapshot serves the whole table, however long the consumer takes.
        """
        async with (
            self.db.read() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            async for rows in copies.dump(conn, table, batch=batch):
                yield rows

    @asynccontextmanager
    async def restore(self) -> AsyncIterator[copies.Loader]:
        """Open one transaction to load copied rows; commit on success, else roll back."""
        async with self.db.transaction() as conn:
            yield copies.Loader(conn)
        # Without this, until autovacuum runs, a common word took ~190 ms instead of ~20 ms at
        # 100,000 briefs (no statistics), a rare one ~80 ms at 5,000 (GIN pending list).
        await self.db.settle_bulk_write(", ".join(TABLES))
