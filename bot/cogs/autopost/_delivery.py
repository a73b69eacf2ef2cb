"""Auto-posting: deliver every newly published brief, once, to each subscribed server's channel.

Publishers store through ``storage.publisher``, which announces each publish after commit;
``_waking`` then runs a delivery pass straight away. A missed announcement loses nothing: a
periodic sweep (``AUTOPOST_INTERVAL_SECONDS``) finds every pending brief from the post log,
so the announcement only makes delivery prompt.

Delivery rules, in the order they are applied for one server:

* Only briefs stored after the server chose its channel are pending (no backlog).
* At most ``AUTOPOST_CATCHUP_MAX`` are posted per pass, the newest ones, oldest first;
  older pending briefs are skipped for good, so a long outage never floods a channel.
* A subscription with a daily cap skips nothing: its cap already paces any backlog, so the
  briefs over it wait their turn, oldest first, for the rolling day to make room.
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
  tried again once it has been edited.
* A forum refusing a post for want of a tag pauses the subscription (every post would be
  refused alike), as a forum that requires a tag the subscription cannot give does before
  any send; each post carries the tags its brief's topics name, else the default tag.
* The subscription's role is pinged only while whoever chose it could ping it themselves
  (the role is mentionable, or they may Mention @everyone there); a role kept from before
  the chooser was recorded is pinged only while mentionable. Otherwise the post goes out
  without the mention, and `/autopost log` says so.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.cogs.autopost._forums import post_tags, refusal, usable_tags
from bot.cogs.autopost._outcomes import (
    NONCE_WINDOW,
    RETRY_UNSENT_AFTER,
    Outcome,
    classify,
    describe,
    post_nonce,
    tag_refused,
)
from bot.cogs.autopost._pacing import Pacer, send_rate
from bot.cogs.autopost._policy import (
    DAILY_CAP_WINDOW,
    NO_MENTIONS,
    CapWindow,
    mention_for,
    missing_permissions,
    plan_catchup,
    thread_name,
)
from bot.cogs.autopost._rounds import Rounds
from bot.cogs.autopost._subscribing import Destination, may_mention
from bot.cogs.autopost._texts import RESUME_HINT, payload_shape
from bot.cogs.autopost._why import Standing
from bot.errors import UserFacingError
from bot.ui import components
from storage.errors import LibraryUnreachableError
from storage.models import Brief, PostedCopy, PostTrace, Subscription, UnsentPost, utcnow

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")


#: `/autopost test` picks the newest of this many latest briefs the subscription selects.
TEST_CANDIDATES = 50


class ChannelUnavailableError(Exception):
    """The server's channel cannot be posted to; the message is the pause reason."""


class ServerUnavailableError(Exception):
    """The server is not in the gateway cache right now (an outage); try again later."""


