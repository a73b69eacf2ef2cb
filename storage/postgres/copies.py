"""Whole-library copies: backend-neutral rows read from and written to PostgreSQL tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from storage.interface import FLAG_COLUMNS, PRIMARY_KEYS, TABLES, Row, check_table
from storage.postgres.database import Connection, aware
from storage.postgres.search import search_vector, title_vector

#: Each table's columns as rows carry them (the SQLite backend's order; no search vectors).
COLUMNS: dict[str, tuple[str, ...]] = {
    "briefs": (
        "id",
        "title",
        "what_happened",
        "who_was_involved",
        "when_and_where",
        "key_quote",
        "impact",
        "body",
        "source_url",
        "image_url",
        "tags",
        "published_at",
        "created_at",
        "created_by",
        "updated_at",
        "deleted_at",
        "content_hash",
    ),
    "audit_log": ("id", "brief_id", "action", "actor_id", "at", "snapshot"),
    "guild_settings": (
        "guild_id",
        "channel_id",
        "mention_role_id",
        "crosspost",
        "subscribed_at",
        "paused_reason",
        "paused_at",
        "notified_pause",
        "last_post_at",
        "last_error",
    ),
    "post_log": (
        "guild_id",
        "brief_id",
        "channel_id",
        "message_id",
        "posted_at",
        "skipped",
        "rejected_at",
        "rejected_reason",
    ),
    "bot_state": ("key", "value"),
}


def _encode(column: str, value: Any) -> Any:
    """Turn a backend-neutral row value into what asyncpg sends for the column."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value)
    if column in FLAG_COLUMNS:
        return bool(value)
    if column == "tags":
        return [str(tag) for tag in value]
    return value


async def counts(conn: Connection) -> dict[str, int]:
    """Return each table's row count as this connection sees it."""
    return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}")) for table in TABLES}


async def dump(conn: Connection, table: str, *, batch: int) -> AsyncIterator[list[Row]]:
    """Yield every row of `table` in primary-key order, `batch` at a time, as neutral rows.

    Run it inside a transaction (a cursor needs one); asyncpg already returns the neutral
    types: tags as a list, times as aware UTC datetimes, flags as bool.
    """
    check_table(table)
    if batch <= 0:
        raise ValueError("batch must be positive")
    columns = COLUMNS[table]
    cursor = await conn.cursor(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY {PRIMARY_KEYS[table]}"
    )
    while rows := await cursor.fetch(batch):
        yield [{column: _neutral(column, row[column]) for column in columns} for row in rows]


def _neutral(column: str, value: Any) -> Any:
    return list(value) if column == "tags" else value


class Loader:
    """Inserts copied rows on the connection of one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def load(self, table: str, rows: Sequence[Row]) -> None:
        """Insert rows of `table` exactly as given (ids and times kept; briefs' search computed)."""
        check_table(table)
        if not rows:
            return
        columns = list(rows[0])
        unknown = set(columns) - set(COLUMNS[table])
        if unknown:
            raise ValueError(f"{table} has no column(s) {', '.join(sorted(unknown))}")
        values = [[_encode(column, row[column]) for column in columns] for row in rows]
        names = [*columns, "search", "title_search"] if table == "briefs" else columns
        slots = [f"${n}" for n in range(1, len(columns) + 1)]
        if table == "briefs":
            slots += [f"${len(columns) + 1}::tsvector", f"${len(columns) + 2}::tsvector"]
            for row, encoded in zip(rows, values, strict=True):
                encoded += [search_vector(row), title_vector(row)]
        await self._conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(slots)})", values
        )
        if table == "audit_log":
            # Ids were given, so the identity sequence must move past them.
            await self._conn.execute(
                "SELECT setval(pg_get_serial_sequence('audit_log', 'id'),"
                " GREATEST(max(id), 1), max(id) IS NOT NULL) FROM audit_log"
            )

    async def counts(self) -> dict[str, int]:
        """Return each table's row count as this transaction sees it."""
        return await counts(self._conn)
