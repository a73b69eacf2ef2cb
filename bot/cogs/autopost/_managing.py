"""What `/autopost`'s subscription commands do: add, edit, remove and find a server's
subscriptions, checked against the channel and the manager's own permissions. Each returns
the reply, or raises UserFacingError."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs.autopost._subscribing import (
    Destination,
    added_text,
    check_destination,
    check_role,
    choice_name,
    parse_topics,
)
from bot.errors import UserFacingError
from bot.limits import AUTOCOMPLETE_CHOICES
from storage.errors import AmbiguousSubscriptionError, SubscriptionLimitError
from storage.models import Subscription, SubscriptionOptions
from storage.topics import Match

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.autopost")

#: What `/autopost channel` and `mention` say to a server with several subscriptions.
SEVERAL = (
    "This server has several subscriptions, so I can't tell which one you mean: use "
    "`/autopost edit` for one of them (see `/autopost list`)"
)


async def subscription_of(bot: BriefBot, guild_id: int, subscription_id: int) -> Subscription:
    """Return one of this server's subscriptions by its number, or refuse."""
    found = await bot.storage.subscriptions.get(subscription_id)
    if found is None or found.guild_id != guild_id:
        raise UserFacingError(
            f"This server has no subscription #{subscription_id}: see `/autopost list`."
        )
    return found


async def subscription_choices(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[int]]:
    """Offer the server's subscriptions whose description holds what was typed."""
    if interaction.guild is None:
        return []
    typed = current.strip().lstrip("#").casefold()
    choices: list[app_commands.Choice[int]] = []
    for sub in await interaction.client.storage.subscriptions.of_guild(interaction.guild.id):
        channel = interaction.guild.get_channel(sub.channel_id)
        name = choice_name(sub, channel.name if channel else None)
        if typed in name.casefold():
            choices.append(app_commands.Choice(name=name, value=sub.id))
    return choices[:AUTOCOMPLETE_CHOICES]


@dataclass(frozen=True)
class Choices:
    """What a manager typed in `/autopost add` or `edit`; None leaves a setting as it is (in
    `add`: its default)."""

    topics: str | None = None
    match: str | None = None
    mention: discord.Role | None = None
    no_mention: bool = False
    silent: bool | None = None
    thread: bool | None = None
    daily_cap: int | None = None
    crosspost: bool | None = None
    tag: str | None = None


async def add(interaction: Interaction, channel: Destination, choices: Choices) -> str:
    """Subscribe `channel` as the manager chose."""
    guild = interaction.guild
    assert guild is not None
    assert isinstance(interaction.user, discord.Member)
    mention = choices.mention
    check_role(mention, interaction.user, channel)
    options = SubscriptionOptions(
        channel_id=channel.id,
        topics=parse_topics(choices.topics) or [],
        match=Match(choices.match) if choices.match else Match.ANY,
        mention_role_id=mention.id if mention else None,
        mention_set_by=interaction.user.id if mention else None,
        silent=bool(choices.silent),
        thread=bool(choices.thread) or isinstance(channel, discord.ForumChannel),
        daily_cap=choices.daily_cap,
        crosspost=bool(choices.crosspost),
    )
    options = check_destination(channel, guild.me, options, choices.tag)
    try:
        subscription = await interaction.client.storage.subscriptions.add(guild.id, options)
    except SubscriptionLimitError as error:
        raise UserFacingError(
            f"I can't add another: {error}. Remove one with `/autopost remove` first."
        ) from None
    log.info(
        "autopost subscribed",
        extra={"guild": guild.id, "subscription": subscription.id, "channel": channel.id},
    )
    return added_text(subscription, channel)


def edited_values(
    current: Subscription, channel: Destination | None, choices: Choices, chooser: int
) -> dict[str, object]:
    """Return a subscription's options with what the manager changed (None: left as it is)."""
    changes: dict[str, object] = {
        "channel_id": channel.id if channel else None,
        "topics": parse_topics(choices.topics),
        "match": Match(choices.match) if choices.match else None,
        "silent": choices.silent,
        "thread": choices.thread,
        "crosspost": choices.crosspost,
    }
    values = current.model_dump(include=set(SubscriptionOptions.model_fields))
    values |= {name: value for name, value in changes.items() if value is not None}
    if choices.mention is not None:
        values["mention_role_id"] = choices.mention.id
        values["mention_set_by"] = chooser
    elif choices.no_mention:
        values["mention_role_id"] = values["mention_set_by"] = None
    if choices.daily_cap is not None:
        values["daily_cap"] = choices.daily_cap or None
    return values


