"""`python -m bot demo`: the real bot in a simulated Discord server, shown in a local web page.

simcord, the simulated Discord the tests use, runs the bot that `create_bot` builds, and its
preview serves a page on 127.0.0.1 where the visitor runs slash commands, clicks buttons and
fills in forms: every answer comes from the bot's own callbacks. Nothing contacts Discord, and
no token is needed. simcord is imported only when the demo runs (the `demo` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
import tempfile
import webbrowser
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from bot.api import ApiServer, create_api, serving
from bot.app import BriefBot, create_bot
from bot.cli.demo_feed import sample_feed
from bot.cli.demo_roles import role_command
from bot.cli.output import EXIT_FAILED, EXIT_OK, writing
from bot.config import Settings
from bot.feeds import fetcher_for
from storage.backends import sqlite_url
from storage.errors import DatabaseUnavailableError, NotALibraryError
from storage.migrations import check_library
from storage.sqlite.migrations import TABLE_NAMES

if TYPE_CHECKING:
    import simcord
    from simcord import _clock as simcord_clock

NEEDS_PREVIEW = "the demo needs simcord's preview: pip install -e '.[demo]'"
#: What the preview page needs besides simcord itself (simcord's `preview` extra).
PREVIEW_MODULES = ("simcord", "aiohttp", "markdown_it", "linkify_it", "regex", "PIL")

#: The sample library: every brief file here, published in name order (the last is newest).
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BRIEF_SUFFIXES = (".txt", ".md", ".json")

#: The demo's server. Its id is fixed, so with `--db FILE --write` the demo's own rows (and its
#: command-sync hash, with DEV_GUILD_ID set to it) are the same ones at every run.
DEMO_GUILD_ID = (1 << 22) | 1
#: The column that names a server in the library's tables (subscriptions, post log, ...).
SERVER_COLUMN = "guild_id"

GUILD_NAME = "Newsroom"
CHANNEL_TOPIC = "New briefs are posted here automatically. Try /brief latest, search or list."


#: A brief file as uploaded: its name and bytes.
BriefFile = tuple[str, bytes]
#: The database the demo opens, and the brief files to publish in it first.
Library = tuple[Path, list[BriefFile]]


class DemoError(Exception):
    """The demo could not be set up; the message says why, in one line."""


def available() -> bool:
    """Say whether simcord and its preview's packages are installed."""
    return all(find_spec(module) is not None for module in PREVIEW_MODULES)


@dataclass(frozen=True)
class DemoServer:
    """The simulated server: #news subscribed to auto-posts, a news desk, and the visitor.

    The news desk and the visitor hold the Editors role (Manage Server) and are publishers, so
    the visitor can try every command: lookups, `/brief add` and its preview, and `/autopost`.
    `/demo-role` lets the visitor act as a contributor, who writes briefs for review, and as
    an editor again; `contributor` is one too. Drafts' review cards come to #news (the demo
    has one channel, and only staff in it), where an editor approves them.
    """

    env: simcord.Env
    guild: simcord.GuildHandle
    news: simcord.ChannelHandle
    newsdesk: simcord.MemberActor
    visitor: simcord.MemberActor
    contributor: simcord.MemberActor

    @property
    def bot(self) -> BriefBot:
        """Return the bot the server runs."""
        bot = self.env.bot
        assert isinstance(bot, BriefBot)
        return bot


def demo_settings(settings: Settings, database: Path) -> Settings:
    """Return the settings with the demo's database, shard and server in place of the real ones.

    Everything else (limits, strip patterns, auto-post options, logging) stays as configured.
    """
    return settings.model_copy(
        update={
            "database_url": sqlite_url(database),
            "shard_count": 1,  # one shard, all in this process (simcord needs the count)
            "shard_ids": None,
            "dev_guild_id": DEMO_GUILD_ID,
            "feeds_allow_private": True,  # the sample feed is served on loopback
        }
    )


def read_examples(folder: Path = EXAMPLES) -> list[BriefFile]:
    """Return the sample brief files, oldest first; raise DemoError when they are missing."""
    files = sorted(
        path for path in folder.glob("*") if path.suffix in BRIEF_SUFFIXES and path.is_file()
    )
    if not files:
        raise DemoError(
            f"no sample briefs in {folder}: run the demo from a clone (pip install -e '.[demo]'),"
            " or show your own library with --db FILE"
        )
    return [(path.name, path.read_bytes()) for path in files]


