"""`python -m bot source add|list|review|remove` and `token create|list|revoke`: who may push
briefs through the API, and whether an editor approves them first, over storage's Sources and
Tokens repositories.

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


async def source_add(
    settings: Settings, name: str, *, label: str | None, signed: bool, review: bool = False
) -> int:
    """Add a source; with `signed`, print its webhook secret alone on stdout, once; with
    `review`, its new briefs wait as drafts for an editor's approval."""
    try:
        check_name(name)
    except SourceNameError as exc:
        return _fail(str(exc), EXIT_USAGE)

    async def work(db: Storage) -> int:
        try:
            source = await db.sources.add(name, label=label)
        except SourceExistsError as exc:
            return _fail(str(exc))
        if review:
            await db.sources.set_review(name, True)
        waits = ": its new briefs wait for an editor's approval" if review else ""
        print(f"added source {source.name}{waits}", file=sys.stderr)
        if signed:
            secret = await db.sources.set_webhook_secret(name)
            with writing():
                print(secret)
            print("its webhook secret is shown this once; keep it", file=sys.stderr)
        return EXIT_OK

    return await _with_library(settings, work, create=True)


async def source_list(settings: Settings) -> int:
    """Print every source, one a line: name, label, signed, review (its new briefs wait for
    an editor)."""

    async def work(db: Storage) -> int:
        with writing():
            for source in await db.sources.list():
                signed = "signed" if source.signed else "-"
                review = "review" if source.requires_review else "-"
                print("\t".join([source.name, source.label or "-", signed, review]))
        return EXIT_OK

    return await _with_library(settings, work)


async def source_review(settings: Settings, name: str, required: bool) -> int:
    """Have a source's new briefs wait for an editor's approval, or publish at once again
    (drafts already waiting stay drafts); say in one line what changed."""

    async def work(db: Storage) -> int:
        before = await db.sources.get(name)
        try:
            await db.sources.set_review(name, required)
        except UnknownSourceError as exc:
            return _fail(str(exc))
        if before is not None and before.requires_review == required:
            said = f"already {'requires' if required else 'does not require'} review; unchanged"
        elif required:
            said = "now requires review: its new briefs wait for an editor's approval"
        else:
            said = (
                "no longer requires review: its new briefs publish at once"
                " (drafts already waiting still wait)"
            )
        print(f"source {name} {said}", file=sys.stderr)
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
    """Run `source add|list|review|remove` as parsed."""
    if args.action == "add":
        return await source_add(
            settings, args.name, label=args.label, signed=args.signed, review=args.review
        )
    if args.action == "review":
        return await source_review(settings, args.name, args.state == "on")
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
