"""Pydantic models for briefs and the records stored beside them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from storage.links import EMBED_URL, LINK_BUTTON_URL, link_problem
from storage.topics import MAX_FILTER_TOPICS, Match, clean_topics, matches


class Section(NamedTuple):
    """One labelled summary section of a brief, as written in brief text."""

    field: str
    label: str
    emoji: str


#: The five summary sections, in the order the brief format requires.
SECTIONS: tuple[Section, ...] = (
    Section("what_happened", "WHAT HAPPENED", "❓"),
    Section("who_was_involved", "WHO WAS INVOLVED", "👤"),
    Section("when_and_where", "WHEN & WHERE", "📍"),
    Section("key_quote", "KEY QUOTE", "💬"),
    Section("impact", "IMPACT", "🎯"),
)


#: Largest id a stored brief can have: SQLite INTEGER and PostgreSQL bigint are signed 64-bit,
#: and a custom_id carries an id in at most 19 digits.
MAX_BRIEF_ID = 2**63 - 1
#: Largest id a brief may bring along from outside (an export read back). The ids above it stay
#: free, so the next id a store hands out can never overflow, however many follow.
MAX_IMPORTED_ID = 2**53 - 1
#: Digits of the largest id: longer numeric text cannot name a brief (and need not be parsed).
ID_DIGITS = len(str(MAX_BRIEF_ID))
#: Largest Discord id (a snowflake) either database holds.
MAX_SNOWFLAKE = 2**63 - 1

#: Longest correction or retraction note a publisher may give.
CORRECTION_CHARS = 500

#: Where each link of a brief is shown, and so the most characters Discord takes for it: the
#: source becomes the Source link button (and the embed's title link), the image an embed image.
LINK_LIMITS = {"source_url": LINK_BUTTON_URL, "image_url": EMBED_URL}
#: The topics' old name in JSON briefs, still read so that old files and exports import.
OLD_TOPICS_KEY = "tags"

#: Validation context for records read back from the database: they were checked when they
#: came in, and a rule added since must not make an old brief unreadable (its renderer leaves
#: out what cannot be shown instead). Everything else is validated as new input.
STORED: dict[str, Any] = {"stored": True}


def is_stored(info: ValidationInfo) -> bool:
    """Say whether a validator runs on a record read back from the database."""
    return bool(info.context and info.context.get("stored"))


def brief_number(text: str) -> int | None:
    """Read a brief number as people and autocomplete write it (`42`, `#42`), if it can be one.

    Any length of text is answered: digits beyond what an id can have are not parsed at all.
    """
    ref = text.strip().removeprefix("#").strip()
    if not (ref.isascii() and ref.isdecimal()) or len(ref) > ID_DIGITS:
        return None
    number = int(ref)
    return number if 1 <= number <= MAX_BRIEF_ID else None


def check_time(value: datetime) -> datetime:
    """Accept an aware time whose UTC form every backend and renderer holds (years 1 to 9999)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        aware.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 in UTC") from None
    return aware


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class BriefContent(BaseModel):
    """What a publisher writes: everything about a brief except its identity."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    title: str = Field(min_length=1)
    what_happened: str = Field(min_length=1)
    who_was_involved: str | None = None
    when_and_where: str | None = None
    key_quote: str | None = None
    impact: str | None = None
    body: str = ""
    source_url: str | None = None
    image_url: str | None = None
    #: What the brief is about (`🏷️TOPICS:`); `tags`, its old name, is still read.
    topics: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("topics", OLD_TOPICS_KEY)
    )
    published_at: datetime | None = None
    #: Held until then (scheduled, or under embargo): visible to publishers only, released by
    #: the bot at that time (docs/scheduling.md). None: visible once stored. Not part of what
    #: the brief says (its content hash and audit snapshots leave it out).
    release_at: datetime | None = None

    @field_validator("title", "what_happened")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("who_was_involved", "when_and_where", "key_quote", "impact")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @model_validator(mode="before")
    @classmethod
    def _topics_once(cls, data: Any) -> Any:
        """Refuse topics given under both names: neither may silently win."""
        if isinstance(data, dict) and "topics" in data and OLD_TOPICS_KEY in data:
            raise ValueError(
                f'"topics" and "{OLD_TOPICS_KEY}" both given; "{OLD_TOPICS_KEY}" is the old'
                ' name of "topics": give one'
            )
        return data

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """New topics are trimmed and each kept once, by the rule of storage/topics.py."""
        return value if is_stored(info) else clean_topics(value)

    @field_validator("source_url", "image_url")
    @classmethod
    def _showable_link(cls, value: str | None, info: ValidationInfo) -> str | None:
        """New links must be ones Discord shows: the source as a link button, images in embeds."""
        if value is None or is_stored(info):
            return value
        problem = link_problem(value, limit=LINK_LIMITS[str(info.field_name)])
        if problem is not None:
            raise ValueError(f"the link {problem}")
        return value

    @field_validator("published_at", "release_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else check_time(value)

    def section(self, field: str) -> str | None:
        """Return the text of one summary section by its field name."""
        value = getattr(self, field)
        return value if isinstance(value, str) else None


#: The fields of what a brief says: its content but when it is released.
COPY_FIELDS = frozenset(BriefContent.model_fields) - {"release_at"}


class Brief(BriefContent):
    """A stored brief: its content plus identity and provenance."""

    id: int = Field(ge=1, le=MAX_BRIEF_ID)
    created_at: datetime
    created_by: int | None = Field(default=None, ge=0, le=MAX_SNOWFLAKE)
    #: When the brief was last edited (None: never); an edit based on an older version is
    #: refused rather than silently overwriting the newer one.
    updated_at: datetime | None = None
    #: The publisher's note on the latest correction, shown with the brief (None: none given).
    correction: str | None = Field(default=None, max_length=CORRECTION_CHARS)
    #: When the brief was retracted (None: it is live). An export carries retracted briefs, so
    #: an import keeps their numbers and what their posted copies say.
    retracted_at: datetime | None = None
    #: The reason given for the retraction, shown on its posted copies (None: none given).
    retraction: str | None = Field(default=None, max_length=CORRECTION_CHARS)
    #: Stored from a feed's backlog when the feed was added: searchable and shown, never
    #: auto-posted (an export carries it, so an import keeps it so).
    backfill: bool = False
    #: When the brief, held until its release time, was released (None: never held). Its
    #: `created_at` is then that moment too: to readers and subscriptions it is new then.
    released_at: datetime | None = None
    #: A draft in review: "submitted" (waiting for an editor) or "changes" (sent back to its
    #: author with `review_note`); None once approved, or never in review.
    review: Literal["submitted", "changes"] | None = None
    #: What the editor asked to change, when changes were requested (the author sees it).
    review_note: str | None = None

    @field_validator("id")
    @classmethod
    def _room_after(cls, value: int, info: ValidationInfo) -> int:
        """An id from outside must leave room for the ids the store hands out after it."""
        if value > MAX_IMPORTED_ID and not is_stored(info):
            raise ValueError(f"must be between 1 and {MAX_IMPORTED_ID:,}")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware_created(cls, value: datetime) -> datetime:
        return check_time(value)

    @field_validator("updated_at", "retracted_at", "released_at")
    @classmethod
    def _aware_updated(cls, value: datetime | None) -> datetime | None:
        return None if value is None else check_time(value)

    @model_validator(mode="after")
    def _retraction_dated(self) -> Brief:
        """A reason without a date would be dropped silently: the date says it is retracted."""
        if self.retraction is not None and self.retracted_at is None:
            raise ValueError('"retraction" needs "retracted_at", the date it was retracted')
        return self

    def content(self) -> BriefContent:
        """Return the publisher-written part of this brief (as stored: checked when it came in)."""
        return BriefContent.model_validate(
            self.model_dump(include=set(BriefContent.model_fields)), context=STORED
        )


class SearchHit(BaseModel):
    """One full-text search result: which brief, a highlighted excerpt and its relevance."""

    brief_id: int
    title: str
    snippet: str
    #: Relevance, higher is better, comparable within one search only: the negated FTS5 bm25
    #: score on SQLite, ts_rank on PostgreSQL.
    rank: float
    published_at: datetime | None
    created_at: datetime


class AuditEntry(BaseModel):
    """One change to a brief: who did what, when, and the content it left behind."""

    id: int
    brief_id: int
    action: str
    actor_id: int | None
    #: The named source (storage.publishing.Source) when no Discord user made the change.
    source: str | None = None
    #: Who acted for that source (a token's label), as history shows it.
    source_label: str | None = None
    at: datetime
    snapshot: dict[str, Any]
    #: The correction note of an edit, or the reason given for a delete.
    note: str | None = None


#: Most subscriptions one server may have.
MAX_SUBSCRIPTIONS = 25


class SubscriptionOptions(BaseModel):
    """What a server manager chooses for one subscription (`/autopost add` and `edit`)."""

    channel_id: int
    #: Topics the brief must have (any / all) or not have (none); empty: every brief.
    topics: list[str] = Field(default_factory=list)
    match: Match = Match.ANY
    mention_role_id: int | None = None
    #: Post without notifying anyone (Discord's silent messages).
    silent: bool = False
    #: Open a thread, named after the brief, under each post (forum channels always do).
    thread: bool = False
    #: Most posts a day (the last 24 hours); None: no cap.
    daily_cap: int | None = Field(default=None, ge=1, le=1000)
    #: In an announcement channel, publish each post to following servers.
    crosspost: bool = False
    #: In a forum, the tag a post carries when none of its brief's topics names one of the
    #: forum's tags (a forum may require a tag on every post); None: no tag then.
    forum_tag_id: int | None = None
    #: Who chose `mention_role_id`: the role is pinged only while they could ping it
    #: themselves (None, as for a role chosen before this was kept: only if mentionable).
    mention_set_by: int | None = None

    @field_validator("topics", mode="before")
    @classmethod
    def _topics(cls, value: Any) -> Any:
        if isinstance(value, str):  # stored as JSON text
            value = json.loads(value)
        return clean_topics(value, most=MAX_FILTER_TOPICS) if isinstance(value, list) else value

    def selects(self, tags: Sequence[str]) -> bool:
        """Say whether a brief with these tags goes to this subscription."""
        return matches(tags, self.topics, self.match)


class Subscription(SubscriptionOptions):
    """A server's stored subscription: where and what it posts, and its health."""

    id: int
    guild_id: int
    subscribed_at: datetime
    paused_reason: str | None = None
    paused_at: datetime | None = None
    last_post_at: datetime | None = None
    last_error: str | None = None


