"""Scheduled release: 1,000 held briefs due in the same minute, auto-posted to 200 channels.

The real bot runs under simcord with 200 servers subscribed, one channel each. 1,000 briefs
(quick: 100 over 20 channels) are stored held (`publish_many` with `release_at`), their
release times spread evenly over one minute (quick: 5 s), the first LEAD_S after they are
stored. The briefs cog's release loop (`BriefCommands.release`, a look every RELEASE_EVERY s)
releases them and auto-posting delivers them as new briefs. Measured:

* release lateness: each brief's `released_at`, read back from storage, minus its release
  time (p50, p99, max). Target: p99 ≤ LATE (15 s), where the bot logs a release as late.
  A brief's worst wait is one look, RELEASE_EVERY (the row's baseline).
* the fan-out. Auto-posting never floods a channel: a delivery pass posts at most
  AUTOPOST_CATCHUP_MAX (5) of a channel's pending briefs, the newest, and skips the older
  ones for good. So most of the 200,000 brief × channel pairs are skipped by design, and what
  is posted depends on when passes run. Counted: the posts, the requests they took, and the
  time auto-posting spent (while any channel's delivery was in flight, so not the idle time
  between releases) against the floor for that many requests at Discord's 50 requests/s, as
  `fanout` does (target PACED_FLOOR_RATIO).
* against the usual path: a second bot in the same run publishes the same briefs without a
  schedule, each batch the loop released published with `publish_many` at the same offset
  from the first. Auto-posting meets the same batches at the same moments, so only the release
  machinery differs (held rows, the release transaction, the queue finding briefs released
  under older numbers): the released path's wall time, first arrival to last post, should be
  about the usual path's (target SAME_PATH_RATIO). In both, every channel must end with
  nothing pending (each brief posted or skipped) and the last brief due posted.

The full run takes about three minutes: a minute of release times, then each path's last
passes (≤ 1,000 posts ≈ 21 s each), twice. simcord answers instantly and enforces no rate
limit, so the fan-out times are the bot's own pacing; 429s cannot occur offline (counted).

simcord runs `discord.ext.tasks` loops on a virtual clock that only `env.advance_time` moves,
and it cannot be moved while a fan-out runs: an advance settles first, and servers waiting for
one of auto-posting's concurrency slots never settle (simcord gives up after 5 s; the clock
stays put). So the cog's release loop is stopped once seen running, and its body is run here
every RELEASE_EVERY s of real time, as `tasks.loop` schedules it (each look that long after the
last began; at once after a look that overran). It runs in a fresh context, outside simcord's
clock scope, so `discord.utils` reads the wall clock as in production. The usual path
publishes from the same kind of context.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from simcord.env import Env

from benchmarks.fanout import GLOBAL_LIMIT_PER_S, PACED_FLOOR_RATIO
from benchmarks.report import Result, Row, percentile, verdict
from benchmarks.simulated import briefbot, running
from bot.app import BriefBot
from bot.cogs.autopost._pacing import SEND_RATE
from bot.cogs.autopost._waking import TASK_NAME as WOKEN
from bot.cogs.briefs._scheduling import LATE, RELEASE_EVERY
from storage.models import BriefContent, utcnow
from storage.publishing import CLI
from storage.writing import RELEASE_BATCH, Released

#: The first brief is due this long after it is stored (every held one is stored at once).
LEAD_S = 3.0
#: The released path's wall time against the usual path's, same arrivals: about 1×.
SAME_PATH_RATIO = 1.1
#: How long the fan-out may stay quiet before its end is checked (no pending brief anywhere).
QUIET_S = 0.5
#: How long a path may take past its last release time, in passes' floors (+ a minute),
#: before it counts as stuck.
STUCK_AFTER_PASSES = 10


@dataclass
class Run:
    """What one path (released or usual) did, times in perf_counter seconds."""

    label: str
    channels: int
    stored: float = float("nan")  # when the release times were set
    arrivals: list[tuple[float, list[int]]] = field(default_factory=list)  # (when, indexes)
    requests: int = 0
    posts: int = 0
    rate_limited: int = 0
    last_post: float = float("nan")
    busy: float = 0.0
    settled: int = 0
    newest: int = 0
    catchup: int = 0
    lateness: list[float] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)

    @property
    def wall(self) -> float:
        """Return the time from the first arrival to the last post."""
        return self.last_post - self.arrivals[0][0] if self.arrivals else float("nan")

    @property
    def floor(self) -> float:
        """Return the least time Discord allows for the requests made."""
        return self.requests / GLOBAL_LIMIT_PER_S


def _content(index: int, release_at: datetime | None = None) -> BriefContent:
    return BriefContent(
        title=f"Release {index + 1}",
        what_happened=f"Brief {index + 1} of the minute's news, released on time.",
        topics=["release"],
        release_at=release_at,
    )


async def _look_every(cog: Any, stop: asyncio.Event) -> None:
    """Run the release loop's body every RELEASE_EVERY seconds of real time until `stop`,
    as `tasks.loop(seconds=RELEASE_EVERY)` does: each look that long after the last began."""
    next_look = time.perf_counter()
    while not stop.is_set():
        next_look += RELEASE_EVERY
        await cog.release.coro(cog)
        next_look = max(next_look, time.perf_counter())
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), next_look - time.perf_counter())


def _wall_clock_task(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Run `coro` in a fresh context: outside simcord's clock scope, so `discord.utils` reads
    the wall clock there, as in production (the bot's storage always does)."""
    return asyncio.create_task(coro, context=contextvars.Context())


