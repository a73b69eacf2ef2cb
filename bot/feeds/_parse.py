"""Read a fetched feed: RSS and Atom by feedparser, JSON Feed by a small model; items to briefs.

`parse_feed` is synchronous and pure (the poller runs it in a thread). Every bound is here or in
what it calls: at most MAX_ITEMS items, each item's text cut to the brief limit before and after
it becomes text, and no XML entity a feed declares is ever expanded (see `_utf8_without_entities`).
The JSON Feed extension `_briefbot` is docs/feeds.md's.
"""

from __future__ import annotations

import html
import io
import json
import re
import xml.sax
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.encodings import convert_to_utf8
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.brief.parsing import DEFAULT_MAX_CHARS
from bot.feeds._html import HTML_PER_TEXT, html_to_text
from bot.feeds._items import TITLE_CHARS, ItemSkipped, RawItem, feed_item, one_line
from bot.feeds._model import FeedItem, FeedParseError, ParsedFeed

#: Most items read from one feed: the first ones, in the feed's order.
MAX_ITEMS = 500
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
#: What an XML entity declaration becomes before any parser sees it: a zero-width space after
#: "<!" leaves it inert (and invisible, should a CDATA section hold one as text).
_INERT_ENTITY = b"<!\xe2\x80\x8bENTITY"
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*>")
#: A tag, an end tag, a comment or a doctype: what makes text HTML rather than text.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!")


@dataclass
class _Read:
    """A feed as a reader found it: its items still raw (or why one could not be read)."""

    kind: str
    title: str | None
    items: list[RawItem | ItemSkipped]
    #: How many items the feed has (more than `items` when it has over max_items).
    total: int
    ttl: float | None = None
    notes: list[str] = field(default_factory=list)


