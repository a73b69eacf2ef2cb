"""Running a bot under simcord for a benchmark, and the trivial bot that sets the floor."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import discord
import simcord
from discord import app_commands
from discord.ext import commands
from simcord.env import Env

from bot.app import BriefBot, create_bot
from bot.config import Settings
from bot.ui.replies import is_expected_failure

FLOOR_EMBED = discord.Embed(title="Static", description="The same embed, every time.")
FLOOR_CHOICES = [app_commands.Choice(name=f"choice {n}", value=str(n)) for n in range(25)]


class FloorView(discord.ui.View):
    """A persistent button answering with a static ephemeral embed."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="More", custom_id="floor:more")
    async def more(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]) -> None:
        """Answer like the real More button does, minus the database and rendering."""
        await interaction.response.send_message(embed=FLOOR_EMBED, ephemeral=True)


class FloorBot(commands.Bot):
    """The least a discord.py bot can do per interaction: one slash command, a static embed.

    Its option autocompletes from a static list and its embed carries a static button, so
    autocomplete and clicks have a like-for-like floor too.
    """

    def __init__(self) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default())

    async def setup_hook(self) -> None:
        """Register the command and the persistent view, then sync."""

        @app_commands.command(name="ping", description="Answer with a static embed")
        async def ping(interaction: discord.Interaction[Any], choice: str = "") -> None:
            await interaction.response.send_message(embed=FLOOR_EMBED, view=FloorView())

        @ping.autocomplete("choice")
        async def _choices(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            return FLOOR_CHOICES

        self.tree.add_command(ping)
        self.add_view(FloorView())
        await self.tree.sync()


def quiet_logs() -> None:
    """Keep the bot's and discord.py's INFO logs out of the tables."""
    for name in ("discord", "bot", "storage"):
        logging.getLogger(name).setLevel(logging.ERROR)


def forget_synced_commands(path: Path) -> None:
    """Drop the stored command hash, so the bot syncs to simcord's fresh backend on start."""
    if not path.exists():
        return
    # `with conn` only commits, `closing` closes; no bot_state table yet: nothing to forget.
    with closing(sqlite3.connect(path)) as conn, conn, suppress(sqlite3.OperationalError):
        conn.execute("DELETE FROM bot_state WHERE key LIKE 'command_hash:%'")


def bench_settings(database: Path) -> Settings:
    """Return default settings over `database`, with one shard, whatever the environment says.

    Every field is given its default explicitly, so neither `.env` nor a variable such as
    DATABASE_URL or SHARD_IDS in the caller's environment can point a benchmark elsewhere.
    The bot is an `AutoShardedBot`: without a count it would ask Discord, and simcord refuses
    to guess (the tests run one shard too).
    """
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
    }
    return Settings(_env_file=None, **{**defaults, "database_path": database, "shard_count": 1})


def briefbot(database: Path) -> BriefBot:
    """Build the real bot over `database` with `bench_settings`."""
    forget_synced_commands(database)
    return create_bot(bench_settings(database))


#: How often simcord re-checks a loop that still has bot timers pending (its default is 50 ms).
SETTLE_IDLE_S = 0.001


@contextmanager
def _fine_settling(idle: float) -> Iterator[None]:
    """Make simcord poll every `idle` seconds while settling.

    simcord's actor calls settle with a fixed 50 ms poll; while a bot timer callback is pending
    (discord.py schedules some for autocomplete and component interactions) one poll is
    waited out, so those latencies read as ~50 ms whatever the bot does. This wraps simcord's
    private `Env._settle_internal` for the run only.
    """
    original = Env._settle_internal

    async def settle(self: Env, **kwargs: Any) -> None:
        kwargs.setdefault("idle", idle)
        await original(self, **kwargs)

    Env._settle_internal = settle  # type: ignore[method-assign]
    try:
        yield
    finally:
        Env._settle_internal = original  # type: ignore[method-assign]


class BotFailed(Exception):
    """The bot raised errors while a benchmark drove it, so its timings mean nothing."""


@asynccontextmanager
async def running(bot: discord.Client, *, idle: float = SETTLE_IDLE_S) -> AsyncIterator[Env]:
    """Run `bot` under simcord, then close it (simcord detaches bots but does not close them).

    Errors the bot raised, other than the refusals it words for users, fail the benchmark.
    """
    try:
        with _fine_settling(idle):
            async with simcord.run(bot, check_errors=False) as env:
                yield env
    finally:
        await bot.close()  # BriefBot.close also closes its database
    unexpected = [error for error in env.errors if not is_expected_failure(error)]
    if unexpected:
        first = unexpected[0]
        raise BotFailed(
            f"the bot raised {len(unexpected)} unexpected error(s), first "
            f"{type(first).__name__}: {first}"
        ) from first
