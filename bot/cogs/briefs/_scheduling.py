"""Scheduled publishing: releasing held briefs on time, `/brief schedule` and `/brief scheduled`.

A brief held until its release time is stored and visible to publishers only
(storage/schema.py `VISIBLE`); `release_due` releases it through the one publishing operation
within a few seconds of its time, each brief once whatever processes share the database, and
auto-posting delivers it as any new brief (docs/scheduling.md).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.brief.text import truncate
from bot.brief.when import ReleaseTimeError, read_release
from bot.errors import NotFoundError, UserFacingError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, EMBED_DESCRIPTION, EMBED_TITLE
from bot.ui import components
from bot.ui.embeds import BRIEF_COLOUR
from bot.ui.replies import send_ephemeral
from storage.models import Brief, brief_number, utcnow
from storage.publishing import User
from storage.writing import RELEASE_BATCH, Released

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.briefs")

#: Seconds between looks for held briefs that are due. A look also sleeps until the soonest
#: one due before the next look, so a brief known by then goes out on its second; one held
#: by another process less than this before its time, within this of it.
RELEASE_EVERY = 10.0
#: Released later than this after its time, a brief is logged as late (the bot was down).
LATE = timedelta(seconds=15)
#: The `when` choices of `/brief schedule` that are not a time.
NOW, CANCEL = "now", "cancel"
#: Held briefs `/brief scheduled` lists (the soonest due); the rest are counted.
SCHEDULED_SHOWN = 20
WHEN_HELP = (
    "a time such as `tomorrow 09:00`, `2026-12-08 09:00` or `in 2 hours` (in the newsroom's"
    " time zone), `now` to release it at once, or `cancel` to withdraw it"
)


async def release_on_time(bot: BriefBot) -> list[Released]:
    """Release what is due, then, while a held brief falls due before the next look, wait for
    its time and release again (one look of the release loop). Times are the library's
    clock, the one release times are compared with."""
    released = await release_due(bot)
    next_look = utcnow() + timedelta(seconds=RELEASE_EVERY)
    while utcnow() < next_look:
        due = await bot.storage.briefs.next_release()
        if due is None or due >= next_look:
            break
        await asyncio.sleep(max((due - utcnow()).total_seconds(), 0.05))
        released += await release_due(bot)
    return released


async def release_due(bot: BriefBot) -> list[Released]:
    """Release every held brief that is due, in batches, logging each (and its lateness)."""
    released: list[Released] = []
    while True:
        batch = await bot.storage.publisher.release_due()
        released += batch
        for item in batch:
            late = round(item.late.total_seconds(), 1)
            extra = {"brief": item.brief_id, "due": item.due.isoformat(), "late_s": late}
            if item.late > LATE:
                log.warning("released late: the bot was not running at its time", extra=extra)
            else:
                log.info("released", extra=extra)
            bot.metrics.release_lateness.observe(max(item.late.total_seconds(), 0.0))
        if len(batch) < RELEASE_BATCH:
            return released


def when_text(moment: datetime) -> str:
    """Return a time as every reader sees it, in their own zone: full date and relative."""
    return f"{discord.utils.format_dt(moment, 'F')} ({discord.utils.format_dt(moment, 'R')})"


def read_when(bot: BriefBot, text: str) -> datetime:
    """Read a release time a publisher typed, in the newsroom's zone; a clear error if not."""
    try:
        return read_release(text, now=utcnow(), zone=bot.settings.zone)
    except ReleaseTimeError as exc:
        raise UserFacingError(str(exc)) from None


async def held_brief(bot: BriefBot, ref: str) -> Brief:
    """Find a held brief by number (as its autocomplete gives it), or raise NotFoundError."""
    brief_id = brief_number(ref)
    brief = None if brief_id is None else await bot.storage.briefs.get(brief_id, held=True)
    if brief is None or brief.release_at is None:
        raise NotFoundError(
            f"No brief waiting for release matches “{truncate(ref, 100)}”. "
            "Pick one from the suggestions, or see them all with `/brief scheduled`."
        )
    return brief


async def schedule(interaction: Interaction, ref: str, when: str) -> None:
    """Give a held brief a new time, release it now, or withdraw it (each audited)."""
    bot = interaction.client
    brief = await held_brief(bot, ref)
    by = User(interaction.user.id)
    label = components.brief_label(brief.id, brief.title, EMBED_TITLE)
    choice = when.strip().casefold()
    if choice == NOW:
        if not await bot.storage.publisher.release(brief.id, by=by):
            raise NotFoundError(f"Brief #{brief.id} is no longer waiting: it was released.")
        await send_ephemeral(interaction, f"Released {label} now; it goes out as a new brief.")
        return
    if choice == CANCEL:
        if not await bot.storage.publisher.retract(brief.id, by=by):
            raise NotFoundError(f"Brief #{brief.id} is no longer waiting.")
        await send_ephemeral(
            interaction, f"Withdrew {label}: it will not be released, and nobody saw it."
        )
        return
    moment = read_when(bot, when)
    moved = await bot.storage.publisher.schedule(brief.id, moment, by=by)
    if moved is None:
        raise NotFoundError(f"Brief #{brief.id} is no longer waiting: it was released.")
    await send_ephemeral(interaction, f"{label} is now scheduled for {when_text(moment)}.")


async def suggest_held(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices of held briefs, soonest first: `#id · title`, value the id."""
    found = await bot.storage.briefs.suggest_held(current, limit=AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(
            name=components.brief_label(brief.id, brief.title, CHOICE_NAME), value=str(brief.id)
        )
        for brief in found
    ]


def suggest_when(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for `when`: what was typed (a time), `now` and `cancel`."""
    typed = current.strip()
    choices = [typed] if typed and typed.casefold() not in (NOW, CANCEL) else []
    choices += [word for word in (NOW, CANCEL) if word.startswith(typed.casefold())]
    return [app_commands.Choice(name=choice[:CHOICE_NAME], value=choice) for choice in choices]


async def scheduled(interaction: Interaction) -> None:
    """Answer the publisher with the briefs waiting for release, soonest first."""
    briefs = interaction.client.storage.briefs
    total = await briefs.scheduled_count()
    if total == 0:
        await send_ephemeral(
            interaction,
            "No brief is waiting for release. Give one a time with `/brief add … release:`.",
        )
        return
    shown = await briefs.scheduled(limit=SCHEDULED_SHOWN)
    await interaction.response.send_message(embed=scheduled_embed(shown, total), ephemeral=True)


def scheduled_embed(shown: list[Brief], total: int) -> discord.Embed:
    """Render held briefs, one line each: when (in each reader's zone), number and title."""
    lines = [
        f"{when_text(brief.release_at)} · "
        f"{discord.utils.escape_markdown(components.brief_label(brief.id, brief.title, 120))}"
        for brief in shown
        if brief.release_at is not None
    ]
    if total > len(lines):
        lines.append(f"…and {total - len(lines)} more")
    return discord.Embed(
        title=f"Waiting for release ({total})",
        description=truncate("\n".join(lines), EMBED_DESCRIPTION),
        colour=BRIEF_COLOUR,
    )
