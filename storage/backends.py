"""Choose and open a storage backend from a database URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from storage.interface import Storage

SQLITE_SCHEME = "sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")


class DatabaseUrlError(ValueError):
    """A database URL names no backend we have, or no database."""


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


async def open_storage(url: str) -> Storage:
    """Open (creating and migrating as needed) the library the URL names."""
    if backend_of(url) == "sqlite":
        from storage.sqlite.storage import SqliteStorage

        return await SqliteStorage.open(sqlite_path(url), url=url)
    from storage.postgres.storage import PostgresStorage

    return await PostgresStorage.open(url)
