"""The API served in a bot's process (API_LISTEN): pushes reach Discord once, `/metrics` counts
what they became there, `/healthz` watches the gateway and the sweep; Discord's 429s counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest_asyncio
import simcord
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.api import ApiServer, create_api, serving
from bot.app import BriefBot
from bot.metrics import BotMetrics
from storage.models import utcnow
from tests.helpers import Server, posts, woken

SAMPLE = {"title": "Ferry timetable", "what_happened": "The winter timetable starts Monday."}


@pytest_asyncio.fixture
async def bot_api(simcord_env: simcord.Env) -> AsyncIterator[tuple[ApiServer, str]]:
    """The API served by the bot's process (as with API_LISTEN), and a token for `cms`."""
    bot: BriefBot = simcord_env.bot
    await bot.storage.sources.add("cms")
    _, token = await bot.storage.tokens.create("cms", "Newsdesk")
    async with serving(create_api(bot.storage, bot.settings, bot=bot), "127.0.0.1", 0) as server:
        yield server, token


async def scrape(http: aiohttp.ClientSession, server: ApiServer) -> dict[tuple[str, str], float]:
    """Every sample /metrics serves, by name and its labels written out."""
    async with http.get(f"{server.url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[(sample.name, labels)] = sample.value
    return samples


async def test_a_push_its_posts_correction_and_retraction_are_counted(
    simcord_env: simcord.Env, bot_api: tuple[ApiServer, str]
) -> None:
    server, token = bot_api
    one, two = Server(simcord_env, "one"), Server(simcord_env, "two")
    await one.subscribe()
    await two.subscribe()
    url = f"{server.url}/v1/sources/cms/briefs/timetable"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.put(url, json=SAMPLE) as response:
            assert response.status == 201
        await woken(simcord_env)
        assert len(posts(simcord_env, one.news)) == len(posts(simcord_env, two.news)) == 1
        seen = await scrape(http, server)
        assert seen[("briefbot_autopost_deliveries_total", "outcome=sent")] == 2
        # one brief: its first post is observed once, however many channels it reached
        assert seen[("briefbot_publish_to_first_post_seconds_count", "")] == 1
        assert seen[("briefbot_publish_to_first_post_seconds_bucket", "le=+Inf")] == 1
        assert seen[("briefbot_autopost_queue_depth", "")] == 0
        assert seen[("briefbot_api_briefs_total", "outcome=created,source=cms")] == 1

        async with http.put(url, json={**SAMPLE, "title": "Ferry timetable, corrected"}) as r:
            assert r.status == 200
        await woken(simcord_env)
        async with http.delete(url) as response:
            assert response.status == 200
        await woken(simcord_env)
        seen = await scrape(http, server)
    edited = "briefbot_autopost_copy_updates_total"
    assert seen[(edited, "change=correction,outcome=edited")] == 2
    assert seen[(edited, "change=retraction,outcome=edited")] == 2
    assert seen[("briefbot_autopost_deliveries_total", "outcome=sent")] == 2
    for news in (one.news, two.news):
        (post,) = posts(simcord_env, news)
        assert post.embeds[0].title == "Retracted: Ferry timetable, corrected"


async def test_a_cms_firing_its_hook_twice_at_once_posts_once_per_channel(
    simcord_env: simcord.Env, bot_api: tuple[ApiServer, str]
) -> None:
    server, token = bot_api
    one, two = Server(simcord_env, "one"), Server(simcord_env, "two")
    await one.subscribe()
    await two.subscribe()
    headers = {"Authorization": f"Bearer {token}"}
    put = f"{server.url}/v1/sources/cms/briefs/timetable"
    post = f"{server.url}/v1/sources/cms/briefs"

    async def push(http: aiohttp.ClientSession, url: str, **extra: str) -> int:
        method = http.put if url == put else http.post
        async with method(url, json=SAMPLE, headers={**headers, **extra}) as response:
            return response.status

    async with aiohttp.ClientSession() as http:
        puts = await asyncio.gather(push(http, put), push(http, put))
        keyed = await asyncio.gather(
            push(http, post, **{"Idempotency-Key": "hook-7"}),
            push(http, post, **{"Idempotency-Key": "hook-7"}),
        )
    await woken(simcord_env)

    assert sorted(puts) == [200, 201]  # created, then the same content: unchanged
    assert keyed == [201, 201]  # the first answer again
    assert (await simcord_env.bot.storage.counts())["briefs"] == 2  # the PUT's, the POST's
    for news in (one.news, two.news):
        assert [p.embeds[0].title for p in posts(simcord_env, news)] == [SAMPLE["title"]] * 2


async def test_the_api_alone_serves_no_bot_metrics(simcord_env: simcord.Env) -> None:
    bot: BriefBot = simcord_env.bot
    alone = create_api(bot.storage, bot.settings)  # as `python -m bot api` serves it
    async with serving(alone, "127.0.0.1", 0) as server, aiohttp.ClientSession() as http:
        names = {name for name, _ in await scrape(http, server)}
    assert not any(name.startswith("briefbot_autopost") for name in names)


async def test_every_429_from_discord_is_counted_by_its_scope() -> None:
    """The trace discord.py's session runs with, against a real server answering 429."""
    answers = [(429, "global"), (429, None), (200, None)]

    async def limited(_request: web.Request) -> web.Response:
        status, scope = answers.pop(0)
        headers = {"X-RateLimit-Scope": scope} if scope else {}
        return web.json_response({"retry_after": 0.01}, status=status, headers=headers)

    app = web.Application()
    app.router.add_get("/api/v10/gateway", limited)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    metrics = BotMetrics()
    try:
        async with aiohttp.ClientSession(trace_configs=[metrics.http_trace()]) as http:
            for _ in range(3):
                async with http.get(f"http://127.0.0.1:{port}/api/v10/gateway") as response:
                    await response.read()
    finally:
        await runner.cleanup()
    counted = "briefbot_discord_rate_limited_total"
    assert metrics.registry.get_sample_value(counted, {"scope": "global"}) == 1
    assert metrics.registry.get_sample_value(counted, {"scope": "user"}) == 1


async def test_health_in_a_bot_process_reports_shards_and_the_last_sweep(
    simcord_env: simcord.Env, bot_api: tuple[ApiServer, str]
) -> None:
    server, _ = bot_api
    bot: BriefBot = simcord_env.bot
    await simcord_env.advance_time(bot.settings.autopost_interval_seconds * 1.5)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/healthz") as response:
            health = await response.json()
            assert response.status == 200, health
        assert health["shards"] == [
            {"id": 0, "connected": True, "latency_seconds": health["shards"][0]["latency_seconds"]}
        ]
        assert health["last_sweep_at"] is not None

        # a sweep that has not finished for three intervals: the bot is stuck
        stuck = utcnow() - timedelta(seconds=bot.settings.autopost_interval_seconds * 4)
        bot.metrics.swept(stuck)
        async with http.get(f"{server.url}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["status"] == "unavailable"
