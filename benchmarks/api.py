"""API: briefs pushed over HTTP (PUT, JSON) on 8 and 32 connections, against the same briefs
upserted in-process through storage, in the same run.

The floor is `Publisher.upsert` called directly, one at a time, on a library of its own: what
storing costs with no HTTP, no token check and no parsing. The API's pushes go through the real
server (uvicorn on loopback, in this process's event loop, the client beside it), each with its
token checked, its body parsed as the file format, and the same upsert. Target: the API's
throughput at least half the floor's (HTTP, auth and validation cost at most 2× the store).

Then publish → first post: the real bot under simcord (an instant Discord), the API served in
its process as `API_LISTEN` does, ten subscribed servers; each brief is pushed, one at a time,
and timed from the moment its PUT is sent to the moment Discord answers the first message
that posts it. Target: p99 within a second.
"""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.generate import as_json, generate
from benchmarks.report import Result, Row, percentile, verdict
from benchmarks.simulated import briefbot, running
from bot.api import create_api, serving
from bot.config import Settings
from storage.backends import open_storage, sqlite_url
from storage.library import Storage
from storage.models import SubscriptionOptions
from storage.publishing import Source

CONNECTIONS = (8, 32)
#: The API's cost over storing, as a multiple of the in-process floor.
TARGET_RATIO = 2.0
FLOOR_SOURCE = Source("bench", "benchmark")
#: Servers subscribed in the first-post case, and the share of the pushes it times.
FIRST_POST_SERVERS = 10
FIRST_POST_SHARE = 10
#: The issue's promise: a push is in a channel within a second.
FIRST_POST_TARGET_S = 1.0


async def _library(path: Path) -> tuple[Storage, str]:
    storage = await open_storage(sqlite_url(path))
    await storage.sources.add("bench")
    _, token = await storage.tokens.create("bench", "benchmark")
    return storage, token


async def _floor(workdir: Path, count: int, seed: int) -> tuple[list[float], float]:
    """Upsert the briefs in-process, one at a time; return per-brief seconds and the total."""
    storage, _ = await _library(workdir / "floor.db")
    try:
        times = []
        started = time.perf_counter()
        for number, brief in enumerate(generate(count, seed)):
            before = time.perf_counter()
            await storage.publisher.upsert(FLOOR_SOURCE, f"b-{number}", brief)
            times.append(time.perf_counter() - before)
        return times, time.perf_counter() - started
    finally:
        await storage.close()


async def _pushes(
    workdir: Path, count: int, seed: int, connections: int
) -> tuple[list[float], float, int]:
    """PUT the briefs over `connections` connections; return per-request seconds, the total
    and how many answers were not 201."""
    storage, token = await _library(workdir / f"api-{connections}.db")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    bodies = [as_json(brief) for brief in generate(count, seed)]
    # The rate limit is per token and meant for one CMS, not for a load test.
    app = create_api(storage, settings)
    app.state.api.rate_limiter.burst = count + 1
    times: list[float] = []
    failed = 0
    try:
        async with serving(app, "127.0.0.1", 0) as server:
            connector = aiohttp.TCPConnector(limit=connections)
            headers = {"Authorization": f"Bearer {token}"}
            async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
                queue: asyncio.Queue[int] = asyncio.Queue()
                for number in range(count):
                    queue.put_nowait(number)

                async def worker() -> None:
                    nonlocal failed
                    while not queue.empty():
                        number = queue.get_nowait()
                        url = f"{server.url}/v1/sources/bench/briefs/b-{number}"
                        before = time.perf_counter()
                        async with http.put(url, json=bodies[number]) as response:
                            await response.read()
                            failed += response.status != 201
                        times.append(time.perf_counter() - before)

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(connections)))
                total = time.perf_counter() - started
    finally:
        await storage.close()
    return times, total, failed