async def edit(
    interaction: Interaction,
    subscription_id: int,
    channel: Destination | None,
    choices: Choices,
) -> str:
    """Change one of the server's subscriptions, checked against its (new) channel."""
    guild = interaction.guild
    assert guild is not None
    assert isinstance(interaction.user, discord.Member)
    current = await subscription_of(interaction.client, guild.id, subscription_id)
    values = edited_values(current, channel, choices, interaction.user.id)
    target = channel or guild.get_channel(current.channel_id)
    if isinstance(target, discord.ForumChannel):
        values["thread"] = True
    options = SubscriptionOptions.model_validate(values)
    if isinstance(target, discord.TextChannel | discord.ForumChannel):
        check_role(choices.mention, interaction.user, target)
        options = check_destination(target, guild.me, options, choices.tag)
    else:
        raise UserFacingError(
            f"<#{current.channel_id}> is gone or out of my reach: pick a `channel`."
        )
    edited = await interaction.client.storage.subscriptions.edit(current.id, options)
    if edited is None:
        raise UserFacingError(f"Subscription #{subscription_id} was removed meanwhile.")
    log.info("autopost subscription edited", extra={"guild": guild.id, "subscription": edited.id})
    return added_text(edited, target)


async def remove(interaction: Interaction, subscription_id: int) -> str:
    """Remove one subscription; its posts stay, and are still corrected."""
    guild = interaction.guild
    assert guild is not None
    current = await subscription_of(interaction.client, guild.id, subscription_id)
    await interaction.client.storage.subscriptions.remove(guild.id, current.id)
    log.info("autopost unsubscribed", extra={"guild": guild.id, "subscription": current.id})
    return (
        f"Removed subscription #{current.id}: nothing more is posted in "
        f"<#{current.channel_id}> for it. Posts already made stay, and are still corrected."
    )


async def set_channel(
    interaction: Interaction, channel: discord.TextChannel, crosspost: bool
) -> str:
    """Point the server's one subscription at `channel` (making it if there is none)."""
    assert interaction.guild is not None
    check_destination(
        channel,
        interaction.guild.me,
        SubscriptionOptions(channel_id=channel.id, crosspost=crosspost),
    )
    try:
        subscription = await interaction.client.storage.subscriptions.set_channel(
            interaction.guild.id, channel.id, crosspost=crosspost
        )
    except AmbiguousSubscriptionError as error:
        raise UserFacingError(f"{SEVERAL} ({error}).") from None
    log.info(
        "autopost configured",
        extra={
            "guild": subscription.guild_id,
            "subscription": subscription.id,
            "channel": channel.id,
            "crosspost": crosspost,
        },
    )
    published = " and published to following servers" if crosspost else ""
    return (
        f"Done: briefs published from now on will be posted in {channel.mention}{published}. "
        "Earlier briefs are not posted."
    )


async def turn_off(interaction: Interaction) -> str:
    """Remove every subscription of the server."""
    assert interaction.guild is not None
    subscriptions = interaction.client.storage.subscriptions
    of_guild = await subscriptions.of_guild(interaction.guild.id)
    if not of_guild:
        return "Auto-posting is already off."
    await subscriptions.remove_all(interaction.guild.id)
    log.info("autopost disabled", extra={"guild": interaction.guild.id})
    where = ", ".join(dict.fromkeys(f"<#{sub.channel_id}>" for sub in of_guild))
    return (
        f"Auto-posting to {where} is off. Turn it back on with `/autopost channel` or "
        "`/autopost add`."
    )


async def set_mention(interaction: Interaction, role: discord.Role | None) -> str:
    """Mention `role` (None: nobody) with the server's one subscription's posts."""
    guild = interaction.guild
    assert guild is not None
    assert isinstance(interaction.user, discord.Member)
    subscriptions = interaction.client.storage.subscriptions
    current = await subscriptions.first(guild.id)
    check_role(role, interaction.user, guild.get_channel(current.channel_id) if current else None)
    try:
        subscription = await subscriptions.set_mention(
            guild.id, role.id if role else None, set_by=interaction.user.id
        )
    except AmbiguousSubscriptionError as error:
        raise UserFacingError(f"{SEVERAL} ({error}).") from None
    log.info("autopost mention set", extra={"guild": guild.id, "role": role.id if role else None})
    notes: list[str] = []
    if role is None:
        reply = "Auto-posts will not mention anyone."
    else:
        reply = f"Auto-posts will mention {role.mention}."
        if not role.mentionable and not guild.me.guild_permissions.mention_everyone:
            notes.append(
                f"{role.mention} is not mentionable and I lack Mention @everyone, "
                "so the mention won't notify anyone until one of those changes."
            )
    if subscription is None:
        notes.append("Auto-posting is off: choose a channel with `/autopost channel`.")
    return "\n".join([reply, *notes])
