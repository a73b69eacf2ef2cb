"""Running a bot under simcord for a benchmark, and the trivial bot that sets the floor."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import discord
import simcord
from discord import app_commands
from discord.ext import commands
from simcord.env import Env

from bot.app import BriefBot, create_bot
from bot.config import Settings

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
    conn = sqlite3.connect(path)
    try:
        with conn, suppress(sqlite3.OperationalError):  # no bot_state table yet: nothing to forget
            conn.execute("DELETE FROM bot_state WHERE key LIKE 'command_hash:%'")
    finally:
        conn.close()


def briefbot(database: Path) -> BriefBot:
    """Build the real bot over `database`, with default settings and no `.env`."""
    forget_synced_commands(database)
    return create_bot(Settings(_env_file=None, database_path=database))


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


@asynccontextmanager
async def running(bot: commands.Bot, *, idle: float = SETTLE_IDLE_S) -> AsyncIterator[Env]:
    """Run `bot` under simcord, then close it (simcord detaches bots but does not close them)."""
    try:
        with _fine_settling(idle):
            async with simcord.run(bot, check_errors=False) as env:
                yield env
    finally:
        with suppress(Exception):
            await bot.close()
        db = getattr(bot, "db", None)
        if db is not None:
            await db.close()