async def prepare_library(folder: Path, db: Path | None, *, write: bool) -> Library:
    """Return the database the demo opens, and the briefs to publish in it first.

    No `db`: a new library in `folder`, with the samples. `db`: a copy of it in `folder`, read
    with SQLite's backup from a read-only connection, without its servers' rows (the demo
    posts to its own #news only). `db` and `write`: `db` itself, which must hold no other
    server's rows: the demo's bot would do their deliveries too, and cannot reach them.
    """
    if db is None:
        return folder / "briefs.db", await asyncio.to_thread(read_examples)
    if not await asyncio.to_thread(db.is_file):
        raise DemoError(f"cannot open {sqlite_url(db)}: no such database file")
    try:
        await asyncio.to_thread(check_is_library, db)
        if write:
            if others := await asyncio.to_thread(other_servers, db):
                raise DemoError(
                    f"{db} holds the auto-posts of {len(others)} server(s) (e.g. {others[0]}),"
                    " which the demo would take over and cannot reach: leave out --write"
                    " to show a copy"
                )
            return db, []
        copy = folder / "briefs.db"
        await asyncio.to_thread(copy_library, db, copy)
    except sqlite3.Error as exc:
        raise DemoError(f"cannot read {sqlite_url(db)}: {exc}") from exc
    except NotALibraryError as exc:
        raise DemoError(f"cannot open {sqlite_url(db)}: {exc}") from exc
    return copy, []


@contextlib.asynccontextmanager
async def demo_server(
    settings: Settings, database: Path, *, examples: Sequence[BriefFile] = ()
) -> AsyncIterator[DemoServer]:
    """Run the bot on `database` in a simulated server, with `examples` published, if given.

    The simulated Discord tells the wall clock's time, as the library does, so "2 minutes
    ago" means it. On leaving, the simulation stops and the bot's database is closed.
    """
    import discord
    import simcord

    bot = create_bot(demo_settings(settings, database))
    bot.message_links = False  # its messages are on this page, not on discord.com
    env = simcord.Env(bot, check_errors=False)
    env.backend.bot_user.name = "briefbot"
    env.backend.clock = wall_clock()
    try:
        await env.start()
        # The simulated Discord is new at every run, so the commands are synced to it here too:
        # the bot syncs only when they changed since the hash it keeps in the database. They go
        # to the demo server (DEV_GUILD_ID), so the global originals, never synced, are left out
        # (the preview would show them as unsynced).
        bot.tree.add_command(role_command(bot), guild=discord.Object(DEMO_GUILD_ID))
        await bot.tree.sync(guild=discord.Object(DEMO_GUILD_ID))
        bot.tree.clear_commands(guild=None)
        with env.time_context():
            guild = env.create_guild(GUILD_NAME, id=DEMO_GUILD_ID)
            editors = guild.create_role(
                "Editors", permissions=discord.Permissions(manage_guild=True)
            )
            news = guild.create_text_channel("news", topic=CHANNEL_TOPIC)
            newsdesk = guild.add_member(
                env.create_user("newsdesk", global_name="News desk"), roles=[editors]
            )
            visitor = guild.add_member(
                env.create_user("visitor", global_name="You"), roles=[editors]
            )
            contributor = guild.add_member(
                env.create_user("contributor", global_name="A contributor")
            )
            bot.settings.admin_user_ids = [*bot.settings.admin_user_ids, newsdesk.id, visitor.id]
            bot.settings.contributor_user_ids = [
                *bot.settings.contributor_user_ids,
                contributor.id,
            ]
            bot.settings.review_channel_id = news.id
            server = DemoServer(env, guild, news, newsdesk, visitor, contributor)
            await subscribe(server)
            for name, data in examples:
                await publish(server, name, data)
            yield server
    finally:
        try:
            await env.shutdown()
        finally:
            with contextlib.suppress(RuntimeError):  # a bot that never started has no storage
                await bot.storage.close()


