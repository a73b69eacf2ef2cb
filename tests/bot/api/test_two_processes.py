"""On PostgreSQL, `python -m bot api` alone and a bot process: a push is posted once per
channel, within a second, by the bot that hears the NOTIFY."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest_asyncio
import simcord

from bot.app import BriefBot
from bot.config import Settings
from tests.databases import message_id, postgres_schema
from tests.helpers import PROCESS_TIMEOUT, start_cli

#: The issue's promise: in every subscribed channel within a second of the push's answer.
WITHIN_SECONDS = 1.0
#: Real seconds the API process gets to start (a guard against hangs, not a timing).
START_SECONDS = 30.0


@pytest_asyncio.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    """The bot on PostgreSQL, with a sweep too slow to be what delivers."""
    async with postgres_schema() as url:
        yield Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, shard_count=1, autopost_interval_seconds=3600
        )


async def test_a_push_to_the_api_process_is_posted_once_per_channel_within_a_second(
    simcord_env: simcord.Env, settings: Settings, tmp_path: Path
) -> None:
    bot: BriefBot = simcord_env.bot
    guilds = [simcord_env.create_guild(name=f"Paper {n}") for n in range(3)]
    channels = [guild.create_text_channel("news") for guild in guilds]
    for guild, news in zip(guilds, channels, strict=True):
        await bot.storage.subscriptions.set_channel(guild.id, news.id)
    await bot.storage.sources.add("cms")
    _, token = await bot.storage.tokens.create("cms", "Newsdesk")
    await simcord_env.settle()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = start_cli("api", "--listen", str(port), "--db", settings.database, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(START_SECONDS):
                while True:
                    try:
                        async with http.get(f"{url}/healthz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        assert api.poll() is None
                        await asyncio.sleep(0.05)
            brief = {"title": "Harbour closed", "what_happened": "A storm is coming."}
            headers = {"Authorization": f"Bearer {token}"}
            async with http.put(
                f"{url}/v1/sources/cms/briefs/storm", json=brief, headers=headers
            ) as response:
                assert response.status == 201
                brief_id = (await response.json())["brief"]["id"]
            answered = time.perf_counter()
        async with asyncio.timeout(WITHIN_SECONDS * 5):
            for guild in guilds:
                while await message_id(bot.storage, guild.id, brief_id) is None:
                    await asyncio.sleep(0.01)
                    await simcord_env.settle()
        took = time.perf_counter() - answered
    finally:
        api.send_signal(signal.SIGTERM)
        api.communicate(timeout=PROCESS_TIMEOUT)
    assert took <= WITHIN_SECONDS
    await asyncio.sleep(0.2)  # a second post, were there one, would have come by now
    await simcord_env.settle()
    for news in channels:
        assert [m.embeds[0].title for m in news.history()] == ["Harbour closed"]
