"""Message components: every button and menu the bot sends, and the custom_ids they carry.

Each custom_id carries what its click needs (a brief id, a page, a draft token), so old posts
keep working after restarts. The features answer the clicks with persistent items
(`PersistentItem` subclasses in their packages) matched by the same `IdFormat`; the views built
here only carry the components, so discord.py need not keep them once sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal, Self, TypeVar, get_args

import discord

from bot.brief.drafts import TOKEN_HEX
from bot.brief.pages import paginate
from bot.brief.text import ELLIPSIS, shorten_title, truncate
from bot.limits import (
    CUSTOM_ID,
    SELECT_OPTION_DESCRIPTION,
    SELECT_OPTION_LABEL,
    SELECT_OPTION_VALUE,
    SELECT_OPTIONS,
)
from bot.ui import embeds
from bot.ui.replies import report_error
from storage.links import LINK_BUTTON_URL, shown_link
from storage.models import Brief
from storage.search import normalize_query
from storage.topics import TOPIC_MAX_CHARS, TopicCount

#: Every custom_id of ours starts with this, so foreign or forged ones are recognisable.
CUSTOM_ID_PREFIX = "brief:"

DraftAction = Literal["publish", "force", "edit", "cancel", "reload"]
DeleteChoice = Literal["confirm", "cancel"]
ReviewAction = Literal["approve", "edit", "changes", "reject"]


class IdFormat:
    """One kind of custom_id: how the bot writes it, and the pattern that recognises it.

    `template` is a `str.format` template; each field's pattern is given by name, so
    `IdFormat("brief:more:{id}", id="[0-9]+")` writes `brief:more:42` and matches it.
    """

    def __init__(self, template: str, **fields: str) -> None:
        self.template = template
        parts: list[str] = []
        for literal, name, _, _ in string.Formatter().parse(template):
            parts.append(re.escape(literal))
            if name is not None:
                parts.append(f"(?P<{name}>{fields[name]})")
        self.pattern = re.compile("".join(parts))

    def __repr__(self) -> str:
        return f"IdFormat({self.template!r})"

    def format(self, **values: object) -> str:
        """Write a custom_id of this kind."""
        return self.template.format(**values)

    def matches(self, custom_id: str) -> bool:
        """Say whether a custom_id is of this kind (all of it, as discord.py matches)."""
        return self.pattern.fullmatch(custom_id) is not None


_ID = "[0-9]{1,19}"
#: A topic filter riding in a pager's custom_id: `:` and the topic, or nothing (every brief).
_TOPIC = f"(?::.{{1,{TOPIC_MAX_CHARS}}})?"
MORE = IdFormat("brief:more:{id}", id=_ID)
ARTICLE_PAGE = IdFormat("brief:page:{id}:{page}", id=_ID, page="[0-9]{1,5}")
LIST_PAGE = IdFormat("brief:list:{page}{topic}", page="[0-9]{1,7}", topic=_TOPIC)
#: The (normalised) query rides in the custom_id, so the pager needs no state; its words
#: never hold a `:`, so the topic after it may.
SEARCH_PAGE = IdFormat(
    "brief:search:{page}:{query}{topic}", page="[0-9]{1,5}", query="[^:]*", topic=_TOPIC
)
OPEN_BRIEF = IdFormat("brief:open")
TOPICS_PAGE = IdFormat("brief:topics:{page}", page="[0-9]{1,5}")
#: The menu under `/brief topics`: lists the briefs of the chosen topic.
OPEN_TOPIC = IdFormat("brief:open-topic")
DRAFT = IdFormat(
    "brief:draft:{action}:{token}",
    action="|".join(get_args(DraftAction)),
    token=f"[0-9a-f]{{{TOKEN_HEX}}}",
)
#: A delete question's buttons; `reason` (`:` and a token, or nothing) names the stored reason.
DELETE = IdFormat(
    "brief:delete:{choice}:{id}{reason}",
    choice="|".join(get_args(DeleteChoice)),
    id=_ID,
    reason=f"(?::[0-9a-f]{{{TOKEN_HEX}}})?",
)

#: A review card's buttons: what the editor does to the draft numbered `id`.
REVIEW = IdFormat("brief:review:{action}:{id}", action="|".join(get_args(ReviewAction)), id=_ID)

#: Room left for the query in a search pager's custom_id (page up to 5 digits), no topic.
SEARCH_KEY_MAX = CUSTOM_ID - len(SEARCH_PAGE.format(page=99999, query="", topic=""))

PREV, NEXT = "◀ Prev", "Next ▶"


def topic_part(topic: str | None) -> str:
    """Return what a pager's custom_id carries of a topic filter (its name, cut to fit)."""
    return f":{topic[:TOPIC_MAX_CHARS]}" if topic else ""


