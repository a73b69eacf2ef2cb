"""What auto-posting decides, apart from doing it: pure rules testable without Discord.

How to treat a failed send (`classify`), how many missed briefs a server still gets
(`plan_catchup`), the pace of sends (`Pacer`), what a post may ping (`mention_for`), and what
`/autopost status` says (`status_text`).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.brief.text import shorten_title
from bot.limits import FORUM_TAGS_MAX, GLOBAL_REQUESTS_PER_SECOND, MESSAGE_CONTENT, THREAD_NAME
from storage.base import Shards
from storage.errors import LibraryUnreachableError
from storage.models import DeliveryEvent, RejectedPost, Subscription
from storage.topics import Match, topic_key

#: Channel permissions the bot needs to post a summary with its button, by display name.
REQUIRED_PERMISSIONS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}
#: What a thread under each post needs besides (in a text or announcement channel); the bot
#: only opens it, and writes nothing in it.
THREAD_PERMISSIONS: dict[str, str] = {"create_public_threads": "Create Public Threads"}
#: What a forum channel needs: Send Messages there is "Create Posts" (the post's first
#: message comes with it).
FORUM_PERMISSIONS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Create Posts",
    "embed_links": "Embed Links",
}
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


#: A claim whose message was not recorded this long after its last attempt belonged to a
#: process that died: it is tried again (a live send never takes this long).
RETRY_UNSENT_AFTER = timedelta(seconds=60)
#: How long Discord remembers a nonce ("the past few minutes"), with a margin: past this, an
#: unsent claim is given up rather than risk a duplicate post.
NONCE_WINDOW = timedelta(minutes=4)
#: Posted copies leased per round of updates, and how long a lease holds.
COPY_BATCH = 50
COPY_LEASE = timedelta(minutes=2)
#: After a temporary failure, a copy is tried again this much later (at a later sweep).
COPY_RETRY = timedelta(seconds=30)
#: Crossposts leased per round, and how long before a leased one may be tried again.
CROSSPOST_BATCH = 20
CROSSPOST_LEASE = timedelta(minutes=5)
#: How far back a daily cap counts posts: a rolling day, so a slot opens a day after its post.
DAILY_CAP_WINDOW = timedelta(days=1)

RESUME_HINT = (
    "Someone with Manage Server can fix this, then run `/autopost channel` again "
    "(or `/autopost edit` for that subscription)."
)
NO_MENTIONS = discord.AllowedMentions.none()


log = logging.getLogger("bot.autopost")


class Outcome(enum.Enum):
    """What happened to one brief for one server, and so what the claim and server do next."""

    #: Posted; the message id is recorded.
    SENT = "sent"
    #: Not ours to post: already claimed elsewhere, or removed meanwhile.
    PASSED = "passed"
    #: Temporary failure: the claim was given back; try again on a later pass.
    RETRY = "retry"
    #: The channel is gone or closed to the bot: the server is paused until an admin acts.
    PAUSE = "pause"
    #: Discord rejected this one message: the claim is kept, with the reason, until an edit.
    DROP = "drop"


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


class Pacer:
    """Space requests out to at most `rate` per second, across every task that shares it.

    Bounded concurrency alone does not bound the rate: with fast responses a handful of
    workers can exceed Discord's global limit. Pacing keeps fan-out under it, not just
    recovering from 429s after the fact.

    The schedule can run ahead of the clock by one interval per caller still waiting, never
    more; a larger lead means the clock moved (a suspended machine, or a test's simulated
    clock read beside the real one) and the schedule restarts from now instead of stalling
    every send for however far the clock moved.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] | None = None) -> None:
        self._interval = 1.0 / rate
        # Looked up at each call, not bound once: simcord replaces time.monotonic in tests.
        self._clock = clock or (lambda: time.monotonic())
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
                # A lead no queue explains means the clock moved: `_take` starts afresh.
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


