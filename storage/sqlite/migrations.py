"""SQLite migrations: applied in order, one transaction each, version kept in the database."""

from __future__ import annotations

import sqlite3

import aiosqlite

from storage.errors import MigrationError
from storage.migrations import Migration, check_library, to_apply
from storage.migrations import load_migrations as load_shared

#: The tables and views a SQLite database holds, SQLite's own left out.
TABLE_NAMES = (
    "SELECT name FROM sqlite_schema"
    " WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)


def load_migrations() -> list[Migration]:
    """Return the SQLite migrations in version order."""
    return load_shared("storage.sqlite")


def latest_version() -> int:
    """Return the version the packaged migrations bring a database to."""
    return len(load_migrations())


def split_statements(sql: str) -> list[str]:
    """Split a script into single statements, keeping trigger bodies whole."""
    statements: list[str] = []
    start = 0
    for index, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start : index + 1]):
            statement = sql[start : index + 1].strip()
            if _has_code(statement):
                statements.append(statement)
            start = index + 1
    if _has_code(sql[start:]):
        raise MigrationError(f"unterminated SQL statement: {sql[start:].strip()[:80]!r}")
    return statements


def _has_code(text: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in text.splitlines())
    return any(line and line != ";" for line in lines)


async def _ensure_version_table(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " version INTEGER NOT NULL)"
    )
    await conn.execute("INSERT OR IGNORE INTO schema_version (id, version) VALUES (1, 0)")


async def refuse_foreign(conn: aiosqlite.Connection) -> None:
    """Raise NotALibraryError for a file holding another program's tables; it reads only."""
    async with conn.execute(TABLE_NAMES) as cursor:
        check_library([row[0] for row in await cursor.fetchall()])


async def current_version(conn: aiosqlite.Connection) -> int:
    """Return the schema version stored in the database (0 for a new database)."""
    async with conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'"
    ) as cursor:
        if await cursor.fetchone() is None:
            return 0
    async with conn.execute("SELECT version FROM schema_version WHERE id = 1") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def apply_migrations(conn: aiosqlite.Connection, *, up_to: int | None = None) -> int:
    """Bring the database up to `up_to` (default: latest), one transaction per migration.

    `conn` must be in autocommit mode (`isolation_level=None`). Each step re-reads the
    version inside `BEGIN IMMEDIATE`, so two processes opening one file cannot both apply it.
    Returns the version the database ends at.
    """
    for migration in to_apply(load_migrations(), await current_version(conn), up_to):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await _ensure_version_table(conn)
            version = await current_version(conn)
            if version < migration.version:
                for statement in split_statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(
                    "UPDATE schema_version SET version = ? WHERE id = 1", (migration.version,)
                )
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
    return await current_version(conn)