def wall_clock() -> simcord_clock.Clock:
    """Return a clock for simcord's Discord that reads the wall clock.

    simcord's own starts at a fixed date and moves only when its timers fire, so it lags
    real time: message times and the bot's relative times ("in 5 minutes") would disagree
    with the library's. Its elapsed time, which runs the bot's timers, is left as it is.
    """
    from simcord import _clock as simcord_clock  # the one clock simcord's backend reads

    class WallClock(simcord_clock.Clock):
        def now(self) -> datetime:
            return datetime.now(UTC)

    return WallClock()


async def subscribe(server: DemoServer) -> None:
    """Choose #news for auto-posts, as the news desk does with `/autopost channel`."""
    cursor = server.env.error_cursor
    result = await server.newsdesk.slash(server.news, "autopost channel", channel=server.news)
    if server.env.errors_since(cursor):
        raise DemoError(f"/autopost channel failed: {_said(result)}")


async def unsubscribe(server: DemoServer) -> None:
    """Stop auto-posting to the demo server (`/autopost off`), leaving no subscription behind.

    A bot later sharing the library would otherwise try to deliver to a server it cannot see.
    """
    cursor = server.env.error_cursor
    try:
        result = await server.newsdesk.slash(server.news, "autopost off")
    except Exception as exc:  # the demo is ending: say so, and end anyway
        print(f"warning: cannot turn the demo's auto-posting off: {exc}", file=sys.stderr)
        return
    if server.env.errors_since(cursor):
        print(f"warning: /autopost off failed: {_said(result)}", file=sys.stderr)


async def publish(server: DemoServer, name: str, data: bytes) -> None:
    """Publish one brief file as a publisher does: `/brief add file:`, then Publish."""
    preview = await server.newsdesk.slash(server.news, "brief add", file=(name, data))
    if preview.response is None or not any(
        component.get("label") == "Publish"
        for row in preview.response.components
        for component in row.get("components", ())
    ):
        raise DemoError(f"{name}: {_said(preview)}")
    await server.newsdesk.click(preview.response, label="Publish")


def _said(result: simcord.InteractionResult) -> str:
    """Return what the bot answered, in one line, for an error message."""
    message = result.followups[-1] if result.followups else result.response
    text = str(getattr(message, "content", "") or "no answer")
    return " ".join(text.split())


def copy_library(source: Path, target: Path) -> None:
    """Copy a SQLite library, opened read-only, leaving out every server's rows but the demo's.

    The demo's bot sees only its own server: it would try, and fail, to deliver to the others.
    """
    with (
        contextlib.closing(sqlite3.connect(read_only(source), uri=True)) as reading,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        reading.backup(copy)
        with copy:
            for table in server_tables(copy):
                copy.execute(f'DELETE FROM "{table}" WHERE {SERVER_COLUMN} != ?', (DEMO_GUILD_ID,))


def check_is_library(path: Path) -> None:
    """Refuse another program's SQLite file, read-only, before it is copied or changed."""
    with contextlib.closing(sqlite3.connect(read_only(path), uri=True)) as reading:
        check_library([row[0] for row in reading.execute(TABLE_NAMES)])


def other_servers(path: Path) -> list[int]:
    """Return the servers, other than the demo's, that a library holds rows for."""
    found: set[int] = set()
    with contextlib.closing(sqlite3.connect(read_only(path), uri=True)) as reading:
        for table in server_tables(reading):
            rows = reading.execute(f'SELECT DISTINCT {SERVER_COLUMN} FROM "{table}"')
            found.update(row[0] for row in rows)
    return sorted(found - {DEMO_GUILD_ID})


def server_tables(db: sqlite3.Connection) -> list[str]:
    """Return the library's tables that name a server: subscriptions, post log, and the like."""
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        table
        for table in tables
        if any(column[1] == SERVER_COLUMN for column in db.execute(f'PRAGMA table_info("{table}")'))
    ]


def read_only(path: Path) -> str:
    """Return the SQLite URI that opens `path` for reading only."""
    return f"{path.resolve().as_uri()}?mode=ro"


