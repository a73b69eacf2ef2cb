"""Commands over a whole database (export, migrate-db), and opening one with a clear failure."""

from __future__ import annotations

import json
import sqlite3
import sys

import asyncpg

from bot.cli.output import EXIT_FAILED, EXIT_OK, one_line, writing
from bot.config import Settings
from storage.backends import open_storage, redact, sqlite_path
from storage.errors import DatabaseMissingError, DatabaseUnavailableError, TransferError
from storage.library import Storage
from storage.transfer import copy_library


async def open_database(url: str, *, create: bool = False) -> Storage | None:
    """Open an existing database, or print one line saying why it cannot be opened.

    With `create`, a SQLite file that does not exist is created (with its folder), and
    stderr says so.
    """
    try:
        return await open_storage(url, create=False)
    except DatabaseMissingError as exc:
        if not create:
            print(f"error: {exc}", file=sys.stderr)
            return None
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    try:
        db = await open_storage(url)
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    print(f"created database {sqlite_path(url)}", file=sys.stderr)
    return db


def storage_errors() -> tuple[type[BaseException], ...]:
    """What either database can raise in the middle of a command: full disk, lost server."""
    return (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


async def export(settings: Settings, *, live_only: bool = False, held: bool = False) -> int:
    """Stream every brief to stdout as one JSON list, importable again unchanged.

    Retracted briefs come too, with when and why (unless `live_only`), so an import keeps
    their numbers and what their posted copies say. Briefs held until their release time
    (and those withdrawn while held) come only with `held`: nobody but publishers sees them.
    """
    db = await open_database(settings.database)
    if db is None:
        return EXIT_FAILED
    out = sys.stdout
    try:
        with writing():
            out.write("[")
        first = True
        async for brief in db.briefs.iter_all(retracted=not live_only, held=held):
            line = json.dumps(brief.model_dump(mode="json"), ensure_ascii=False)
            with writing():
                out.write(("\n  " if first else ",\n  ") + line)
            first = False
        with writing():
            out.write("\n]\n" if not first else "]\n")
    except storage_errors() as exc:
        print(f"error: cannot read the database: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await db.close()
    return EXIT_OK


async def migrate_db(source_url: str, target_url: str) -> int:
    """Copy every table into an empty database and verify the counts match."""
    source = await open_database(source_url)
    if source is None:
        return EXIT_FAILED
    try:
        target = await open_database(target_url, create=True)
        if target is None:
            return EXIT_FAILED
        try:
            counts = await copy_library(source, target)
        except TransferError as exc:
            print(f"error: nothing copied: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except Exception as exc:  # the target refused a row: its transaction rolled back
            print(f"error: nothing copied: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            await target.close()
    finally:
        await source.close()
    with writing():
        for table, count in counts.items():
            print(f"{table:<15}{count:>10}")
        print(f"Copied {redact(source_url)} to {redact(target_url)}; row counts verified.")
    return EXIT_OK
