"""What a forum channel accepts: the tags a post may carry, and whether it must carry one.

A forum may require a tag on every post (its REQUIRE_TAG flag), and only members with Manage
Threads may apply a moderated tag; Discord refuses a post that breaks either rule. So a
subscription to a forum is checked against them when it is made and again before each
delivery, and a post carries the forum's tags its brief's topics name, or else the
subscription's default tag.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.cogs.autopost._policy import forum_tags
from bot.errors import UserFacingError
from storage.models import Subscription, SubscriptionOptions
from storage.topics import Match, topic_key

#: Discord's error code for a forum post without a tag in a forum that requires one.
TAG_REQUIRED = 40067
#: Discord's error code for a change to an archived thread (editing a message in it, say).
THREAD_ARCHIVED = 50083
#: Most tag names a reply lists.
TAGS_LISTED = 10


def usable_tags(forum: discord.ForumChannel, me: discord.Member) -> list[discord.ForumTag]:
    """Return the forum's tags the bot may apply: a moderated one needs Manage Threads."""
    moderator = forum.permissions_for(me).manage_threads
    return [tag for tag in forum.available_tags if moderator or not tag.moderated]


def post_tags(
    usable: Sequence[discord.ForumTag], topics: Sequence[str], default_id: int | None
) -> list[discord.ForumTag]:
    """Return the tags a post carries: those its brief's topics name, else the default one."""
    named = forum_tags(usable, topics)
    if named:
        return named
    return [tag for tag in usable if tag.id == default_id]


def always_tagged(options: SubscriptionOptions, usable: Sequence[discord.ForumTag]) -> bool:
    """Say whether every brief the subscription selects names one of these tags by a topic,
    so its posts need no default tag."""
    keys = {topic_key(tag.name) for tag in usable}
    wanted = [topic_key(topic) in keys for topic in options.topics]
    if not wanted or options.match is Match.NONE:
        return False
    return any(wanted) if options.match is Match.ALL else all(wanted)


def default_tag(
    forum: discord.ForumChannel,
    me: discord.Member,
    options: SubscriptionOptions,
    typed: str | None,
) -> discord.ForumTag | None:
    """Return the tag the subscription's posts in this forum carry when their brief's topics
    name none (`typed` by the manager, or kept from before); None when none is needed.

    Raises UserFacingError when the forum would refuse the posts, saying why and what to do:
    a typed tag it lacks or the bot may not apply, or no tag for a forum that requires one (a
    forum with a single tag the bot may apply gets that one).
    """
    usable = usable_tags(forum, me)
    if typed is not None:
        key = topic_key(typed)
        found = next((tag for tag in forum.available_tags if topic_key(tag.name) == key), None)
        if found is None:
            raise UserFacingError(f"{forum.mention} has no tag named that. {_offer(forum)}")
        if found.id not in {tag.id for tag in usable}:
            raise UserFacingError(
                f"Only members with Manage Threads may apply the tag `{found.name}` in "
                f"{forum.mention}, and I lack it there: grant it, or pick another tag."
            )
        return found
    kept = next((tag for tag in usable if tag.id == options.forum_tag_id), None)
    if kept is not None or not forum.flags.require_tag or always_tagged(options, usable):
        return kept
    if len(usable) == 1:
        return usable[0]
    if not usable:
        raise UserFacingError(
            f"{forum.mention} requires a tag on every post, and has no tag I may apply: add "
            "one, or give me Manage Threads there for its moderated tags."
        )
    raise UserFacingError(
        f"{forum.mention} requires a tag on every post: pick with `tag` the one a post carries "
        f"when none of its brief's topics names a tag. {_offer(forum)}"
    )


def refusal(
    forum: discord.ForumChannel, me: discord.Member, subscription: Subscription
) -> str | None:
    """Say why the forum would refuse the subscription's posts now (its tags or flags changed
    since it was made), or None when it accepts them."""
    if not forum.flags.require_tag:
        return None
    usable = usable_tags(forum, me)
    if any(tag.id == subscription.forum_tag_id for tag in usable) or always_tagged(
        subscription, usable
    ):
        return None
    return (
        f"{forum.mention} requires a tag on every post, and this subscription has none I may "
        f"apply there: choose one with `/autopost edit subscription:{subscription.id} tag:`."
    )


def _offer(forum: discord.ForumChannel) -> str:
    """Name the forum's tags a manager may pick from."""
    names = [f"`{tag.name}`" for tag in forum.available_tags]
    if not names:
        return "It has no tags yet."
    more = f" and {len(names) - TAGS_LISTED} more" if len(names) > TAGS_LISTED else ""
    return f"Its tags: {', '.join(names[:TAGS_LISTED])}{more}."
