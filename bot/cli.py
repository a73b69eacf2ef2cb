"""`python -m bot`: run the bot, preview, import and export briefs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from storage.backends import sqlite_url

if TYPE_CHECKING:
    from storage.interface import Storage

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DB_HELP = "database URL or SQLite file (default: DATABASE_URL, else DATABASE_PATH)"

NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal, copy its token, "
    "and put DISCORD_TOKEN=... in a .env file here (see .env.example) or export it."
)


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="start the bot (the default)")
    preview = sub.add_parser("preview", help="show what the bot would post for a brief file")
    preview.add_argument("file", type=Path)
    preview.add_argument("--json", action="store_true", help="print Discord payloads as JSON")
    imp = sub.add_parser("import", help="store brief files (.txt, .md, .json) or folders of them")
    imp.add_argument("paths", nargs="+", type=Path)
    exp = sub.add_parser("export", help="print every brief as a JSON list")
    chk = sub.add_parser("check", help="validate settings, database and commands, offline")
    for command in (imp, exp, chk):
        command.add_argument("--db", metavar="URL_OR_FILE", help=DB_HELP)
    mig = sub.add_parser(
        "migrate-db", help="copy the whole library into another (empty) database, e.g. PostgreSQL"
    )
    mig.add_argument(
        "--from",
        dest="source",
        metavar="URL_OR_FILE",
        help="database to copy (default: the configured one)",
    )
    mig.add_argument(
        "--to", dest="target", metavar="URL_OR_FILE", required=True, help="empty database to fill"
    )
    return parser


def database_arg(value: str) -> str:
    """Read a --db/--from/--to value: a database URL, or a SQLite file path."""
    return value if "://" in value else sqlite_url(Path(value))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level)
    command = args.command or "run"
    if command == "run":
        return run_bot(settings)
    if command == "preview":
        return asyncio.run(preview(settings, args.file, as_json=args.json))
    if getattr(args, "db", None):
        settings = settings.model_copy(update={"database_url": database_arg(args.db)})
    if command == "migrate-db":
        source = database_arg(args.source) if args.source else settings.database
        return asyncio.run(migrate_db(source, database_arg(args.target)))
    if command == "import":
        return asyncio.run(import_(settings, args.paths))
    if command == "check":
        return asyncio.run(check(settings))
    return asyncio.run(export(settings))


def run_bot(settings: Settings) -> int:
    """Start the bot until SIGINT/SIGTERM, then close it (and the database) cleanly."""
    token = settings.token
    if token is None:
        print(f"error: {NO_TOKEN}", file=sys.stderr)
        return EXIT_USAGE
    from bot.app import create_bot

    async def runner() -> None:
        bot = create_bot(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            await bot.start(token)

    from storage.backends import DatabaseUnavailableError

    try:
        asyncio.run(runner())
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # login failures and the like: one clear line, not a traceback
        import discord

        if isinstance(exc, discord.LoginFailure):
            print(
                "error: Discord rejected DISCORD_TOKEN; copy it again from the portal.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        raise
    return EXIT_OK


async def preview(settings: Settings, path: Path, *, as_json: bool) -> int:
    """Print what the bot would post for each brief in a file."""
    from bot.importer import read_file
    from bot.parsing import BriefParseError
    from bot.preview import preview_payload

    try:
        briefs = read_file(
            path,
            strip_patterns=settings.brief_strip_patterns,
            max_chars=settings.brief_max_chars,
            max_bytes=settings.upload_max_bytes,
        )
    except BriefParseError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    payloads = [preview_payload(brief) for brief in briefs]
    if as_json:
        print(
            json.dumps(
                payloads[0] if len(payloads) == 1 else payloads, ensure_ascii=False, indent=2
            )
        )
    else:
        from bot.console import print_previews

        print_previews(payloads)
    return EXIT_OK


async def import_(settings: Settings, paths: Sequence[Path]) -> int:
    """Store brief files; report each failed file; exit 1 if any failed."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress

    from bot.importer import collect_files, import_files

    err = Console(stderr=True, soft_wrap=True)
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        err.print(f"[red]error[/]: {escape(str(path))}: no such file or folder", highlight=False)
    files = list(collect_files(p for p in paths if p.exists()))
    db = await open_database(settings.database)
    if db is None:
        return EXIT_FAILED
    try:
        with Progress(console=err, transient=True, disable=len(files) < 50) as progress:
            task = progress.add_task("Importing", total=len(files))
            report = await import_files(
                db.briefs,
                files,
                strip_patterns=settings.brief_strip_patterns,
                max_chars=settings.brief_max_chars,
                on_file=lambda: progress.advance(task),
            )
    finally:
        await db.close()
    for path, reason in report.failures:
        err.print(f"[red]skipped[/] {escape(str(path))}: {escape(reason)}", highlight=False)
    err.print(
        f"Imported {report.stored} brief(s) from {report.files_ok} file(s); "
        f"{len(report.failures) + len(missing)} file(s) failed.",
        highlight=False,
    )
    return EXIT_FAILED if report.failures or missing else EXIT_OK


async def export(settings: Settings) -> int:
    """Stream every brief to stdout as one JSON list, importable again unchanged."""
    db = await open_database(settings.database)
    if db is None:
        return EXIT_FAILED
    try:
        out = sys.stdout
        out.write("[")
        first = True
        async for brief in db.briefs.iter_all():
            out.write("\n  " if first else ",\n  ")
            out.write(json.dumps(brief.model_dump(mode="json"), ensure_ascii=False))
            first = False
        out.write("\n]\n" if not first else "]\n")
    finally:
        await db.close()
    return EXIT_OK


async def open_database(url: str) -> Storage | None:
    """Open the database, or print one line saying why it cannot be opened."""
    from storage.backends import DatabaseUnavailableError, open_storage

    try:
        return await open_storage(url)
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


async def migrate_db(source_url: str, target_url: str) -> int:
    """Copy every table into an empty database and verify the counts match."""
    from storage.backends import redact
    from storage.transfer import TransferError, copy_library

    source = await open_database(source_url)
    if source is None:
        return EXIT_FAILED
    try:
        target = await open_database(target_url)
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
    for table, count in counts.items():
        print(f"{table:<15}{count:>10}")
    print(f"Copied {redact(source_url)} to {redact(target_url)}; row counts verified.")
    return EXIT_OK


async def check(settings: Settings) -> int:
    """Print one line per check; exit 1 if any failed."""
    from bot.check import run_checks

    findings = await run_checks(settings)
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.what}")
    return EXIT_OK if all(f.ok for f in findings) else EXIT_FAILED
