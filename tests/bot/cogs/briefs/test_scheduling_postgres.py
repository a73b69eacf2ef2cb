"""On PostgreSQL, processes sharing the library release a held brief once between them, and
every bot posts it once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio
import simcord

from bot.app import BriefBot
from bot.config import Settings
from storage.backends import open_storage
from storage.models import BriefContent, utcnow
from storage.publishing import CLI
from tests.databases import message_id, postgres_schema

#: Real seconds to wait for the release and the post (a guard against hangs, not a timing).
WAIT_SECONDS = 20.0


@pytest_asyncio.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    """One bot on PostgreSQL, with a sweep too slow to be what delivers."""
    async with postgres_schema() as url:
        yield Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, shard_count=1, autopost_interval_seconds=3600
        )


async def test_a_brief_held_by_another_process_is_released_once_and_posted_once(
    simcord_env: simcord.Env, settings: Settings
) -> None:
    bot: BriefBot = simcord_env.bot
    guild = simcord_env.create_guild(name="Harbour")
    news = guild.create_text_channel("news")
    await bot.storage.subscriptions.set_channel(guild.id, news.id)
    await simcord_env.settle()

    other = await open_storage(settings.database)  # another process: an API, another bot
    try:
        content = BriefContent(
            title="Embargo lifts", what_happened="Hi.", release_at=utcnow() + timedelta(seconds=2)
        )
        brief = await other.publisher.publish(content, by=CLI)
        released = []
        async with asyncio.timeout(WAIT_SECONDS):
            # The other process looks for due briefs too, racing this bot's release loop.
            while await message_id(bot.storage, guild.id, brief.id) is None:
                released += await other.publisher.release_due()
                await asyncio.sleep(0.05)
                await simcord_env.settle()
    finally:
        await other.close()
    history = [entry.action for entry in await bot.storage.briefs.history(brief.id)]
    assert history == ["add", "schedule", "release"]
    assert [m.embeds[0].title for m in news.history()] == ["Embargo lifts"]
