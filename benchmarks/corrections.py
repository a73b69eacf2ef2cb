"""Corrections: one brief posted to many channels, then corrected, with news arriving mid-wave.

A correction edits every posted copy: one request per channel, so 1,000 channels need at least
1,000 / 50 = 20 s of real Discord time (the floor), paced in the same budget as new posts. A
brief published while the wave runs must not wait for it: its posts go first, and it reaches
every channel before the correction wave ends. simcord answers instantly and enforces no rate
limit, so the times are the bot's own pacing; 429s cannot occur offline (counted anyway).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from benchmarks.fanout import GLOBAL_LIMIT_PER_S
from benchmarks.report import INFO, Result, Row, verdict
from benchmarks.simulated import briefbot, running
from storage.models import BriefContent
from storage.publishing import CLI

#: The correction wave's target: its pace (non-urgent requests, behind new posts) allows some
#: slack over the paced fan-out.
WAVE_FLOOR_RATIO = 1.3
#: The brief published mid-wave is stored once this share of the copies was edited.
MID_WAVE = 0.3
#: How long the whole run may take, as a multiple of the floor, before it counts as stuck.
STUCK_AFTER_FLOORS = 10


@dataclass
class Wave:
    """What the run did: request times in seconds after each correction was saved."""

    channels: int
    fanout_seconds: float = 0.0
    clean: list[float] = field(default_factory=list)  # edits of the first correction
    edits: list[float] = field(default_factory=list)  # edits of the second one
    news_posts: list[float] = field(default_factory=list)
    news_at: float = 0.0
    requests: int = 0
    rate_limited: int = 0
    corrected: int = 0
    news_delivered: int = 0


def _brief(title: str) -> BriefContent:
    return BriefContent(title=title, what_happened="One brief for every server.")


async def _until(done: Callable[[], bool], deadline: float, what: str) -> None:
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} did not finish")
        await asyncio.sleep(0.01)


async def _wave(database: Path, channels: int) -> Wave:
    """Post one brief to `channels` servers and correct it twice; the second time, publish
    another brief once MID_WAVE of the copies were edited."""
    bot = briefbot(database)
    wave = Wave(channels)
    async with running(bot) as env:
        handles = []
        for n in range(channels):
            guild = env.create_guild(name=f"Server {n}")
            channel = guild.create_text_channel("news")
            await bot.storage.subscriptions.set_channel(guild.id, channel.id)
            handles.append(channel)
        floor = channels / GLOBAL_LIMIT_PER_S
        deadline = time.perf_counter() + STUCK_AFTER_FLOORS * 4 * floor + 30

        send = bot.http.request
        state: dict[str, Any] = {"start": time.perf_counter(), "edits": [], "posts": 0}
        mid_wave = asyncio.Event()

        async def request(route: Any, **kwargs: Any) -> Any:
            wave.requests += 1
            try:
                answer = await send(route, **kwargs)
            except discord.HTTPException as error:
                wave.rate_limited += error.status == 429
                raise
            at = time.perf_counter() - state["start"]
            if route.method == "PATCH" and route.path.endswith("/messages/{message_id}"):
                state["edits"].append(at)
                if len(state["edits"]) >= MID_WAVE * channels:
                    mid_wave.set()
            elif route.method == "POST" and route.path.endswith("/messages"):
                state["posts"] += 1
                if state["posts"] > channels:  # the first brief's posts come first
                    wave.news_posts.append(at)
            return answer

        bot.http.request = request  # type: ignore[method-assign]
        publisher = bot.storage.publisher
        first = await publisher.publish(_brief("Before the correction"), by=CLI)
        await _until(lambda: state["posts"] >= channels, deadline, "the first fan-out")
        wave.fanout_seconds = time.perf_counter() - state["start"]

        async def correct(title: str) -> list[float]:
            state["start"], state["edits"] = time.perf_counter(), []
            await publisher.correct(first.id, _brief(title), by=CLI, note="A fact was wrong.")
            return state["edits"]  # type: ignore[no-any-return]

        wave.clean = await correct("Corrected once")
        await _until(lambda: len(wave.clean) >= channels, deadline, "the first correction")

        mid_wave.clear()
        wave.edits = await correct("After the correction")
        await asyncio.wait_for(mid_wave.wait(), max(deadline - time.perf_counter(), 0))
        wave.news_at = time.perf_counter() - state["start"]
        await publisher.publish(_brief("News during the correction"), by=CLI)
        await _until(
            lambda: len(wave.edits) >= channels and len(wave.news_posts) >= channels,
            deadline,
            "the correction with news mid-wave",
        )
        await env.settle(idle=0.001)
        for channel in handles:
            titles = [m.embeds[0].title for m in channel.history() if m.embeds]
            wave.corrected += "After the correction" in titles
            wave.news_delivered += "News during the correction" in titles
    return wave


async def run(channels: int, workdir: Path) -> Result:
    """Run the correction wave and return its table."""
    floor_s = channels / GLOBAL_LIMIT_PER_S
    result = Result("corrections", f"Corrections: one brief on {channels:,} channels, corrected")
    wave = await _wave(workdir / "corrections.db", channels)
    clean_s = max(wave.clean, default=float("nan"))
    wave_s = max(wave.edits, default=float("nan"))
    news_last = max(wave.news_posts, default=float("nan"))
    news_s = news_last - wave.news_at
    result.rows.append(
        Row(
            "correction wall time",
            channels,
            "s",
            clean_s,
            baseline=floor_s,
            baseline_label="50 req/s floor",
            ratio=clean_s / floor_s,
            target=f"≤ {WAVE_FLOOR_RATIO}× floor",
            result=verdict(clean_s <= WAVE_FLOOR_RATIO * floor_s and len(wave.clean) == channels),
        )
    )
    result.rows.append(
        Row(
            "correction with news mid-wave",
            channels,
            "s",
            wave_s,
            baseline=2 * floor_s,
            baseline_label="floor, both",
            ratio=wave_s / (2 * floor_s),
            result=INFO,
        )
    )
    result.rows.append(
        Row(
            "news published mid-wave: to last channel",
            channels,
            "s",
            news_s,
            baseline=floor_s,
            baseline_label="50 req/s floor",
            ratio=news_s / floor_s,
            target="before the wave ends",
            result=verdict(
                news_last < wave_s and wave.news_delivered == channels == wave.corrected
            ),
        )
    )
    result.rows.append(
        Row(
            "first fan-out (before the correction)",
            channels,
            "s",
            wave.fanout_seconds,
            baseline=floor_s,
            baseline_label="50 req/s floor",
            ratio=wave.fanout_seconds / floor_s,
            result=INFO,
        )
    )
    result.rows.append(
        Row(
            "429 responses",
            channels,
            "",
            float(wave.rate_limited),
            target="0",
            result=verdict(wave.rate_limited == 0),
        )
    )
    meanwhile = sum(1 for at in wave.edits if wave.news_at <= at <= news_last)
    result.notes.append(
        f"second correction: the news brief was stored {wave.news_at:.1f} s into the wave "
        f"({MID_WAVE:.0%} of the copies edited) and reached {wave.news_delivered:,}/{channels:,} "
        f"channels {news_s:.1f} s later, while only {meanwhile:,} "
        f"{'copy was' if meanwhile == 1 else 'copies were'} edited (in slots "
        f"its posts left free); {wave.corrected:,}/{channels:,} channels show that correction."
    )
    result.notes.append(
        f"floor: {channels:,} edits at Discord's {GLOBAL_LIMIT_PER_S:g} requests/s take "
        f"≥ {floor_s:g} s; with the news brief's {channels:,} posts going first, the second "
        f"wave needs ≥ {2 * floor_s:g} s. simcord has no rate limit or network: the bot's own "
        f"pacing is what is measured ({wave.requests:,} requests in all)."
    )
    return result
