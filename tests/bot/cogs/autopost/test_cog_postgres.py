"""On PostgreSQL, a brief stored by any process reaches this process's servers at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import simcord

from bot.app import BriefBot
from bot.config import Settings
from storage.backends import open_storage
from storage.models import BriefContent
from storage.publishing import CLI
from tests.databases import message_id, postgres_schema

#: Real seconds to wait for the notification (a guard against hangs, not a timing).
WAIT_SECONDS = 10.0


@pytest_asyncio.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    """Shard 1 of 2 on PostgreSQL, with a sweep too slow to be what delivers."""
    async with postgres_schema() as url:
        yield Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=url,
            shard_count=2,
            shard_ids=[1],
            autopost_interval_seconds=3600,
        )


async def test_a_brief_stored_by_another_process_is_posted_at_once(
    simcord_env: simcord.Env, settings: Settings
) -> None:
    bot: BriefBot = simcord_env.bot
    guild = simcord_env.create_guild(name="On shard 1", shard_id=1)
    news = guild.create_text_channel("news")
    await bot.storage.subscriptions.set_channel(guild.id, news.id)
    await simcord_env.settle()  # the first sweep has run; the next is an hour away

    other = await open_storage(settings.database)  # the process serving shard 0
    try:
        brief = await other.publisher.publish(
            BriefContent(title="Via shard 0", what_happened="Hi."), by=CLI
        )
    finally:
        await other.close()
    # The notification starts the delivery outside simcord's view, so settling does not wait
    # for it: wait for the post's record, written once Discord has the message, not for the
    # message, which is seen before the record is written.
    async with asyncio.timeout(WAIT_SECONDS):
        while await message_id(bot.storage, guild.id, brief.id) is None:
            await asyncio.sleep(0.01)
            await simcord_env.settle()
    assert [m.embeds[0].title for m in news.history()] == ["Via shard 0"]


async def test_a_brief_published_here_wakes_delivery_once(
    simcord_env: simcord.Env, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Its NOTIFY comes back to this process too, and is the only thing that wakes it."""
    bot: BriefBot = simcord_env.bot
    guild = simcord_env.create_guild(name="On shard 1", shard_id=1)
    news = guild.create_text_channel("news")
    await bot.storage.subscriptions.set_channel(guild.id, news.id)
    await simcord_env.settle()
    caplog.set_level(logging.INFO, logger="bot.autopost")

    brief = await bot.storage.publisher.publish(
        BriefContent(title="Published here", what_happened="Hi."), by=CLI
    )
    async with asyncio.timeout(WAIT_SECONDS):
        while await message_id(bot.storage, guild.id, brief.id) is None:
            await asyncio.sleep(0.01)
            await simcord_env.settle()
    await asyncio.sleep(0.2)  # a second wake, were there one, would have come by now

    wakes = [r for r in caplog.records if r.getMessage() == "autopost woken"]
    assert [getattr(r, "brief", None) for r in wakes] == [brief.id]
    assert [m.embeds[0].title for m in news.history()] == ["Published here"]
