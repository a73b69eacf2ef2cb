"""One feed item: who it is (its key) and what brief it makes (its content).

Readers (`_parse`) turn RSS, Atom and JSON Feed items into a `RawItem`, its texts already plain
text; this module decides the rest the same way for every format, so an item's key and brief do
not depend on the format it came in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from pydantic import ValidationError

from bot.brief.parsing import BriefParseError, parse_brief
from bot.brief.text import derived_title, has_derived_title, truncate
from bot.feeds._html import first_paragraph, rest_paragraphs
from bot.feeds._model import EXTERNAL_ID_CHARS, FeedItem
from storage.links import EMBED_URL, LINK_BUTTON_URL, link_problem
from storage.models import SECTIONS, BriefContent
from storage.topics import MAX_TOPICS, clean_topics, split_topics, topic_key

#: Query parameters that say how a reader arrived, not what they read (dropped from links).
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_hsenc",
        "_hsmi", "ref_src", "yclid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
HASH_PREFIX = "sha256:"
#: Longest title kept from a feed (a title of its own: the display cuts it further).
TITLE_CHARS = 500
#: How many of the article's first paragraphs are compared with WHAT HAPPENED for a repeat.
REPEAT_WITHIN = 3
#: Most categories of one item looked at (a feed may list thousands).
MAX_CATEGORIES = 100

#: Control characters (C0 and C1, DEL) other than the tab and the line feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
#: A WHAT HAPPENED label anywhere: worth asking the brief parser whether the text is a brief.
_BRIEF_LABEL = re.compile(r"what\s+happened", re.IGNORECASE)


@dataclass(frozen=True)
class RawItem:
    """An item as its feed gives it: texts as plain text, links as written."""

    #: The guid, Atom id or JSON Feed id.
    id: str | None = None
    link: str | None = None
    title: str | None = None
    #: The summary (RSS description), as text.
    summary: str = ""
    #: The full content (content:encoded, Atom content, JSON content), as text.
    content: str = ""
    categories: Sequence[str] = ()
    #: Image addresses, the preferred first; the first one a brief can show is used.
    images: Sequence[str] = ()
    published: datetime | None = None
    #: The five sections given outright (the JSON Feed extension `_briefbot`), with optionally
    #: "title"; None when the item gives none.
    sections: Mapping[str, str | None] | None = None
    #: Topics given with the sections.
    section_topics: Sequence[str] = ()


class ItemSkipped(ValueError):
    """An item that makes no brief; the message says why, `key` is its key when known."""

    def __init__(self, why: str, key: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.key = key


def feed_item(raw: RawItem, *, topics: Sequence[str] = (), max_chars: int) -> FeedItem:
    """Map an item to its key and brief, raising ItemSkipped when it cannot be one.

    `topics` are the feed's own, added to every item; `max_chars` bounds the brief's text as it
    bounds a brief file's (the article is cut at a word to fit).
    """
    fields = _brief_fields(raw, max_chars) or _plain_fields(raw, max_chars)
    fields["topics"] = merge_topics(fields.get("topics") or (), raw.categories, fixed=topics)
    fields.setdefault("source_url", None)
    if fields["source_url"] is None:
        fields["source_url"] = usable_link(raw.link, limit=LINK_BUTTON_URL)
    if fields.get("image_url") is None:
        images = (usable_link(image, limit=EMBED_URL) for image in raw.images)
        fields["image_url"] = next((image for image in images if image), None)
    if fields.get("published_at") is None:
        fields["published_at"] = raw.published
    key = item_key(raw.id, raw.link, fields)
    try:
        content = BriefContent.model_validate(fields)
    except ValidationError as exc:
        raise ItemSkipped(_describe(exc), key) from None
    return FeedItem(key=key, content=content)


# --- identity -----------------------------------------------------------------------------


def item_key(item_id: str | None, link: str | None, fields: Mapping[str, Any]) -> str:
    """Return an item's key: its id, else its link normalised, else a hash of its content.

    A link-shaped id is normalised as a link is, so tracking added to it changes nothing.
    Dates never count. A key over EXTERNAL_ID_CHARS is its hash.
    """
    for candidate in (item_id, link):
        cleaned = clean_text(candidate or "").strip()
        if cleaned:
            return _bounded(normalise_link(cleaned))
    text = "\n".join(str(fields.get(name) or "") for name in ("title", "what_happened", "body"))
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def normalise_link(link: str) -> str:
    """Return a link as an item's identity: scheme and host in lower case, default port,
    fragment and tracking parameters dropped. Anything but an http(s) link is kept as it is."""
    link = link.strip()
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return link
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in DEFAULT_PORTS or not host:
        return link
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if "@" in parts.netloc:
        netloc = f"{parts.netloc.rpartition('@')[0]}@{netloc}"
    query = "&".join(part for part in parts.query.split("&") if part and not _tracking(part))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _tracking(parameter: str) -> bool:
    name = unquote_plus(parameter.partition("=")[0]).strip().lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _bounded(key: str) -> str:
    if len(key) <= EXTERNAL_ID_CHARS:
        return key
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


# --- text ---------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Return text with its line ends as "\\n" and control characters dropped (tabs kept)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def tidy_text(text: str) -> str:
    """Return plain text cleaned, spaces collapsed within lines, at most one blank line in a row."""
    lines = (_SPACES.sub(" ", line).strip() for line in clean_text(text).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(text: str | None) -> str:
    """Return text cleaned onto one line (a title)."""
    return " ".join(clean_text(text or "").split())


def usable_link(link: str | None, *, limit: int) -> str | None:
    """Return the link when a brief can show it (http(s), within `limit`), else None."""
    if not link:
        return None
    link = link.strip()
    return link if link and link_problem(link, limit=limit) is None else None


def merge_topics(
    own: Iterable[str], categories: Iterable[str], *, fixed: Iterable[str] = ()
) -> list[str]:
    """Return an item's topics: its own, its categories, the feed's; each kept once, within
    the model's limits (a topic too long is left out, and the feed's always find room)."""
    fixed_topics = _usable_topics(fixed)
    fixed_keys = {topic_key(topic) for topic in fixed_topics}
    item_topics = [
        topic
        for topic in _usable_topics([*own, *list(categories)[:MAX_CATEGORIES]])
        if topic_key(topic) not in fixed_keys
    ]
    return item_topics[: max(0, MAX_TOPICS - len(fixed_topics))] + fixed_topics[:MAX_TOPICS]


def _usable_topics(topics: Iterable[str]) -> list[str]:
    """Return the topics the model accepts, each once. A category listing several ("a, b")
    gives each; one the model refuses (a part too long) gives none, rather than a fragment."""
    kept: dict[str, str] = {}
    for topic in topics:
        try:
            cleaned = clean_topics(split_topics(one_line(topic)), most=len(topic) + 1)
        except ValueError:
            continue
        for shown in cleaned:
            kept.setdefault(topic_key(shown), shown)
    return list(kept.values())


# --- the brief ----------------------------------------------------------------------------


def _brief_fields(raw: RawItem, max_chars: int) -> dict[str, Any] | None:
    """Read an item whose text is a brief in the text format (None when it is not one)."""
    if raw.sections is not None:
        return None
    text = clean_text(raw.content or raw.summary)
    if not _BRIEF_LABEL.search(text):
        return None
    try:
        brief = parse_brief(text, max_chars=max_chars)
    except BriefParseError:
        return None
    fields = brief.model_dump()
    title = one_line(raw.title)
    if title and has_derived_title(brief):
        fields["title"] = truncate(title, TITLE_CHARS)
    return fields


def _plain_fields(raw: RawItem, max_chars: int) -> dict[str, Any]:
    """Map an item that is no brief: title, summary's first paragraph, content as the article."""
    title = one_line(raw.title)
    summary, content = tidy_text(raw.summary), tidy_text(raw.content)
    sections: dict[str, str | None] = {}
    if raw.sections is not None:
        sections = {s.field: tidy_text(raw.sections.get(s.field) or "") for s in SECTIONS}
        title = one_line(raw.sections.get("title")) or title
        body = content or summary
    elif summary:
        sections["what_happened"] = first_paragraph(summary)
        body = content or rest_paragraphs(summary)
    elif content:
        sections["what_happened"] = first_paragraph(content)
        body = rest_paragraphs(content)
    elif title:
        sections["what_happened"] = title
        body = ""
    else:
        raise ItemSkipped("no title and no text")
    budget = max_chars
    fields: dict[str, Any] = {}
    what = sections.get("what_happened") or ""
    fields["title"] = truncate(title, min(TITLE_CHARS, budget)) if title else None
    budget -= len(fields["title"] or "")
    for section in SECTIONS:
        fields[section.field] = truncate(sections.get(section.field) or "", budget) or None
        budget -= len(fields[section.field] or "")
    fields["body"] = truncate(_without_repeat(body, what), budget)
    if fields["title"] is None and what:
        fields["title"] = derived_title(fields["what_happened"] or what)
    if raw.sections is not None:
        fields["topics"] = list(raw.section_topics)
    return fields


def _without_repeat(body: str, what: str) -> str:
    """Return the article without a paragraph near its start that says WHAT HAPPENED again
    (feeds often give the article's opening as its summary too)."""
    if not what:
        return body
    paragraphs = body.split("\n\n", REPEAT_WITHIN)
    for index, paragraph in enumerate(paragraphs[:REPEAT_WITHIN]):
        if paragraph.strip() == what:
            del paragraphs[index]
            return "\n\n".join(paragraphs)
    return body


def _describe(exc: ValidationError) -> str:
    """Say in one line which field of the brief was refused, and why."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "brief"
    message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
    return f"{field}: {message}"
