"""What tests share: sample files, the places fixtures build, and acting as members do.

Fixtures (tests/conftest.py) return the dataclasses here; database helpers for both backends
are in tests/databases.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.backend.models import Overwrite
from simcord.enums import OverwriteType

from bot.app import BriefBot
from bot.cogs.autopost._cog import AutoPost
from bot.cogs.autopost._copies import CopyKeeper
from bot.cogs.autopost._delivery import AutoPoster
from bot.cogs.autopost._waking import TASK_NAME as WOKEN
from bot.cogs.briefs._form import FIELD_IDS
from storage.models import Brief, BriefContent
from storage.publishing import CLI, Announcement, Change

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
#: Copies of the product owner's sample briefs (../shared/examples), so a clone tests on its own.
EXAMPLES = FIXTURES / "examples"
#: Brief files made to test one rule each (valid and invalid).
BRIEFS = FIXTURES / "briefs"
#: How long a command or helper process may take before the test gives up on it (a hang).
PROCESS_TIMEOUT = 120

#: The `restart` fixture: the bot restarted in place, same settings and database.
Restart = Callable[[], Awaitable[BriefBot]]


def fixture(name: str) -> bytes:
    """Return one of the brief fixture files' bytes."""
    return (BRIEFS / name).read_bytes()


def example_bytes(name: str = "comet-weekend.txt") -> bytes:
    """Return one of the sample brief files as uploaded."""
    return (EXAMPLES / name).read_bytes()


# --- places -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Newsroom:
    """A server with a #news channel and one plain member, alice."""

    env: simcord.Env
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor


@dataclass(frozen=True)
class World:
    """A newsroom with a publisher (alice), a plain member (bob) and a server manager (carol)."""

    env: simcord.Env
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    carol: simcord.MemberActor


class Server:
    """One guild with a manager, a news channel and a system channel, for auto-posting."""

    def __init__(self, env: simcord.Env, name: str = "Harbour News") -> None:
        self.env = env
        self.guild = env.create_guild(name=name)
        self.news = self.guild.create_text_channel("news")
        self.lobby = self.guild.create_text_channel("lobby")
        env.backend.edit_guild(self.guild.id, {"system_channel_id": self.lobby.id})
        managers = self.guild.create_role(
            "Managers", permissions=discord.Permissions(manage_guild=True)
        )
        self.manager = self.guild.add_member(env.create_user(f"{name}-admin"), roles=[managers])

    async def subscribe(self, **options: object) -> str:
        """Choose #news for auto-posts, as the manager; return the bot's (private) answer."""
        result = await self.manager.slash(
            self.news, "autopost channel", channel=self.news, **options
        )
        assert result.ephemeral
        return str(result.response.content)

    async def status(self) -> str:
        """Return what `/autopost status` tells the manager."""
        result = await self.manager.slash(self.news, "autopost status")
        assert result.ephemeral
        return str(result.response.content)

    def posted_titles(self) -> list[str | None]:
        """The titles of the bot's brief posts in #news, oldest first."""
        return titles(self.env, self.news)


def deny_bot(env: simcord.Env, channel: Any, **permissions: bool) -> None:
    """Remove permissions from the bot in one channel, as a server admin would."""
    deny = discord.Permissions(**permissions)
    overwrite = Overwrite(
        target_id=env.bot.user.id, type=OverwriteType.MEMBER, allow=0, deny=deny.value
    )
    env.backend.set_overwrite(channel.id, overwrite)


# --- what the bot did ------------------------------------------------------------------------


def posts(env: simcord.Env, channel: Any) -> list[discord.Message]:
    """The bot's brief posts in a channel, oldest first."""
    bot_id = env.bot.user.id
    return [m for m in channel.history() if m.author.id == bot_id and m.embeds]


def titles(env: simcord.Env, channel: Any) -> list[str | None]:
    """The titles of the bot's brief posts in a channel, oldest first."""
    return [m.embeds[0].title for m in posts(env, channel)]


def last(result: Any) -> Any:
    """The message a (possibly deferred) interaction ended with."""
    return result.followups[-1] if result.followups else result.response


def buttons(message: Any) -> dict[str, str]:
    """Map each button's label to its custom_id."""
    return {
        c["label"]: c.get("custom_id", "")
        for row in message.components
        for c in row["components"]
        if c.get("type") == 2
    }


def autopost(bot: BriefBot) -> AutoPost:
    """The auto-post cog.

    Found by its name: discord.py imports a feature's modules afresh each time a bot loads it
    (closing a bot forgets them), so the class of a later bot's cog is not this module's.
    """
    cog = bot.get_cog("AutoPost")
    assert cog is not None
    return cog  # type: ignore[return-value]


