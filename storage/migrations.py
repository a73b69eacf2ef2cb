"""Numbered SQL migration files, as each backend packages them (`NNNN_name.sql`, 1..n)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources

from storage.errors import MigrationError, NotALibraryError

_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
#: Tables every library has, both created by its first migration: the runner's and the briefs.
LIBRARY_TABLES = frozenset({"schema_version", "briefs"})
#: Most of a foreign database's table names a refusal lists.
SHOWN_TABLES = 5


@dataclass(frozen=True)
class Migration:
    """One `NNNN_name.sql` file: its version number, name and SQL text."""

    version: int
    name: str
    sql: str


def load_migrations(package: str) -> list[Migration]:
    """Return `package`'s migrations in version order, checking they are numbered 1..n."""
    folder = resources.files(package) / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise MigrationError(f"migrations must be numbered 1..n without gaps: {found!r}")
    return found


def to_apply(migrations: list[Migration], version: int, up_to: int | None) -> list[Migration]:
    """Return the migrations taking a database at `version` to `up_to` (default: latest).

    Raises MigrationError for a target that does not exist or a database newer than the code.
    """
    target = len(migrations) if up_to is None else up_to
    if not 0 <= target <= len(migrations):
        raise MigrationError(f"no migration {target}; latest is {len(migrations)}")
    if version > len(migrations):
        raise MigrationError(
            f"database schema version {version} is newer than this code ({len(migrations)})"
        )
    return migrations[version:target]


def check_library(tables: Collection[str]) -> None:
    """Refuse a database that holds tables but is not a library, before anything is written.

    Empty (a new file or schema) or a library (its first migration applied) may be migrated;
    anything else belongs to another program, whose data a migration would change.
    """
    if not tables or LIBRARY_TABLES.issubset(tables):
        return
    names = sorted(tables)
    shown = ", ".join(names[:SHOWN_TABLES])
    more = f" and {len(names) - SHOWN_TABLES} more" if len(names) > SHOWN_TABLES else ""
    raise NotALibraryError(
        f"not a briefbot library (it holds other tables: {shown}{more}); nothing was changed"
    )
