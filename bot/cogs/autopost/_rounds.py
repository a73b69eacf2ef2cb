"""Rounds of work that never queue up: a call while one runs makes it go round once more."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from storage.errors import LibraryUnreachableError

log = logging.getLogger("bot.autopost")


class Rounds:
    """Runs one round of some work at a time: a call while a round runs makes it go round
    once more instead (whatever woke it is then seen), so callers never queue up.

    A round that raises is logged and ends the run, so no caller is ever broken by it.
    """

    def __init__(self, work: Callable[[], Awaitable[None]], *, failure: str) -> None:
        self._work = work
        self._failure = failure
        self._lock = asyncio.Lock()
        self._again = False

    async def run(self) -> None:
        """Do a round now, or have the one running go round again; never raise."""
        if self._lock.locked():
            self._again = True
            return
        async with self._lock:
            self._again = True
            while self._again:
                self._again = False
                try:
                    await self._work()
                except LibraryUnreachableError:
                    return  # storage logs an outage once, when it starts: try next round
                except Exception:
                    log.exception(self._failure)
                    return

    async def drain(self) -> None:
        """Return once no round is running (and none is queued to go round again)."""
        self._again = False
        async with self._lock:
            return