def poster(bot: BriefBot) -> AutoPoster:
    """The auto-post cog's delivery."""
    return autopost(bot).poster


def copy_keeper(bot: BriefBot) -> CopyKeeper:
    """The auto-post cog's keeper of posted copies."""
    return autopost(bot).copies


# --- acting ----------------------------------------------------------------------------------


async def announce(
    env: simcord.Env, *briefs: Brief | int, change: Change = Change.PUBLISHED
) -> None:
    """Announce briefs stored by the repository as publishing does after its commit, and
    wait for what that starts.

    simcord does not wait for work started outside the bot, as the test's announcement is.
    """
    for brief in briefs:
        brief_id = brief if isinstance(brief, int) else brief.id
        await env.bot.storage.announcements.announce(Announcement(change, brief_id))
    await woken(env)


async def woken(env: simcord.Env) -> None:
    """Wait for the auto-post work announcements started, then let the bot settle."""
    started = [task for task in asyncio.all_tasks() if task.get_name() == WOKEN and not task.done()]
    await asyncio.gather(*started)
    await env.settle()


async def publish(env: simcord.Env, content: BriefContent) -> Brief:
    """Publish a brief the way every entry point does (as the command line), and wait for
    the auto-posting it wakes."""
    stored = await env.bot.storage.publisher.publish(content, by=CLI)
    await woken(env)
    return stored


async def click_crafted(env: simcord.Env, actor: Any, channel: Any, custom_id: str) -> Any:
    """Click a button carrying a custom_id the clicker chose, on a message they can see."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Crafted", custom_id=custom_id))
    message = await env.bot.get_channel(channel.id).send("crafted", view=view)
    view.stop()
    await env.settle()
    return await actor.click(message, custom_id=custom_id)


# --- the add/edit form -----------------------------------------------------------------------

SECTIONS = (
    "❓ WHAT HAPPENED: The harbour ferry will run every ten minutes from Monday.\n"
    "👤 WHO WAS INVOLVED: The city transport office and the ferry operators' union.\n"
    "🎯 IMPACT: Waiting times at rush hour should halve."
)


def form(**values: str) -> dict[str, str]:
    """Modal values keyed by the form's custom_ids (sections defaults to a valid summary)."""
    values.setdefault("sections", SECTIONS)
    return {FIELD_IDS[name]: value for name, value in values.items()}


async def preview_by_form(actor: Any, channel: Any, **values: str) -> Any:
    """Fill in `/brief add`'s form; return the preview it answers with."""
    shown = await actor.slash(channel, "brief add")
    assert shown.modal is not None
    return await actor.submit_modal(shown, form(**values))


async def publish_by_form(actor: Any, channel: Any, **values: str) -> Any:
    """Add a brief through the form and press Publish under its preview."""
    preview = await preview_by_form(actor, channel, **values)
    return await actor.click(preview.response.message, label="Publish")


# --- the command line ------------------------------------------------------------------------


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without token or database settings, this checkout first, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return clean


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdout: Any = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ...` to the end in a clean environment (no token, no .env) from `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=cli_env(env),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def start_cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """Start `python -m bot ...` without waiting for it."""
    return start_python("-m", "bot", *args, cwd=cwd)


def start_python(*args: str, cwd: Path = ROOT) -> subprocess.Popen[str]:
    """Start `python ...` (the CLI, or a helper beside the tests) in the clean environment."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


ARTICLE = "The new timetable was agreed on Friday.\n\nExtra boats come from the river line."


async def brief_count(env: simcord.Env) -> int:
    """How many live briefs the bot's library holds."""
    return int(await env.bot.storage.briefs.count())


async def open_edit(actor: Any, channel: Any, brief: str = "1") -> tuple[Any, dict[str, str]]:
    """Open the edit form; return it with its prefilled values."""
    shown = await actor.slash(channel, "brief edit", brief=brief)
    assert shown.modal is not None
    return shown, form_values(shown.modal)


def form_values(modal: Any) -> dict[str, str]:
    """The values a form opened with, by input custom_id."""
    return {
        c["custom_id"]: c.get("value") or ""
        for row in modal["components"]
        for c in row["components"]
    }


def edited(defaults: dict[str, str], old: str, new: str) -> dict[str, str]:
    """The edit form's values with one phrase of the sections changed."""
    values = {name: defaults[cid] for name, cid in FIELD_IDS.items() if cid in defaults}
    values["sections"] = values["sections"].replace(old, new)
    return form(**values)
