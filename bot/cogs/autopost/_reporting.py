"""What `/autopost`'s reporting commands say: status and list, why a brief was (not) posted,
the delivery log, and a test post. Each returns the reply, or raises UserFacingError."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from discord import app_commands

from bot.brief.text import truncate
from bot.cogs.autopost._delivery import AutoPoster
from bot.cogs.autopost._managing import subscription_of
from bot.cogs.autopost._texts import log_text, overview_text, status_text
from bot.cogs.autopost._why import why_text
from bot.errors import UserFacingError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from bot.ui import components
from storage.models import Subscription, brief_number

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

#: Lines `/autopost log` shows (each at most a few hundred characters: within 2,000).
LOG_LINES = 10


async def chosen(bot: BriefBot, guild_id: int, subscription_id: int | None) -> list[Subscription]:
    """Return the subscription asked for, or every one of the server when none was."""
    if subscription_id is not None:
        return [await subscription_of(bot, guild_id, subscription_id)]
    return await bot.storage.subscriptions.of_guild(guild_id)


async def overview(poster: AutoPoster, subscriptions: list[Subscription]) -> str:
    """Describe several subscriptions, one line each, with what each has waiting."""
    pending = [await poster.pending_count(sub) for sub in subscriptions]
    return overview_text(subscriptions, pending)


async def status(
    interaction: Interaction,
    poster: AutoPoster,
    subscription_id: int | None,
    next_check: datetime | None,
) -> str:
    """Describe one subscription in full, or several one line each."""
    assert interaction.guild is not None
    bot = interaction.client
    subscriptions = await chosen(bot, interaction.guild.id, subscription_id)
    if len(subscriptions) > 1:
        return await overview(poster, subscriptions)
    sub = subscriptions[0] if subscriptions else None
    post_log = bot.storage.post_log
    return status_text(
        sub,
        pending=await poster.pending_count(sub) if sub else 0,
        next_check=next_check,
        rejected=await post_log.rejected(sub.channel_id) if sub else (),
        behind=await bot.storage.copies.behind(interaction.guild.id),
        window=await poster.cap_window(sub) if sub else None,
    )


async def post_test(
    interaction: Interaction, poster: AutoPoster, subscription_id: int | None
) -> str:
    """Post the latest brief for a subscription (the first by default) and say how it went."""
    assert interaction.guild is not None
    bot = interaction.client
    if subscription_id is not None:
        sub: Subscription | None = await subscription_of(bot, interaction.guild.id, subscription_id)
    else:
        sub = await bot.storage.subscriptions.first(interaction.guild.id)
    if sub is None:  # an answer, not a refusal: there is nothing to test
        return "Auto-posting is off: choose a channel with `/autopost channel`."
    await interaction.response.defer(ephemeral=True, thinking=True)
    return await poster.post_latest(sub)


async def why(
    interaction: Interaction,
    poster: AutoPoster,
    brief: str,
    subscription_id: int | None,
    next_check: datetime | None,
) -> str:
    """Say why a brief was or was not posted for each chosen subscription."""
    guild = interaction.guild
    assert guild is not None
    bot = interaction.client
    subscriptions = await chosen(bot, guild.id, subscription_id)
    trace = await bot.storage.post_log.trace(guild.id, await brief_id(bot, brief))
    if trace is None:
        raise UserFacingError(f"There is no brief #{brief.strip().lstrip('#')}.")
    standings = [await poster.standing(sub, trace) for sub in subscriptions]
    return why_text(trace, standings, next_check=next_check)


async def brief_id(bot: BriefBot, ref: str) -> int:
    """Read a brief reference: a number (a retracted brief's too), else the best live
    title match."""
    number = brief_number(ref)
    if number is not None:
        return number
    hits = await bot.storage.briefs.search(ref, limit=1)
    if not hits:
        raise UserFacingError(
            f"I couldn't find a brief matching “{truncate(ref, 100)}”: pick one from the "
            "suggestions, or give its number."
        )
    return hits[0].brief_id


async def brief_choices(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Offer the briefs whose title matches what was typed, by number."""
    rows = await bot.storage.briefs.suggest(current, limit=AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(
            name=components.brief_label(brief_id, title, CHOICE_NAME), value=str(brief_id)
        )
        for brief_id, title in rows
    ]


async def delivery_log(interaction: Interaction) -> str:
    """Describe the server's latest deliveries, updates and failures."""
    assert interaction.guild is not None
    delivery_log = interaction.client.storage.delivery_log
    return log_text(await delivery_log.recent(interaction.guild.id, limit=LOG_LINES))
