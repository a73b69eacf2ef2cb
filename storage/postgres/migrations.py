"""PostgreSQL migrations: applied in order, one transaction each, version kept in the database."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.migrations import Migration, check_library, to_apply
from storage.migrations import load_migrations as load_shared

#: A connection as the pool lends it (or as `asyncpg.connect` returns it).
Driver: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"

#: pg_advisory_xact_lock key held while migrating, so concurrent processes migrate one at a time.
MIGRATION_LOCK = 0x62726965_66000001


def load_migrations() -> list[Migration]:
    """Return the PostgreSQL migrations in version order."""
    return load_shared("storage.postgres")


def latest_version() -> int:
    """Return the version the packaged migrations bring a database to."""
    return len(load_migrations())


async def _ensure_version_table(conn: Driver) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " id integer PRIMARY KEY CHECK (id = 1),"
        " version integer NOT NULL)"
    )
    await conn.execute(
        "INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
    )


async def refuse_foreign(conn: Driver) -> None:
    """Raise NotALibraryError for a schema holding another program's tables; it reads only."""
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    check_library([row["table_name"] for row in rows])


async def current_version(conn: Driver) -> int:
    """Return the schema version stored in the database (0 for a new database)."""
    if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
        return 0
    version = await conn.fetchval("SELECT version FROM schema_version WHERE id = 1")
    return 0 if version is None else int(version)


async def apply_migrations(conn: Driver, *, up_to: int | None = None) -> int:
    """Bring the database up to `up_to` (default: latest), one transaction per migration.

    Each step holds an advisory lock and re-reads the version under it, so two processes
    starting together apply every migration once. Returns the version the database ends at.
    """
    for migration in to_apply(load_migrations(), await current_version(conn), up_to):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await _ensure_version_table(conn)
            if await current_version(conn) < migration.version:
                await conn.execute(migration.sql)
                await conn.execute(
                    "UPDATE schema_version SET version = $1 WHERE id = 1", migration.version
                )
    return await current_version(conn)
