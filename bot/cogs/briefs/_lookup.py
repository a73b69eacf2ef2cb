"""What the lookup commands do: query storage, render, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.brief.text import truncate
from bot.errors import NotFoundError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from bot.ui import embeds as render
from bot.ui.components import bot_of, list_message, search_key, search_message, summary_view
from storage.models import brief_number

if TYPE_CHECKING:
    from bot.app import BriefBot
    from storage.models import Brief

Interaction = discord.Interaction[Any]

EMPTY_LIBRARY = "There are no briefs yet. Publishers can add one with `/brief add`."


async def latest(interaction: Interaction, count: int) -> None:
    """Post the newest brief(s), one message each so every one keeps its More button."""
    briefs = await bot_of(interaction).briefs.latest(count)
    if not briefs:
        raise NotFoundError(EMPTY_LIBRARY)
    first, *rest = briefs
    await interaction.response.send_message(
        embed=render.summary_embed(first), view=summary_view(first.id, first.source_url)
    )
    for brief in rest:
        await interaction.followup.send(
            embed=render.summary_embed(brief), view=summary_view(brief.id, brief.source_url)
        )


async def resolve_brief(bot: BriefBot, ref: str) -> Brief:
    """Find a live brief by number (`42`, `#42`) or, failing that, by best title match."""
    brief_id = brief_number(ref)
    brief = await bot.briefs.get(brief_id) if brief_id is not None else None
    if brief is None and brief_id is None:
        hits = await bot.briefs.search(ref, limit=1)
        brief = await bot.briefs.get(hits[0].brief_id) if hits else None
    if brief is None:
        raise NotFoundError(
            f"I couldn't find a brief matching “{truncate(ref, 100)}”. "
            "Pick one from the suggestions, or try `/brief search`."
        )
    return brief


async def show(interaction: Interaction, ref: str) -> None:
    """Post one brief, chosen by number or, failing that, by the best title match."""
    brief = await resolve_brief(bot_of(interaction), ref)
    await interaction.response.send_message(
        embed=render.summary_embed(brief), view=summary_view(brief.id, brief.source_url)
    )


async def suggest(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: `#id · title`, value the id."""
    rows = await bot.briefs.suggest(current, limit=AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(
            name=truncate(f"#{brief_id} · {title}", CHOICE_NAME), value=str(brief_id)
        )
        for brief_id, title in rows
    ]


async def search(interaction: Interaction, query: str) -> None:
    """Answer with ranked results, a select to open one, and Prev/Next."""
    embed, view = await search_message(bot_of(interaction), search_key(query), 0)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def browse(interaction: Interaction) -> None:
    """Answer with the first page of the library, newest first."""
    bot = bot_of(interaction)
    if await bot.briefs.count() == 0:
        raise NotFoundError(EMPTY_LIBRARY)
    embed, view = await list_message(bot, 0)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
