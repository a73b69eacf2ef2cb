"""`python -m bot`: run the bot, preview, import and export briefs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from storage.backends import backend_of, redact, sqlite_path, sqlite_url

if TYPE_CHECKING:
    from rich.console import Console

    from bot.brief.files import ImportReport
    from storage.library import Storage

log = logging.getLogger(__name__)

#: Exit codes (README "Command line"): done; failed; bad usage or settings; stopped by Ctrl+C
#: (128 + SIGINT) or SIGTERM (128 + SIGTERM); stdout closed early, as `export | head` does
#: (128 + SIGPIPE, what a shell reports for a process the closed pipe killed).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_PIPE = 130, 143, 141
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Seconds the bot gets to close (Discord, then the database) once told to stop.
CLOSE_TIMEOUT = 1.0
#: Seconds left over tasks and worker threads get to finish after the command has ended.
LEFTOVER_TIMEOUT = 0.3

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
    imp.add_argument(
        "--force", action="store_true", help="store briefs again even if already present"
    )
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
        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        configure_logging(settings.log_level)
        code = dispatch(args, settings)
        with writing():
            sys.stdout.flush()
    except KeyboardInterrupt:  # before or after a command's event loop ran
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OutputError as exc:
        detach_stdout()
        if isinstance(exc.cause, BrokenPipeError):
            return EXIT_PIPE
        print(f"error: cannot write: {exc.cause.strerror or exc.cause}", file=sys.stderr)
        return EXIT_FAILED
    return code


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen command."""
    command = args.command or "run"
    if command == "run":
        return run_bot(settings)
    if command == "preview":
        return run_command(lambda: preview(settings, args.file, as_json=args.json))
    if getattr(args, "db", None):
        settings = settings.model_copy(update={"database_url": database_arg(args.db)})
    if command == "migrate-db":
        source = database_arg(args.source) if args.source else settings.database
        return run_command(lambda: migrate_db(source, database_arg(args.target)))
    if command == "import":
        return run_command(lambda: import_(settings, args.paths, force=args.force))
    if command == "check":
        return run_command(lambda: check(settings))
    return run_command(lambda: export(settings))


# --- running a command -----------------------------------------------------------------------


class OutputError(Exception):
    """Writing to stdout failed: the reader went away (a closed pipe) or the disk is full."""

    def __init__(self, cause: OSError) -> None:
        self.cause = cause
        super().__init__(str(cause))


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Mark writes to stdout, so their failure is told apart from the database's."""
    try:
        yield
    except OSError as exc:
        raise OutputError(exc) from exc


def detach_stdout() -> None:
    """Point stdout at the null device, so what is left in its buffer goes nowhere, quietly.

    Otherwise Python flushes it again at exit and prints "Exception ignored ... BrokenPipeError".
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run_command(
    command: Callable[[], Coroutine[Any, Any, int]], *, stopped: int | None = None
) -> int:
    """Run a command's coroutine; Ctrl+C or SIGTERM cancels it instead of killing the process.

    Cancelling unwinds the command: a transaction in progress rolls back and the database
    closes. The command then exits 128 + the signal's number after printing "interrupted",
    or `stopped` for `run`, for which a signal is the normal way to end. Nothing left over
    may hold the process: tasks and threads still busy after LEFTOVER_TIMEOUT (a resolver
    stuck in the operating system) are abandoned.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    received: list[signal.Signals] = []
    task = loop.create_task(command())

    def stop(sig: signal.Signals) -> None:
        if received:
            return
        received.append(sig)
        if stopped is not None:
            log.info("stopping", extra={"signal": sig.name})
        task.cancel()

    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop, sig)
    try:
        code = loop.run_until_complete(task)
    except asyncio.CancelledError:
        if not received:
            raise
        if stopped is None:
            print("interrupted", file=sys.stderr)
        code = stopped if stopped is not None else 128 + received[0]
    finally:
        close_loop(loop)
    if received:
        leave_stuck_threads(code)
    return code


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the command left running, briefly wait for it, and close the loop.

    Unlike `asyncio.run`, this does not wait for the default executor's threads.
    """
    try:
        leftovers = asyncio.all_tasks(loop)
        for leftover in leftovers:
            leftover.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=LEFTOVER_TIMEOUT))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def leave_stuck_threads(code: int) -> None:
    """Exit now if worker threads are still busy, rather than wait for them at exit."""
    deadline = time.monotonic() + LEFTOVER_TIMEOUT
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("leaving a busy thread behind", extra={"thread_name": thread.name})
            logging.shutdown()
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os._exit(code)


# --- run -------------------------------------------------------------------------------------


def run_bot(settings: Settings) -> int:
    """Start the bot until SIGINT/SIGTERM, then close it (and the database) within 2 s."""
    token = settings.token
    if token is None:
        print(f"error: {NO_TOKEN}", file=sys.stderr)
        return EXIT_USAGE
    import aiohttp
    import discord

    from storage.errors import DatabaseUnavailableError

    url = settings.database
    if backend_of(url) == "sqlite" and not Path(sqlite_path(url)).exists():
        log.warning("no database file yet; it is created at login", extra={"url": url})
    try:
        return run_command(lambda: serve(settings, token), stopped=EXIT_OK)
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except discord.LoginFailure:
        print(
            "error: Discord rejected DISCORD_TOKEN; copy it again from the portal.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except (aiohttp.ClientError, OSError, TimeoutError, discord.GatewayNotFound) as exc:
        reason = one_line(str(exc) or type(exc).__name__)
        print(f"error: cannot reach Discord ({reason}); check the network", file=sys.stderr)
        return EXIT_FAILED
    except discord.HTTPException as exc:  # after discord.py's retries, e.g. an outage
        print(f"error: Discord refused ({one_line(str(exc))}); try again later", file=sys.stderr)
        return EXIT_FAILED
    except discord.DiscordException as exc:
        print(f"error: Discord: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED


async def serve(settings: Settings, token: str) -> int:
    """Log in, connect and serve until cancelled; then close the bot, bounded in time."""
    from bot.app import create_bot

    bot = create_bot(settings)
    try:
        await bot.start(token)
    finally:
        try:
            await asyncio.wait_for(bot.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("closing took too long; stopping anyway", extra={"timeout": CLOSE_TIMEOUT})
    return EXIT_OK


def one_line(text: str) -> str:
    """Join a message's lines, so an error stays on one line."""
    return " ".join(text.split())