@dataclass(frozen=True)
class CapWindow:
    """A capped subscription's last day of posts: how many more may go now, and when each
    brief waiting its turn will. A daily cap defers briefs, never drops them."""

    cap: int
    #: When each post (or claim in flight) of the last DAILY_CAP_WINDOW was made, oldest first.
    posts: Sequence[datetime]
    now: datetime

    @property
    def used(self) -> int:
        """Return how many posts count against the cap now."""
        return len(self.posts)

    @property
    def room(self) -> int:
        """Return how many more may be posted now."""
        return max(self.cap - self.used, 0)

    def turn(self, ahead: int) -> datetime:
        """Return when a brief with `ahead` briefs waiting before it goes out (`now` if it
        fits the cap at once), were each slot used again as soon as it opens."""
        free = [self.now - DAILY_CAP_WINDOW] * self.room
        slots = sorted([*free, *self.posts])[-self.cap :]
        rounds, slot = divmod(ahead, self.cap)
        return max(self.now, slots[slot] + DAILY_CAP_WINDOW * (rounds + 1))


def post_nonce(channel_id: int, brief_id: int) -> str:
    """Return the nonce every attempt to post this brief to this channel sends.

    Discord answers a send whose nonce it saw in the past few minutes with the first message
    instead of a second one (discord.py sets `enforce_nonce`), so a retry after a crash
    between send and record never posts twice. At most 25 characters.
    """
    digest = hashlib.sha256(f"briefbot:{channel_id}:{brief_id}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big"))


def classify(error: BaseException) -> Outcome | None:
    """Say how to treat a send error, or None when it is not a Discord/network failure."""
    if isinstance(error, discord.RateLimited):
        return Outcome.RETRY
    if isinstance(error, discord.Forbidden | discord.NotFound):
        return Outcome.PAUSE
    if isinstance(error, discord.HTTPException):
        return Outcome.RETRY if error.status >= 500 or error.status == 429 else Outcome.DROP
    if isinstance(error, aiohttp.ClientError | OSError):
        return Outcome.RETRY
    return None


def plan_catchup(pending: Sequence[int], cap: int) -> tuple[list[int], list[int]]:
    """Split pending ids (oldest first) into the newest `cap` to post and the older rest to skip.

    At least one brief is always posted, so a cap of 0 still delivers the latest news.
    """
    keep = max(cap, 1)
    return list(pending[-keep:]), list(pending[:-keep])


def missing_permissions(
    permissions: discord.Permissions, *, forum: bool = False, thread: bool = False
) -> list[str]:
    """Name the channel permissions the bot lacks to post there, in a fixed order: in a forum
    (a post per brief), or in a text channel with or without a thread under each post."""
    needed = dict(FORUM_PERMISSIONS if forum else REQUIRED_PERMISSIONS)
    if thread and not forum:
        needed |= THREAD_PERMISSIONS
    return [label for name, label in needed.items() if not getattr(permissions, name)]


def thread_name(title: str) -> str:
    """Return a thread or forum post name for a brief: its title, cut at a word to Discord's
    limit."""
    return shorten_title(title, THREAD_NAME)


def forum_tags(
    available: Sequence[discord.ForumTag], topics: Sequence[str]
) -> list[discord.ForumTag]:
    """Return the forum's tags whose names match one of the brief's topics (by topic key)."""
    wanted = {topic_key(topic) for topic in topics}
    return [tag for tag in available if topic_key(tag.name) in wanted][:FORUM_TAGS_MAX]


#: Topics a one-line overview names before "+N more" (25 lines must fit one embed).
OVERVIEW_TOPICS = 2


