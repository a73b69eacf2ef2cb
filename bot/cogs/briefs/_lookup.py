"""Looking briefs up: the commands, and the More, Prev/Next and menu clicks under their answers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands

from bot.brief.text import truncate
from bot.errors import NotFoundError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from bot.ui import components, embeds
from bot.ui.components import (
    ARTICLE_PAGE,
    LIST_PAGE,
    MORE,
    OPEN_BRIEF,
    SEARCH_PAGE,
    PersistentItem,
    page_count,
    search_key,
)
from storage.base import SEARCH_COUNT_CAP, valid_id
from storage.models import Brief, brief_number

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

LIST_PAGE_SIZE = 10
SEARCH_PAGE_SIZE = 5
EMPTY_LIBRARY = "There are no briefs yet. Publishers can add one with `/brief add`."
REMOVED = "This brief was removed, so it can no longer be opened."
EMPTY_QUERY = "Type a word or two to search for, for example `/brief search comet`."


# --- the commands --------------------------------------------------------------------------


async def latest(interaction: Interaction, count: int) -> None:
    """Post the newest brief(s), one message each so every one keeps its More button."""
    briefs = await interaction.client.storage.briefs.latest(count)
    if not briefs:
        raise NotFoundError(EMPTY_LIBRARY)
    first, *rest = briefs
    embed, view = components.summary_message(first)
    await interaction.response.send_message(embed=embed, view=view)
    for brief in rest:
        embed, view = components.summary_message(brief)
        await interaction.followup.send(embed=embed, view=view)


async def resolve_brief(bot: BriefBot, ref: str) -> Brief:
    """Find a live brief by number (`42`, `#42`) or, failing that, by best title match."""
    briefs = bot.storage.briefs
    brief_id = brief_number(ref)
    brief = await briefs.get(brief_id) if brief_id is not None else None
    if brief is None and brief_id is None:
        hits = await briefs.search(ref, limit=1)
        brief = await briefs.get(hits[0].brief_id) if hits else None
    if brief is None:
        raise NotFoundError(
            f"I couldn't find a brief matching “{truncate(ref, 100)}”. "
            "Pick one from the suggestions, or try `/brief search`."
        )
    return brief


async def show(interaction: Interaction, ref: str) -> None:
    """Post one brief, chosen by number or, failing that, by the best title match."""
    embed, view = components.summary_message(await resolve_brief(interaction.client, ref))
    await interaction.response.send_message(embed=embed, view=view)


async def suggest(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: `#id · title`, value the id."""
    rows = await bot.storage.briefs.suggest(current, limit=AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(
            name=truncate(f"#{brief_id} · {title}", CHOICE_NAME), value=str(brief_id)
        )
        for brief_id, title in rows
    ]


async def search(interaction: Interaction, query: str) -> None:
    """Answer with ranked results, a menu to open one, and Prev/Next."""
    embed, view = await search_message(interaction.client, search_key(query), 0)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def browse(interaction: Interaction) -> None:
    """Answer with the first page of the library, newest first."""
    bot = interaction.client
    if await bot.storage.briefs.count() == 0:
        raise NotFoundError(EMPTY_LIBRARY)
    embed, view = await list_message(bot, 0)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


# --- the pages -----------------------------------------------------------------------------


async def fetch_brief(bot: BriefBot, brief_id: int) -> Brief:
    """Load a live brief, or raise NotFoundError saying it was retracted (and why), or is gone."""
    brief = await bot.storage.briefs.get(brief_id) if valid_id(brief_id) else None
    if brief is None:
        retraction = await bot.storage.briefs.retraction(brief_id)
        raise NotFoundError(REMOVED if retraction is None else embeds.retracted_text(retraction))
    return brief


