"""Auto-posting's work for one bot: deliver what is pending, then bring posted copies up to
date; nothing new once shutting down, and the work in flight let finish (bounded)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.cogs.autopost._copies import CopyKeeper
from bot.cogs.autopost._delivery import AutoPoster

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")

#: How long shutdown waits for a delivery pass in flight before cancelling it.
SHUTDOWN_GRACE_SECONDS = 10.0


class Work:
    """Runs delivery and copy updates, counting what is under way so shutdown can wait."""

    def __init__(self, bot: BriefBot) -> None:
        self.poster = AutoPoster(bot)
        self.copies = CopyKeeper(bot, self.poster.pacer)
        #: Set at shutdown: no new work starts. `_idle` is set while no work is under way.
        self._closing = False
        self._working = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def run(self, *, deliver: bool = True) -> None:
        """Deliver what is pending (unless `deliver` is False), then bring posted copies up to
        date; nothing once shutting down."""
        if self._closing:
            return
        self._working += 1
        self._idle.clear()
        try:
            if deliver:
                await self.poster.run()
            if not self._closing:
                await self.copies.run()
        finally:
            self._working -= 1
            if not self._working:
                self._idle.set()

    def stop(self) -> None:
        """Start no more work."""
        self._closing = True

    async def settle(self) -> None:
        """Let the work in flight finish (bounded) so it records its posts."""
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                await self._idle.wait()
                await self.poster.drain()
                await self.copies.drain()
        except TimeoutError:
            log.warning("autopost still delivering at shutdown; cancelling it")
