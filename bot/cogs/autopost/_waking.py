"""Waking auto-posting when storage announces a change, rather than at the next sweep.

Publishing (storage/publishing.py) announces every committed publish, edit and retraction,
in-process on SQLite and from every process on PostgreSQL, once each; a missed announcement
loses nothing, since the sweep finds the same work from the post log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING

from storage.publishing import Announcement, Change

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")

#: What the log says woke auto-posting, by change.
WOKEN = {
    Change.PUBLISHED: "autopost woken",
    Change.EDITED: "autopost woken by an edit",
    Change.RETRACTED: "autopost woken by a retraction",
}
#: The name of the task an announcement starts (tests wait for it by name).
TASK_NAME = "autopost: woken"


class Waker:
    """Subscribes auto-posting to storage's announcements and starts its work on each."""

    def __init__(
        self, bot: BriefBot, work: Callable[[bool], Coroutine[object, object, None]]
    ) -> None:
        self.bot = bot
        self._work = work
        self._tasks: set[asyncio.Task[None]] = set()

    async def listen(self) -> None:
        """Subscribe (again: re-listening after a dropped connection); never raises."""
        try:
            await self.bot.storage.announcements.subscribe(self._heard)
        except Exception as error:
            log.warning(
                "cannot listen for briefs stored by other processes; the sweep will find them",
                extra={"error": f"{type(error).__name__}: {error}"},
            )

    def stop(self) -> None:
        """Hear no more announcements."""
        self.bot.storage.announcements.unsubscribe(self._heard)

    def _heard(self, announcement: Announcement) -> None:
        """Deliver (unless it was a retraction) and update posted copies now; before the bot
        is ready, the first sweep does it."""
        if self.bot.is_closed() or not self.bot.is_ready():
            return
        if announcement.change not in WOKEN:  # a draft moved in review: nothing to post
            return
        log.info(WOKEN[announcement.change], extra={"brief": announcement.brief_id})
        deliver = announcement.change != Change.RETRACTED
        task = asyncio.get_running_loop().create_task(self._work(deliver), name=TASK_NAME)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
