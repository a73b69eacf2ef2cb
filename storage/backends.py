"""Choose and open a storage backend from a database URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from storage.interface import Storage
from storage.migrations import MigrationError

SQLITE_SCHEME = "sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")


class DatabaseUrlError(ValueError):
    """A database URL names no backend we have, or no database."""


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be opened: unreachable, refused, or not a database; says which."""


class DatabaseMissingError(DatabaseUnavailableError):
    """The SQLite file does not exist, and the caller asked not to create it."""


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
    if backend_of(url) == "sqlite":
        from storage.sqlite.storage import SqliteStorage

        path = sqlite_path(url)
        if not create and _no_such_file(path):
            raise DatabaseMissingError(f"cannot open {redact(url)}: no such database file")
        try:
            return await SqliteStorage.open(path, url=url)
        except (OSError, sqlite3.Error, MigrationError) as exc:
            raise DatabaseUnavailableError(f"cannot open {redact(url)}: {exc}") from exc

    import asyncpg

    from storage.postgres.storage import PostgresStorage

    try:
        return await PostgresStorage.open(url)
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        MigrationError,
    ) as exc:
        reason = str(exc) or type(exc).__name__
        raise DatabaseUnavailableError(f"cannot open {redact(url)}: {reason}") from exc
