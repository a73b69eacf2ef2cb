"""Auto-post fan-out: one published brief delivered to many subscribed servers.

Discord allows a bot about 50 requests per second in total, so posting to 1,000 channels
takes at least 1,000 / 50 = 20 s of real Discord time, however fast the bot is: that is the
floor. simcord enforces no rate limit and answers instantly, so this measures the bot's own
pacing: requests issued, how many were in flight at once, wall time, and 429s seen (none can
occur offline). A second run adds a simulated network round trip to every request, which
shows the request rate the bot's concurrency would produce against the real API.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord

from benchmarks.report import INFO, Result, Row, verdict
from benchmarks.simulated import briefbot, running
from bot.cogs.autopost._waking import TASK_NAME as WOKEN
from storage.models import BriefContent, SubscriptionOptions
from storage.publishing import Announcement, Change

#: Discord's global limit for a bot, requests per second (discord.dev "Rate Limits").
GLOBAL_LIMIT_PER_S = 50.0

#: The bot paces auto-posts at 95% of Discord's 50 requests/s (SEND_RATE in
#: bot/cogs/autopost/_policy.py), so the best it can do is the floor / 0.95 ≈ 1.05×; the
#: target allows a little scheduling slack on top.
PACED_FLOOR_RATIO = 1.1


@dataclass
class FanOut:
    """What one fan-out did."""

    channels: int
    seconds: float
    requests: int
    posts: int
    delivered: int
    max_in_flight: int
    max_deliveries: int
    rate_limited: int


#: Subscriptions per server in the many-subscriptions run (1,000 over 200 servers).
PER_SERVER = 5


async def _fan_out(database: Path, channels: int, rtt: float, *, per_server: int = 1) -> FanOut:
    """Subscribe `channels` channels (`per_server` subscriptions of a server each, with topic
    filters this brief matches), publish one brief, and time until every post is made."""
    bot = briefbot(database)
    async with running(bot) as env:
        handles = []
        for n in range(channels):
            if n % per_server == 0:
                guild = env.create_guild(name=f"Server {n // per_server}")
            channel = guild.create_text_channel(f"news-{n % per_server}")
            topics = [["fan-out"], ["news", "fan-out"], []][n % 3] if per_server > 1 else []
            await bot.storage.subscriptions.add(
                guild.id, SubscriptionOptions(channel_id=channel.id, topics=topics)
            )
            handles.append(channel)

        counts = {"requests": 0, "in_flight": 0, "max_in_flight": 0, "429": 0}
        deliveries = {"now": 0, "max": 0}
        send = bot.http.request
        cog: Any = bot.get_cog("AutoPost")
        deliver = cog.poster.deliver

        async def request(route: Any, **kwargs: Any) -> Any:
            counts["requests"] += 1
            counts["in_flight"] += 1
            counts["max_in_flight"] = max(counts["max_in_flight"], counts["in_flight"])
            try:
                if rtt:
                    await asyncio.sleep(rtt)
                return await send(route, **kwargs)
            except discord.HTTPException as error:
                counts["429"] += error.status == 429
                raise
            finally:
                counts["in_flight"] -= 1

        async def counted_deliver(settings: Any) -> int:
            deliveries["now"] += 1
            deliveries["max"] = max(deliveries["max"], deliveries["now"])
            try:
                return int(await deliver(settings))
            finally:
                deliveries["now"] -= 1

        bot.http.request = request  # type: ignore[method-assign]
        cog.poster.deliver = counted_deliver
        brief = await bot.storage.briefs.add(
            BriefContent(
                title="Fan-out test",
                what_happened="One brief for every server.",
                topics=["fan-out"],
            )
        )
        before = len(env.http_requests)
        started = time.perf_counter()
        await bot.storage.announcements.announce(Announcement(Change.PUBLISHED, brief.id))
        listeners = [
            task for task in asyncio.all_tasks() if task.get_name() == WOKEN and not task.done()
        ]
        await asyncio.gather(*listeners)
        await env.settle(idle=0.001)
        seconds = time.perf_counter() - started
        log = env.http_requests[before:]
        posts = sum(1 for r in log if r.method == "POST" and r.path.endswith("/messages"))
        delivered = sum(1 for channel in handles if any(True for _ in channel.history()))
    return FanOut(
        channels,
        seconds,
        counts["requests"],
        posts,
        delivered,
        counts["max_in_flight"],
        deliveries["max"],
        counts["429"],
    )


def _paced_row(case: str, fan: FanOut, floor_s: float) -> Row:
    """A fan-out's wall time against the floor: paced, it passes within PACED_FLOOR_RATIO
    once every channel got its post."""
    return Row(
        case,
        fan.channels,
        "s",
        fan.seconds,
        baseline=floor_s,
        baseline_label="50 req/s floor",
        ratio=fan.seconds / floor_s,
        target=f"≤ {PACED_FLOOR_RATIO}× floor (paced)",
        result=verdict(
            fan.seconds <= PACED_FLOOR_RATIO * floor_s and fan.delivered == fan.channels
        ),
    )


async def run(
    channels: int, rtt_ms: float, library: Path, library_count: int, library_channels: int,
    workdir: Path,
) -> Result:  # fmt: skip
    """Run the fan-outs and return their table."""
    floor_s = channels / GLOBAL_LIMIT_PER_S
    result = Result("fanout", f"Auto-post fan-out: one brief to {channels:,} channels")
    bare = await _fan_out(workdir / "fanout-empty.db", channels, 0.0)
    many = await _fan_out(workdir / "fanout-many.db", channels, 0.0, per_server=PER_SERVER)
    slow = await _fan_out(workdir / "fanout-rtt.db", channels, rtt_ms / 1000) if rtt_ms else None
    big = await _fan_out(library, library_channels, 0.0) if library_channels else None

    result.rows.append(_paced_row("wall time, instant Discord", bare, floor_s))
    result.rows.append(
        _paced_row(
            f"wall time, {channels:,} subscriptions over {channels // PER_SERVER:,} servers",
            many,
            floor_s,
        )
    )
    result.rows.append(
        Row(
            "429 responses",
            channels,
            "",
            float(bare.rate_limited + many.rate_limited + (slow.rate_limited if slow else 0)),
            target="0",
            result=verdict(
                bare.rate_limited == many.rate_limited == 0
                and (slow is None or slow.rate_limited == 0)
            ),
        )
    )
    if slow is not None:
        rate = slow.requests / slow.seconds
        result.rows.append(
            Row(
                f"wall time, {rtt_ms:g} ms per request",
                channels,
                "s",
                slow.seconds,
                baseline=floor_s,
                baseline_label="50 req/s floor",
                ratio=slow.seconds / floor_s,
                result=INFO,
            )
        )
        result.rows.append(
            Row(
                f"request rate, {rtt_ms:g} ms per request",
                channels,
                "req/s",
                rate,
                baseline=GLOBAL_LIMIT_PER_S,
                baseline_label="Discord global limit",
                ratio=rate / GLOBAL_LIMIT_PER_S,
                target="≤ 50 req/s",
                result=verdict(rate <= GLOBAL_LIMIT_PER_S),
            )
        )
    if big is not None:
        per_channel = big.seconds / big.channels
        projected = per_channel * channels
        result.rows.append(
            Row(
                f"wall time, {library_count:,}-brief library",
                big.channels,
                "s",
                big.seconds,
                result=INFO,
            )
        )
        result.rows.append(
            Row(
                f"  projected to {channels:,} channels",
                channels,
                "s",
                projected,
                baseline=floor_s,
                baseline_label="50 req/s floor",
                ratio=projected / floor_s,
                target=f"≤ {PACED_FLOOR_RATIO}× floor (paced)",
                result=verdict(projected <= PACED_FLOOR_RATIO * floor_s),
            )
        )
        result.notes.append(
            f"with a {library_count:,}-brief library each server's delivery takes "
            f"{per_channel * 1000:.0f} ms of bot time ({big.channels} servers measured, "
            f"{big.delivered} delivered), against {bare.seconds / channels * 1000:.1f} ms with "
            "an empty library."
        )
    for label, run_ in (("instant", bare), ("many subscriptions", many), (f"{rtt_ms:g} ms", slow)):
        if run_ is None:
            continue
        result.notes.append(
            f"{label}: {run_.requests:,} requests ({run_.posts:,} message posts) for "
            f"{run_.delivered:,}/{run_.channels:,} channels; at most {run_.max_deliveries} "
            f"servers and {run_.max_in_flight} requests in flight at once."
        )
    result.notes.append(
        f"floor: Discord's global limit of {GLOBAL_LIMIT_PER_S:g} requests/s means "
        f"{channels:,} posts need ≥ {floor_s:g} s of real Discord time. The bot paces its "
        "sends at 95% of that limit, so about 1.05× the floor is as fast as it should go. "
        "simcord has no rate limit and no network, so 429s cannot happen here: the "
        "request-rate row shows whether the bot would stay under the limit at that "
        "round-trip time, rather than rely on Discord's 429s and discord.py's retry."
    )
    return result
