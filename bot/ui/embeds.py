"""Turn briefs into Discord embeds: pure functions that respect every embed limit for any input."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.brief.text import ELLIPSIS, display_title, headline, shorten_title, truncate
from bot.limits import (
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FIELDS,
    EMBED_FOOTER,
    EMBED_TITLE,
    EMBEDS_TOTAL,
)
from storage.links import EMBED_URL, LINK_BUTTON_URL, link_problem, shown_link
from storage.models import SECTIONS, Brief, BriefContent, Retraction, SearchHit
from storage.topics import TopicCount

#: The brand colour every brief embed carries.
BRIEF_COLOUR = discord.Colour(0x1F6FEB)
#: A retracted brief's copies are grey: no longer news.
RETRACTED_COLOUR = discord.Colour(0x6E7681)
CORRECTION = "✏️ Correction"
TOPICS = "🏷️ Topics"
#: Between topics on one line.
TOPIC_SEPARATOR = " · "
RETRACTED = "This brief was retracted."

NO_ARTICLE = "This brief has no full article."
NO_BRIEFS = "No briefs yet."
NO_RESULTS = "No briefs match."
NO_TOPICS = "No topics yet."
PREVIEW_LABEL = "Preview"
PREVIEW = f"{PREVIEW_LABEL} · not yet published"

#: How much of a title or snippet one line of a list or search result may take.
LIST_TITLE_CHARS = 150
SNIPPET_CHARS = 200
#: No single list entry may crowd the others out of the description.
MAX_LINE_CHARS = 1000

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def summary_embed(
    brief: Brief | BriefContent,
    *,
    brief_id: int | None = None,
    correction: str | None = None,
    updated: datetime | None = None,
) -> discord.Embed:
    """Render a brief's summary: WHAT HAPPENED as description, the other sections as fields.

    A brief without a title of its own shows WHAT HAPPENED's first sentence once, as the
    title, the rest beneath it (`bot.brief.text.headline`).

    An edited brief says when it was updated, and its correction note follows the sections;
    both come from a stored Brief unless given (a preview of an edit shows them as they will
    be once saved).
    """
    brief_id = _id_of(brief, brief_id)
    if isinstance(brief, Brief):
        correction = correction if correction is not None else brief.correction
        updated = updated or brief.updated_at
    head = headline(brief)
    fields = _summary_fields(brief, correction)
    footer = _summary_footer(brief, brief_id, updated)
    title = None if head.title is None else _title(head.title)
    text = _text(head.text) or ("" if title else ELLIPSIS)

    fixed = len(title or "") + len(footer) + sum(len(name) for name, _ in fields)
    description, *values = _fit(
        [truncate(text, EMBED_DESCRIPTION), *(value for _, value in fields)],
        EMBEDS_TOTAL - fixed,
    )
    embed = discord.Embed(
        title=title,
        url=shown_link(brief.source_url, limit=EMBED_URL) if title else None,
        description=description or None,
        colour=BRIEF_COLOUR,
        timestamp=_when(brief),
    )
    for (name, _), value in zip(fields, values, strict=True):
        embed.add_field(name=name, value=value, inline=False)
    image = shown_link(brief.image_url, limit=EMBED_URL)
    if image is not None:
        embed.set_image(url=image)
    embed.set_footer(text=footer)
    return embed


def _summary_fields(brief: BriefContent, correction: str | None) -> list[tuple[str, str]]:
    """The summary's fields, in order: the sections after WHAT HAPPENED, the note, the topics."""
    fields: list[tuple[str, str]] = []
    for section in SECTIONS[1:]:
        value = _text(brief.section(section.field))
        if value is not None:
            name = truncate(f"{section.emoji} {section.label}", EMBED_FIELD_NAME)
            fields.append((name, truncate(value, EMBED_FIELD_VALUE)))
    note = _text(correction)
    if note is not None:
        fields.append((CORRECTION, truncate(note, EMBED_FIELD_VALUE)))
    topics = [topic for topic in brief.topics if topic.strip()]
    if topics:
        fields.append((TOPICS, truncate(topics_text(topics), EMBED_FIELD_VALUE)))
    return fields[:EMBED_FIELDS]


def _summary_footer(brief: BriefContent, brief_id: int | None, updated: datetime | None) -> str:
    """The summary's footer: its number and dates, or that it is a preview."""
    if brief_id is None:
        footer = PREVIEW
    else:
        when = _when(brief)
        footer = f"Brief #{brief_id}" + (f" · Published {format_date(when)}" if when else "")
    if updated is not None:
        footer += f" · Updated {format_date(updated)}"
    return truncate(footer, EMBED_FOOTER)


