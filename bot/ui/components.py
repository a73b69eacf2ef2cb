"""Persistent components: each custom_id carries what it needs, so old posts work after restarts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

import discord

from bot.brief.pages import paginate
from bot.brief.text import truncate
from bot.errors import NotFoundError
from bot.limits import CUSTOM_ID, SELECT_OPTION_DESCRIPTION, SELECT_OPTION_LABEL
from bot.ui import embeds as render
from bot.ui.replies import report_error
from storage.base import SEARCH_COUNT_CAP, valid_id
from storage.links import LINK_BUTTON_URL, shown_link
from storage.models import Brief, brief_number
from storage.search import normalize_query

if TYPE_CHECKING:
    from bot.app import BriefBot

Interaction = discord.Interaction[Any]

LIST_PAGE_SIZE = 10
SEARCH_PAGE_SIZE = 5
REMOVED = "This brief was removed, so it can no longer be opened."
EMPTY_QUERY = "Type a word or two to search for, for example `/brief search comet`."
#: Room left for the query in `brief:search:<page>:<query>` (page up to 5 digits).
SEARCH_KEY_MAX = CUSTOM_ID - len("brief:search:99999:")


def bot_of(interaction: Interaction) -> BriefBot:
    """Return our bot from an interaction (typed)."""
    return cast("BriefBot", interaction.client)


async def fetch_brief(interaction: Interaction, brief_id: int) -> Brief:
    """Load a live brief or raise NotFoundError with the "removed" wording."""
    brief = await bot_of(interaction).briefs.get(brief_id) if valid_id(brief_id) else None
    if brief is None:
        raise NotFoundError(REMOVED)
    return brief


def page_count(total: int, size: int) -> int:
    """Return how many pages `total` items fill (at least one)."""
    return max(1, -(-total // size))


def search_key(text: str) -> str:
    """Return the words a search uses, dropping trailing words until they fit a custom_id."""
    words = normalize_query(text).split(" ")
    while len(" ".join(words)) > SEARCH_KEY_MAX:
        words.pop()
    return " ".join(words)


def _nav_button(custom_id: str, label: str, disabled: bool) -> discord.ui.Button[Any]:
    """Return a grey Prev/Next button."""
    return discord.ui.Button(
        label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id, disabled=disabled
    )


def _label(item: discord.ui.Item[Any]) -> str:
    """Return the label a clicked button carried (what Prev/Next are rebuilt with)."""
    return getattr(item, "label", None) or ""


class _GuardedItem:
    """Mixin: dynamic-item callbacks report errors to the user (discord.py only logs them)."""

    async def callback(self, interaction: Interaction) -> None:
        """Run the item's action, answering the user if it fails."""
        try:
            await self.run(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def run(self, interaction: Interaction) -> None:
        """Do what the item is for."""
        raise NotImplementedError


class MoreButton(
    _GuardedItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"brief:more:(?P<id>[0-9]{1,19})",
):
    """The **More** button under a summary: shows the full article to the clicker only."""

    def __init__(self, brief_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="More",
                emoji="📰",
                style=discord.ButtonStyle.primary,
                custom_id=f"brief:more:{brief_id}",
            )
        )
        self.brief_id = brief_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        """Rebuild the button from the id in its custom_id."""
        return cls(int(match["id"]))

    async def run(self, interaction: Interaction) -> None:
        """Answer ephemerally with page one of the article."""
        brief = await fetch_brief(interaction, self.brief_id)
        embed, view = article_message(brief, 0)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class ArticlePageButton(
    _GuardedItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"brief:page:(?P<id>[0-9]{1,19}):(?P<page>[0-9]{1,5})",
):
    """Prev/Next under an article page; edits the ephemeral message in place."""

    def __init__(self, brief_id: int, page: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(_nav_button(f"brief:page:{brief_id}:{page}", label, disabled))
        self.brief_id = brief_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ArticlePageButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]), int(match["page"]), label=_label(item))

    async def run(self, interaction: Interaction) -> None:
        """Show the requested page (clamped to the article's current length)."""
        brief = await fetch_brief(interaction, self.brief_id)
        embed, view = article_message(brief, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class ListPageButton(
    _GuardedItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"brief:list:(?P<page>[0-9]{1,7})",
):
    """Prev/Next under `/brief list`."""

    def __init__(self, page: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(_nav_button(f"brief:list:{page}", label, disabled))
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ListPageButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["page"]), label=_label(item))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of the library."""
        embed, view = await list_message(bot_of(interaction), self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class SearchPageButton(
    _GuardedItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"brief:search:(?P<page>[0-9]{1,5}):(?P<query>.*)",
):
    """Prev/Next under `/brief search`; the (normalised) query rides in the custom_id."""

    def __init__(self, query: str, page: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(_nav_button(f"brief:search:{page}:{query}", label, disabled))
        self.query = query
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SearchPageButton:
        """Rebuild the button from its custom_id."""
        return cls(match["query"], int(match["page"]), label=_label(item))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of results for the same query."""
        embed, view = await search_message(bot_of(interaction), self.query, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class OpenBriefSelect(
    _GuardedItem,
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"brief:open",
):
    """Select menu under list and search results: opens one brief for the chooser."""

    def __init__(self, options: Sequence[discord.SelectOption] = ()) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id="brief:open",
                placeholder="Open a brief…",
                options=list(options) or [discord.SelectOption(label="-", value="0")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> OpenBriefSelect:
        """Rebuild the select; the chosen value arrives with the interaction."""
        return cls(getattr(item, "options", ()))

    async def run(self, interaction: Interaction) -> None:
        """Show the chosen brief's summary with its More button, to the chooser only."""
        values = self.item.values
        brief_id = brief_number(values[0]) if values else None
        if brief_id is None:
            raise NotFoundError(REMOVED)
        brief = await fetch_brief(interaction, brief_id)
        await interaction.response.send_message(
            embed=render.summary_embed(brief),
            view=summary_view(brief.id, brief.source_url),
            ephemeral=True,
        )


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    MoreButton,
    ArticlePageButton,
    ListPageButton,
    SearchPageButton,
    OpenBriefSelect,
)


def summary_view(brief_id: int, source_url: str | None) -> discord.ui.View:
    """Components under a summary embed: More, and a link to the source when it can be shown."""
    view = discord.ui.View(timeout=None)
    view.add_item(MoreButton(brief_id))
    link = shown_link(source_url, limit=LINK_BUTTON_URL)
    if link is not None:
        view.add_item(discord.ui.Button(label="Source", url=link))
    return view


def article_message(brief: Brief, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """Return one article page and its pager (None when the article fits on one page)."""
    pages = paginate(brief.body)
    index = min(max(page, 0), max(len(pages) - 1, 0))
    embed = render.article_embed(brief, pages, index, brief_id=brief.id)
    return embed, article_view(brief.id, len(pages), index)


def article_view(brief_id: int, pages: int, index: int) -> discord.ui.View | None:
    """Return the Prev/Next pager for page `index` of an article (None for a single page)."""
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    for button in pager(pages, index, partial(ArticlePageButton, brief_id)):
        view.add_item(button)
    return view


class _PageButtonFactory(Protocol):
    def __call__(self, page: int, *, label: str, disabled: bool) -> discord.ui.Item[Any]: ...


def pager(pages: int, index: int, make: _PageButtonFactory) -> list[discord.ui.Item[Any]]:
    """Return Prev/Next buttons for page `index` of `pages` (none for a single page).

    Targets are clamped so the two custom_ids stay valid and distinct.
    """
    if pages <= 1:
        return []
    last = pages - 1
    return [
        make(max(index - 1, 0), label="◀ Prev", disabled=index <= 0),
        make(min(index + 1, last), label="Next ▶", disabled=index >= last),
    ]


def _pager_and_select(
    briefs: Sequence[tuple[int, str, str]], buttons: Sequence[discord.ui.Item[Any]]
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if briefs:
        options = [
            discord.SelectOption(
                label=truncate(f"#{brief_id} · {title}", SELECT_OPTION_LABEL),
                value=str(brief_id),
                description=truncate(detail, SELECT_OPTION_DESCRIPTION) or None,
            )
            for brief_id, title, detail in briefs
        ]
        view.add_item(OpenBriefSelect(options))
    for button in buttons:
        view.add_item(button)
    return view


async def list_message(bot: BriefBot, page: int) -> tuple[discord.Embed, discord.ui.View]:
    """Return one page of `/brief list`, newest first, with an opener and Prev/Next."""
    total = await bot.briefs.count()
    pages = page_count(total, LIST_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    briefs = await bot.briefs.page(page * LIST_PAGE_SIZE, LIST_PAGE_SIZE)
    embed = render.list_embed(briefs, page=page, pages=pages, total=total)
    rows = [(b.id, b.title, b.what_happened) for b in briefs]
    return embed, _pager_and_select(rows, pager(pages, page, ListPageButton))


async def search_message(
    bot: BriefBot, query: str, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    """Return one page of ranked results for a normalised query."""
    if not query:
        raise NotFoundError(EMPTY_QUERY)
    total = await bot.briefs.search_count(query)
    if total == 0:
        raise NotFoundError(f"No briefs match “{truncate(query, 100)}”. Try fewer or other words.")
    pages = page_count(total, SEARCH_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    hits = await bot.briefs.search(query, limit=SEARCH_PAGE_SIZE, offset=page * SEARCH_PAGE_SIZE)
    embed = render.search_results_embed(
        query, hits, page=page, pages=pages, total=total, at_least=total >= SEARCH_COUNT_CAP
    )
    rows = [(hit.brief_id, hit.title, hit.snippet) for hit in hits]
    return embed, _pager_and_select(rows, pager(pages, page, partial(SearchPageButton, query)))