def parse_feed(
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str,
    topics: Sequence[str] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """Read a feed's body and map its first `max_items` items to briefs.

    `headers` are the response's (content-type chooses the format with the body's first
    character; content-location, else `url`, resolves relative links). Raises FeedParseError
    when the body is no feed; an item that makes no brief is left out with a note.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    start = body[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise FeedParseError("the feed is empty")
    mime = lowered.get("content-type", "").partition(";")[0].strip().lower()
    if start.startswith(b"{") or (
        not start.startswith(b"<") and mime in {"application/feed+json", "application/json"}
    ):
        read = _read_json(body, url=url, max_chars=max_chars, max_items=max_items)
    else:
        read = _read_xml(body, lowered, url=url, max_chars=max_chars, max_items=max_items)
    return _mapped(read, topics=topics, max_chars=max_chars, max_items=max_items)


def _mapped(read: _Read, *, topics: Sequence[str], max_chars: int, max_items: int) -> ParsedFeed:
    """Map the raw items to briefs; note each one left out and why."""
    items: list[FeedItem] = []
    skipped = list(read.notes)
    seen: dict[str, int] = {}
    for number, raw in enumerate(read.items, 1):
        try:
            if isinstance(raw, ItemSkipped):
                raise raw
            item = feed_item(raw, topics=topics, max_chars=max_chars)
        except ItemSkipped as skip:
            where = f"item {number} ({skip.key})" if skip.key else f"item {number}"
            skipped.append(f"{where}: {skip.why}")
            continue
        if item.key in seen:
            skipped.append(f"item {number} ({item.key}): the same item as item {seen[item.key]}")
            continue
        seen[item.key] = number
        items.append(item)
    if read.total > max_items:
        skipped.append(
            f"{read.total - max_items:,} items after the first {max_items:,} left out"
            f" (the feed has {read.total:,})"
        )
    return ParsedFeed(
        title=one_line(read.title) or None,
        items=items,
        ttl=read.ttl,
        skipped=skipped,
        kind=read.kind,
    )


# --- RSS and Atom -------------------------------------------------------------------------


def _read_xml(
    body: bytes, headers: Mapping[str, str], *, url: str, max_chars: int, max_items: int
) -> _Read:
    """Read RSS or Atom with feedparser, handed bytes and headers (never a URL or a path)."""
    data = _utf8_without_entities(body, headers)
    location = urljoin(url, headers["content-location"]) if "content-location" in headers else url
    # No content-location for feedparser: it would resolve a relative guid against it, and an
    # item's key would change with the feed's address. Links are resolved here instead.
    given = {name: value for name, value in headers.items() if name != "content-location"}
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),  # bytes given bare might be taken for a file name
            response_headers={**given, "content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=False,  # html_to_text resolves links against each base
            sanitize_html=False,  # html_to_text keeps only text: no script or style gets in
        )
    except Exception as error:  # feedparser raises on some broken bodies (found by fuzzing)
        raise FeedParseError(f"the feed is not readable XML ({error})") from None
    entries: list[Any] = parsed.get("entries") or []
    version: str = parsed.get("version") or ""
    if not entries:
        if _looks_like_html(body):
            raise FeedParseError("the address serves a web page (HTML), not a feed")
        if parsed.get("bozo"):
            raise FeedParseError(f"the feed is not readable XML ({_problem(parsed, body)})")
        if not version:
            raise FeedParseError("the body is not an RSS, Atom or JSON feed")
    feed = parsed.get("feed") or {}
    return _Read(
        kind="atom" if version.startswith("atom") else "rss",
        title=feed.get("title"),
        items=[_raw_entry(entry, location, max_chars) for entry in entries[:max_items]],
        total=len(entries),
        ttl=_ttl(feed.get("ttl")),
    )


def _utf8_without_entities(body: bytes, headers: Mapping[str, str]) -> bytes:
    """Return the body as UTF-8, as feedparser decodes it, with entity declarations disarmed.

    feedparser's own fallback parser expands the entities a DOCTYPE declares (an entity of
    100 kB used 20,000 times makes 2 GB), and expat's protection still lets a body grow a
    hundredfold: no entity a feed declares is worth that, so none is declared by the time
    either parser reads it. The declarations are found after decoding, whatever the encoding.
    """
    result: dict[str, Any] = {}
    try:
        data: bytes = convert_to_utf8(dict(headers), body, result)
    except (UnicodeError, ValueError):  # an encoding name that is no text, or names no codec
        result = {}
    if not result.get("encoding"):
        text = _XML_DECLARATION.sub("", body.decode("utf-8", "replace"), count=1)
        data = f"<?xml version='1.0' encoding='utf-8'?>{text}".encode()
    return data.replace(b"<!ENTITY", _INERT_ENTITY)


def _looks_like_html(body: bytes) -> bool:
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _problem(parsed: Any, body: bytes) -> str:
    """Say what feedparser found wrong, with the line and column in the body as sent."""
    error = parsed.get("bozo_exception")
    if isinstance(error, xml.sax.SAXParseException):
        # A declaration line is added in front of a body that had none.
        shift = 0 if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") else 1
        line = max(1, (error.getLineNumber() or 1) - shift)
        return f"line {line}, column {error.getColumnNumber()}: {error.getMessage()}"
    return str(error) if error else "no items found"


def _raw_entry(entry: Any, location: str, max_chars: int) -> RawItem:
    """Take what a brief needs from one feedparser entry (`location`: the feed's address)."""
    contents: list[Any] = entry.get("content") or []
    content = next((c for c in contents if "html" in (c.get("type") or "")), None)
    content = content or (contents[0] if contents else {})
    summary = entry.get("summary") or ""
    if summary and summary == content.get("value"):  # feedparser may copy one into the other
        summary = ""
    return RawItem(
        id=entry.get("id"),
        link=_absolute(location, _link(entry)),
        title=_as_text(entry.get("title"), entry.get("title_detail"), location, TITLE_CHARS),
        summary=_as_text(summary, entry.get("summary_detail"), location, max_chars),
        content=_as_text(content.get("value"), content, location, max_chars),
        categories=[tag.get("term") or tag.get("label") or "" for tag in entry.get("tags") or ()],
        images=[_absolute(location, image) or "" for image in _images(entry)],
        published=_struct_time(entry.get("published_parsed") or entry.get("updated_parsed")),
    )


def _link(entry: Any) -> str | None:
    """Return an entry's link; a guid standing in for one only when it is an address."""
    link: str | None = entry.get("link")
    if link and entry.get("guidislink") and link == entry.get("id") and "://" not in link:
        return None  # RSS takes a guid for a permalink unless told otherwise: "1234" is none
    return link


def _as_text(value: str | None, detail: Mapping[str, Any] | None, base: str, limit: int) -> str:
    """Return an entry's text as plain text, from HTML when its type says so.

    Text said to be HTML that holds no tag at all is taken as plain text, its line breaks kept:
    RSS calls every description HTML, and newsrooms paste plain briefs into content:encoded.
    """
    if not value:
        return ""
    detail = detail or {}
    if "html" not in (detail.get("type") or "text/html"):
        return value[: limit + 1]
    if _TAG.search(value, 0, (limit + 1) * HTML_PER_TEXT) is None:
        return html.unescape(value[: (limit + 1) * HTML_PER_TEXT])[: limit + 1]
    return html_to_text(value, base=_absolute(base, detail.get("base")) or base, limit=limit)


def _absolute(base: str, link: str | None) -> str | None:
    """Return a link resolved against the feed's address (None for none, or one unresolvable)."""
    if not link or not link.strip():
        return None
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return None


def _images(entry: Any) -> list[str]:
    """Return an entry's image addresses: image enclosures, then media content, thumbnails,
    then the item's own image (iTunes)."""
    found: list[str] = []
    for enclosure in entry.get("enclosures") or ():
        if (enclosure.get("type") or "").startswith("image/"):
            found.append(enclosure.get("href") or "")
    for media in entry.get("media_content") or ():
        kind = media.get("medium") or media.get("type") or ""
        if kind == "image" or kind.startswith("image/"):
            found.append(media.get("url") or "")
    found.extend(thumb.get("url") or "" for thumb in entry.get("media_thumbnail") or ())
    image = entry.get("image")
    if isinstance(image, Mapping):
        found.append(image.get("href") or "")
    return [link for link in found if link]


def _struct_time(value: Any) -> datetime | None:
    """Return feedparser's parsed date (a UTC time.struct_time) as an aware datetime."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _ttl(value: Any) -> float | None:
    """Return RSS <ttl> (minutes) in seconds; None when absent or not a positive number."""
    try:
        minutes = int(str(value).strip())
    except ValueError:
        return None
    return minutes * 60.0 if minutes > 0 else None


# --- JSON Feed ----------------------------------------------------------------------------


class BriefbotSections(BaseModel):
    """The JSON Feed extension `_briefbot`: an item's brief, section by section."""

    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    what_happened: str
    who_was_involved: str | None = None
    when_and_where: str | None = None
    key_quote: str | None = None
    impact: str | None = None
    topics: list[str] = Field(default_factory=list)


class JsonAttachment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    mime_type: str | None = None


class JsonFeedItem(BaseModel):
    """One JSON Feed 1.1 item: the fields a brief uses (others, and other extensions, ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    url: str | None = None
    external_url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    image: str | None = None
    banner_image: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    tags: list[str] = Field(default_factory=list)
    attachments: list[JsonAttachment] = Field(default_factory=list)
    briefbot: BriefbotSections | None = Field(default=None, alias="_briefbot")

    @field_validator("id", mode="before")
    @classmethod
    def _number_id(cls, value: Any) -> Any:
        """Some feeds give ids as numbers: the spec says strings, the number is the same id."""
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


def _read_json(body: bytes, *, url: str, max_chars: int, max_items: int) -> _Read:
    """Read a JSON Feed (1.0 or 1.1); an item the model refuses is skipped, not the feed."""
    try:
        raw = json.loads(body.decode("utf-8-sig", "replace"))
    except json.JSONDecodeError as error:
        raise FeedParseError(
            f"the JSON Feed is not valid JSON (line {error.lineno}, column {error.colno}:"
            f" {error.msg})"
        ) from None
    except RecursionError:
        raise FeedParseError("the JSON Feed is not valid JSON (nested too deeply)") from None
    version = raw.get("version") if isinstance(raw, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION):
        raise FeedParseError(
            f'the body is JSON but not a JSON Feed (its "version" is not {JSON_FEED_VERSION}…)'
        )
    items = raw.get("items")
    if not isinstance(items, list):
        raise FeedParseError('the JSON Feed has no "items" list')
    title = raw.get("title")
    return _Read(
        kind="json",
        title=title if isinstance(title, str) else None,
        items=[_json_item(item, url, max_chars) for item in items[:max_items]],
        total=len(items),
    )


def _json_item(item: Any, url: str, max_chars: int) -> RawItem | ItemSkipped:
    """Take what a brief needs from one JSON Feed item (or say why it cannot be read)."""
    try:
        parsed = JsonFeedItem.model_validate(item)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "item"
        key = item.get("id") if isinstance(item, dict) else None
        return ItemSkipped(f"{where}: {error['msg']}", key if isinstance(key, str) else None)
    link = parsed.url or parsed.external_url
    images = [parsed.image, parsed.banner_image] + [
        a.url for a in parsed.attachments if (a.mime_type or "").startswith("image/")
    ]
    if parsed.content_text:
        content = parsed.content_text[: max_chars + 1]
    else:
        content = html_to_text(parsed.content_html or "", base=link or url, limit=max_chars)
    sections = parsed.briefbot
    return RawItem(
        id=parsed.id,
        link=_absolute(url, link),
        title=parsed.title,
        summary=(parsed.summary or "")[: max_chars + 1],
        content=content,
        categories=parsed.tags,
        images=[_absolute(url, image) or "" for image in images],
        published=_json_date(parsed.date_published or parsed.date_modified),
        sections=sections.model_dump(exclude={"topics"}) if sections else None,
        section_topics=sections.topics if sections else (),
    )


def _json_date(value: str | None) -> datetime | None:
    """Read an RFC 3339 date (a time without a zone is taken as UTC); None when unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
        aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        return aware.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