def graphical_session() -> bool:
    """Say whether a browser window can be opened here (not over SSH, in CI or a container)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def serve(
    server: DemoServer,
    *,
    port: int,
    open_browser: bool,
    push: str | None = None,
    feed: str | None = None,
) -> None:
    """Serve the visitor's page on 127.0.0.1 until Ctrl+C, or until the page ends the session;
    `push` is the command that pushes a brief through the API and `feed` the sample feed's
    page, said after the address."""
    import simcord

    async with contextlib.AsyncExitStack() as stack:
        preview = server.env.preview(
            server.news, viewers=[server.visitor], layout="channel", port=port
        )
        try:
            page = await stack.enter_async_context(preview)
        except simcord.SetupError as exc:  # the port is taken, or not ours to use
            cause = exc.__cause__
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else exc
            raise DemoError(f"cannot listen on 127.0.0.1:{port}: {reason}") from exc
        await page.refresh()
        with writing():
            print(f"briefbot demo: {page.url}", flush=True)
            print(
                "The real bot in a simulated Discord server, on this computer only. "
                "Open the address above; Ctrl+C stops the demo.",
                flush=True,
            )
            print(
                "Review: /demo-role as:contributor, then /brief add a brief and submit it;"
                " /demo-role as:editor, then approve its card in #news.",
                flush=True,
            )
            if push is not None:
                print(f"Push a brief through the HTTP API, from this folder: {push}", flush=True)
            if feed is not None:
                print(f"Publish and edit items of a sample RSS feed: {feed}", flush=True)
        if open_browser:
            await asyncio.to_thread(webbrowser.open, page.url)
        await page.wait_closed()


#: The demo's source of pushed briefs, made with a token for the visitor's `curl`.
DEMO_SOURCE = "demo"


@contextlib.asynccontextmanager
async def demo_api(server: DemoServer, *, port: int = 0) -> AsyncIterator[tuple[ApiServer, str]]:
    """Serve the HTTP API beside the demo's bot, with a source and a token to push with; yield
    the server and the token."""
    storage = server.bot.storage
    if await storage.sources.get(DEMO_SOURCE) is None:
        await storage.sources.add(DEMO_SOURCE, label="the demo's CMS")
    _, token = await storage.tokens.create(DEMO_SOURCE, "curl")
    app = create_api(storage, server.bot.settings, bot=server.bot)
    try:
        async with serving(app, "127.0.0.1", port) as api:
            yield api, token
    except OSError as exc:
        raise DemoError(f"cannot serve the API on 127.0.0.1:{port}: {exc.strerror or exc}") from exc


@contextlib.asynccontextmanager
async def demo_feed(server: DemoServer) -> AsyncIterator[str]:
    """Serve the sample feed beside the demo's bot and add it; yield its page's address."""
    settings = server.bot.settings
    async with (
        fetcher_for(settings) as fetcher,
        sample_feed(server.bot.storage, fetcher, settings.brief_max_chars) as page,
    ):
        yield page


def push_command(api: ApiServer, token: str) -> str:
    """The `curl` that pushes the format's sample to the demo, as the README shows it."""
    return (
        f"curl -X PUT {api.url}/v1/sources/{DEMO_SOURCE}/briefs/comet"
        f" -H 'Authorization: Bearer {token}' -H 'Content-Type: text/plain'"
        " --data-binary @docs/examples/07-comet-weekend.txt"
    )


async def demo(
    settings: Settings, *, db: Path | None, write: bool, port: int, open_browser: bool
) -> int:
    """`python -m bot demo`: the sample library (or the one in `db`), served until stopped."""
    if settings.log_level != "DEBUG":
        # discord.py's warnings here are about simcord's simulated connection (intents, voice).
        logging.getLogger("discord").setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="briefbot-demo-") as folder:
            database, examples = await prepare_library(Path(folder), db, write=write)
            async with (
                demo_server(settings, database, examples=examples) as server,
                contextlib.AsyncExitStack() as stack,
            ):
                push = feed = None
                if not write:  # a token and a feed are made for the visitor: not in a real library
                    api, token = await stack.enter_async_context(demo_api(server))
                    push = push_command(api, token)
                    feed = await stack.enter_async_context(demo_feed(server))
                try:
                    await serve(server, port=port, open_browser=open_browser, push=push, feed=feed)
                finally:
                    if write:
                        await unsubscribe(server)
    except (DemoError, DatabaseUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
