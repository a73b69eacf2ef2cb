"""`python -m bot run` with API_LISTEN: the API in the bot's process, reporting its shards."""

from __future__ import annotations

import socket

import aiohttp
import pytest
import simcord

from bot.app import BriefBot
from bot.cli.api import ApiListenError, beside
from bot.config import Settings
from tests.helpers import Server, posts, titles, woken


async def test_the_api_is_served_beside_the_bot_with_its_gateway(
    simcord_env: simcord.Env, settings: Settings
):
    bot: BriefBot = simcord_env.bot
    with_api = settings.model_copy(update={"api_listen": "0"})
    async with beside(bot, with_api) as server, aiohttp.ClientSession() as http:
        assert server is not None
        assert server.address[0] == "127.0.0.1"
        async with http.get(f"{server.url}/healthz") as response:
            health = await response.json()
    assert response.status == 200
    assert health["database"] is True
    assert [(shard["id"], shard["connected"]) for shard in health["shards"]] == [(0, True)]


async def test_without_api_listen_nothing_is_served(simcord_env: simcord.Env, settings: Settings):
    async with beside(simcord_env.bot, settings) as server:
        assert server is None


async def test_a_taken_port_is_worded(simcord_env: simcord.Env, settings: Settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with_api = settings.model_copy(update={"api_listen": f"127.0.0.1:{port}"})
        with pytest.raises(ApiListenError, match=f"API_LISTEN: cannot listen on 127.0.0.1:{port}"):
            async with beside(simcord_env.bot, with_api):
                pass


async def test_a_push_to_the_api_in_the_bot_is_posted_and_an_edit_corrects_the_copy(
    simcord_env: simcord.Env, settings: Settings
):
    bot: BriefBot = simcord_env.bot
    newsroom = Server(simcord_env)
    await newsroom.subscribe()
    await bot.storage.sources.add("cms")
    _, token = await bot.storage.tokens.create("cms", "Newsdesk")
    headers = {"Authorization": f"Bearer {token}"}
    brief = {"title": "Bridge reopens", "what_happened": "The bridge is open again."}
    with_api = settings.model_copy(update={"api_listen": "0"})
    async with beside(bot, with_api) as server, aiohttp.ClientSession() as http:
        assert server is not None
        url = f"{server.url}/v1/sources/cms/briefs/story-7"
        async with http.put(url, json=brief, headers=headers) as response:
            assert response.status == 201
        await woken(simcord_env)
        assert titles(simcord_env, newsroom.news) == ["Bridge reopens"]
        async with http.get(url, headers=headers) as response:
            (delivery,) = (await response.json())["delivery"]
        (message,) = posts(simcord_env, newsroom.news)
        assert delivery["state"] == "posted"
        assert delivery["channel_id"] == newsroom.news.id
        assert delivery["message"] == message.jump_url

        edited = {**brief, "title": "Bridge reopens on Monday"}
        async with http.put(url, json=edited, headers=headers) as response:
            assert (await response.json())["outcome"] == "corrected"
        await woken(simcord_env)
    (post,) = posts(simcord_env, newsroom.news)
    assert post.embeds[0].title == "Bridge reopens on Monday"
