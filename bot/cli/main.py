"""`python -m bot`: run the bot, preview, import and export briefs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.cli.arguments import DB_HELP, Command, add_feed_commands, add_source_commands
from bot.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_USAGE,
    OutputError,
    detach_stdout,
    one_line,
    writing,
)
from bot.config import ConfigError, Settings, load_settings, parse_listen
from bot.logs import configure_logging
from storage.backends import backend_of, sqlite_path, sqlite_url

log = logging.getLogger("bot.cli")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Seconds the bot gets to close (Discord, then the database) once told to stop.
CLOSE_TIMEOUT = 1.0
#: Seconds left over tasks and worker threads get to finish after the command has ended.
LEFTOVER_TIMEOUT = 0.3

#: Where `python -m bot api` listens on loopback when not told.
API_PORT = 8080


NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal, copy its token, "
    "and put DISCORD_TOKEN=... in a .env file here (see .env.example) or export it."
)


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.set_defaults(func=command_run)  # no command runs the bot, as `run` does
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="start the bot (the default)").set_defaults(func=command_run)
    preview = sub.add_parser("preview", help="show what the bot would post for a brief file")
    preview.set_defaults(func=command_preview)
    preview.add_argument("file", type=Path)
    preview.add_argument("--json", action="store_true", help="print Discord payloads as JSON")
    imp = sub.add_parser("import", help="store brief files (.txt, .md, .json) or folders of them")
    imp.set_defaults(func=command_import)
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument(
        "--force", action="store_true", help="store briefs again even if already present"
    )
    exp = add_export_command(sub)
    chk = sub.add_parser("check", help="validate settings, database and commands, offline")
    chk.set_defaults(func=command_check)
    for command in (imp, exp, chk):
        command.add_argument("--db", metavar="URL_OR_FILE", help=DB_HELP)
    mig = sub.add_parser(
        "migrate-db", help="copy the whole library into another (empty) database, e.g. PostgreSQL"
    )
    mig.set_defaults(func=command_migrate_db)
    mig.add_argument(
        "--from",
        dest="source",
        metavar="URL_OR_FILE",
        help="database to copy (default: the configured one)",
    )
    mig.add_argument(
        "--to", dest="target", metavar="URL_OR_FILE", required=True, help="empty database to fill"
    )
    add_source_commands(sub, source=command_source, token=command_token)
    add_feed_commands(sub, feeds=command_feeds)
    api = sub.add_parser("api", help="serve the HTTP API alone (no Discord), beside bots")
    api.set_defaults(func=command_api)
    add_api_arguments(api)
    demo = sub.add_parser(
        "demo", help="try the bot in a local web page: a simulated server, no Discord, no token"
    )
    demo.set_defaults(func=run_demo)
    demo.add_argument("--db", metavar="FILE", help="show this SQLite library (a copy) instead")
    demo.add_argument(
        "--write", action="store_true", help="with --db: change the library itself, not a copy"
    )
    demo.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)"
    )
    demo.add_argument("--no-browser", action="store_true", help="only print the page's address")
    return parser


def add_export_command(sub: Any) -> argparse.ArgumentParser:
    """Describe `export` and its options (its `--db` is added with the others')."""
    exp: argparse.ArgumentParser = sub.add_parser(
        "export", help="print every brief as a JSON list, retracted ones too (with why and when)"
    )
    exp.set_defaults(func=command_export)
    exp.add_argument(
        "--live-only",
        action="store_true",
        help="leave retracted briefs out (an import then cannot keep their numbers)",
    )
    exp.add_argument(
        "--scheduled",
        action="store_true",
        help="include briefs held until their release time (only publishers see them), which"
        " an import holds again",
    )
    return exp


def add_api_arguments(api: argparse.ArgumentParser) -> None:
    """Describe `api`'s options: where to listen, which database."""
    api.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=f"127.0.0.1:{API_PORT}",
        help=f"where to listen; a bare port is on 127.0.0.1 (default: 127.0.0.1:{API_PORT})",
    )
    api.add_argument("--db", metavar="URL_OR_FILE", help=DB_HELP)


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
    """Run the command the parser chose (its `func`); each imports its module only when it runs."""
    command: Command = args.func
    return command(args, settings)


def with_database(args: argparse.Namespace, settings: Settings) -> Settings:
    """Return the settings with the database a command's --db names, if it names one."""
    if not args.db:
        return settings
    return settings.model_copy(update={"database_url": database_arg(args.db)})


