"""What the parts of feed polling hand each other: a fetch's result, a parsed feed, its items.

Fetching (`_fetch`), parsing and mapping (`_parse`, `_items`) and polling (`_polling`) meet
only through these types, so each is written and tested on its own.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.models import BriefContent

#: The longest id a source may know a brief by (the API's path parameter has the same bound);
#: a longer item identity is stored as "sha256:" and its hash.
EXTERNAL_ID_CHARS = 200


class FetchOutcome(enum.StrEnum):
    """How one fetch of a feed's URL ended."""

    #: 200: `Fetched.body` holds the whole body (decompressed, within the size cap).
    OK = "ok"
    #: 304: nothing changed since the validators sent (ETag, Last-Modified).
    NOT_MODIFIED = "not-modified"
    #: 429, or 503 with Retry-After: come back later (`Fetched.retry_after`, when given).
    RATE_LIMITED = "rate-limited"
    #: 5xx, 408, a timeout, a connection or DNS failure, a redirect loop or too many
    #: redirects: worth trying again, with backoff.
    TEMPORARY = "temporary"
    #: Another 4xx (401, 403, 404, 410, ...): looks permanent; tried again rarely.
    PERMANENT = "permanent"
    #: Not fetched: not http(s), or an address that is loopback, private, link-local,
    #: reserved or a metadata service (after DNS, at every redirect), unless allowed.
    REFUSED = "refused"
    #: The body (after decompression) went over the size cap; nothing of it is used.
    TOO_LARGE = "too-large"


@dataclass(frozen=True)
class Fetched:
    """What one fetch got. `error` says in a sentence what went wrong (None when nothing)."""

    outcome: FetchOutcome
    #: The URL asked for.
    url: str
    #: The HTTP status of the last response (None when there was no response).
    status: int | None = None
    body: bytes = b""
    #: The last response's headers (lower-case names): content-type, etag, last-modified,
    #: cache-control, retry-after, content-location, ...
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The URL the feed now lives at when every redirect on the way was permanent (301, 308):
    #: the stored URL is updated to it. None when there was no redirect or one was temporary.
    moved_to: str | None = None
    #: Validators for the next conditional request (from a 200, or kept from a 304).
    etag: str | None = None
    last_modified: str | None = None
    #: Cache-Control max-age, in seconds (None: none given; no-store/no-cache: 0).
    max_age: float | None = None
    #: Retry-After, in seconds from now (either of its forms), on 429/503.
    retry_after: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed, mapped to a brief."""

    #: Its identity: the guid / Atom id / JSON Feed id; else its link normalised (tracking
    #: parameters dropped); else a hash of its content. Never its dates. At most
    #: EXTERNAL_ID_CHARS characters.
    key: str
    content: BriefContent


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's items, newest first as the feed lists them, mapped to briefs."""

    title: str | None
    items: list[FeedItem]
    #: RSS <ttl>, in seconds (None when absent).
    ttl: float | None = None
    #: Items left out and why, e.g. "item 7: no title and no text" (shown in status/dry runs).
    skipped: list[str] = field(default_factory=list)
    #: Which format it was: "rss", "atom", "json".
    kind: str = "rss"


class FeedParseError(ValueError):
    """The body is not a feed briefbot can read (not RSS, Atom or JSON Feed, or broken past
    reading); the message says why, for the feed's status."""