@asynccontextmanager
async def _release_loop(bot: BriefBot) -> AsyncIterator[None]:
    """Stop the cog's release loop (once seen running) and run its body here on real time."""
    cog: Any = bot.get_cog("BriefCommands")
    if not cog.release.is_running():
        raise RuntimeError("the briefs cog's release loop is not running")
    cog.release.cancel()
    stop = asyncio.Event()
    task = _wall_clock_task(_look_every(cog, stop))
    try:
        yield
    finally:
        stop.set()
        await task


def _stuck_after(channels: int) -> float:
    """Return how long after its last arrival a path counts as stuck."""
    return 60 + STUCK_AFTER_PASSES * channels * 5 / GLOBAL_LIMIT_PER_S


def _instrument(bot: BriefBot, path: Run) -> dict[str, float]:
    """Count the bot's requests and message posts, and the time any delivery was in flight."""
    send = bot.http.request
    poster: Any = bot.get_cog("AutoPost").poster  # type: ignore[union-attr]
    deliver = poster.deliver
    state = {"in_flight": 0.0, "since": 0.0, "last_request": 0.0}

    async def request(route: Any, **kwargs: Any) -> Any:
        path.requests += 1
        try:
            answer = await send(route, **kwargs)
        except discord.HTTPException as error:
            path.rate_limited += error.status == 429
            raise
        state["last_request"] = time.perf_counter()
        if route.method == "POST" and route.path.endswith("/messages"):
            path.posts += 1
            path.last_post = state["last_request"]
        return answer

    async def counted_deliver(subscription: Any) -> int:
        if not state["in_flight"]:
            state["since"] = time.perf_counter()
        state["in_flight"] += 1
        try:
            return int(await deliver(subscription))
        finally:
            state["in_flight"] -= 1
            if not state["in_flight"]:
                path.busy += time.perf_counter() - state["since"]

    bot.http.request = request  # type: ignore[method-assign]
    poster.deliver = counted_deliver
    path.catchup = bot.settings.autopost_catchup_max
    return state


async def _subscribe(bot: BriefBot, env: Env, channels: int) -> list[Any]:
    handles = []
    for n in range(channels):
        guild = env.create_guild(name=f"Server {n}")
        channel = guild.create_text_channel("news")
        await bot.storage.subscriptions.set_channel(guild.id, channel.id)
        handles.append(channel)
    return handles