# --- preview, import, export -----------------------------------------------------------------


async def preview(settings: Settings, path: Path, *, as_json: bool) -> int:
    """Print what the bot would post for each brief in a file."""
    from bot.brief.files import read_file
    from bot.brief.parsing import BriefParseError
    from bot.cli.preview import preview_payload

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
    with writing():
        if as_json:
            print(
                json.dumps(
                    payloads[0] if len(payloads) == 1 else payloads, ensure_ascii=False, indent=2
                )
            )
        else:
            from bot.cli.console import print_previews

            print_previews(payloads)
    return EXIT_OK


def storage_errors() -> tuple[type[BaseException], ...]:
    """What either database can raise in the middle of a command: full disk, lost server."""
    import sqlite3

    import asyncpg

    return (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


async def import_(settings: Settings, paths: Sequence[Path], *, force: bool = False) -> int:
    """Store brief files, skipping briefs already stored unless `force`; report failures.

    Exits 1 if any file failed. Interrupted, it reports what the batches committed so far
    stored (the one in progress rolls back) before the caller says "interrupted".
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress

    from bot.brief.files import ImportReport, collect_files, import_files

    err = Console(stderr=True, soft_wrap=True)
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        err.print(f"[red]error[/]: {escape(str(path))}: no such file or folder", highlight=False)
    files = list(collect_files(p for p in paths if p.exists()))
    report = ImportReport()
    if not files:  # nothing to store: no reason to create a database
        summarize(err, report, len(missing), force=force)
        return EXIT_FAILED if missing else EXIT_OK
    db = await open_database(settings.database, create=True)
    if db is None:
        return EXIT_FAILED
    try:
        quiet = len(files) < 50 or not err.is_terminal  # a bar, only where someone watches
        with Progress(console=err, transient=True, disable=quiet) as progress:
            task = progress.add_task("Importing", total=len(files))
            await import_files(
                db.briefs,
                files,
                strip_patterns=settings.brief_strip_patterns,
                max_chars=settings.brief_max_chars,
                skip_present=not force,
                on_file=lambda: progress.advance(task),
                report=report,
            )
    except asyncio.CancelledError:
        summarize(err, report, len(missing), force=force)
        raise
    except storage_errors() as exc:
        summarize(err, report, len(missing), force=force)
        print(f"error: cannot store briefs: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await db.close()
    summarize(err, report, len(missing), force=force)
    return EXIT_FAILED if report.failures or missing else EXIT_OK


def summarize(err: Console, report: ImportReport, missing: int, *, force: bool) -> None:
    """Print each failed file as `path: reason`, then one line of totals."""
    from rich.markup import escape

    for path, why in report.failures:
        err.print(f"[red]skipped[/] {escape(str(path))}: {escape(why)}", highlight=False)
    present = "" if force else f"{report.present} already present; "
    err.print(
        f"Imported {report.stored} brief(s) from {report.files_ok} file(s); "
        f"{present}{len(report.failures) + missing} file(s) failed.",
        highlight=False,
    )


async def export(settings: Settings) -> int:
    """Stream every brief to stdout as one JSON list, importable again unchanged."""
    db = await open_database(settings.database)
    if db is None:
        return EXIT_FAILED
    out = sys.stdout
    try:
        with writing():
            out.write("[")
        first = True
        async for brief in db.briefs.iter_all():
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


# --- databases -------------------------------------------------------------------------------


async def open_database(url: str, *, create: bool = False) -> Storage | None:
    """Open an existing database, or print one line saying why it cannot be opened.

    With `create`, a SQLite file that does not exist is created (with its folder), and
    stderr says so.
    """
    from storage.backends import open_storage
    from storage.errors import DatabaseMissingError, DatabaseUnavailableError

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


async def migrate_db(source_url: str, target_url: str) -> int:
    """Copy every table into an empty database and verify the counts match."""
    from storage.errors import TransferError
    from storage.transfer import copy_library

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


async def check(settings: Settings) -> int:
    """Print one line per check; exit 1 if any failed."""
    from bot.cli.check import run_checks

    findings = await run_checks(settings)
    with writing():
        for finding in findings:
            print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.what}")
    return EXIT_OK if all(f.ok for f in findings) else EXIT_FAILED