def retracted_embed(retraction: Retraction) -> discord.Embed:
    """Render what a retracted brief's posted copies show instead: title, reason, when."""
    embed = discord.Embed(
        title=_title(f"Retracted: {retraction.title}"),
        description=truncate(_text(retraction.reason) or RETRACTED, EMBED_DESCRIPTION),
        colour=RETRACTED_COLOUR,
        timestamp=retraction.at,
    )
    footer = f"Brief #{retraction.brief_id} · Retracted {format_date(retraction.at)}"
    embed.set_footer(text=truncate(footer, EMBED_FOOTER))
    return embed


def retracted_text(retraction: Retraction) -> str:
    """Say, in one line, that a brief was retracted: when, and why if a reason was given."""
    when = discord.utils.format_dt(retraction.at, "D")
    reason = _text(retraction.reason)
    said = f": {truncate(_one_line(reason), 300)}" if reason else "."
    return f"This brief was retracted on {when}{said}"


def article_embed(
    brief: Brief | BriefContent,
    pages: Sequence[str],
    index: int,
    *,
    brief_id: int | None = None,
) -> discord.Embed:
    """Render page `index` (0-based, clamped to the pages there are) of a brief's article."""
    brief_id = _id_of(brief, brief_id)
    owner = PREVIEW_LABEL if brief_id is None else f"Brief #{brief_id}"
    if pages:
        index = min(max(index, 0), len(pages) - 1)
        text = _text(pages[index]) or NO_ARTICLE
        footer = f"{owner} · page {index + 1}/{len(pages)}"
    else:
        text = NO_ARTICLE
        footer = owner
    footer = truncate(footer, EMBED_FOOTER)
    title = _title(brief.title)
    (description,) = _fit(
        [truncate(text, EMBED_DESCRIPTION)], EMBEDS_TOTAL - len(title) - len(footer)
    )
    embed = discord.Embed(
        title=title,
        url=shown_link(brief.source_url, limit=EMBED_URL),
        description=description,
        colour=BRIEF_COLOUR,
    )
    embed.set_footer(text=footer)
    return embed


def topics_text(topics: Sequence[str]) -> str:
    """Write topics on one line, as members see them: `sport · local news`."""
    return TOPIC_SEPARATOR.join(discord.utils.escape_markdown(_one_line(t)) for t in topics)


def list_embed(
    briefs: Sequence[Brief], *, page: int, pages: int, total: int, topic: str | None = None
) -> discord.Embed:
    """Render one page (0-based `page` of `pages`) of the library: one line per brief.

    With `topic`, the page is of the briefs that have it, and the title says so.
    """
    lines = [
        _line(
            brief.id, display_title(brief, LIST_TITLE_CHARS), brief.published_at or brief.created_at
        )
        for brief in briefs
    ]
    title = "📚 Briefs" if topic is None else f"📚 Briefs · 🏷️ {topics_text([topic])}"
    embed = discord.Embed(
        title=truncate(title, EMBED_TITLE),
        description=_join_lines(lines, NO_BRIEFS),
        colour=BRIEF_COLOUR,
    )
    embed.set_footer(text=_page_footer(page, pages, total, "brief", "briefs"))
    return embed


def search_results_embed(
    query: str,
    hits: Sequence[SearchHit],
    *,
    page: int,
    pages: int,
    total: int,
    at_least: bool = False,
    topic: str | None = None,
) -> discord.Embed:
    """Render one page (0-based `page` of `pages`) of search results, each with its snippet.

    `at_least` marks a capped count: the footer then says "500+ results". With `topic`, the
    results are the briefs that have it, and the title says so.
    """
    lines = []
    for hit in hits:
        name = shorten_title(hit.title, LIST_TITLE_CHARS)
        line = _line(hit.brief_id, name, hit.published_at or hit.created_at)
        snippet = truncate(_one_line(hit.snippet), SNIPPET_CHARS)
        lines.append(f"{line}\n{snippet}" if snippet else line)
    title = f"🔎 Results for “{_one_line(query)}”"
    if topic is not None:
        title += f" in 🏷️ {_one_line(topic)}"
    embed = discord.Embed(
        title=truncate(title, EMBED_TITLE),
        description=_join_lines(lines, NO_RESULTS, separator="\n\n"),
        colour=BRIEF_COLOUR,
    )
    embed.set_footer(text=_page_footer(page, pages, total, "result", "results", at_least=at_least))
    return embed


