"""After a post is sent: corrections and retractions reach every copy, and announcement posts
are published to following servers, both apart from delivery and never ahead of it.

Posted copies that show an older version of their brief are leased from the post log (so
several bot processes share the work, each copy once) and edited to the brief as it is now,
or to a short "Retracted" notice once it was deleted. A copy whose payload did not change (an
edit of the article behind More only) costs no request: the post log keeps a hash of what each
copy shows. A copy that is gone (404) or out of reach (403) is marked so and left alone; it
never pauses the server's new posts. Every request waits for a slot of the same pacer as new
posts, as one that can wait: a new brief's posts always go first.

A forum post (a thread the bot created) is renamed after its brief's title, or its retraction,
along with its message; one that Discord archived for inactivity is reopened for the edit and
archived again, so it is left as it was.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.cogs.autopost._forums import THREAD_ARCHIVED
from bot.cogs.autopost._outcomes import Outcome, classify, describe
from bot.cogs.autopost._pacing import Pacer
from bot.cogs.autopost._policy import (
    COPY_BATCH,
    COPY_LEASE,
    COPY_RETRY,
    CROSSPOST_BATCH,
    CROSSPOST_LEASE,
    NO_MENTIONS,
    thread_name,
)
from bot.cogs.autopost._rounds import Rounds
from bot.ui import components, embeds
from storage.copies import CopyState
from storage.delivery_log import Event
from storage.errors import LibraryUnreachableError
from storage.models import PostedCopy

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")


class CopyKeeper:
    """Keeps every posted copy showing its brief's latest version; one round at a time."""

    def __init__(self, bot: BriefBot, pacer: Pacer) -> None:
        self.bot = bot
        self._pacer = pacer
        self._slots = asyncio.Semaphore(bot.settings.autopost_concurrency)
        self._rounds = Rounds(self._all, failure="autopost could not update posted copies")

    async def run(self) -> None:
        """Update every copy that is behind, then crosspost; a call during a round makes it go
        round again. Never raises, so neither the sweep nor a listener can be broken by it."""
        await self._rounds.run()

    async def drain(self) -> None:
        """Return once no round is running (and none is queued to go round again)."""
        await self._rounds.drain()

    async def _all(self) -> None:
        """One round: the copies that are behind, then the announcement posts to publish."""
        await self._round()
        await self._crossposts()

    async def _round(self) -> None:
        """Lease copies that are behind, batch after batch, and bring each up to date."""
        while copies := await self.bot.storage.copies.due(
            limit=COPY_BATCH, lease=COPY_LEASE, shards=self.bot.served_shards()
        ):
            await asyncio.gather(*(self._bounded(copy) for copy in copies))

    async def _bounded(self, copy: PostedCopy) -> None:
        async with self._slots:
            await self.update(copy)

    async def update(self, copy: PostedCopy) -> None:
        """Edit one copy to what its brief shows now; never raise."""
        storage = self.bot.storage
        ids = {"guild": copy.guild_id, "brief": copy.brief_id, "message_id": copy.message_id}
        change = "correction"
        try:
            brief = await self.bot.storage.briefs.get(copy.brief_id)
            if brief is not None:
                embed, view = components.summary_message(brief)
                shown = components.summary_hash(brief)
                version, event = brief.updated_at, Event.UPDATED
                name = thread_name(brief.title)
            else:
                change = "retraction"
                retraction = await self.bot.storage.briefs.retraction(copy.brief_id)
                if retraction is None:  # never stored here: nothing to show instead
                    await storage.copies.lost(copy.channel_id, copy.brief_id, CopyState.GONE)
                    self._count(change, CopyState.GONE.value)
                    return
                embed, view = embeds.retracted_embed(retraction), None
                shown = components.payload_hash(embed, view)
                version, event = retraction.at, Event.RETRACTED
                name = thread_name(f"Retracted: {retraction.title}")
            edited = shown != copy.shown_hash
            if edited:
                await self._edit(copy, embed, view, name)
                await storage.delivery_log.add(copy.guild_id, copy.brief_id, event)
                log.info(f"autopost copy {event}", extra=ids)
            await storage.copies.shown(
                copy.channel_id,
                copy.brief_id,
                shown_hash=shown,
                shown_version=version,
                retracted=brief is None,
            )
            self._count(change, "edited" if edited else "unchanged")
        except Exception as error:
            self._count(change, await self._failed(copy, error))

    def _count(self, change: str, outcome: str) -> None:
        self.bot.metrics.copy_updates.labels(change=change, outcome=outcome).inc()

    async def _edit(
        self, copy: PostedCopy, embed: discord.Embed, view: discord.ui.View | None, name: str
    ) -> None:
        """Edit a copy's message; a forum post is also renamed `name`, and reopened for the
        edit (then archived again) if Discord archived it."""
        message = self.bot.get_partial_messageable(
            copy.thread_id or copy.channel_id, guild_id=copy.guild_id
        ).get_partial_message(copy.message_id)
        if copy.thread_id is None:
            await self._pacer.wait(urgent=False)
            await message.edit(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
            return
        thread = self.bot.get_channel(copy.thread_id)
        if not isinstance(thread, discord.Thread):
            thread = await self._thread(copy.thread_id)
        if not thread.archived:
            try:
                await self._pacer.wait(urgent=False)
                await message.edit(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as error:
                if error.code != THREAD_ARCHIVED:
                    raise
                thread = await self._thread(copy.thread_id)  # archived since it was cached
            else:
                if thread.name != name:
                    await self._pacer.wait(urgent=False)
                    await thread.edit(name=name)
                return
        await self._pacer.wait(urgent=False)
        thread = await thread.edit(archived=False)
        try:
            await self._pacer.wait(urgent=False)
            await message.edit(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except Exception:
            await self._pacer.wait(urgent=False)
            await thread.edit(archived=True)
            raise
        await self._pacer.wait(urgent=False)
        await thread.edit(name=name, archived=True)

    async def _thread(self, thread_id: int) -> discord.Thread:
        """Fetch a forum post as Discord has it now (archived ones are not in the cache)."""
        await self._pacer.wait(urgent=False)
        channel = await self.bot.fetch_channel(thread_id)
        if not isinstance(channel, discord.Thread):
            raise TypeError(f"channel {thread_id} is not a thread")
        return channel

    async def _failed(self, copy: PostedCopy, error: Exception) -> str:
        """A copy that is gone or out of reach is left alone from now on; others wait a round.
        Return the outcome counted: retry, failed, gone or unreachable."""
        storage = self.bot.storage
        ids = {"guild": copy.guild_id, "brief": copy.brief_id, "error": describe(error)}
        if isinstance(error, LibraryUnreachableError):
            raise error  # the round ends: nothing can be recorded until the library answers
        outcome = classify(error)
        if outcome is Outcome.RETRY or outcome is None:
            if outcome is None:
                log.error("autopost copy update failed", extra=ids, exc_info=error)
            else:
                log.warning("autopost copy update failed; will retry", extra=ids)
            await storage.copies.release(copy.channel_id, copy.brief_id, retry_after=COPY_RETRY)
            return "failed" if outcome is None else "retry"
        state = CopyState.GONE if isinstance(error, discord.NotFound) else CopyState.UNREACHABLE
        log.warning(f"autopost copy {state}; no longer updated", extra=ids)
        await storage.copies.lost(copy.channel_id, copy.brief_id, state)
        await storage.delivery_log.add(
            copy.guild_id, copy.brief_id, Event(state.value), describe(error)
        )
        return state.value

    async def _crossposts(self) -> None:
        """Publish announcement posts to following servers, each when its channel allows."""
        while due := await self.bot.storage.crossposts.due(
            limit=CROSSPOST_BATCH, lease=CROSSPOST_LEASE, shards=self.bot.served_shards()
        ):
            for copy in due:
                await self._crosspost(copy)

    async def _crosspost(self, copy: PostedCopy) -> None:
        """Publish one post; a long rate limit (about 10 an hour per channel) defers it."""
        storage = self.bot.storage
        ids = {"guild": copy.guild_id, "brief": copy.brief_id, "message_id": copy.message_id}
        try:
            await self._pacer.wait(urgent=False)
            await (
                self.bot.get_partial_messageable(copy.channel_id, guild_id=copy.guild_id)
                .get_partial_message(copy.message_id)
                .publish()
            )
        except discord.RateLimited as limited:
            log.info("autopost crosspost deferred by a rate limit", extra=ids)
            await storage.crossposts.deferred(
                copy.channel_id, copy.brief_id, retry_after=timedelta(seconds=limited.retry_after)
            )
        except discord.HTTPException as error:
            if classify(error) is Outcome.RETRY:
                await storage.crossposts.deferred(copy.channel_id, copy.brief_id)
                return
            log.warning("autopost crosspost failed", extra={**ids, "error": describe(error)})
            await storage.crossposts.failed(copy.channel_id, copy.brief_id)
            await storage.delivery_log.add(
                copy.guild_id, copy.brief_id, Event.FAILED, describe(error)
            )
        else:
            log.info("autopost crossposted", extra=ids)
            await storage.crossposts.published(copy.channel_id, copy.brief_id)
            await storage.delivery_log.add(copy.guild_id, copy.brief_id, Event.CROSSPOSTED)
