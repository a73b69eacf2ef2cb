"""Auto-posting: deliver every newly published brief, once, to each subscribed server's channel.

Publisher contract: after a brief is stored, call ``bot.dispatch("brief_published", brief)``.
The autopost cog's ``on_brief_published`` listener then runs a delivery pass straight away.
A missed event loses nothing: a periodic sweep (``AUTOPOST_INTERVAL_SECONDS``) finds every
pending brief from the post log, so the event only makes delivery prompt.

Delivery rules, in the order they are applied for one server:

* Only briefs stored after the server chose its channel are pending (no backlog).
* At most ``AUTOPOST_CATCHUP_MAX`` are posted per pass, the newest ones, oldest first;
  older pending briefs are skipped for good, so a long outage never floods a channel.
* A brief is claimed in ``post_log`` before it is sent and the message id recorded after,
  so restarts, reconnects, overlapping passes and other processes never post it twice.
  Every attempt sends the same nonce, derived from (server, brief): a claim left unrecorded
  by a process that died (before or after Discord took the message) is retried with it,
  and Discord answers a repeated nonce with the first message; past the nonce's few
  minutes the claim is given up and logged rather than risk a duplicate.
* A retryable failure (5xx after discord.py's retries, 429, connection error) releases the
  claim and stops that server until the next pass; 403/404 pause the server with a reason
  (shown by ``/autopost status``) and tell it once through its system channel.
* Discord refusing one message (another 4xx) is never a silent loss: the claim is kept with
  the reason, shown by ``/autopost status``, the payload's shape is logged, and the brief is
  posted once it has been edited.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.cogs.autopost._policy import (
    NO_MENTIONS,
    NONCE_WINDOW,
    RESUME_HINT,
    RETRY_UNSENT_AFTER,
    Outcome,
    Pacer,
    classify,
    describe,
    mention_for,
    missing_permissions,
    payload_shape,
    plan_catchup,
    post_nonce,
    send_rate,
)
from bot.errors import UserFacingError
from bot.ui import components
from storage.models import GuildSettings, PostedCopy, UnsentPost, utcnow

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")


class ChannelUnavailableError(Exception):
    """The server's channel cannot be posted to; the message is the pause reason."""


class ServerUnavailableError(Exception):
    """The server is not in the gateway cache right now (an outage); try again later."""