async def list_message(bot: BriefBot, page: int) -> tuple[discord.Embed, discord.ui.View]:
    """Return one page of `/brief list`, newest first, with an opener and Prev/Next."""
    briefs = bot.storage.briefs
    total = await briefs.count()
    pages = page_count(total, LIST_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    shown = await briefs.page(page * LIST_PAGE_SIZE, LIST_PAGE_SIZE)
    embed = embeds.list_embed(shown, page=page, pages=pages, total=total)
    rows = [(b.id, b.title, b.what_happened) for b in shown]
    return embed, components.list_view(rows, page=page, pages=pages)


async def search_message(
    bot: BriefBot, query: str, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    """Return one page of ranked results for a normalised query."""
    if not query:
        raise NotFoundError(EMPTY_QUERY)
    briefs = bot.storage.briefs
    total = await briefs.search_count(query)
    if total == 0:
        raise NotFoundError(f"No briefs match “{truncate(query, 100)}”. Try fewer or other words.")
    pages = page_count(total, SEARCH_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    hits = await briefs.search(query, limit=SEARCH_PAGE_SIZE, offset=page * SEARCH_PAGE_SIZE)
    embed = embeds.search_results_embed(
        query, hits, page=page, pages=pages, total=total, at_least=total >= SEARCH_COUNT_CAP
    )
    rows = [(hit.brief_id, hit.title, hit.snippet) for hit in hits]
    return embed, components.search_view(query, rows, page=page, pages=pages)


# --- the clicks ----------------------------------------------------------------------------


class MoreButton(PersistentItem[discord.ui.Button[Any]], id_format=MORE):
    """**More** under a summary: shows the full article to the clicker only."""

    def __init__(self, brief_id: int) -> None:
        super().__init__(components.more_button(brief_id))
        self.brief_id = brief_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from the id in its custom_id."""
        return cls(int(match["id"]))

    async def run(self, interaction: Interaction) -> None:
        """Answer ephemerally with page one of the article."""
        brief = await fetch_brief(interaction.client, self.brief_id)
        embed, view = components.article_message(brief, 0)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class ArticlePageButton(PersistentItem[discord.ui.Button[Any]], id_format=ARTICLE_PAGE):
    """Prev/Next under an article page; edits the ephemeral message in place."""

    def __init__(self, brief_id: int, page: int) -> None:
        custom_id = ARTICLE_PAGE.format(id=brief_id, page=page)
        super().__init__(components.nav_button(custom_id, components.NEXT))
        self.brief_id = brief_id
        self.page = page

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]), int(match["page"]))

    async def run(self, interaction: Interaction) -> None:
        """Show the requested page (clamped to the article's current length)."""
        brief = await fetch_brief(interaction.client, self.brief_id)
        embed, view = components.article_message(brief, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class ListPageButton(PersistentItem[discord.ui.Button[Any]], id_format=LIST_PAGE):
    """Prev/Next under `/brief list`."""

    def __init__(self, page: int) -> None:
        super().__init__(components.nav_button(LIST_PAGE.format(page=page), components.NEXT))
        self.page = page

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(int(match["page"]))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of the library."""
        embed, view = await list_message(interaction.client, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class SearchPageButton(PersistentItem[discord.ui.Button[Any]], id_format=SEARCH_PAGE):
    """Prev/Next under `/brief search`; the (normalised) query rides in the custom_id."""

    def __init__(self, query: str, page: int) -> None:
        custom_id = SEARCH_PAGE.format(page=page, query=query)
        super().__init__(components.nav_button(custom_id, components.NEXT))
        self.query = query
        self.page = page

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(match["query"], int(match["page"]))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of results for the same query."""
        embed, view = await search_message(interaction.client, self.query, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class OpenBriefSelect(PersistentItem[discord.ui.Select[Any]], id_format=OPEN_BRIEF):
    """The menu under list and search results: opens one brief for the chooser."""

    def __init__(self) -> None:
        super().__init__(components.open_select())

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the menu; the chosen value arrives with the interaction."""
        return cls()

    async def run(self, interaction: Interaction) -> None:
        """Show the chosen brief's summary with its More button, to the chooser only."""
        values = self.item.values
        brief_id = brief_number(values[0]) if values else None
        if brief_id is None:
            raise NotFoundError(REMOVED)
        embed, view = components.summary_message(await fetch_brief(interaction.client, brief_id))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


ITEMS = (MoreButton, ArticlePageButton, ListPageButton, SearchPageButton, OpenBriefSelect)
