"""What auto-posting does about a problem: pause a subscription and tell its server, or keep
the problem for `/autopost status`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.cogs.autopost._outcomes import Outcome, describe, tag_refused
from bot.cogs.autopost._policy import NO_MENTIONS
from bot.cogs.autopost._subscribing import Destination
from bot.cogs.autopost._texts import RESUME_HINT
from storage.delivery_log import Event
from storage.models import Subscription

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.autopost")


async def failed(
    bot: BriefBot,
    subscription: Subscription,
    channel: Destination,
    brief_id: int,
    error: Exception,
    outcome: Outcome,
) -> str:
    """Pause, or note the problem for `/autopost status`, after a send failed; return the
    problem as status shows it."""
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
        await pause(bot, subscription, reason)
        return reason
    if outcome is Outcome.RETRY:
        log.warning("autopost send failed; will retry", extra={**ids, "error": detail})
        problem = f"Discord had a temporary problem ({detail}); retrying."
    else:
        problem = f"Discord refused brief #{brief_id} ({detail}); it is tried again if edited."
    await record_error(bot, subscription.id, problem)
    return problem


async def pause(bot: BriefBot, subscription: Subscription, reason: str) -> None:
    """Stop posting for this subscription and tell the server once, where it can see it."""
    guild_id = subscription.guild_id
    await bot.storage.subscriptions.pause(subscription.id, reason)
    await bot.storage.delivery_log.add(guild_id, None, Event.PAUSED, reason)
    log.warning(
        "autopost paused",
        extra={
            "guild": guild_id,
            "subscription": subscription.id,
            "channel": subscription.channel_id,
            "reason": reason,
        },
    )
    await _tell_guild(bot, guild_id, reason)


async def _tell_guild(bot: BriefBot, guild_id: int, reason: str) -> None:
    """Post the pause reason in the server's system channel, if the bot may speak there."""
    guild = bot.get_guild(guild_id)
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


async def record_error(bot: BriefBot, subscription_id: int, error: str) -> None:
    """Keep the problem for `/autopost status`; a failure here must not hide the first."""
    try:
        await bot.storage.subscriptions.record_error(subscription_id, error)
    except Exception:
        log.exception("autopost could not record an error", extra={"subscription": subscription_id})
