"""Where a subscription posts: its channel, found and checked before each delivery, or the
reason it cannot be posted to now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.cogs.autopost._forums import refusal
from bot.cogs.autopost._policy import missing_permissions
from bot.cogs.autopost._subscribing import Destination
from storage.models import Subscription

if TYPE_CHECKING:
    from bot.app import BriefBot


class ChannelUnavailableError(Exception):
    """The server's channel cannot be posted to; the message is the pause reason."""


class ServerUnavailableError(Exception):
    """The server is not in the gateway cache right now (an outage); try again later."""


async def destination(bot: BriefBot, subscription: Subscription) -> Destination:
    """Find the subscription's channel, from cache or Discord, and check the bot may post
    there as the subscription asks (a thread per post needs more)."""
    where = f"<#{subscription.channel_id}>"
    channel = bot.get_channel(subscription.channel_id)
    if channel is None:
        try:
            channel = await bot.fetch_channel(subscription.channel_id)
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
