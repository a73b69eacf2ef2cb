"""The pace of auto-posting's requests: one budget, below Discord's global limit, shared by
every task that posts, updates or publishes, new posts first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.limits import GLOBAL_REQUESTS_PER_SECOND
from storage.base import Shards

#: Auto-post requests per second for a process serving every shard: just below Discord's
#: global limit, leaving room for the bot's few other requests (interaction responses, the
#: bulk of the rest, do not count against it). A process serving some shards takes its share.
SEND_RATE = GLOBAL_REQUESTS_PER_SECOND * 0.95


def send_rate(shards: Shards | None) -> float:
    """Return this process's share of the auto-post budget: the global limit is per bot, so
    processes that split the shards between them split it too."""
    if shards is None:
        return SEND_RATE
    return SEND_RATE * len(shards.ids) / shards.count


class Pacer:
    """Space requests out to at most `rate` per second, across every task that shares it.

    Bounded concurrency alone does not bound the rate: with fast responses a handful of
    workers can exceed Discord's global limit. Pacing keeps fan-out under it, not just
    recovering from 429s after the fact.

    `clock` is read in seconds, on the clock the caller's sleeps run on (the event loop's).
    The schedule runs ahead of it by one interval per caller still waiting, never more: a
    clock that jumps back restarts the schedule from now rather than stall every send.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float]) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._waiting = 0
        self._urgent = 0
        #: Set while no urgent caller waits.
        self._calm = asyncio.Event()
        self._calm.set()
        self._lock = asyncio.Lock()

    async def wait(self, *, urgent: bool = True) -> None:
        """Return when the caller may send its next request.

        Requests that can wait (`urgent=False`: updating copies already posted, publishing
        to followers) take a slot only while no urgent caller waits and the schedule is not
        booked ahead, so a new brief's posts go first whatever else is queued.
        """
        if not urgent:
            while True:
                await self._calm.wait()
                lead = self._next - self._clock()
                # A lead no queue explains means the clock jumped: `_take` starts afresh.
                if lead <= self._interval or lead > self._interval * (self._waiting + 2):
                    break
                await asyncio.sleep(lead - self._interval)
            await self._take()
            return
        self._urgent += 1
        self._calm.clear()
        try:
            await self._take()
        finally:
            self._urgent -= 1
            if not self._urgent:
                self._calm.set()

    async def _take(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._next - now > self._interval * (self._waiting + 1):
                self._next = now
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
            self._waiting += 1
        try:
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            self._waiting -= 1
