"""Shared fixtures: the real bot, built by the public factory, on a SQLite file in tmp_path."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import simcord

from bot.app import BriefBot, create_bot
from bot.config import Settings
from bot.ui.replies import is_expected_failure
from tests.contract.check import check_requests, report
from tests.helpers import Newsroom, Restart


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: a fresh database file, no .env, nobody an admin yet.

    One shard: simcord needs a count for an AutoShardedBot (Discord would recommend one).

    The bot keeps this very object, so a test may add admin ids after creating its users.
    """
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=tmp_path / "briefs.db", shard_count=1
    )


@pytest.fixture
def bots() -> list[BriefBot]:
    """Every bot a test started (the first, and one per restart), to close them afterwards."""
    return []


@pytest_asyncio.fixture
async def simcord_bot(settings: Settings, bots: list[BriefBot]) -> AsyncIterator[BriefBot]:
    """The real bot for simcord's `simcord_env`; its database is closed after the test.

    simcord detaches the bot without closing it, and an open aiosqlite connection would keep
    its thread (and the test process) alive.
    """
    bot = create_bot(settings)
    bots.append(bot)
    yield bot
    for started in bots:
        with contextlib.suppress(RuntimeError):  # a bot that never started has no storage
            await started.storage.close()


@pytest_asyncio.fixture
async def simcord_env(simcord_env: simcord.Env) -> AsyncIterator[simcord.Env]:
    """simcord's environment, failing the test on any error except the refusals we word.

    Expected failures (not found, bad input, no permission) are exceptions the bot turns into
    ephemeral replies; simcord sees them pass through the command tree's error handler. A test
    asserts on what the user was told; only unexpected errors fail it here.
    """
    yield simcord_env
    unexpected = [error for error in simcord_env.errors if not is_expected_failure(error)]
    if unexpected:
        raise ExceptionGroup("the bot raised unexpected errors", unexpected)


@pytest.fixture
def restart(simcord_env: simcord.Env, settings: Settings, bots: list[BriefBot]) -> Restart:
    """Restart the bot in place (same settings and database), as after a deploy or crash."""

    async def restart() -> BriefBot:
        old = simcord_env.bot
        bot = create_bot(settings)
        bots.append(bot)
        await simcord_env.restart_bot(bot)
        await old.storage.close()
        return bot

    return restart


@pytest.fixture
def newsroom(simcord_env: simcord.Env) -> Newsroom:
    """A server with a #news channel and one plain member, alice."""
    guild = simcord_env.create_guild(name="Newsroom")
    channel = guild.create_text_channel("news")
    alice = guild.add_member(simcord_env.create_user("alice"))
    return Newsroom(simcord_env, channel, alice)


@pytest.fixture(autouse=True)
def discord_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a simcord test if a request body the bot sent breaks Discord's API contract.

    The check (tests/contract) runs after the test on simcord's whole request log, which
    belongs to the simulated Discord rather than to a bot: requests from before a restart and
    from shutdown are in it. Tests without `simcord_env` are left alone.
    """
    yield
    if "simcord_env" not in request.fixturenames:
        return
    env = (getattr(request.node, "funcargs", None) or {}).get("simcord_env")
    if not isinstance(env, simcord.Env):
        return
    violations = check_requests(env.http_requests)
    if violations:
        pytest.fail(report(violations), pytrace=False)