def topics_embed(
    topics: Sequence[TopicCount], *, page: int, pages: int, total: int
) -> discord.Embed:
    """Render one page (0-based `page` of `pages`) of the library's topics, most used first."""
    lines = [f"**{topics_text([topic.name])}** · {count_briefs(topic.briefs)}" for topic in topics]
    embed = discord.Embed(
        title="🏷️ Topics",
        description=_join_lines(lines, NO_TOPICS),
        colour=BRIEF_COLOUR,
    )
    embed.set_footer(text=_page_footer(page, pages, total, "topic", "topics"))
    return embed


def embed_size(embed: discord.Embed) -> int:
    """Count an embed's characters as Discord does toward the 6,000 total.

    That is title, description, field names and values, footer text and author name.
    """
    data = embed.to_dict()
    size = len(data.get("title", "")) + len(data.get("description", ""))
    for field in data.get("fields", []):
        size += len(field["name"]) + len(field["value"])
    size += len(data.get("footer", {}).get("text", ""))
    size += len(data.get("author", {}).get("name", ""))
    return size


def format_date(when: datetime) -> str:
    """Format a date as `25 Nov 2026`, independent of the process locale."""
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def left_out(content: BriefContent) -> list[str]:
    """Say which of a brief's links members will not see, and why (for the preview).

    New links are refused on the way in; a brief stored before a rule existed still renders,
    without what Discord would reject.
    """
    notes = []
    for link, name, limit in (
        (content.source_url, "source link (the Source button)", LINK_BUTTON_URL),
        (content.image_url, "image", EMBED_URL),
    ):
        problem = None if link is None else link_problem(link, limit=limit)
        if problem is not None:
            notes.append(f"the {name}: it {problem}")
    return notes


def _id_of(brief: Brief | BriefContent, brief_id: int | None) -> int | None:
    if brief_id is not None:
        return brief_id
    return brief.id if isinstance(brief, Brief) else None


def _when(brief: Brief | BriefContent) -> datetime | None:
    """The date a brief goes by: when it was published, else when it was stored."""
    if brief.published_at is not None:
        return brief.published_at
    return brief.created_at if isinstance(brief, Brief) else None


def _text(value: str | None) -> str | None:
    """Publisher text without surrounding whitespace; None when there is nothing to show."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _title(title: str) -> str:
    return truncate(_text(title) or ELLIPSIS, EMBED_TITLE)


def _one_line(text: str) -> str:
    """Collapse whitespace runs (newlines included) so text sits on one list line."""
    return " ".join(text.split())


def count_briefs(count: int) -> str:
    """Say how many briefs: `1 brief`, `1,204 briefs`."""
    return f"{count:,} brief" if count == 1 else f"{count:,} briefs"


def _line(brief_id: int, title: str, when: datetime) -> str:
    """One brief's line in a list or search page: its number, its title (already cut), a date."""
    name = title or ELLIPSIS
    return f"`#{brief_id}` **{name}** · {format_date(when)}"


def _join_lines(lines: Sequence[str], empty: str, *, separator: str = "\n") -> str:
    """Join as many whole lines as fit in a description, noting how many were left out."""
    if not lines:
        return empty
    kept: list[str] = []
    size = 0
    for position, whole in enumerate(lines):
        line = truncate(whole, MAX_LINE_CHARS)
        remaining = len(lines) - position - 1
        more = f"{separator}…and {remaining} more" if remaining else ""
        cost = len(line) + (len(separator) if kept else 0)
        if size + cost + len(more) > EMBED_DESCRIPTION:
            left = len(lines) - position
            kept.append(f"…and {left} more")
            break
        kept.append(line)
        size += cost
    return separator.join(kept)


def _page_footer(
    page: int, pages: int, total: int, one: str, many: str, *, at_least: bool = False
) -> str:
    pages = max(pages, 1)
    page = min(max(page, 0), pages - 1)
    noun = one if total == 1 and not at_least else many
    count = f"{total:,}+" if at_least else f"{total:,}"
    return truncate(f"Page {page + 1}/{pages} · {count} {noun}", EMBED_FOOTER)


def _fit(parts: Sequence[str], budget: int) -> list[str]:
    """Shrink the longest parts, each with `…`, until together they fit in `budget` chars."""
    if sum(len(part) for part in parts) <= budget:
        return list(parts)
    low, high = 1, max(len(part) for part in parts)
    while low < high:
        cap = (low + high + 1) // 2
        if sum(min(len(part), cap) for part in parts) <= budget:
            low = cap
        else:
            high = cap - 1
    return [truncate(part, low) for part in parts]
