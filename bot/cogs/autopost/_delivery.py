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

from bot.cogs.autopost._channels import (
    ChannelUnavailableError,
    ServerUnavailableError,
    destination,
)
from bot.cogs.autopost._outcomes import (
    NONCE_WINDOW,
    RETRY_UNSENT_AFTER,
    Outcome,
    classify,
    describe,
)
from bot.cogs.autopost._pacing import Pacer, send_rate
from bot.cogs.autopost._policy import DAILY_CAP_WINDOW, CapWindow, plan_catchup
from bot.cogs.autopost._problems import pause, record_error
from bot.cogs.autopost._rounds import Rounds
from bot.cogs.autopost._sending import Sender
from bot.cogs.autopost._subscribing import Destination
from bot.cogs.autopost._why import Standing
from bot.errors import UserFacingError
from storage.delivery_log import Event
from storage.errors import LibraryUnreachableError
from storage.models import PostedCopy, PostTrace, Subscription, UnsentPost, utcnow

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")


#: `/autopost test` picks the newest of this many latest briefs the subscription selects.
TEST_CANDIDATES = 50


class AutoPoster:
    """Runs delivery passes for one bot: one pass at a time, a bounded number of servers at once."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self._slots = asyncio.Semaphore(bot.settings.autopost_concurrency)
        #: Shared with the copy keeper: one budget for every request auto-posting makes.
        self.pacer = Pacer(send_rate(bot.served_shards()), clock=asyncio.get_running_loop().time)
        self._sender = Sender(bot, self.pacer)
        self._rounds = Rounds(self._pass, failure="autopost could not list subscriptions")
        #: Briefs each subscription still waits for, as this pass leaves them (queue depth).
        self._waiting: dict[int, int] = {}

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
        self._waiting = {}
        await asyncio.gather(*(self._bounded(sub) for sub in subscriptions))
        self.bot.metrics.queue_depth.set(sum(self._waiting.values()))

    async def post_latest(self, subscription: Subscription) -> str:
        """`/autopost test`: post the newest brief the subscription selects now, recorded like
        any post; say how it went.

        Never a duplicate: a brief already posted (or being posted) there is only linked.
        Nothing to post is an answer; raises UserFacingError when the channel refuses.
        """
        storage = self.bot.storage
        latest = await storage.briefs.latest(TEST_CANDIDATES)
        brief = next((b for b in latest if subscription.selects(b.topics)), None)
        if brief is None:
            return (
                "There are no briefs this subscription would post yet, so there is nothing to post."
            )
        posted = await storage.post_log.copy(subscription.channel_id, brief.id)
        if posted is not None:
            return f"The latest brief, #{brief.id}, is already posted there{self._jump(posted)}"
        try:
            channel = await destination(self.bot, subscription)
        except (ChannelUnavailableError, ServerUnavailableError) as error:
            raise UserFacingError(f"I can't post there right now: {error}") from None
        result = await self._sender.post(subscription, channel, brief.id, test=True)
        if result.copy is not None:
            await storage.delivery_log.add(
                subscription.guild_id, brief.id, Event.TEST, channel.mention
            )
            jump = self._jump(result.copy)
            return f"Posted the latest brief, #{brief.id}, in {channel.mention}{jump}"
        if result.outcome is Outcome.PASSED:
            return f"The latest brief, #{brief.id}, is being posted in {channel.mention} already."
        raise UserFacingError(f"The post did not go out: {result.problem or result.outcome.value}.")

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
        ids, _ = await post_log.pending(subscription, limit=None)
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
            await record_error(self.bot, subscription.id, problem)
            return 0

    async def _deliver(self, subscription: Subscription) -> int:
        """Skip the backlog beyond the catch-up cap (a daily cap defers it instead: the oldest
        go as it makes room), then post the rest until one fails."""
        guild_id = subscription.guild_id
        post_log = self.bot.storage.post_log
        cap = self.bot.settings.autopost_catchup_max
        ids, _ = await post_log.pending(subscription, limit=None)  # one read: it reads all anyway
        self._waiting[subscription.id] = len(ids)
        unsent = await post_log.unsent(subscription.channel_id, stale_after=RETRY_UNSENT_AFTER)
        if not ids and not unsent:
            return 0
        to_skip: list[int] = []
        window = await self.cap_window(subscription)
        if window is not None:  # the cap paces the backlog: nothing is skipped
            to_post = ids[: window.room]
        else:
            to_post, to_skip = plan_catchup(ids, cap)
        if to_skip:
            await post_log.skip(subscription, to_skip)
            self._waiting[subscription.id] = len(ids) - len(to_skip)
            await self.bot.storage.delivery_log.add(
                guild_id,
                None,
                Event.SKIPPED,
                f"{len(to_skip)} briefs, #{to_skip[0]}–#{to_skip[-1]}",
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
            channel = await destination(self.bot, subscription)
        except ChannelUnavailableError as error:
            await pause(self.bot, subscription, str(error))
            return 0
        except ServerUnavailableError as error:
            log.warning("autopost server unavailable; will retry", extra={"guild": guild_id})
            await record_error(self.bot, subscription.id, str(error))
            return 0
        sent = 0
        retries = [(brief_id, True) for brief_id in await self._take_over(channel, unsent)]
        for brief_id, claimed in [*retries, *((brief_id, False) for brief_id in to_post)]:
            outcome = (await self._sender.post(subscription, channel, brief_id, claimed)).outcome
            if outcome is Outcome.RETRY or outcome is Outcome.PAUSE:
                break
            sent += outcome is Outcome.SENT
        self._waiting[subscription.id] = max(0, self._waiting[subscription.id] - sent)
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
                await self.bot.storage.delivery_log.add(
                    unsent.guild_id,
                    unsent.brief_id,
                    Event.GAVE_UP,
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
