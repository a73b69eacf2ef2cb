"""What auto-posting decides, apart from doing it: pure rules testable without Discord.

How many missed briefs a server still gets (`plan_catchup`), where a capped one stands
(`CapWindow`), what the bot needs in a channel (`missing_permissions`), what a post may ping
(`mention_for`) and which forum tags it carries (`forum_tags`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord

from bot.brief.text import shorten_title
from bot.limits import FORUM_TAGS_MAX, THREAD_NAME
from storage.models import Subscription
from storage.topics import topic_key

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

NO_MENTIONS = discord.AllowedMentions.none()


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


def mention_for(
    subscription: Subscription, guild: discord.Guild
) -> tuple[str | None, discord.AllowedMentions]:
    """Return the message content and allowed mentions: only the chosen role may be pinged."""
    role = guild.get_role(subscription.mention_role_id) if subscription.mention_role_id else None
    if role is None:
        return None, NO_MENTIONS
    allowed = discord.AllowedMentions(everyone=False, users=False, roles=[role], replied_user=False)
    return role.mention, allowed