def describe_subscription(subscription: Subscription, *, short: bool = False) -> str:
    """Describe what a subscription posts where, in one line (Discord markdown); `short`
    names only the first topics, for a list of up to 25."""
    parts = [f"**#{subscription.id}** → <#{subscription.channel_id}>"]
    if subscription.topics:
        words = {Match.ANY: "any of", Match.ALL: "all of", Match.NONE: "none of"}
        shown = subscription.topics[:OVERVIEW_TOPICS] if short else subscription.topics
        topics = ", ".join(f"`{topic}`" for topic in shown)
        if len(shown) < len(subscription.topics):
            topics += f" +{len(subscription.topics) - len(shown)} more"
        parts.append(f"topics {words[subscription.match]} {topics}")
    else:
        parts.append("every brief")
    if subscription.mention_role_id:
        parts.append(f"mentions <@&{subscription.mention_role_id}>")
    if subscription.silent:
        parts.append("silent")
    if subscription.thread:
        parts.append("a thread per post")
    if subscription.daily_cap:
        parts.append(f"at most {subscription.daily_cap} a day")
    if subscription.crosspost:
        parts.append("published to followers")
    if subscription.paused_reason:
        parts.append("**paused**")
    return " · ".join(parts)


def mention_for(
    subscription: Subscription, guild: discord.Guild
) -> tuple[str | None, discord.AllowedMentions]:
    """Return the message content and allowed mentions: only the chosen role may be pinged."""
    role = guild.get_role(subscription.mention_role_id) if subscription.mention_role_id else None
    if role is None:
        return None, NO_MENTIONS
    allowed = discord.AllowedMentions(everyone=False, users=False, roles=[role], replied_user=False)
    return role.mention, allowed


def payload_shape(content: str | None, embed: discord.Embed, view: discord.ui.View) -> str:
    """Describe a message's sizes, not its text, for the log of a post Discord refused."""
    data = embed.to_dict()
    sizes = {
        "content": len(content or ""),
        "title": len(data.get("title", "")),
        "description": len(data.get("description", "")),
        "url": len(data.get("url", "")),
        "image_url": len(data.get("image", {}).get("url", "")),
        "fields": len(data.get("fields", [])),
        "embed_chars": len(embed),
    }
    parts = [f"{name}={size}" for name, size in sizes.items()]
    for row in view.to_components():
        for item in row.get("components", []):
            if "url" in item:
                parts.append(f"link_button_url={len(item['url'])}")
            if "custom_id" in item:
                parts.append(f"custom_id={len(item['custom_id'])}")
    return " ".join(parts)


#: Longest line of a status, list or log message (a long error or many topics is cut).
LINE_MAX = 400


