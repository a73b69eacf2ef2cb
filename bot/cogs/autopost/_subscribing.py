"""What a server manager types for a subscription, checked and turned into its options.

The checks run when subscribing (and editing), so a manager hears at once what is missing,
by name, rather than find the subscription paused at its first post.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.cogs.autopost._forums import default_tag
from bot.cogs.autopost._policy import missing_permissions
from bot.cogs.autopost._texts import describe_subscription
from bot.errors import UserFacingError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from storage.models import Subscription, SubscriptionOptions
from storage.topics import (
    MAX_FILTER_TOPICS,
    Match,
    TopicCount,
    clean_topics,
    join_topics,
    matching,
    split_topics,
    topic_key,
)

#: Typed as `topics`, this means every brief (no topic filter).
EVERY_TOPIC = "*"
#: Where a subscription may post.
Destination = discord.TextChannel | discord.ForumChannel


class DestinationChannel(app_commands.Transformer[Any]):
    """A `channel` option offering text, announcement and forum channels.

    discord.py's own `TextChannel | ForumChannel` would also offer media channels (type 16),
    which Discord's published API does not list for command options.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Destination:
        resolved = value.resolve() if isinstance(value, app_commands.AppCommandChannel) else value
        if not isinstance(resolved, discord.TextChannel | discord.ForumChannel):
            raise UserFacingError(
                "Pick a text, announcement or forum channel of this server that I can see."
            )
        return resolved


def parse_topics(text: str | None) -> list[str] | None:
    """Read a typed topic list ("sport, local news"); None when nothing was typed, [] for
    `*` (every brief). Raises UserFacingError naming what is wrong."""
    if text is None:
        return None
    if text.strip() == EVERY_TOPIC:
        return []
    try:
        topics = clean_topics(split_topics(text), most=MAX_FILTER_TOPICS)
    except ValueError as error:
        raise UserFacingError(f"Topics: {error}.") from None
    if not topics:
        raise UserFacingError(
            f"Topics: type one or more, separated by commas, or `{EVERY_TOPIC}` for every brief."
        )
    return topics


def check_destination(
    channel: Destination,
    me: discord.Member,
    options: SubscriptionOptions,
    tag: str | None = None,
) -> SubscriptionOptions:
    """Refuse a channel the bot cannot post to as asked, or that would refuse its posts,
    saying why; return the options to keep, with a forum's default `tag` (typed or kept)."""
    forum = isinstance(channel, discord.ForumChannel)
    missing = missing_permissions(channel.permissions_for(me), forum=forum, thread=options.thread)
    if missing:
        raise UserFacingError(
            f"I can't post in {channel.mention} yet: I need {', '.join(missing)} there. "
            "Grant them and run this again."
        )
    if options.crosspost and not (isinstance(channel, discord.TextChannel) and channel.is_news()):
        raise UserFacingError(
            f"{channel.mention} is not an announcement channel, so posts there can't be "
            "published. Pick an announcement channel or leave `crosspost` off."
        )
    if not isinstance(channel, discord.ForumChannel):
        if tag is not None:
            raise UserFacingError(
                f"{channel.mention} is not a forum channel: `tag` is only for forums."
            )
        return options.model_copy(update={"forum_tag_id": None})
    chosen = default_tag(channel, me, options, tag)
    return options.model_copy(update={"forum_tag_id": chosen.id if chosen else None})


def may_mention(
    member: discord.Member, role: discord.Role, channel: discord.abc.GuildChannel | None
) -> bool:
    """Say whether a member could ping this role themselves (in `channel`, or anywhere in
    the server): the bot never pings on a manager's behalf what they could not."""
    if role.mentionable:
        return True
    permissions = channel.permissions_for(member) if channel else member.guild_permissions
    return permissions.mention_everyone


def check_role(
    role: discord.Role | None,
    member: discord.Member,
    channel: discord.abc.GuildChannel | None,
) -> None:
    """Refuse @everyone as a mention (auto-posts never ping everyone), and a role the member
    could not ping themselves where the subscription posts."""
    if role is None:
        return
    if role.is_default():
        raise UserFacingError("Pick a specific role: auto-posts never mention @everyone.")
    if not may_mention(member, role, channel):
        where = f" in {channel.mention}" if channel else ""
        raise UserFacingError(
            f"You can't mention {role.mention} yourself: it is not mentionable and you lack "
            f"Mention @everyone{where}. I only mention for you whom you could."
        )


def choice_name(subscription: Subscription, channel_name: str | None) -> str:
    """Name a subscription in autocomplete (plain text: choices show no markdown)."""
    where = f"#{channel_name}" if channel_name else f"channel {subscription.channel_id}"
    what = ", ".join(subscription.topics) if subscription.topics else "every brief"
    if subscription.topics and subscription.match is not Match.ANY:
        what = f"{subscription.match} of {what}"
    name = f"#{subscription.id} → {where}: {what}"
    if subscription.paused_reason:
        name += " (paused)"
    return name if len(name) <= CHOICE_NAME else name[: CHOICE_NAME - 1] + "…"


def added_text(subscription: Subscription, channel: Destination) -> str:
    """Confirm a new or changed subscription, and what it will do."""
    forum = ""
    if isinstance(channel, discord.ForumChannel):
        forum = " Each brief becomes a post in the forum."
        tag = channel.get_tag(subscription.forum_tag_id) if subscription.forum_tag_id else None
        if tag is not None:
            forum += f" A post whose brief's topics name none of its tags is tagged `{tag.name}`."
    return (
        f"Done: {describe_subscription(subscription)}.{forum}\n"
        "Briefs published from now on are posted; earlier ones are not."
    )


def topic_choices(known: list[TopicCount], typed: str) -> list[app_commands.Choice[str]]:
    """Complete the last topic of a typed list ("sport, loc" → "sport, local news") from the
    library's topics, keeping the ones typed before it; at most 25 choices."""
    *before, last = split_topics(typed) or [""]
    if typed.rstrip().endswith((",", ";")):
        before, last = [*before, last], ""
    chosen = {topic_key(topic) for topic in before}
    choices: list[app_commands.Choice[str]] = []
    for topic in matching(known, last):
        if topic.key in chosen:
            continue
        value = join_topics([*(" ".join(t.split()) for t in before), topic.name])
        if len(value) > CHOICE_NAME:
            continue
        choices.append(app_commands.Choice(name=value, value=value))
        if len(choices) == AUTOCOMPLETE_CHOICES:
            break
    return choices
