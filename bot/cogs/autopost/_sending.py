"""One post: claim a brief for a channel, send it (a message, or a forum post), and record the
message, or what refused it. A post returns what it learned, so its caller reads nothing back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.cogs.autopost._forums import post_tags, usable_tags
from bot.cogs.autopost._outcomes import Outcome, classify, describe, post_nonce, tag_refused
from bot.cogs.autopost._pacing import Pacer
from bot.cogs.autopost._policy import NO_MENTIONS, mention_for, thread_name
from bot.cogs.autopost._problems import failed
from bot.cogs.autopost._subscribing import Destination, may_mention
from bot.cogs.autopost._texts import payload_shape
from bot.ui import components
from storage.delivery_log import Event
from storage.models import Brief, PostedCopy, Subscription, utcnow

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")


@dataclass(frozen=True)
class Posted:
    """What one attempt to post a brief learned: how it went, the copy it posted (when sent),
    and the problem it met (as `/autopost status` shows it), if any."""

    outcome: Outcome
    copy: PostedCopy | None = None
    problem: str | None = None
    #: When the brief posted was published (when sent).
    published_at: datetime | None = None


@dataclass(frozen=True)
class _Message:
    """A post as it is about to be sent: the brief, what it says, and whom it may ping."""

    brief: Brief
    content: str | None
    allowed: discord.AllowedMentions
    #: Said in the delivery log when the subscription's role goes unpinged.
    unpinged: str
    embed: discord.Embed
    view: discord.ui.View


class Sender:
    """Posts one brief to one subscription's channel at a time, paced with every other request."""

    def __init__(self, bot: BriefBot, pacer: Pacer) -> None:
        self._bot = bot
        self._pacer = pacer

    async def post(
        self,
        subscription: Subscription,
        channel: Destination,
        brief_id: int,
        claimed: bool = False,
        *,
        test: bool = False,
    ) -> Posted:
        """Claim (unless `claimed`: a retry holds it already), send and record one brief.

        The pacer's slot comes first, so a claim is sent at once: a claim left unrecorded for
        long means its process died. Every attempt is counted by its outcome, and a brief's
        first post (not `/autopost test`'s) by how long after its publish it went out.
        """
        metrics = self._bot.metrics
        try:
            posted = await self._post(subscription, channel, brief_id, claimed)
        except Exception:
            metrics.deliveries.labels(outcome="error").inc()
            raise
        metrics.deliveries.labels(outcome=posted.outcome.value).inc()
        if posted.outcome is Outcome.SENT and posted.published_at is not None and not test:
            metrics.posted(brief_id, posted.published_at, utcnow())
        return posted

    async def _post(
        self, subscription: Subscription, channel: Destination, brief_id: int, claimed: bool
    ) -> Posted:
        post_log = self._bot.storage.post_log
        ids = {"guild": subscription.guild_id, "brief": brief_id, "channel": channel.id}
        brief = await self._bot.storage.briefs.get(brief_id)
        if brief is None:
            await post_log.skip(subscription, [brief_id])
            log.info("autopost brief removed before posting", extra=ids)
            return Posted(Outcome.PASSED)
        content, allowed, unpinged = await self._mention(subscription, channel)
        embed, view = components.summary_message(brief)
        message = _Message(brief, content, allowed, unpinged, embed, view)
        await self._pacer.wait()
        if not claimed and not await post_log.claim(subscription, brief_id):
            log.info("autopost already claimed", extra=ids)
            return Posted(Outcome.PASSED)
        try:
            sent, thread = await self._send(subscription, channel, message)
        except Exception as error:
            return await self._refused(subscription, channel, message, error)
        return await self._record(subscription, channel, message, sent, thread)

    async def _record(
        self,
        subscription: Subscription,
        channel: Destination,
        message: _Message,
        sent: discord.Message,
        thread: discord.Thread | None,
    ) -> Posted:
        """Record a sent post in the post log and the delivery log; open its thread if asked."""
        brief = message.brief
        copy = PostedCopy(
            guild_id=subscription.guild_id,
            brief_id=brief.id,
            channel_id=channel.id,
            thread_id=thread.id if thread is not None else None,
            message_id=sent.id,
            shown_hash=components.summary_hash(brief),
        )
        await self._bot.storage.post_log.record_message(
            subscription,
            brief.id,
            sent.id,
            thread_id=copy.thread_id,
            shown_hash=copy.shown_hash,
            shown_version=brief.updated_at,
            crosspost=(
                subscription.crosspost
                and isinstance(channel, discord.TextChannel)
                and channel.is_news()
            ),
        )
        where = (thread or channel).mention + message.unpinged
        await self._bot.storage.delivery_log.add(subscription.guild_id, brief.id, Event.SENT, where)
        ids = {"guild": subscription.guild_id, "brief": brief.id, "channel": channel.id}
        log.info("autopost sent", extra={**ids, "message_id": sent.id})
        if thread is None and subscription.thread:
            await self._open_thread(subscription, sent, brief)
        return Posted(Outcome.SENT, copy=copy, published_at=brief.created_at)

    async def _refused(
        self, subscription: Subscription, channel: Destination, message: _Message, error: Exception
    ) -> Posted:
        """Keep a refused post's claim with the reason, or give a failed one back; pause or
        note the problem. Re-raise an error that is no Discord or network failure."""
        post_log, delivery_log = self._bot.storage.post_log, self._bot.storage.delivery_log
        brief_id, guild_id = message.brief.id, subscription.guild_id
        outcome = Outcome.PAUSE if tag_refused(error) else classify(error)
        if outcome is Outcome.DROP:
            await post_log.reject(channel.id, brief_id, describe(error))
            await delivery_log.add(guild_id, brief_id, Event.REJECTED, describe(error))
            log.error(
                "autopost send rejected; kept until the brief is edited",
                extra={
                    "guild": guild_id,
                    "brief": brief_id,
                    "channel": channel.id,
                    "error": describe(error),
                    "shape": payload_shape(message.content, message.embed, message.view),
                },
            )
        else:
            await post_log.release(channel.id, brief_id)
            await delivery_log.add(guild_id, brief_id, Event.FAILED, describe(error))
        if outcome is None:
            raise error
        problem = await failed(self._bot, subscription, channel, brief_id, error, outcome)
        return Posted(outcome, problem=problem)

    async def _mention(
        self, subscription: Subscription, channel: Destination
    ) -> tuple[str | None, discord.AllowedMentions, str]:
        """Return a post's content and allowed mentions, and a note for the log when the role
        goes unpinged: whoever chose it could not ping it now (never a confused deputy)."""
        content, allowed = mention_for(subscription, channel.guild)
        role = channel.guild.get_role(subscription.mention_role_id or 0)
        if content is None or role is None or role.mentionable:
            return content, allowed, ""
        chooser = subscription.mention_set_by
        member = channel.guild.get_member(chooser) if chooser else None
        if chooser is not None and member is None:
            await self._pacer.wait()
            try:
                member = await channel.guild.fetch_member(chooser)
            except discord.NotFound:  # they left the server
                member = None
        if member is not None and may_mention(member, role, channel):
            return content, allowed, ""
        note = (
            f"; {role.mention} not mentioned: it is not mentionable, and whoever chose it "
            "may not mention it there (choose it again to confirm)"
        )
        return None, NO_MENTIONS, note

    async def _send(
        self, subscription: Subscription, channel: Destination, message: _Message
    ) -> tuple[discord.Message, discord.Thread | None]:
        """Send one brief: a message in a text channel, or a post (a thread) in a forum."""
        brief = message.brief
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(
                name=thread_name(brief.title),
                content=message.content,
                embed=message.embed,
                view=message.view,
                allowed_mentions=message.allowed,
                applied_tags=post_tags(
                    usable_tags(channel, channel.guild.me), brief.topics, subscription.forum_tag_id
                ),
                silent=subscription.silent,
            )
            return created.message, created.thread
        sent = await channel.send(
            message.content,
            embed=message.embed,
            view=message.view,
            allowed_mentions=message.allowed,
            nonce=post_nonce(channel.id, brief.id),
            silent=subscription.silent,
        )
        return sent, None

    async def _open_thread(
        self, subscription: Subscription, message: discord.Message, brief: Brief
    ) -> None:
        """Open the discussion thread under a post; the post stands if that fails."""
        ids = {"guild": subscription.guild_id, "brief": brief.id, "message_id": message.id}
        try:
            await self._pacer.wait()
            thread = await message.create_thread(name=thread_name(brief.title))
        except discord.HTTPException as error:
            log.warning("autopost thread not opened", extra={**ids, "error": describe(error)})
            await self._bot.storage.delivery_log.add(
                subscription.guild_id,
                brief.id,
                Event.FAILED,
                f"thread not opened: {describe(error)}",
            )
            return
        log.info("autopost thread opened", extra={**ids, "thread": thread.id})
