"""One open library: its repositories, health, and whole-library copies, on any backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from storage.base import COLUMNS, PRIMARY_KEYS, TABLES, Backend, check_table
from storage.briefs import Briefs
from storage.copies import Copies
from storage.crossposts import Crossposts
from storage.delivery_log import DeliveryLog
from storage.feeds import Feeds
from storage.idempotency import IdempotencyKeys
from storage.post_log import PostLog
from storage.publishing import Announcements, Publisher
from storage.reviewing import ReviewCards
from storage.sources import Sources
from storage.sql import Connection, Row
from storage.state import State
from storage.subscriptions import Subscriptions
from storage.tokens import Tokens
from storage.webhooks import WebhookDeliveries


class Storage:
    """A library: briefs, auto-post settings and log, and small state, in one database.

    Briefs are published, corrected and retracted through `publisher`, the one operation
    every entry point uses; features hear of it through `announcements`.
    """

    def __init__(self, db: Backend) -> None:
        self.db = db
        self.briefs = Briefs(db)
        self.announcements = Announcements(db)
        self.publisher = Publisher(self.briefs, self.announcements)
        self.subscriptions = Subscriptions(db)
        self.post_log = PostLog(db)
        self.copies = Copies(db)
        self.crossposts = Crossposts(db)
        self.delivery_log = DeliveryLog(db)
        self.state = State(db)
        self.sources = Sources(db)
        self.tokens = Tokens(db)
        self.idempotency = IdempotencyKeys(db)
        self.webhook_deliveries = WebhookDeliveries(db)
        self.feeds = Feeds(db)
        self.review_cards = ReviewCards(db)

    @property
    def url(self) -> str:
        """Return the URL the database was opened with."""
        return self.db.url

    async def close(self) -> None:
        """Close every connection; later calls do nothing."""
        await self.db.close()

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        return await self.db.schema_version()

    def latest_version(self) -> int:
        """Return the version this code's migrations bring the database to."""
        return self.db.latest_version()

    async def integrity_problems(self) -> list[str]:
        """Return what the database's own and the search index's checks report (empty: sound)."""
        return await self.db.integrity_problems()

    async def counts(self) -> dict[str, int]:
        """Return each table's row count (every brief, deleted ones included)."""
        async with self.db.read() as conn:
            return await _counts(conn)

    async def dump(self, table: str, *, batch: int = 1000) -> AsyncIterator[list[Row]]:
        """Yield every row of `table` in primary-key order, `batch` at a time.

        One consistent snapshot serves the whole table, however long the consumer takes.
        """
        check_table(table)
        if batch <= 0:
            raise ValueError("batch must be positive")
        sql = (
            f"SELECT {', '.join(COLUMNS[table])} FROM {table}"
            f" ORDER BY {', '.join(PRIMARY_KEYS[table])}"
        )
        async with self.db.snapshot() as conn:
            async for rows in conn.iterate(sql, batch=batch):
                yield rows

    @asynccontextmanager
    async def restore(self) -> AsyncIterator[Loader]:
        """Open one transaction to load copied rows; commit on success, else roll back."""
        async with self.db.transaction() as conn:
            yield Loader(self.db, conn)
        await self.db.settle(TABLES)


class Loader:
    """Writes copied rows inside one open transaction (see `Storage.restore`)."""

    def __init__(self, db: Backend, conn: Connection) -> None:
        self._db = db
        self._conn = conn

    async def load(self, table: str, rows: Sequence[Row]) -> None:
        """Insert rows of `table` exactly as given (ids and times kept)."""
        check_table(table)
        unknown = {column for row in rows for column in row} - set(COLUMNS[table])
        if unknown:
            raise ValueError(f"{table} has no column(s) {', '.join(sorted(unknown))}")
        await self._db.insert(self._conn, table, rows)

    async def counts(self) -> dict[str, int]:
        """Return each table's row count as this transaction sees it."""
        return await _counts(self._conn)


async def _counts(conn: Connection) -> dict[str, int]:
    return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}")) for table in TABLES}
