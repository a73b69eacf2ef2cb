"""Auto-posting's rules on their own, without Discord: catch-up, error classes, pacing."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import discord

from bot.cogs.autopost._outcomes import Outcome, classify
from bot.cogs.autopost._pacing import SEND_RATE, Pacer, send_rate
from bot.cogs.autopost._policy import DAILY_CAP_WINDOW, CapWindow, plan_catchup
from bot.cogs.autopost._texts import EVENT_WORDS, LINE_MAX, fit
from bot.limits import GLOBAL_REQUESTS_PER_SECOND, MESSAGE_CONTENT
from storage.base import Shards
from storage.delivery_log import Event


def test_plan_catchup_posts_the_newest_and_skips_the_older_rest():
    assert plan_catchup([1, 2, 3, 4, 5, 6, 7], 3) == ([5, 6, 7], [1, 2, 3, 4])
    assert plan_catchup([1, 2], 5) == ([1, 2], [])
    assert plan_catchup([1, 2, 3], 0) == ([3], [1, 2])
    assert plan_catchup([], 5) == ([], [])


def _http_error(status: int, cls: type[discord.HTTPException] = discord.HTTPException):
    class Response:
        reason = "test"

    Response.status = status  # type: ignore[attr-defined]
    return cls(Response(), {"message": "test", "code": 0})  # type: ignore[arg-type]


def test_classify_sorts_discord_errors_into_retry_pause_or_drop():
    assert classify(_http_error(403, discord.Forbidden)) is Outcome.PAUSE
    assert classify(_http_error(404, discord.NotFound)) is Outcome.PAUSE
    assert classify(_http_error(503, discord.DiscordServerError)) is Outcome.RETRY
    assert classify(_http_error(429)) is Outcome.RETRY
    assert classify(ConnectionResetError()) is Outcome.RETRY
    assert classify(TimeoutError()) is Outcome.RETRY
    assert classify(_http_error(400)) is Outcome.DROP
    assert classify(ValueError("a bug")) is None


async def test_pacer_spaces_requests_below_discords_global_limit():
    pacer = Pacer(rate=50, clock=time.monotonic)
    started = time.monotonic()

    await asyncio.gather(*(pacer.wait() for _ in range(26)))

    assert time.monotonic() - started >= 25 / 50


async def test_pacer_restarts_its_schedule_when_the_clock_moves_back():
    """A clock read behind the schedule (simcord's virtual clock beside the real one, on a
    machine up for a minute or two) must not hold the next send for the difference."""
    readings = iter([100.0, 45.0])
    pacer = Pacer(rate=50, clock=lambda: next(readings))
    await pacer.wait()

    started = time.monotonic()
    await pacer.wait()

    assert time.monotonic() - started < 1


def test_processes_splitting_the_shards_split_the_global_budget() -> None:
    assert SEND_RATE < GLOBAL_REQUESTS_PER_SECOND
    assert send_rate(None) == SEND_RATE
    assert send_rate(Shards(4, (0,))) == SEND_RATE / 4
    assert send_rate(Shards(4, (1, 2, 3))) == SEND_RATE * 3 / 4
    # Every process of a deployment together stays under the limit.
    assert sum(send_rate(Shards(3, (n,))) for n in range(3)) <= GLOBAL_REQUESTS_PER_SECOND


def test_fit_keeps_a_message_within_discords_limit_and_says_what_it_left_out() -> None:
    assert fit(["one", "two"]) == "one\ntwo"
    long = fit([f"line {n} " + "x" * 300 for n in range(20)])
    assert len(long) <= MESSAGE_CONTENT
    assert long.endswith("more")
    kept = long.count("\n")
    assert f"… and {20 - kept} more" in long
    huge = fit(["y" * 5000])
    assert len(huge) <= LINE_MAX
    assert huge.endswith("…")


def test_a_cap_window_tells_when_each_waiting_brief_goes():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    hours = [now - timedelta(hours=h) for h in (20, 5)]  # two posts in the last day
    open_ = CapWindow(3, hours, now)
    assert (open_.used, open_.room) == (2, 1)
    assert open_.turn(0) == now  # fits the cap at once
    assert open_.turn(1) == hours[0] + DAILY_CAP_WINDOW  # the oldest post's slot opens
    assert open_.turn(2) == hours[1] + DAILY_CAP_WINDOW
    assert open_.turn(3) == now + DAILY_CAP_WINDOW  # the slot used now, a day on
    assert open_.turn(4) == hours[0] + 2 * DAILY_CAP_WINDOW
    lowered = CapWindow(1, hours, now)  # the cap was lowered below today's posts
    assert lowered.room == 0
    assert lowered.turn(0) == hours[1] + DAILY_CAP_WINDOW


def test_every_delivery_log_event_reads_as_words_in_the_log() -> None:
    assert set(EVENT_WORDS) == set(Event)