class RejectedPost(BaseModel):
    """A brief Discord refused to post in a guild (HTTP 400): why, and whether it goes again."""

    brief_id: int
    reason: str
    at: datetime
    #: The brief was edited since: the next delivery pass tries it again.
    retrying: bool


class Retraction(BaseModel):
    """A deleted brief as its posted copies show it: what it was, why and when it went."""

    brief_id: int
    title: str
    reason: str | None
    at: datetime


class PostedCopy(BaseModel):
    """One message a brief was auto-posted as, and what it shows now."""

    guild_id: int
    brief_id: int
    channel_id: int
    #: The thread the message is in (a thread per post, or a forum post), if any.
    thread_id: int | None = None
    message_id: int
    #: Hash of the payload the message shows (None: posted before it was kept).
    shown_hash: str | None


class UnsentPost(BaseModel):
    """A claim whose send may or may not have reached Discord (its process died)."""

    guild_id: int
    brief_id: int
    channel_id: int
    claimed_at: datetime


class DeliveryEvent(BaseModel):
    """One line of a guild's delivery log (`/autopost log`)."""

    at: datetime
    brief_id: int | None
    event: str
    detail: str | None


class PostRecord(BaseModel):
    """What the post log holds of one brief in one channel, for `/autopost why`."""

    channel_id: int
    #: The subscription that claimed it (None once that subscription was removed).
    subscription_id: int | None
    thread_id: int | None
    message_id: int | None
    posted_at: datetime
    skipped: bool
    rejected_at: datetime | None
    rejected_reason: str | None
    #: `gone`, `unreachable` or `retracted` once the posted copy is no longer kept right.
    copy_state: str | None
    #: Refused, and edited since: the next delivery pass tries it again.
    retrying: bool


class Delivery(PostRecord):
    """One channel's record of a brief, with its server: what the API reports of a brief."""

    guild_id: int


class PostTrace(BaseModel):
    """A brief (live or retracted) as `/autopost why` explains it, with its post log rows in
    one guild's channels."""

    brief_id: int
    title: str
    topics: list[str]
    created_at: datetime
    deleted_at: datetime | None
    #: Stored from a feed's backlog when the feed was added: never auto-posted.
    backfill: bool = False
    records: list[PostRecord]