class AutoPoster:
    """Runs delivery passes for one bot: one pass at a time, a bounded number of servers at once."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self._lock = asyncio.Lock()
        self._again = False
        self._slots = asyncio.Semaphore(bot.settings.autopost_concurrency)
        #: Shared with the copy keeper: one budget for every request auto-posting makes.
        self.pacer = Pacer(send_rate(bot.served_shards()))

    async def drain(self) -> None:
        """Return once no delivery pass is running (and none is queued to go round again)."""
        self._again = False
        async with self._lock:
            return

    async def run(self) -> None:
        """Deliver to every active server; a call during a pass makes that pass go round again.

        Never raises, so neither the sweep loop nor the publish listener can be broken by it.
        """
        if self._lock.locked():
            self._again = True
            return
        async with self._lock:
            self._again = True
            while self._again:
                self._again = False
                try:
                    guilds = await self.bot.storage.guilds.active(self.bot.served_shards())
                except Exception:
                    log.exception("autopost could not list subscribed servers")
                    return
                await asyncio.gather(*(self._bounded(settings) for settings in guilds))

    async def post_latest(self, settings: GuildSettings) -> str:
        """`/autopost test`: post the newest brief now, recorded like any post; say how it went.

        Never a duplicate: a brief already posted (or being posted) there is only linked.
        Raises UserFacingError when there is nothing to post or the channel refuses.
        """
        storage = self.bot.storage
        if settings.channel_id is None:
            raise UserFacingError("Auto-posting is off: choose a channel with `/autopost channel`.")
        latest = await storage.briefs.latest(1)
        if not latest:
            raise UserFacingError("There are no briefs yet, so there is nothing to post.")
        brief = latest[0]
        posted = await storage.post_log.copy(settings.guild_id, brief.id)
        if posted is not None:
            return f"The latest brief, #{brief.id}, is already posted there: {_link(posted)}"
        try:
            channel = await self._channel(settings)
        except (ChannelUnavailableError, ServerUnavailableError) as error:
            raise UserFacingError(f"I can't post there right now: {error}") from None
        content, allowed = mention_for(settings, channel.guild)
        outcome = await self._post(settings, channel, brief.id, content, allowed)
        posted = await storage.post_log.copy(settings.guild_id, brief.id)
        if outcome is Outcome.SENT and posted is not None:
            await storage.post_log.log(settings.guild_id, brief.id, "test", channel.mention)
            return f"Posted the latest brief, #{brief.id}, in {channel.mention}: {_link(posted)}"
        if outcome is Outcome.PASSED:
            return f"The latest brief, #{brief.id}, is being posted in {channel.mention} already."
        refreshed = await storage.guilds.get(settings.guild_id)
        problem = refreshed.last_error if refreshed is not None else None
        raise UserFacingError(f"The post did not go out: {problem or outcome.value}.")

    async def pending_count(self, settings: GuildSettings) -> int:
        """Return how many briefs are waiting to be posted to this server."""
        _, total = await self.bot.storage.post_log.pending(settings, limit=0)
        return total

    async def _bounded(self, settings: GuildSettings) -> None:
        """Deliver to one server while holding one of the concurrency slots."""
        async with self._slots:
            await self.deliver(settings)

    async def deliver(self, settings: GuildSettings) -> int:
        """Post what is pending for one server; never raise, so other servers carry on."""
        guild_id = settings.guild_id
        try:
            return await self._deliver(settings)
        except Exception as error:
            if classify(error) is None:
                log.exception("autopost failed", extra={"guild": guild_id})
                problem = f"Unexpected error ({describe(error)}); the team can see it in the logs."
            else:
                log.warning(
                    "autopost failed; will retry",
                    extra={"guild": guild_id, "error": describe(error)},
                )
                problem = f"Discord had a temporary problem ({describe(error)}); retrying."
            await self._record_error(guild_id, problem)
            return 0

    async def _deliver(self, settings: GuildSettings) -> int:
        """Skip the backlog beyond the cap, then post the rest until one fails."""
        guild_id = settings.guild_id
        cap = self.bot.settings.autopost_catchup_max
        ids, total = await self.bot.storage.post_log.pending(settings, limit=max(cap, 1))
        unsent = await self.bot.storage.post_log.unsent(guild_id, stale_after=RETRY_UNSENT_AFTER)
        if not ids and not unsent:
            return 0
        if total > len(ids):
            ids, total = await self.bot.storage.post_log.pending(settings, limit=total)
        to_post, to_skip = plan_catchup(ids, cap)
        if to_skip:
            await self.bot.storage.post_log.skip(guild_id, to_skip)
            await self.bot.storage.post_log.log(
                guild_id, None, "skipped", f"{len(to_skip)} briefs, #{to_skip[0]}–#{to_skip[-1]}"
            )
            log.warning(
                "autopost backlog skipped",
                extra={
                    "guild": guild_id,
                    "skipped": len(to_skip),
                    "first": to_skip[0],
                    "last": to_skip[-1],
                    "cap": cap,
                },
            )
        try:
            channel = await self._channel(settings)
        except ChannelUnavailableError as error:
            await self._pause(settings, str(error))
            return 0
        except ServerUnavailableError as error:
            log.warning("autopost server unavailable; will retry", extra={"guild": guild_id})
            await self._record_error(guild_id, str(error))
            return 0
        content, allowed = mention_for(settings, channel.guild)
        sent = 0
        retries = [(brief_id, True) for brief_id in await self._take_over(unsent)]
        for brief_id, claimed in [*retries, *((brief_id, False) for brief_id in to_post)]:
            outcome = await self._post(settings, channel, brief_id, content, allowed, claimed)
            if outcome is Outcome.RETRY or outcome is Outcome.PAUSE:
                break
            sent += outcome is Outcome.SENT
        return sent

    async def _take_over(self, claims: list[UnsentPost]) -> list[int]:
        """Take over the claims a dead process left unrecorded; give up the too old ones."""
        post_log = self.bot.storage.post_log
        now = utcnow()  # the database's clock: the claims' times come from it
        retried: list[int] = []
        for unsent in claims:
            ids = {"guild": unsent.guild_id, "brief": unsent.brief_id}
            if unsent.claimed_at < now - NONCE_WINDOW:
                await post_log.give_up(unsent.guild_id, unsent.brief_id)
                log.warning("autopost gave up an unsent claim older than the nonce", extra=ids)
                await post_log.log(
                    unsent.guild_id,
                    unsent.brief_id,
                    "gave_up",
                    "a delivery was cut short too long ago to retry safely",
                )
            elif await post_log.retry(
                unsent.guild_id, unsent.brief_id, stale_after=RETRY_UNSENT_AFTER
            ):
                log.info("autopost retrying an unsent claim", extra=ids)
                retried.append(unsent.brief_id)
        return retried

    async def _channel(self, settings: GuildSettings) -> discord.TextChannel:
        """Find the server's channel, from cache or Discord, and check the bot may post there."""
        assert settings.channel_id is not None
        where = f"<#{settings.channel_id}>"
        channel = self.bot.get_channel(settings.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(settings.channel_id)
            except discord.NotFound:
                raise ChannelUnavailableError(
                    f"The auto-post channel {where} no longer exists."
                ) from None
            except discord.Forbidden:
                raise ChannelUnavailableError(
                    f"I can no longer see the auto-post channel {where}, "
                    "or I am no longer in this server."
                ) from None
        if not isinstance(channel, discord.TextChannel) or channel.guild.id != settings.guild_id:
            raise ChannelUnavailableError(f"{where} is not a text or announcement channel.")
        if channel.guild.me is None:
            # Fetched over REST while the gateway has not (re)sent the server: an outage.
            raise ServerUnavailableError("Discord has not sent me this server yet; retrying.")
        missing = missing_permissions(channel.permissions_for(channel.guild.me))
        if missing:
            raise ChannelUnavailableError(f"I'm missing {', '.join(missing)} in {where}.")
        return channel

    async def _post(
        self,
        settings: GuildSettings,
        channel: discord.TextChannel,
        brief_id: int,
        content: str | None,
        allowed: discord.AllowedMentions,
        claimed: bool = False,
    ) -> Outcome:
        """Claim (unless `claimed`: a retry holds it already), send and record one brief.

        The pacer's slot comes first, so a claim is sent at once: a claim left unrecorded for
        long means its process died.
        """
        guild_id = settings.guild_id
        post_log = self.bot.storage.post_log
        ids = {"guild": guild_id, "brief": brief_id, "channel": channel.id}
        brief = await self.bot.storage.briefs.get(brief_id)
        if brief is None:
            await post_log.skip(guild_id, [brief_id])
            log.info("autopost brief removed before posting", extra=ids)
            return Outcome.PASSED
        embed, view = components.summary_message(brief)
        await self.pacer.wait()
        if not claimed and not await post_log.claim(guild_id, brief_id, channel.id):
            log.info("autopost already claimed", extra=ids)
            return Outcome.PASSED
        try:
            message = await channel.send(
                content,
                embed=embed,
                view=view,
                allowed_mentions=allowed,
                nonce=post_nonce(guild_id, brief_id),
            )
        except Exception as error:
            outcome = classify(error)
            if outcome is Outcome.DROP:
                await post_log.reject(guild_id, brief_id, describe(error))
                await post_log.log(guild_id, brief_id, "rejected", describe(error))
                log.error(
                    "autopost send rejected; kept until the brief is edited",
                    extra={
                        **ids,
                        "error": describe(error),
                        "shape": payload_shape(content, embed, view),
                    },
                )
            else:
                await post_log.release(guild_id, brief_id)
                await post_log.log(guild_id, brief_id, "failed", describe(error))
            if outcome is None:
                raise
            await self._failed(settings, channel, brief_id, error, outcome)
            return outcome
        await post_log.record_message(
            guild_id,
            brief_id,
            message.id,
            shown_hash=components.summary_hash(brief),
            shown_version=brief.updated_at,
            crosspost=settings.crosspost and channel.is_news(),
        )
        await post_log.log(guild_id, brief_id, "sent", channel.mention)
        log.info("autopost sent", extra={**ids, "message_id": message.id})
        return Outcome.SENT

    async def _failed(
        self,
        settings: GuildSettings,
        channel: discord.TextChannel,
        brief_id: int,
        error: Exception,
        outcome: Outcome,
    ) -> None:
        """Pause, or note the problem for `/autopost status`, after a send failed."""
        ids = {"guild": settings.guild_id, "brief": brief_id, "channel": channel.id}
        detail = describe(error)
        if outcome is Outcome.PAUSE:
            if isinstance(error, discord.NotFound):
                reason = f"The auto-post channel {channel.mention} was deleted."
            else:
                reason = f"Discord refused my post in {channel.mention} ({detail})."
            await self._pause(settings, reason)
        elif outcome is Outcome.RETRY:
            log.warning("autopost send failed; will retry", extra={**ids, "error": detail})
            await self._record_error(
                settings.guild_id, f"Discord had a temporary problem ({detail}); retrying."
            )
        else:
            await self._record_error(
                settings.guild_id,
                f"Discord refused brief #{brief_id} ({detail}); it is posted once edited.",
            )

    async def _pause(self, settings: GuildSettings, reason: str) -> None:
        """Stop posting to this server and tell it once, where it can see it."""
        guild_id = settings.guild_id
        await self.bot.storage.guilds.pause(guild_id, reason)
        await self.bot.storage.post_log.log(guild_id, None, "paused", reason)
        log.warning(
            "autopost paused",
            extra={"guild": guild_id, "channel": settings.channel_id, "reason": reason},
        )
        await self._tell_guild(guild_id, reason)

    async def _tell_guild(self, guild_id: int, reason: str) -> None:
        """Post the pause reason in the server's system channel, if the bot may speak there."""
        guild = self.bot.get_guild(guild_id)
        channel = guild.system_channel if guild is not None else None
        if guild is None or channel is None:
            return
        permissions = channel.permissions_for(guild.me)
        if not (permissions.view_channel and permissions.send_messages):
            return
        try:
            await channel.send(
                f"⚠️ Auto-posting of news briefs is paused. {reason}\n{RESUME_HINT}",
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as error:
            log.warning(
                "autopost pause notice failed", extra={"guild": guild_id, "error": describe(error)}
            )
        else:
            log.info("autopost pause notified", extra={"guild": guild_id, "channel": channel.id})

    async def _record_error(self, guild_id: int, error: str) -> None:
        """Keep the problem for `/autopost status`; a failure here must not hide the first."""
        try:
            await self.bot.storage.guilds.record_error(guild_id, error)
        except Exception:
            log.exception("autopost could not record an error", extra={"guild": guild_id})


def _link(copy: PostedCopy) -> str:
    """Return a link that jumps to a posted copy."""
    return f"https://discord.com/channels/{copy.guild_id}/{copy.channel_id}/{copy.message_id}"
