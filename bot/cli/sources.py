"""`python -m bot source add|list|remove` and `token create|list|revoke`: who may push
briefs through the API, over storage's Sources and Tokens repositories.

A token's secret goes to stdout alone, once (so `token create ... > file` keeps just it);
everything said about it goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.cli.database import open_database, storage_errors
from bot.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, one_line, writing
from bot.config import Settings
from storage.errors import SourceExistsError, SourceNameError, UnknownSourceError
from storage.library import Storage
from storage.sources import check_name

#: One command's work on the open library; returns the exit code.
Work = Callable[[Storage], Awaitable[int]]


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"error: {one_line(message)}", file=sys.stderr)
    return code


def _when(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


async def _with_library(settings: Settings, work: Work, *, create: bool = False) -> int:
    """Open the library (one line and exit 1 when it cannot be), run `work`, close it."""
    db = await open_database(settings.database, create=create)
    if db is None:
        return EXIT_FAILED
    try:
        return await work(db)
    except storage_errors() as exc:
        return _fail(f"the library failed: {exc}")
    finally:
        await db.close()


async def source_add(settings: Settings, name: str, *, label: str | None, signed: bool) -> int:
    """Add a source; with `signed`, print its webhook secret alone on stdout, once."""
    try:
        check_name(name)
    except SourceNameError as exc:
        return _fail(str(exc), EXIT_USAGE)

    async def work(db: Storage) -> int:
        try:
            source = await db.sources.add(name, label=label)
        except SourceExistsError as exc:
            return _fail(str(exc))
        print(f"added source {source.name}", file=sys.stderr)
        if signed:
            secret = await db.sources.set_webhook_secret(name)
            with writing():
                print(secret)
            print("its webhook secret is shown this once; keep it", file=sys.stderr)
        return EXIT_OK

    return await _with_library(settings, work, create=True)


async def source_list(settings: Settings) -> int:
    """Print every source, one a line: name, label, signed."""

    async def work(db: Storage) -> int:
        with writing():
            for source in await db.sources.list():
                signed = "signed" if source.signed else "-"
                print("\t".join([source.name, source.label or "-", signed]))
        return EXIT_OK

    return await _with_library(settings, work)


async def source_remove(settings: Settings, name: str) -> int:
    """Remove a source and its tokens (its briefs stay)."""

    async def work(db: Storage) -> int:
        if not await db.sources.remove(name):
            return _fail(f"no source is named {name!r}")
        print(f"removed source {name} and its tokens", file=sys.stderr)
        return EXIT_OK

    return await _with_library(settings, work)


async def token_create(settings: Settings, source: str, label: str | None) -> int:
    """Create a token for a source and print it alone on stdout: the only time it is shown."""

    async def work(db: Storage) -> int:
        try:
            token, secret = await db.tokens.create(source, label)
        except UnknownSourceError as exc:
            return _fail(f"{exc} (add it first: python -m bot source add {source})")
        with writing():
            print(secret)
        print(f"token {token.id} for {source}: shown this once; keep it", file=sys.stderr)
        return EXIT_OK

    return await _with_library(settings, work)


async def token_list(settings: Settings, source: str | None) -> int:
    """Print every token (never its secret), one a line: id, source, label, created, last
    used, revoked."""

    async def work(db: Storage) -> int:
        with writing():
            for token in await db.tokens.list(source):
                fields = [str(token.id), token.source, token.label or "-"]
                fields += [_when(token.created_at), _when(token.last_used_at)]
                fields.append("revoked " + _when(token.revoked_at) if token.revoked_at else "live")
                print("\t".join(fields))
        return EXIT_OK

    return await _with_library(settings, work)


async def token_revoke(settings: Settings, token_id: int) -> int:
    """Revoke a token: it is refused from its next request on."""

    async def work(db: Storage) -> int:
        if not await db.tokens.revoke(token_id):
            return _fail(f"no live token has the id {token_id}")
        print(f"revoked token {token_id}", file=sys.stderr)
        return EXIT_OK

    return await _with_library(settings, work)


async def source(settings: Settings, args: argparse.Namespace) -> int:
    """Run `source add|list|remove` as parsed."""
    if args.action == "add":
        return await source_add(settings, args.name, label=args.label, signed=args.signed)
    if args.action == "remove":
        return await source_remove(settings, args.name)
    return await source_list(settings)


async def token(settings: Settings, args: argparse.Namespace) -> int:
    """Run `token create|list|revoke` as parsed."""
    if args.action == "create":
        return await token_create(settings, args.source, args.label)
    if args.action == "revoke":
        return await token_revoke(settings, args.id)
    return await token_list(settings, args.source)