async def _first_posts(workdir: Path, count: int, seed: int) -> tuple[list[float], int]:
    """Push briefs to a bot's own API one at a time; return the seconds from each PUT to its
    first post, and how many briefs never reached a channel."""
    bot = briefbot(workdir / "first-post.db")
    bodies = [as_json(brief) for brief in generate(count, seed)]
    times: list[float] = []
    async with running(bot) as env:
        for n in range(FIRST_POST_SERVERS):
            guild = env.create_guild(name=f"Paper {n}")
            channel = guild.create_text_channel("news")
            await bot.storage.subscriptions.add(
                guild.id, SubscriptionOptions(channel_id=channel.id)
            )
        await bot.storage.sources.add("bench")
        _, token = await bot.storage.tokens.create("bench", "benchmark")
        first_post = asyncio.Event()
        send = bot.http.request
        autopost: Any = bot.get_cog("AutoPost")

        async def timed(route: Any, **kwargs: Any) -> Any:
            answer = await send(route, **kwargs)
            if route.method == "POST" and route.path.endswith("/messages"):
                first_post.set()
            return answer

        bot.http.request = timed  # type: ignore[method-assign]
        app = create_api(bot.storage, bot.settings, bot=bot)
        app.state.api.rate_limiter.burst = count + 1
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            serving(app, "127.0.0.1", 0) as server,
            aiohttp.ClientSession(headers=headers) as http,
        ):
            for number, body in enumerate(bodies):
                await autopost.work.settle()  # the last brief's other channels
                first_post.clear()
                before = time.perf_counter()
                url = f"{server.url}/v1/sources/bench/briefs/p-{number}"
                async with http.put(url, json=body) as response:
                    await response.read()
                try:
                    await asyncio.wait_for(first_post.wait(), timeout=10 * FIRST_POST_TARGET_S)
                except TimeoutError:
                    continue
                times.append(time.perf_counter() - before)
    return times, count - len(times)


async def run(count: int, workdir: Path, seed: int) -> Result:
    """Measure the floor, then the API at each connection count."""
    result = Result("api", "HTTP API pushes")
    floor_times, floor_total = await _floor(workdir, count, seed)
    floor_rate = count / floor_total
    result.rows.append(
        Row(
            "storage upsert, in-process (floor)",
            count,
            "ms",
            percentile(floor_times, 50) * 1000,
            percentile(floor_times, 99) * 1000,
            samples=len(floor_times),
        )
    )
    result.rows.append(Row("floor throughput", count, "briefs/s", floor_rate))
    for connections in CONNECTIONS:
        times, total, failed = await _pushes(workdir, count, seed, connections)
        rate = count / total
        ratio = floor_rate / rate
        result.rows.append(
            Row(
                f"PUT over {connections} connections: latency",
                count,
                "ms",
                percentile(times, 50) * 1000,
                percentile(times, 99) * 1000,
                samples=len(times),
            )
        )
        result.rows.append(
            Row(
                f"PUT over {connections} connections: throughput",
                count,
                "briefs/s",
                rate,
                baseline=floor_rate,
                baseline_label="in-process upsert",
                ratio=ratio,
                target=f"≤ {TARGET_RATIO:g}× floor",
                result=verdict(ratio <= TARGET_RATIO and failed == 0),
            )
        )
        if failed:
            result.notes.append(f"{failed} of {count} pushes over {connections} were not 201")
    pushes = max(count // FIRST_POST_SHARE, 20)
    first, missing = await _first_posts(workdir, pushes, seed)
    p99 = percentile(first, 99) if first else float("inf")
    result.rows.append(
        Row(
            f"publish → first post, {FIRST_POST_SERVERS} servers, instant Discord",
            pushes,
            "ms",
            percentile(first, 50) * 1000 if first else float("inf"),
            p99 * 1000,
            samples=len(first),
            target=f"p99 ≤ {FIRST_POST_TARGET_S * 1000:g} ms",
            result=verdict(p99 <= FIRST_POST_TARGET_S and not missing),
        )
    )
    if missing:
        result.notes.append(f"{missing} of {pushes} pushes reached no channel within 10 s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.rows.append(Row("peak RSS of the process (client, server, bot)", count, "MB", peak))
    result.notes.append(
        "ratio = floor throughput / API throughput; the client shares the server's event loop "
        "and the machine's cores, so the API's figures include the client's cost"
    )
    result.notes.append(
        "publish → first post: from sending the PUT to Discord's answer to the first message "
        "that posts the brief; the bot, its API, simcord and the client share one event loop"
    )
    return result