def topic_of(match: re.Match[str]) -> str | None:
    """Return the topic filter a matched pager custom_id carries (None: every brief)."""
    carried = match["topic"]
    return carried[1:] if carried else None


def search_key(text: str, topic: str | None = None) -> str:
    """Return the words a search uses, dropping trailing words until they fit a custom_id
    (beside the topic filter, if any)."""
    room = SEARCH_KEY_MAX - len(topic_part(topic))
    words = normalize_query(text).split(" ")
    while len(" ".join(words)) > room:
        words.pop()
    return " ".join(words)


def page_count(total: int, size: int) -> int:
    """Return how many pages `total` items fill (at least one)."""
    return max(1, -(-total // size))


# --- answering clicks ----------------------------------------------------------------------

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any], covariant=True)


class PersistentItem(discord.ui.DynamicItem[ItemT], template=r"(?!)"):
    """A component answered by its custom_id, after restarts too; a feature subclasses it.

    A subclass names its `IdFormat` (`class MoreButton(PersistentItem[...], id_format=MORE)`),
    rebuilds itself `from_match`, checks the clicker in `guard` and acts in `run`; whatever
    fails is answered to the clicker (discord.py would only log it). discord.py calls these
    hooks for any client, hence `Interaction[Any]` here; the subclasses declare the bot's.
    """

    id_format: ClassVar[IdFormat]

    def __init_subclass__(cls, *, id_format: IdFormat) -> None:
        cls.id_format = id_format
        super().__init_subclass__(template=id_format.pattern)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the item from what its custom_id carries."""
        return cls.from_match(match)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the item from the fields of its `IdFormat`."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Check the clicker, then act, answering any failure."""
        try:
            await self.guard(interaction)
            await self.run(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def guard(self, interaction: discord.Interaction[Any]) -> None:
        """Refuse the click by raising (a custom_id can be forged); anyone may, by default."""

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        """Do what the item is for."""
        raise NotImplementedError


# --- building ------------------------------------------------------------------------------


def message_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """Return a view carrying these components for one message.

    Stopped at once: the persistent items registered for the custom_ids answer the clicks,
    so discord.py keeps nothing of a sent view. Build it inside the event loop.
    """
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def more_button(brief_id: int) -> discord.ui.Button[Any]:
    """The **More** button under a summary: opens the full article for the clicker only."""
    return discord.ui.Button(
        label="More",
        emoji="📰",
        style=discord.ButtonStyle.primary,
        custom_id=MORE.format(id=brief_id),
    )


def summary_view(brief_id: int, source_url: str | None) -> discord.ui.View:
    """Components under a summary embed: More, and a link to the source when it can be shown."""
    items: list[discord.ui.Item[Any]] = [more_button(brief_id)]
    link = shown_link(source_url, limit=LINK_BUTTON_URL)
    if link is not None:
        items.append(discord.ui.Button(label="Source", url=link))
    return message_view(*items)


def summary_message(brief: Brief) -> tuple[discord.Embed, discord.ui.View]:
    """Return a stored brief's summary embed and its components, as members see it."""
    return embeds.summary_embed(brief), summary_view(brief.id, brief.source_url)


def summary_hash(brief: Brief) -> str:
    """Hash what a posted copy of the brief shows, its "Updated" date aside: an edit that
    leaves the summary as it was (the article behind More, say) needs no message edit."""
    return payload_hash(*summary_message(brief.model_copy(update={"updated_at": None})))


def payload_hash(embed: discord.Embed, view: discord.ui.View | None) -> str:
    """Return a hash of what a message shows (its embed and components), to tell whether a
    posted copy needs an edit: the same payload hashes the same, whatever the process."""
    payload = {"embed": embed.to_dict(), "components": view.to_components() if view else []}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def nav_button(custom_id: str, label: str, *, disabled: bool = False) -> discord.ui.Button[Any]:
    """Return a grey Prev/Next button."""
    return discord.ui.Button(
        label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id, disabled=disabled
    )


def pager(pages: int, index: int, custom_id: Callable[[int], str]) -> list[discord.ui.Item[Any]]:
    """Return Prev/Next for page `index` of `pages` (none for a single page).

    `custom_id(page)` writes a button's target; targets are clamped so the two custom_ids stay
    valid and distinct.
    """
    if pages <= 1:
        return []
    last = pages - 1
    return [
        nav_button(custom_id(max(index - 1, 0)), PREV, disabled=index <= 0),
        nav_button(custom_id(min(index + 1, last)), NEXT, disabled=index >= last),
    ]


def article_view(brief_id: int, pages: int, index: int) -> discord.ui.View | None:
    """Return the Prev/Next pager for page `index` of an article (None for a single page)."""
    if pages <= 1:
        return None
    return message_view(
        *pager(pages, index, lambda page: ARTICLE_PAGE.format(id=brief_id, page=page))
    )


def article_message(brief: Brief, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """Return one article page and its pager (None when the article fits on one page)."""
    pages = paginate(brief.body)
    index = min(max(page, 0), max(len(pages) - 1, 0))
    embed = embeds.article_embed(brief, pages, index, brief_id=brief.id)
    return embed, article_view(brief.id, len(pages), index)


def open_select(options: Sequence[discord.SelectOption] = ()) -> discord.ui.Select[Any]:
    """The menu under list and search results: opens one brief for the chooser."""
    return discord.ui.Select(
        custom_id=OPEN_BRIEF.format(),
        placeholder="Open a brief…",
        options=list(options) or [discord.SelectOption(label="-", value="0")],
    )


def results_view(
    rows: Sequence[tuple[int, str, str]], buttons: Sequence[discord.ui.Item[Any]]
) -> discord.ui.View:
    """Return the opener for these (id, title, detail) rows, then the pager's buttons."""
    items: list[discord.ui.Item[Any]] = []
    if rows:
        options = [
            discord.SelectOption(
                label=brief_label(brief_id, title, SELECT_OPTION_LABEL),
                value=str(brief_id),
                description=shorten_title(detail, SELECT_OPTION_DESCRIPTION) or None,
            )
            for brief_id, title, detail in rows
        ]
        items.append(open_select(options))
    return message_view(*items, *buttons)


def brief_label(brief_id: int, title: str, limit: int) -> str:
    """Name a brief in a menu or suggestion: its number, then its title cut at a word to fit."""
    number = f"#{brief_id} · "
    return number + (shorten_title(title, limit - len(number)) or ELLIPSIS)


def list_view(
    rows: Sequence[tuple[int, str, str]], *, page: int, pages: int, topic: str | None = None
) -> discord.ui.View:
    """Return the components under one page of `/brief list` (of one topic's briefs)."""
    carried = topic_part(topic)
    return results_view(
        rows, pager(pages, page, lambda target: LIST_PAGE.format(page=target, topic=carried))
    )


def search_view(
    query: str,
    rows: Sequence[tuple[int, str, str]],
    *,
    page: int,
    pages: int,
    topic: str | None = None,
) -> discord.ui.View:
    """Return the components under one page of results for a normalised query."""
    carried = topic_part(topic)
    return results_view(
        rows,
        pager(
            pages,
            page,
            lambda target: SEARCH_PAGE.format(page=target, query=query, topic=carried),
        ),
    )


def topic_choice(topic: TopicCount, limit: int) -> str:
    """Name a topic as a suggestion or menu option, in `limit` characters: `sport · 12 briefs`."""
    return truncate(f"{' '.join(topic.name.split())} · {embeds.count_briefs(topic.briefs)}", limit)


def topics_view(topics: Sequence[TopicCount], *, page: int, pages: int) -> discord.ui.View:
    """Return the components under one page of `/brief topics`: a menu to list a topic's
    briefs, then Prev/Next."""
    items: list[discord.ui.Item[Any]] = []
    if topics:
        options = [
            discord.SelectOption(
                label=topic_choice(topic, SELECT_OPTION_LABEL),
                value=topic.name[:SELECT_OPTION_VALUE],
            )
            for topic in topics[:SELECT_OPTIONS]
        ]
        items.append(open_topic_select(options))
    buttons = pager(pages, page, lambda target: TOPICS_PAGE.format(page=target))
    return message_view(*items, *buttons)


def open_topic_select(options: Sequence[discord.SelectOption] = ()) -> discord.ui.Select[Any]:
    """The menu under `/brief topics`: lists the chosen topic's briefs for the chooser."""
    return discord.ui.Select(
        custom_id=OPEN_TOPIC.format(),
        placeholder="List the briefs of a topic…",
        options=list(options) or [discord.SelectOption(label="-", value="-")],
    )


_DRAFT_STYLES: dict[DraftAction, discord.ButtonStyle] = {
    "publish": discord.ButtonStyle.success,
    "force": discord.ButtonStyle.danger,
    "edit": discord.ButtonStyle.secondary,
    "cancel": discord.ButtonStyle.secondary,
    "reload": discord.ButtonStyle.primary,
}


def draft_button(token: str, action: DraftAction, label: str) -> discord.ui.Button[Any]:
    """A button under a preview; the draft it acts on is named by its token."""
    return discord.ui.Button(
        label=label, style=_DRAFT_STYLES[action], custom_id=DRAFT.format(action=action, token=token)
    )


def preview_view(token: str, *, verb: str, duplicate: bool) -> discord.ui.View:
    """Publish (or Save), or `… anyway` when it may duplicate a brief, then Edit and Cancel."""
    if duplicate:
        store = draft_button(token, "force", f"{verb} anyway")
    else:
        store = draft_button(token, "publish", verb)
    return message_view(
        store, draft_button(token, "edit", "Edit"), draft_button(token, "cancel", "Cancel")
    )


def stale_view(token: str) -> discord.ui.View:
    """Reload and Cancel, under a save refused because the brief changed meanwhile."""
    return message_view(
        draft_button(token, "reload", "Reload"), draft_button(token, "cancel", "Cancel")
    )


def delete_button(
    brief_id: int, choice: DeleteChoice, reason: str | None = None
) -> discord.ui.Button[Any]:
    """Delete or Cancel under a delete question (`reason`: the token of the stored reason)."""
    confirm = choice == "confirm"
    return discord.ui.Button(
        label="Delete" if confirm else "Cancel",
        style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
        custom_id=DELETE.format(choice=choice, id=brief_id, reason=f":{reason}" if reason else ""),
    )


def delete_view(brief_id: int, reason: str | None = None) -> discord.ui.View:
    """The two answers to "Delete brief #N?"."""
    return message_view(
        delete_button(brief_id, "confirm", reason), delete_button(brief_id, "cancel", reason)
    )


#: A review card's buttons: label and style, in the order shown.
REVIEW_BUTTONS: tuple[tuple[ReviewAction, str, discord.ButtonStyle], ...] = (
    ("approve", "Approve", discord.ButtonStyle.success),
    ("edit", "Edit", discord.ButtonStyle.secondary),
    ("changes", "Request changes", discord.ButtonStyle.primary),
    ("reject", "Reject", discord.ButtonStyle.danger),
)


def review_view(brief_id: int) -> discord.ui.View:
    """Return a review card's buttons: Approve, Edit, Request changes, Reject."""
    return message_view(
        *(
            discord.ui.Button(
                label=label, style=style, custom_id=REVIEW.format(action=action, id=brief_id)
            )
            for action, label, style in REVIEW_BUTTONS
        )
    )
