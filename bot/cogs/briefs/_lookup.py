"""Looking briefs up: the commands, and the More, Prev/Next and menu clicks under their answers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands

from bot.brief.text import headline, truncate
from bot.errors import NotFoundError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, CHOICE_VALUE
from bot.publishers import is_publisher
from bot.ui import components, embeds
from bot.ui.components import (
    ARTICLE_PAGE,
    LIST_PAGE,
    MORE,
    OPEN_BRIEF,
    OPEN_TOPIC,
    SEARCH_PAGE,
    TOPICS_PAGE,
    PersistentItem,
    page_count,
    search_key,
    topic_of,
)
from bot.ui.replies import send_ephemeral
from storage.base import SEARCH_COUNT_CAP, valid_id
from storage.models import Brief, brief_number
from storage.topics import TopicCount, matching

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

LIST_PAGE_SIZE = 10
SEARCH_PAGE_SIZE = 5
#: Topics on one page of `/brief topics` (each an option of its menu: at most 25).
TOPICS_PAGE_SIZE = 20
EMPTY_LIBRARY = "There are no briefs yet. Publishers can add one with `/brief add`."
REMOVED = "This brief was removed, so it can no longer be opened."
EMPTY_QUERY = "Type a word or two to search for, for example `/brief search comet`."
NO_TOPICS = (
    "No brief has a topic yet. Publishers give a brief topics with a `🏷️TOPICS: sport, weather`"
    " line, just before its summary sections."
)

#: One page of a paged answer, or the short text that says there is nothing to page through:
#: an ordinary answer (an empty library, no match), not an error.
Page = tuple[discord.Embed, discord.ui.View] | str


# --- the commands --------------------------------------------------------------------------


async def latest(interaction: Interaction, count: int) -> None:
    """Post the newest brief(s), one message each so every one keeps its More button."""
    briefs = await interaction.client.storage.briefs.latest(count)
    if not briefs:
        await send_ephemeral(interaction, EMPTY_LIBRARY)
        return
    first, *rest = briefs
    embed, view = components.summary_message(first)
    await interaction.response.send_message(embed=embed, view=view)
    for brief in rest:
        embed, view = components.summary_message(brief)
        await interaction.followup.send(embed=embed, view=view)


async def resolve_brief(bot: BriefBot, ref: str, *, held: bool = False) -> Brief:
    """Find a live brief by number (`42`, `#42`) or, failing that, by best title match; with
    `held` (publishers), a brief held until its release time too, by its number."""
    briefs = bot.storage.briefs
    brief_id = brief_number(ref)
    brief = await briefs.get(brief_id, held=held) if brief_id is not None else None
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
    """Post one brief, chosen by number or, failing that, by the best title match. A
    publisher may open a brief held until its release time: shown to them only, marked."""
    try:
        brief = await resolve_brief(interaction.client, ref)
    except NotFoundError:
        if brief_number(ref) is None or not await is_publisher(interaction):
            raise
        brief = await resolve_brief(interaction.client, ref, held=True)
    embed, view = components.summary_message(brief)
    if brief.review is not None:
        note = "📝 **A draft in review:** only its author and the editors see it."
        await interaction.response.send_message(note, embed=embed, view=view, ephemeral=True)
        return
    if brief.release_at is not None:
        await interaction.response.send_message(
            held_note(brief.release_at), embed=embed, view=view, ephemeral=True
        )
        return
    await interaction.response.send_message(embed=embed, view=view)


def held_note(release_at: datetime) -> str:
    """Say that a brief is held, until when (in each reader's own time zone)."""
    return (
        f"⏰ **Scheduled for {discord.utils.format_dt(release_at, 'F')}**"
        f" ({discord.utils.format_dt(release_at, 'R')}): only publishers see it until then."
    )


async def suggest_for_publishers(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for publishers' commands: briefs held until their release time
    that match (marked ⏰, soonest first), then the live ones."""
    held = await bot.storage.briefs.suggest_held(current, limit=AUTOCOMPLETE_CHOICES)
    drafts = await bot.storage.briefs.drafts(limit=AUTOCOMPLETE_CHOICES)
    words = current.casefold().split()
    choices = [
        app_commands.Choice(
            name=components.brief_label(b.id, f"📝 {b.title}", CHOICE_NAME), value=str(b.id)
        )
        for b in drafts
        if all(word in b.title.casefold() for word in words) or current.strip() == str(b.id)
    ]
    choices += [
        app_commands.Choice(
            name=components.brief_label(b.id, f"⏰ {b.title}", CHOICE_NAME), value=str(b.id)
        )
        for b in held
    ]
    return (choices + await suggest(bot, current))[:AUTOCOMPLETE_CHOICES]


async def suggest(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: `#id · title`, value the id."""
    rows = await bot.storage.briefs.suggest(current, limit=AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(
            name=components.brief_label(brief_id, title, CHOICE_NAME), value=str(brief_id)
        )
        for brief_id, title in rows
    ]


async def suggest_topics(bot: BriefBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for a topic: known topics holding what was typed, most used first,
    each with how many briefs have it."""
    found = matching(await bot.storage.briefs.topics(), current)
    return [
        app_commands.Choice(
            name=components.topic_choice(topic, CHOICE_NAME), value=topic.name[:CHOICE_VALUE]
        )
        for topic in found[:AUTOCOMPLETE_CHOICES]
    ]


async def search(interaction: Interaction, query: str, topic: str | None = None) -> None:
    """Answer with ranked results (of one topic's briefs), a menu to open one, and Prev/Next."""
    bot = interaction.client
    found = await find_topic(bot, topic)
    name = found.name if found else None
    await show_page(interaction, await search_message(bot, search_key(query, name), 0, name))


async def browse(interaction: Interaction, topic: str | None = None) -> None:
    """Answer with the first page of the library (or of one topic's briefs), newest first."""
    bot = interaction.client
    if await bot.storage.briefs.count() == 0:
        await send_ephemeral(interaction, EMPTY_LIBRARY)
        return
    await show_page(interaction, await list_message(bot, 0, topic))


async def topics(interaction: Interaction) -> None:
    """Answer with the library's topics and how many briefs have each, most used first."""
    await show_page(interaction, await topics_message(interaction.client, 0))


async def show_page(interaction: Interaction, page: Page, *, edit: bool = False) -> None:
    """Show a page to the member only (in place of the clicked one, with `edit`), or the text
    saying there is nothing to show."""
    if isinstance(page, str):
        await send_ephemeral(interaction, page)
        return
    embed, view = page
    if edit:
        await interaction.response.edit_message(embed=embed, view=view)
    else:
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


# --- the pages -----------------------------------------------------------------------------


async def fetch_brief(interaction: Interaction, brief_id: int) -> Brief:
    """Load a live brief (for a publisher, a held one too), or raise NotFoundError saying it
    was retracted (and why), or is gone: a held brief is, to members, no brief at all."""
    bot = interaction.client
    briefs = bot.storage.briefs
    brief = await briefs.get(brief_id) if valid_id(brief_id) else None
    if brief is None and valid_id(brief_id) and await is_publisher(interaction):
        brief = await briefs.get(brief_id, held=True)  # only then asked who clicks
    if brief is None:
        retraction = await bot.storage.briefs.retraction(brief_id)
        raise NotFoundError(REMOVED if retraction is None else embeds.retracted_text(retraction))
    return brief


async def find_topic(bot: BriefBot, name: str | None) -> TopicCount | None:
    """Return the topic a member chose (None: none, every brief), or raise NotFoundError
    when no live brief has it."""
    if name is None or not name.strip():
        return None
    topic = await bot.storage.briefs.topic(name)
    if topic is None:
        raise NotFoundError(
            f"No brief has the topic “{truncate(' '.join(name.split()), 100)}”. "
            "Pick one from the suggestions, or see them all with `/brief topics`."
        )
    return topic


async def list_message(
    bot: BriefBot, page: int, topic: str | None = None
) -> tuple[discord.Embed, discord.ui.View]:
    """Return one page of `/brief list` (of one topic's briefs), newest first, with an opener
    and Prev/Next."""
    briefs = bot.storage.briefs
    found = await find_topic(bot, topic)
    total = found.briefs if found else await briefs.count()
    pages = page_count(total, LIST_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    shown = await briefs.page(page * LIST_PAGE_SIZE, LIST_PAGE_SIZE, topic=found)
    name = found.name if found else None
    embed = embeds.list_embed(shown, page=page, pages=pages, total=total, topic=name)
    rows = [(b.id, b.title, headline(b).text) for b in shown]
    return embed, components.list_view(rows, page=page, pages=pages, topic=name)


async def search_message(bot: BriefBot, query: str, page: int, topic: str | None = None) -> Page:
    """Return one page of ranked results for a normalised query (in one topic's briefs), or
    the text saying nothing matches."""
    if not query:
        raise NotFoundError(EMPTY_QUERY)
    briefs = bot.storage.briefs
    found = await find_topic(bot, topic)
    total = await briefs.search_count(query, topic=found)
    if total == 0:
        quoted = f"“{truncate(query, 100)}”"
        if found is not None:
            return (
                f"No briefs with the topic “{found.name}” match {quoted}. "
                "Try other words, or leave the topic out to search every brief."
            )
        return f"No briefs match {quoted}. Try fewer or other words."
    pages = page_count(total, SEARCH_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    hits = await briefs.search(
        query, limit=SEARCH_PAGE_SIZE, offset=page * SEARCH_PAGE_SIZE, topic=found
    )
    name = found.name if found else None
    embed = embeds.search_results_embed(
        query,
        hits,
        page=page,
        pages=pages,
        total=total,
        at_least=total >= SEARCH_COUNT_CAP,
        topic=name,
    )
    rows = [(hit.brief_id, hit.title, hit.snippet) for hit in hits]
    return embed, components.search_view(query, rows, page=page, pages=pages, topic=name)


async def topics_message(bot: BriefBot, page: int) -> Page:
    """Return one page of `/brief topics`, with a menu listing a topic's briefs and Prev/Next,
    or the text saying there are none."""
    briefs = bot.storage.briefs
    every = await briefs.topics()
    if not every:
        return EMPTY_LIBRARY if await briefs.count() == 0 else NO_TOPICS
    pages = page_count(len(every), TOPICS_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    shown = every[page * TOPICS_PAGE_SIZE : (page + 1) * TOPICS_PAGE_SIZE]
    embed = embeds.topics_embed(shown, page=page, pages=pages, total=len(every))
    return embed, components.topics_view(shown, page=page, pages=pages)


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
        brief = await fetch_brief(interaction, self.brief_id)
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
        brief = await fetch_brief(interaction, self.brief_id)
        embed, view = components.article_message(brief, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class ListPageButton(PersistentItem[discord.ui.Button[Any]], id_format=LIST_PAGE):
    """Prev/Next under `/brief list`; a topic filter rides in the custom_id."""

    def __init__(self, page: int, topic: str | None = None) -> None:
        custom_id = LIST_PAGE.format(page=page, topic=components.topic_part(topic))
        super().__init__(components.nav_button(custom_id, components.NEXT))
        self.page = page
        self.topic = topic

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(int(match["page"]), topic_of(match))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of the library (of the topic's briefs)."""
        await show_page(
            interaction, await list_message(interaction.client, self.page, self.topic), edit=True
        )


class SearchPageButton(PersistentItem[discord.ui.Button[Any]], id_format=SEARCH_PAGE):
    """Prev/Next under `/brief search`; the (normalised) query and any topic filter ride in the
    custom_id."""

    def __init__(self, query: str, page: int, topic: str | None = None) -> None:
        custom_id = SEARCH_PAGE.format(page=page, query=query, topic=components.topic_part(topic))
        super().__init__(components.nav_button(custom_id, components.NEXT))
        self.query = query
        self.page = page
        self.topic = topic

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(match["query"], int(match["page"]), topic_of(match))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of results for the same query (and topic)."""
        found = await search_message(interaction.client, self.query, self.page, self.topic)
        await show_page(interaction, found, edit=True)


class TopicsPageButton(PersistentItem[discord.ui.Button[Any]], id_format=TOPICS_PAGE):
    """Prev/Next under `/brief topics`."""

    def __init__(self, page: int) -> None:
        super().__init__(components.nav_button(TOPICS_PAGE.format(page=page), components.NEXT))
        self.page = page

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(int(match["page"]))

    async def run(self, interaction: Interaction) -> None:
        """Show another page of topics."""
        await show_page(interaction, await topics_message(interaction.client, self.page), edit=True)


class OpenTopicSelect(PersistentItem[discord.ui.Select[Any]], id_format=OPEN_TOPIC):
    """The menu under `/brief topics`: lists the chosen topic's briefs for the chooser."""

    def __init__(self) -> None:
        super().__init__(components.open_topic_select())

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the menu; the chosen value arrives with the interaction."""
        return cls()

    async def run(self, interaction: Interaction) -> None:
        """Answer with the first page of the topic's briefs, newest first, to the chooser."""
        values = self.item.values
        await show_page(
            interaction, await list_message(interaction.client, 0, values[0] if values else "-")
        )


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
        embed, view = components.summary_message(await fetch_brief(interaction, brief_id))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


ITEMS = (
    MoreButton,
    ArticlePageButton,
    ListPageButton,
    SearchPageButton,
    OpenBriefSelect,
    TopicsPageButton,
    OpenTopicSelect,
)
