"""Choose and open a storage backend from a database URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from storage.base import Backend
from storage.errors import (
    DatabaseMissingError,
    DatabaseUnavailableError,
    DatabaseUrlError,
    MigrationError,
)
from storage.library import Storage

#: The bot_state key recording that briefs from before content hashes have theirs (how many).
CONTENT_KEYS_FILLED = "upgrade:content_keys_filled"
SQLITE_SCHEME = "sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def sqlite_url(path: Path | str) -> str:
    """Return the URL for a SQLite file (`sqlite:///relative` or `sqlite:////absolute`)."""
    return f"{SQLITE_SCHEME}:///{path}"


def backend_of(url: str) -> str:
    """Return "sqlite" or "postgresql" for a database URL; raise DatabaseUrlError otherwise."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == SQLITE_SCHEME:
        if not sqlite_path(url):
            raise DatabaseUrlError(f"{redact(url)} names no file; use sqlite:///path/to/file.db")
        return "sqlite"
    if scheme in POSTGRES_SCHEMES:
        return "postgresql"
    raise DatabaseUrlError(
        f"{redact(url)}: the database URL must start with sqlite:/// or postgresql://"
    )


def sqlite_path(url: str) -> str:
    """Return the file path of a `sqlite:///…` URL (everything after the third slash)."""
    return url.split(":", 1)[1].removeprefix("///") if url.startswith("sqlite:///") else ""


def redact(url: str) -> str:
    """Return the URL with any password replaced, safe for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _no_such_file(path: str) -> bool:
    """Say whether a SQLite database path names no file (`:memory:` needs none)."""
    return path != ":memory:" and not Path(path).exists()


async def open_storage(url: str, *, create: bool = True) -> Storage:
    """Open (creating and migrating as needed) the library the URL names.

    Raises DatabaseUnavailableError, naming the (password-free) URL and the reason, when the
    server or file cannot be reached or used, or its schema is newer than this code. With
    `create=False` a SQLite file that does not exist raises DatabaseMissingError, and nothing
    (not even its folder) is created; a PostgreSQL database is never created.
    """
    db = await _open_backend(url, create=create)
    storage = Storage(db)
    try:
        await _finish_upgrade(storage)
    except BaseException:
        await storage.close()
        raise
    return storage


async def _finish_upgrade(storage: Storage) -> None:
    """Run, once per library, the step its migrations could not: one that needs Python.

    Briefs stored before content hashes were kept (SQLite 0006, PostgreSQL 0002) get theirs;
    every later write keeps them, so once done it is recorded in bot_state and never scanned
    for again. An empty library is left empty (migrate-db fills only empty ones).
    """
    if await storage.state.get(CONTENT_KEYS_FILLED) is not None:
        return
    filled = await storage.briefs.fill_content_keys()
    async with storage.db.read() as conn:
        holds_briefs = await conn.fetchval("SELECT 1 FROM briefs LIMIT 1") is not None
    if holds_briefs:
        await storage.state.set(CONTENT_KEYS_FILLED, str(filled))


async def _open_backend(url: str, *, create: bool) -> Backend:
    """Connect to the database the URL names and bring its schema up to date."""
    if backend_of(url) == "sqlite":
        from storage.sqlite.backend import SqliteDatabase

        path = sqlite_path(url)
        if not create and _no_such_file(path):
            raise DatabaseMissingError(f"cannot open {redact(url)}: no such database file")
        try:
            return await SqliteDatabase.open(path, url=url)
        except (OSError, sqlite3.Error, MigrationError) as exc:
            raise DatabaseUnavailableError(f"cannot open {redact(url)}: {exc}") from exc

    import asyncpg

    from storage.postgres.backend import PostgresDatabase

    try:
        return await PostgresDatabase.open(url)
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        MigrationError,
    ) as exc:
        reason = str(exc) or type(exc).__name__
        raise DatabaseUnavailableError(f"cannot open {redact(url)}: {reason}") from exc