class AutoPoster:
    """Runs delivery passes for one bot: one pass at a time, a bounded number of servers at once."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self._slots = asyncio.Semaphore(bot.settings.autopost_concurrency)
        #: Shared with the copy keeper: one budget for every request auto-posting makes.
        self.pacer = Pacer(send_rate(bot.served_shards()), clock=asyncio.get_running_loop().time)
        self._rounds = Rounds(self._pass, failure="autopost could not list subscriptions")

    async def run(self) -> None:
        """Deliver to every active subscription; a call during a pass makes that pass go round
        again. Never raises, so neither the sweep nor a listener can be broken by it."""
        await self._rounds.run()

    async def drain(self) -> None:
        """Return once no delivery pass is running (and none is queued to go round again)."""
        await self._rounds.drain()

    async def _pass(self) -> None:
        """One delivery pass: every active subscription of the shards served here."""
        subscriptions = await self.bot.storage.subscriptions.active(self.bot.served_shards())
        await asyncio.gather(*(self._bounded(sub) for sub in subscriptions))

    async def post_latest(self, subscription: Subscription) -> str:
        """`/autopost test`: post the newest brief the subscription selects now, recorded like
        any post; say how it went.

        Never a duplicate: a brief already posted (or being posted) there is only linked.
        Nothing to post is an answer; raises UserFacingError when the channel refuses.
        """
        storage = self.bot.storage
        latest = await storage.briefs.latest(TEST_CANDIDATES)
        brief = next((b for b in latest if subscription.selects(b.tags)), None)
        if brief is None:
            return (
                "There are no briefs this subscription would post yet, so there is nothing to post."
            )
        posted = await storage.post_log.copy(subscription.channel_id, brief.id)
        if posted is not None:
            return f"The latest brief, #{brief.id}, is already posted there{self._jump(posted)}"
        try:
            channel = await self._channel(subscription)
        except (ChannelUnavailableError, ServerUnavailableError) as error:
            raise UserFacingError(f"I can't post there right now: {error}") from None
        outcome = await self._post(subscription, channel, brief.id)
        posted = await storage.post_log.copy(subscription.channel_id, brief.id)
        if outcome is Outcome.SENT and posted is not None:
            await storage.post_log.log(subscription.guild_id, brief.id, "test", channel.mention)
            return f"Posted the latest brief, #{brief.id}, in {channel.mention}{self._jump(posted)}"
        if outcome is Outcome.PASSED:
            return f"The latest brief, #{brief.id}, is being posted in {channel.mention} already."
        refreshed = await storage.subscriptions.get(subscription.id)
        problem = refreshed.last_error if refreshed is not None else None
        raise UserFacingError(f"The post did not go out: {problem or outcome.value}.")

    def _jump(self, copy: PostedCopy) -> str:
        """End a sentence with a link that jumps to a posted copy (in its thread, if it is in
        one), or with a full stop where the bot makes no links to discord.com."""
        if not self.bot.message_links:
            return "."
        channel = copy.thread_id or copy.channel_id
        return f": https://discord.com/channels/{copy.guild_id}/{channel}/{copy.message_id}"

    async def pending_count(self, subscription: Subscription) -> int:
        """Return how many briefs are waiting to be posted for this subscription."""
        _, total = await self.bot.storage.post_log.pending(subscription, limit=0)
        return total

    async def cap_window(self, subscription: Subscription) -> CapWindow | None:
        """Return where a capped subscription stands against its daily cap (None: no cap)."""
        if subscription.daily_cap is None:
            return None
        now = utcnow()
        posts = await self.bot.storage.post_log.posted_times(
            subscription.id, now - DAILY_CAP_WINDOW
        )
        return CapWindow(subscription.daily_cap, posts, now)

    async def standing(self, subscription: Subscription, trace: PostTrace) -> Standing:
        """Return where a subscription stands with a brief (`/autopost why`): its post log
        row there, how many pending briefs come before it, and the daily cap."""
        record = next((r for r in trace.records if r.channel_id == subscription.channel_id), None)
        post_log = self.bot.storage.post_log
        _, total = await post_log.pending(subscription, limit=0)
        ids, _ = await post_log.pending(subscription, limit=total)
        ahead = ids.index(trace.brief_id) if trace.brief_id in ids else None
        return Standing(subscription, record, ahead, await self.cap_window(subscription))

    async def _bounded(self, subscription: Subscription) -> None:
        """Deliver for one subscription while holding one of the concurrency slots."""
        async with self._slots:
            await self.deliver(subscription)

    async def deliver(self, subscription: Subscription) -> int:
        """Post what is pending for one subscription; never raise, so others carry on."""
        guild_id = subscription.guild_id
        try:
            return await self._deliver(subscription)
        except LibraryUnreachableError:
            raise  # the round ends: nothing can be recorded until the library answers
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
            await self._record_error(subscription.id, problem)
            return 0

    async def _deliver(self, subscription: Subscription) -> int:
        """Skip the backlog beyond the catch-up cap (a daily cap defers it instead: the oldest
        go as it makes room), then post the rest until one fails."""
        guild_id = subscription.guild_id
        post_log = self.bot.storage.post_log
        cap = self.bot.settings.autopost_catchup_max
        ids, total = await post_log.pending(subscription, limit=max(cap, 1))
        unsent = await post_log.unsent(subscription.channel_id, stale_after=RETRY_UNSENT_AFTER)
        if not ids and not unsent:
            return 0
        to_skip: list[int] = []
        window = await self.cap_window(subscription)
        if window is not None:  # the cap paces the backlog: nothing is skipped
            if len(ids) < min(window.room, total):
                ids, total = await post_log.pending(subscription, limit=window.room)
            to_post = ids[: window.room]
        else:
            if total > len(ids):
                ids, total = await post_log.pending(subscription, limit=total)
            to_post, to_skip = plan_catchup(ids, cap)
        if to_skip:
            await post_log.skip(subscription, to_skip)
            await post_log.log(
                guild_id, None, "skipped", f"{len(to_skip)} briefs, #{to_skip[0]}–#{to_skip[-1]}"
            )
            log.warning(
                "autopost backlog skipped",
                extra={
                    "guild": guild_id,
                    "subscription": subscription.id,
                    "skipped": len(to_skip),
                    "first": to_skip[0],
                    "last": to_skip[-1],
                    "cap": cap,
                },
            )
        try:
            channel = await self._channel(subscription)
        except ChannelUnavailableError as error:
            await self._pause(subscription, str(error))
            return 0
        except ServerUnavailableError as error:
            log.warning("autopost server unavailable; will retry", extra={"guild": guild_id})
            await self._record_error(subscription.id, str(error))
            return 0
        sent = 0
        retries = [(brief_id, True) for brief_id in await self._take_over(channel, unsent)]
        for brief_id, claimed in [*retries, *((brief_id, False) for brief_id in to_post)]:
            outcome = await self._post(subscription, channel, brief_id, claimed)
            if outcome is Outcome.RETRY or outcome is Outcome.PAUSE:
                break
            sent += outcome is Outcome.SENT
        return sent

    async def _take_over(self, channel: Destination, claims: list[UnsentPost]) -> list[int]:
        """Take over the claims a dead process left unrecorded; give up the too old ones.

        A forum post carries no nonce (Discord takes none there), so an unsent forum claim
        is given up at once rather than risk a second post.
        """
        post_log = self.bot.storage.post_log
        now = utcnow()  # the database's clock: the claims' times come from it
        forum = isinstance(channel, discord.ForumChannel)
        retried: list[int] = []
        for unsent in claims:
            ids = {"guild": unsent.guild_id, "brief": unsent.brief_id}
            if forum or unsent.claimed_at < now - NONCE_WINDOW:
                await post_log.give_up(unsent.channel_id, unsent.brief_id)
                log.warning("autopost gave up an unsent claim it cannot retry safely", extra=ids)
                await post_log.log(
                    unsent.guild_id,
                    unsent.brief_id,
                    "gave_up",
                    "a delivery was cut short too long ago to retry safely"
                    if not forum
                    else "a forum post was cut short; retrying could post it twice",
                )
            elif await post_log.retry(
                unsent.channel_id, unsent.brief_id, stale_after=RETRY_UNSENT_AFTER
            ):
                log.info("autopost retrying an unsent claim", extra=ids)
                retried.append(unsent.brief_id)
        return retried

    async def _channel(self, subscription: Subscription) -> Destination:
        """Find the subscription's channel, from cache or Discord, and check the bot may post
        there as the subscription asks (a thread per post needs more)."""
        where = f"<#{subscription.channel_id}>"
        channel = self.bot.get_channel(subscription.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(subscription.channel_id)
            except discord.NotFound:
                raise ChannelUnavailableError(
                    f"The auto-post channel {where} no longer exists."
                ) from None
            except discord.Forbidden:
                raise ChannelUnavailableError(
                    f"I can no longer see the auto-post channel {where}, "
                    "or I am no longer in this server."
                ) from None
        if (
            not isinstance(channel, discord.TextChannel | discord.ForumChannel)
            or channel.guild.id != subscription.guild_id
        ):
            raise ChannelUnavailableError(f"{where} is not a text, announcement or forum channel.")
        if channel.guild.me is None:
            # Fetched over REST while the gateway has not (re)sent the server: an outage.
            raise ServerUnavailableError("Discord has not sent me this server yet; retrying.")
        missing = missing_permissions(
            channel.permissions_for(channel.guild.me),
            forum=isinstance(channel, discord.ForumChannel),
            thread=subscription.thread,
        )
        if missing:
            raise ChannelUnavailableError(f"I'm missing {', '.join(missing)} in {where}.")
        if isinstance(channel, discord.ForumChannel):
            refused = refusal(channel, channel.guild.me, subscription)
            if refused is not None:
                raise ChannelUnavailableError(refused)
        return channel

    async def _post(
        self,
        subscription: Subscription,
        channel: Destination,
        brief_id: int,
        claimed: bool = False,
    ) -> Outcome:
        """Claim (unless `claimed`: a retry holds it already), send and record one brief.

        The pacer's slot comes first, so a claim is sent at once: a claim left unrecorded for
        long means its process died.
        """
        guild_id = subscription.guild_id
        post_log = self.bot.storage.post_log
        ids = {"guild": guild_id, "brief": brief_id, "channel": channel.id}
        brief = await self.bot.storage.briefs.get(brief_id)
        if brief is None:
            await post_log.skip(subscription, [brief_id])
            log.info("autopost brief removed before posting", extra=ids)
            return Outcome.PASSED
        content, allowed, unpinged = await self._mention(subscription, channel)
        embed, view = components.summary_message(brief)
        await self.pacer.wait()
        if not claimed and not await post_log.claim(subscription, brief_id):
            log.info("autopost already claimed", extra=ids)
            return Outcome.PASSED
        try:
            message, thread = await self._send(
                subscription, channel, brief, (embed, view), content, allowed
            )
        except Exception as error:
            outcome = Outcome.PAUSE if tag_refused(error) else classify(error)
            if outcome is Outcome.DROP:
                await post_log.reject(channel.id, brief_id, describe(error))
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
                await post_log.release(channel.id, brief_id)
                await post_log.log(guild_id, brief_id, "failed", describe(error))
            if outcome is None:
                raise
            await self._failed(subscription, channel, brief_id, error, outcome)
            return outcome
        await post_log.record_message(
            subscription,
            brief_id,
            message.id,
            thread_id=thread.id if thread is not None else None,
            shown_hash=components.summary_hash(brief),
            shown_version=brief.updated_at,
            crosspost=(
                subscription.crosspost
                and isinstance(channel, discord.TextChannel)
                and channel.is_news()
            ),
        )
        await post_log.log(guild_id, brief_id, "sent", (thread or channel).mention + unpinged)
        log.info("autopost sent", extra={**ids, "message_id": message.id})
        if thread is None and subscription.thread:
            await self._open_thread(subscription, message, brief)
        return Outcome.SENT

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
            await self.pacer.wait()
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
        self,
        subscription: Subscription,
        channel: Destination,
        brief: Brief,
        payload: tuple[discord.Embed, discord.ui.View],
        content: str | None,
        allowed: discord.AllowedMentions,
    ) -> tuple[discord.Message, discord.Thread | None]:
        """Send one brief: a message in a text channel, or a post (a thread) in a forum."""
        embed, view = payload
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(
                name=thread_name(brief.title),
                content=content,
                embed=embed,
                view=view,
                allowed_mentions=allowed,
                applied_tags=post_tags(
                    usable_tags(channel, channel.guild.me), brief.tags, subscription.forum_tag_id
                ),
                silent=subscription.silent,
            )
            return created.message, created.thread
        message = await channel.send(
            content,
            embed=embed,
            view=view,
            allowed_mentions=allowed,
            nonce=post_nonce(channel.id, brief.id),
            silent=subscription.silent,
        )
        return message, None

    async def _open_thread(
        self, subscription: Subscription, message: discord.Message, brief: Brief
    ) -> None:
        """Open the discussion thread under a post; the post stands if that fails."""
        ids = {"guild": subscription.guild_id, "brief": brief.id, "message_id": message.id}
        try:
            await self.pacer.wait()
            thread = await message.create_thread(name=thread_name(brief.title))
        except discord.HTTPException as error:
            log.warning("autopost thread not opened", extra={**ids, "error": describe(error)})
            await self.bot.storage.post_log.log(
                subscription.guild_id, brief.id, "failed", f"thread not opened: {describe(error)}"
            )
            return
        log.info("autopost thread opened", extra={**ids, "thread": thread.id})

    async def _failed(
        self,
        subscription: Subscription,
        channel: Destination,
        brief_id: int,
        error: Exception,
        outcome: Outcome,
    ) -> None:
        """Pause, or note the problem for `/autopost status`, after a send failed."""
        ids = {"guild": subscription.guild_id, "brief": brief_id, "channel": channel.id}
        detail = describe(error)
        if outcome is Outcome.PAUSE:
            if isinstance(error, discord.NotFound):
                reason = f"The auto-post channel {channel.mention} was deleted."
            elif tag_refused(error):
                reason = (
                    f"{channel.mention} refused a post without a tag ({detail}): choose the "
                    f"tag posts carry with `/autopost edit subscription:{subscription.id} tag:`."
                )
            else:
                reason = f"Discord refused my post in {channel.mention} ({detail})."
            await self._pause(subscription, reason)
        elif outcome is Outcome.RETRY:
            log.warning("autopost send failed; will retry", extra={**ids, "error": detail})
            await self._record_error(
                subscription.id, f"Discord had a temporary problem ({detail}); retrying."
            )
        else:
            await self._record_error(
                subscription.id,
                f"Discord refused brief #{brief_id} ({detail}); it is tried again if edited.",
            )

    async def _pause(self, subscription: Subscription, reason: str) -> None:
        """Stop posting for this subscription and tell the server once, where it can see it."""
        guild_id = subscription.guild_id
        await self.bot.storage.subscriptions.pause(subscription.id, reason)
        await self.bot.storage.post_log.log(guild_id, None, "paused", reason)
        log.warning(
            "autopost paused",
            extra={
                "guild": guild_id,
                "subscription": subscription.id,
                "channel": subscription.channel_id,
                "reason": reason,
            },
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

    async def _record_error(self, subscription_id: int, error: str) -> None:
        """Keep the problem for `/autopost status`; a failure here must not hide the first."""
        try:
            await self.bot.storage.subscriptions.record_error(subscription_id, error)
        except Exception:
            log.exception(
                "autopost could not record an error", extra={"subscription": subscription_id}
            )