async def _delivered(bot: BriefBot, state: dict[str, float], deadline: float) -> None:
    """Return once auto-posting is idle with nothing pending for any subscription."""
    poster: Any = bot.get_cog("AutoPost").poster  # type: ignore[union-attr]
    while True:
        await asyncio.sleep(0.1)
        if time.perf_counter() > deadline:
            raise TimeoutError("auto-posting did not deliver every released brief")
        woken = any(t.get_name() == WOKEN and not t.done() for t in asyncio.all_tasks())
        if woken or state["in_flight"] or time.perf_counter() - state["last_request"] < QUIET_S:
            continue
        subscriptions = await bot.storage.subscriptions.active()
        if not any([await poster.pending_count(sub) for sub in subscriptions]):
            return


async def _count_settled(bot: BriefBot, path: Run, handles: Sequence[Any], newest: str) -> None:
    """Count the subscriptions with nothing pending, and the channels showing the last brief."""
    poster: Any = bot.get_cog("AutoPost").poster  # type: ignore[union-attr]
    for subscription in await bot.storage.subscriptions.active():
        path.settled += not await poster.pending_count(subscription)
    for channel in handles:
        path.newest += any(m.embeds and m.embeds[0].title == newest for m in channel.history())


async def _released(database: Path, channels: int, count: int, window: float) -> Run:
    """Hold `count` briefs due over `window` seconds and let the bot release and post them."""
    path = Run("released", channels)
    bot = briefbot(database)
    async with running(bot) as env:
        handles = await _subscribe(bot, env, channels)
        state = _instrument(bot, path)
        publisher = bot.storage.publisher
        release_due = publisher.release_due

        async def timed_release(**kwargs: Any) -> list[Released]:
            batch = await release_due(**kwargs)
            if batch:
                path.arrivals.append((time.perf_counter(), [index[b.brief_id] for b in batch]))
                path.batches.append(len(batch))
            return batch

        publisher.release_due = timed_release  # type: ignore[method-assign]
        path.stored, first = time.perf_counter(), utcnow() + timedelta(seconds=LEAD_S)
        due = [first + timedelta(seconds=window * k / max(count - 1, 1)) for k in range(count)]
        held = await publisher.publish_many([_content(k, at) for k, at in enumerate(due)], by=CLI)
        if any(brief.release_at is None for brief in held):
            raise RuntimeError("a brief meant to be held was published at once")
        index = {brief.id: k for k, brief in enumerate(held)}
        deadline = time.perf_counter() + LEAD_S + window + _stuck_after(channels)
        async with _release_loop(bot):
            while await bot.storage.briefs.scheduled_count():
                if time.perf_counter() > deadline:
                    raise TimeoutError("held briefs were not all released")
                await asyncio.sleep(0.1)
            await _delivered(bot, state, deadline)
        await env.settle(idle=0.001)
        for brief, at in zip(held, due, strict=True):
            stored = await bot.storage.briefs.get(brief.id)
            if stored is None or stored.released_at is None:
                raise RuntimeError(f"brief #{brief.id} is not visible after its release")
            path.lateness.append((stored.released_at - at).total_seconds())
        await _count_settled(bot, path, handles, _content(count - 1).title)
    return path


async def _usual(
    database: Path, channels: int, count: int, arrivals: Sequence[tuple[float, list[int]]]
) -> Run:
    """Publish the same briefs without a schedule, batch by batch at the released path's
    offsets, and let the bot post them."""
    path = Run("usual", channels)
    bot = briefbot(database)
    async with running(bot) as env:
        handles = await _subscribe(bot, env, channels)
        state = _instrument(bot, path)

        async def publish() -> None:
            start = time.perf_counter()
            for offset, indexes in ((at - arrivals[0][0], ks) for at, ks in arrivals):
                await asyncio.sleep(max(start + offset - time.perf_counter(), 0))
                await bot.storage.publisher.publish_many([_content(k) for k in indexes], by=CLI)
                path.arrivals.append((time.perf_counter(), list(indexes)))

        await _wall_clock_task(publish())  # in the same context as the released path's looks
        await _delivered(bot, state, time.perf_counter() + _stuck_after(channels))
        await env.settle(idle=0.001)
        await _count_settled(bot, path, handles, _content(count - 1).title)
    return path


