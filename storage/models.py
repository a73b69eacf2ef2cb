"""Pydantic models for briefs and the records stored beside them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
    tags: list[str] = Field(default_factory=list)
    published_at: datetime | None = None

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

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def section(self, field: str) -> str | None:
        """Return the text of one summary section by its field name."""
        value = getattr(self, field)
        return value if isinstance(value, str) else None


class Brief(BriefContent):
    """A stored brief: its content plus identity and provenance."""

    id: int
    created_at: datetime
    created_by: int | None = None

    @field_validator("created_at")
    @classmethod
    def _aware_created(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def content(self) -> BriefContent:
        """Return the publisher-written part of this brief."""
        return BriefContent.model_validate(self.model_dump(include=set(BriefContent.model_fields)))


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
    at: datetime
    snapshot: dict[str, Any]


class GuildSettings(BaseModel):
    """A guild's auto-post subscription and its health."""

    guild_id: int
    channel_id: int | None = None
    mention_role_id: int | None = None
    crosspost: bool = False
    subscribed_at: datetime | None = None
    paused_reason: str | None = None
    paused_at: datetime | None = None
    notified_pause: bool = False
    last_post_at: datetime | None = None
    last_error: str | None = None