def command_run(args: argparse.Namespace, settings: Settings) -> int:
    """`run` (and no command at all): start the bot."""
    return run_bot(settings)


def command_preview(args: argparse.Namespace, settings: Settings) -> int:
    """`preview FILE`: show what the bot would post."""
    from bot.cli.preview import preview

    return run_command(lambda: preview(settings, args.file, as_json=args.json))


def command_import(args: argparse.Namespace, settings: Settings) -> int:
    """`import PATHS`: store brief files."""
    from bot.cli.importing import import_

    settings = with_database(args, settings)
    return run_command(lambda: import_(settings, args.paths, force=args.force))


def command_export(args: argparse.Namespace, settings: Settings) -> int:
    """`export`: print the library as JSON."""
    from bot.cli.database import export

    settings = with_database(args, settings)
    return run_command(lambda: export(settings, live_only=args.live_only, held=args.scheduled))


def command_check(args: argparse.Namespace, settings: Settings) -> int:
    """`check`: validate settings, database and commands."""
    from bot.cli.check import check

    settings = with_database(args, settings)
    return run_command(lambda: check(settings))


def command_api(args: argparse.Namespace, settings: Settings) -> int:
    """`api [--listen HOST:PORT]`: serve the HTTP API until Ctrl+C or SIGTERM."""
    from bot.cli.api import api

    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"error: --listen: {exc}", file=sys.stderr)
        return EXIT_USAGE
    settings = with_database(args, settings)
    return run_command(lambda: api(settings, host, port), stopped=EXIT_OK)


def command_source(args: argparse.Namespace, settings: Settings) -> int:
    """`source add|list|review|remove`: the sources that may push briefs."""
    from bot.cli.sources import source

    settings = with_database(args, settings)
    return run_command(lambda: source(settings, args))


def command_token(args: argparse.Namespace, settings: Settings) -> int:
    """`token create|list|revoke`: the API tokens of sources."""
    from bot.cli.sources import token

    settings = with_database(args, settings)
    return run_command(lambda: token(settings, args))


def command_feeds(args: argparse.Namespace, settings: Settings) -> int:
    """`feeds add|list|remove|resume|poll`: the feeds briefs are read from."""
    from bot.cli.feeds import feeds

    settings = with_database(args, settings)
    forever = args.action == "poll" and not args.once
    return run_command(lambda: feeds(settings, args), stopped=EXIT_OK if forever else None)


def command_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    """`migrate-db --to URL`: copy the library into another database."""
    from bot.cli.database import migrate_db

    source = database_arg(args.source) if args.source else settings.database
    return run_command(lambda: migrate_db(source, database_arg(args.target)))


# --- running a command -----------------------------------------------------------------------


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


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the demo until Ctrl+C (which ends it normally, as for `run`)."""
    from bot.cli import demo
    from storage.errors import DatabaseUrlError

    if not demo.available():
        print(f"error: {demo.NEEDS_PREVIEW}", file=sys.stderr)
        return EXIT_USAGE
    if args.write and args.db is None:
        print("error: --write needs --db FILE (the library to change)", file=sys.stderr)
        return EXIT_USAGE
    db = None
    if args.db is not None:
        url = database_arg(args.db)
        try:
            sqlite = backend_of(url) == "sqlite"
        except DatabaseUrlError as exc:
            print(f"error: --db: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not sqlite:
            print("error: --db takes a SQLite file (the demo copies it)", file=sys.stderr)
            return EXIT_USAGE
        db = Path(sqlite_path(url))
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port} is not a port (0-65535)", file=sys.stderr)
        return EXIT_USAGE
    open_browser = not args.no_browser and demo.graphical_session()
    return run_command(
        lambda: demo.demo(
            settings, db=db, write=args.write, port=args.port, open_browser=open_browser
        ),
        stopped=EXIT_OK,
    )


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
    from bot.cli.api import ApiListenError

    try:
        return run_command(lambda: serve(settings, token), stopped=EXIT_OK)
    except ApiListenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
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
    """Log in, connect and serve (the API too, if API_LISTEN says so) until cancelled; then
    close the bot, bounded in time."""
    from bot.app import create_bot
    from bot.cli.api import beside

    bot = create_bot(settings)
    try:
        await bot.login(token)  # bot.start's first half: storage opens, features load
        async with beside(bot, settings):
            await bot.connect()
    finally:
        try:
            await asyncio.wait_for(bot.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("closing took too long; stopping anyway", extra={"timeout": CLOSE_TIMEOUT})
    return EXIT_OK