def _busy_row(path: Run, case: str) -> Row:
    ratio = path.busy / path.floor if path.floor else float("nan")
    return Row(
        case,
        path.requests,
        "s",
        path.busy,
        baseline=path.floor,
        baseline_label="50 req/s floor",
        ratio=ratio,
        target=f"≤ {PACED_FLOOR_RATIO}× floor (paced)",
        result=verdict(ratio <= PACED_FLOOR_RATIO),
    )


async def run(channels: int, count: int, window: float, workdir: Path) -> Result:
    """Run the released path, then the usual path over the same arrivals; return the table."""
    result = Result(
        "release",
        f"Scheduled release: {count:,} briefs due within {window:g} s, {channels:,} channels",
    )
    released = await _released(workdir / "release-held.db", channels, count, window)
    usual = await _usual(workdir / "release-usual.db", channels, count, released.arrivals)

    late = released.lateness
    p99 = percentile(late, 99)
    limit = LATE.total_seconds()
    result.rows.append(
        Row(
            "release lateness",
            len(late),
            "s",
            percentile(late, 50),
            p99,
            baseline=RELEASE_EVERY,
            baseline_label="loop period",
            ratio=p99 / RELEASE_EVERY,
            target=f"p99 ≤ {limit:g} s",
            result=verdict(p99 <= limit and len(late) == count),
            samples=len(late),
        )
    )
    ratio = released.wall / usual.wall
    result.rows.append(
        Row(
            "released: first release → last post",
            released.posts,
            "s",
            released.wall,
            baseline=usual.wall,
            baseline_label="usual path, same arrivals",
            ratio=ratio,
            target=f"≤ {SAME_PATH_RATIO}× usual",
            result=verdict(ratio <= SAME_PATH_RATIO),
        )
    )
    result.rows.append(_busy_row(released, "released: time posting (n: requests)"))
    result.rows.append(_busy_row(usual, "usual: time posting (n: requests)"))
    for path in (released, usual):
        result.rows.append(
            Row(
                f"{path.label}: channels settled, last brief posted",
                channels,
                "",
                float(min(path.settled, path.newest)),
                target=f"all {channels:,}",
                result=verdict(path.settled == path.newest == channels),
            )
        )
    result.rows.append(
        Row(
            "429 responses",
            released.requests + usual.requests,
            "",
            float(released.rate_limited + usual.rate_limited),
            target="0",
            result=verdict(released.rate_limited == usual.rate_limited == 0),
        )
    )

    batches = released.batches
    if released.arrivals:
        first_out = released.arrivals[0][0] - released.stored
        result.notes.append(
            f"lateness: min {min(late):.1f} s, max {max(late):.1f} s; the loop released "
            f"{sum(batches):,} briefs in {len(batches)} batches of at most {max(batches)} "
            f"(RELEASE_BATCH {RELEASE_BATCH}), the first {first_out:.1f} s "
            f"after the release times were set (the first due {LEAD_S:g} s after)."
        )
    for path in (released, usual):
        result.notes.append(
            f"{path.label}: {path.posts:,} posts ({path.posts / channels:.1f} per channel of "
            f"{count:,} briefs; the rest skipped by the catch-up limit), {path.requests:,} "
            f"requests, {len(path.arrivals)} arrivals; wall {path.wall:.1f} s; posting "
            f"{path.busy:.1f} s against a floor of {path.floor:.1f} s."
        )
    per_pass = released.catchup * channels
    result.notes.append(
        f"a delivery pass posts at most AUTOPOST_CATCHUP_MAX ({released.catchup}) briefs per "
        f"channel, the newest, and skips the older ones for good (never a flood): ≤ "
        f"{per_pass:,} posts a pass, ≈ {per_pass / SEND_RATE:.0f} s at the paced "
        f"{SEND_RATE:g} requests/s. Briefs arriving during a pass wait for the next. Posting "
        "time is the time any channel's delivery was in flight (not the idle time between "
        "releases); the floor is its requests at Discord's 50/s."
    )
    result.notes.append(
        f"the release loop's body ran here every {RELEASE_EVERY:g} s of real time (see the "
        "module): simcord's virtual clock cannot be moved while a fan-out runs. simcord has "
        "no rate limit or network: the bot's own pacing is what is measured."
    )
    return result