def fit(lines: Sequence[str], *, limit: int = MESSAGE_CONTENT) -> str:
    """Join lines into one message within Discord's limit: each line cut to LINE_MAX, and
    the lines that do not fit left out, saying how many."""
    cut = [line if len(line) <= LINE_MAX else line[: LINE_MAX - 1] + "…" for line in lines]
    kept: list[str] = []
    used = 0
    for index, line in enumerate(cut):
        left = len(cut) - index
        note = f"… and {left - 1} more" if left > 1 else ""
        room = limit - used - (len(line) + 1) - (len(note) + 1 if note else 0)
        if room < 0:
            kept.append(f"… and {left} more")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def status_text(
    subscription: Subscription | None,
    *,
    pending: int,
    next_check: datetime | None,
    rejected: Sequence[RejectedPost] = (),
    behind: int = 0,
    window: CapWindow | None = None,
) -> str:
    """Describe one subscription's setup and health for `/autopost status` (`window`: where a
    capped one stands against its daily cap)."""
    if subscription is None:
        return (
            "Auto-posting is **off**. Turn it on with `/autopost channel` (every brief) or "
            "`/autopost add` (by topic)."
        )
    where = f"<#{subscription.channel_id}>"
    lines: list[str] = [describe_subscription(subscription)]
    if subscription.paused_reason is not None:
        lines.append(f"Auto-posting to {where} is **paused**.")
        lines.append(f"**Problem:** {subscription.paused_reason}")
        lines.append(RESUME_HINT)
    else:
        lines.append(f"Auto-posting to {where} is **on**.")
    if subscription.crosspost:
        lines.append("Posts are published to following servers.")
    role = f"<@&{subscription.mention_role_id}>" if subscription.mention_role_id else "nobody"
    lines.append(f"**Mentions:** {role}")
    last = subscription.last_post_at
    lines.append(f"**Last post:** {discord.utils.format_dt(last, 'R') if last else 'never'}")
    if subscription.paused_reason is None and next_check is not None:
        lines.append(f"**Next check:** {discord.utils.format_dt(next_check, 'R')}")
    lines.append(f"**Waiting to post:** {pending}")
    if window is not None:
        lines.append(f"**Last 24 hours:** {window.used} of at most {window.cap} posts")
        waiting = pending - window.room
        if waiting > 0:
            lines.append(
                f"**Waiting for the daily cap:** {waiting}, the next from "
                f"{discord.utils.format_dt(window.turn(window.room), 'R')}, the last by "
                f"{discord.utils.format_dt(window.turn(pending - 1), 'f')}"
            )
    if behind:
        lines.append(f"**Posts being updated to a corrected version:** {behind}")
    if subscription.paused_reason is None and subscription.last_error:
        lines.append(f"**Last problem:** {subscription.last_error}")
    for post in rejected:
        # Only what will happen: an edit earns another try, never a promise that it posts.
        then = (
            "it is tried again now that it was edited"
            if post.retrying
            else "it is tried again once a publisher edits it"
        )
        lines.append(
            f"**Refused by Discord:** brief #{post.brief_id}, "
            f"{discord.utils.format_dt(post.at, 'R')}: {post.reason}; {then}."
        )
    return fit(lines)


def overview_text(subscriptions: Sequence[Subscription], pending: Sequence[int]) -> str:
    """Describe several subscriptions, one line each (`/autopost list`, and `status` of a
    server with several): what each posts where, paused or on, and what waits."""
    if not subscriptions:
        return status_text(None, pending=0, next_check=None)
    lines = [f"This server has {len(subscriptions)} auto-post subscription(s):"]
    for subscription, waiting in zip(subscriptions, pending, strict=True):
        state = f" · {waiting} waiting" if waiting else ""
        lines.append(f"- {describe_subscription(subscription, short=True)}{state}")
    hint = "`/autopost status subscription:<n>` shows one in full; `/autopost edit` changes one."
    return fit(lines, limit=MESSAGE_CONTENT - len(hint) - 1) + "\n" + hint


#: How each delivery event reads in `/autopost log`.
EVENT_WORDS = {
    "sent": "posted",
    "updated": "updated after an edit",
    "retracted": "replaced by a retraction notice",
    "gone": "copy deleted in Discord; no longer updated",
    "unreachable": "copy out of reach; no longer updated",
    "failed": "failed",
    "rejected": "refused by Discord",
    "skipped": "skipped (backlog beyond the catch-up cap)",
    "gave_up": "given up (unsure whether it was posted)",
    "crossposted": "published to following servers",
    "test": "posted by /autopost test",
    "paused": "auto-posting paused",
}


def log_text(events: Sequence[DeliveryEvent]) -> str:
    """Describe a server's latest deliveries, updates and failures for `/autopost log`."""
    if not events:
        return "Nothing has been delivered here yet."
    lines = ["**Latest deliveries, newest first:**"]
    for event in events:
        brief = f"brief #{event.brief_id} " if event.brief_id is not None else ""
        detail = f": {event.detail}" if event.detail else ""
        words = EVENT_WORDS.get(event.event, event.event)
        lines.append(f"{discord.utils.format_dt(event.at, 'R')} · {brief}{words}{detail}")
    return fit(lines)


def describe(error: BaseException) -> str:
    """Summarise an error for logs and status: HTTP status and Discord's text when there is one."""
    if isinstance(error, discord.HTTPException):
        text = error.text or error.response.reason or "no detail"
        return f"HTTP {error.status}: {text}"
    return type(error).__name__
