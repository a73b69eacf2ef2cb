"""The library's schema, described once: its tables, their columns and what each holds, which
brief is visible, and which migration of one backend is which of the other.

Everything else is derived from here: the column lists copies and queries use
(storage/base.py), how each backend turns a stored value into a Python one (storage/sql.py,
storage/sqlite/backend.py, storage/postgres/backend.py). tests/storage/test_schema.py checks
the description against both backends' live schema after every migration.

One name differs from the models': the briefs column `tags` holds `BriefContent.topics`
(`TOPICS_COLUMN`, the one place the topics' old name remains).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType


class Kind(enum.StrEnum):
    """What a column holds, as the repositories read it on either backend."""

    INT = "int"  # a whole number (ids, Discord snowflakes, counts)
    REAL = "real"  # a number with a fraction (a search rank)
    TEXT = "text"  # text, as written
    TIME = "time"  # an aware UTC datetime: ISO 8601 text on SQLite, timestamptz on PostgreSQL
    FLAG = "flag"  # a bool: 0/1 on SQLite, boolean on PostgreSQL
    LIST = "list"  # a list of text: JSON text on SQLite, a text array on PostgreSQL
    JSON = "json"  # a JSON document kept as its text on both (its model parses it)


INT, TEXT, TIME, FLAG, LIST, JSON = Kind.INT, Kind.TEXT, Kind.TIME, Kind.FLAG, Kind.LIST, Kind.JSON

#: The one place the topics' old name remains: a brief's topics (`BriefContent.topics`) are
#: stored in the briefs column `tags`, and under the key `tags` in audit snapshots, whose JSON
#: the content hash (storage/base.py `content_key`) covers. Renaming the column would rebuild
#: SQLite's FTS index (whose column, weights and filter say `tags`) and every stored hash, so
#: storage/rows.py and storage/base.py map the name instead.
TOPICS_COLUMN = "tags"

#: Every table a library consists of: its columns in the order a copy fills them, each with
#: its kind. Search columns are each backend's own (storage/*/search.py), not listed here.
TABLES: Mapping[str, Mapping[str, Kind]] = MappingProxyType(
    {
        "briefs": {
            "id": INT,
            "title": TEXT,
            "what_happened": TEXT,
            "who_was_involved": TEXT,
            "when_and_where": TEXT,
            "key_quote": TEXT,
            "impact": TEXT,
            "body": TEXT,
            "source_url": TEXT,
            "image_url": TEXT,
            "tags": LIST,
            "published_at": TIME,
            "created_at": TIME,
            "created_by": INT,
            "updated_at": TIME,
            "deleted_at": TIME,
            "content_hash": TEXT,
            "correction": TEXT,
            "retraction": TEXT,
            "source_name": TEXT,
            "external_id": TEXT,
            "backfill": FLAG,
            "release_at": TIME,
            "released_at": TIME,
            "review": TEXT,
            "review_note": TEXT,
        },
        "audit_log": {
            "id": INT,
            "brief_id": INT,
            "action": TEXT,
            "actor_id": INT,
            "source": TEXT,
            "at": TIME,
            "snapshot": JSON,
            "note": TEXT,
            "source_label": TEXT,
        },
        "subscriptions": {
            "id": INT,
            "guild_id": INT,
            "channel_id": INT,
            "topics": JSON,
            "match": TEXT,
            "mention_role_id": INT,
            "silent": FLAG,
            "thread": FLAG,
            "daily_cap": INT,
            "crosspost": FLAG,
            "subscribed_at": TIME,
            "paused_reason": TEXT,
            "paused_at": TIME,
            "last_post_at": TIME,
            "last_error": TEXT,
            "forum_tag_id": INT,
            "mention_set_by": INT,
            "queue_from": INT,
            "queue_version": INT,
            "queue_scanned_at": TIME,
        },
        "post_log": {
            "channel_id": INT,
            "brief_id": INT,
            "guild_id": INT,
            "subscription_id": INT,
            "thread_id": INT,
            "message_id": INT,
            "posted_at": TIME,
            "skipped": FLAG,
            "rejected_at": TIME,
            "rejected_reason": TEXT,
            "claimed_at": TIME,
            "shown_hash": TEXT,
            "shown_version": TIME,
            "copy_state": TEXT,
            "lease_until": TIME,
            "crosspost_state": TEXT,
            "crosspost_after": TIME,
            "due_version": TIME,
        },
        "bot_state": {"key": TEXT, "value": TEXT},
        "sources": {
            "name": TEXT,
            "label": TEXT,
            "webhook_secret": TEXT,
            "added_at": TIME,
            "requires_review": FLAG,
        },
        "tokens": {
            "id": INT,
            "source_name": TEXT,
            "label": TEXT,
            "token_hash": TEXT,
            "created_at": TIME,
            "revoked_at": TIME,
            "last_used_at": TIME,
        },
        "idempotency_keys": {
            "token_id": INT,
            "idempotency_key": TEXT,
            "request_hash": TEXT,
            "status": INT,
            "response": TEXT,
            "stored_at": TIME,
            "expires_at": TIME,
        },
        "delivery_log": {
            "id": INT,
            "guild_id": INT,
            "brief_id": INT,
            "at": TIME,
            "event": TEXT,
            "detail": TEXT,
        },
        "webhook_deliveries": {"source_name": TEXT, "webhook_id": TEXT, "seen_at": TIME},
        "feeds": {
            "source_name": TEXT,
            "url": TEXT,
            "interval_seconds": INT,
            "fixed_topics": LIST,
            "etag": TEXT,
            "last_modified": TEXT,
            "next_due_at": TIME,
            "lease_until": TIME,
            "last_fetch_at": TIME,
            "last_status": TEXT,
            "last_error": TEXT,
            "failing_since": TIME,
            "failures": INT,
            "paused_at": TIME,
            "pause_reason": TEXT,
            "added_at": TIME,
            "added_by": INT,
            "seeded_at": TIME,
        },
        "review_cards": {
            "brief_id": INT,
            "channel_id": INT,
            "message_id": INT,
            "shown": TEXT,
            "final": FLAG,
        },
    }
)

#: Each table's primary key: the order a copy reads its rows in.
PRIMARY_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "briefs": ("id",),
        "audit_log": ("id",),
        "subscriptions": ("id",),
        "post_log": ("channel_id", "brief_id"),
        "bot_state": ("key",),
        "sources": ("name",),
        "tokens": ("id",),
        "idempotency_keys": ("token_id", "idempotency_key"),
        "delivery_log": ("id",),
        "webhook_deliveries": ("source_name", "webhook_id"),
        "feeds": ("source_name",),
        "review_cards": ("brief_id",),
    }
)

#: Result columns that are no table's column (an alias of an expression, or of a column under
#: another name), with their kind: a query naming a result otherwise declares it here, so
#: SQLite reads it as PostgreSQL does (tests/storage/test_schema.py).
RESULTS: Mapping[str, Kind] = MappingProxyType(
    {
        "live": FLAG,  # briefs: whether the brief is visible
        "retrying": FLAG,  # post_log: whether a refused post is tried again
        "reason": TEXT,  # a retraction's or a refusal's reason
        "tag": TEXT,  # one tag of a brief
        "briefs": INT,  # how many briefs carry a tag
        "snippet": TEXT,  # a search hit's highlighted words
        "score": Kind.REAL,  # a search hit's rank
    }
)


def _kinds() -> dict[str, Kind]:
    """Return the kind of every result column name; a name has one kind in every table."""
    kinds: dict[str, Kind] = {}
    for table, columns in TABLES.items():
        for column, kind in columns.items():
            if kinds.setdefault(column, kind) is not kind:
                raise TypeError(f"{table}.{column} is {kind}, elsewhere {kinds[column]}")
    for name, kind in RESULTS.items():
        if kinds.setdefault(name, kind) is not kind:
            raise TypeError(f"result {name!r} is {kind}, as a column {kinds[name]}")
    return kinds


#: The kind of every column and declared result, by name: how a backend reads a result column.
KINDS: Mapping[str, Kind] = MappingProxyType(_kinds())


#: The one definition of a visible brief, as a condition on a `briefs` row. Every query,
#: search backend, partial index and trigger about visibility says exactly this
#: (tests/storage/test_schema.py reads both live schemas): a new state is one edit here, and
#: one migration that test then asks for.
VISIBLE = "deleted_at IS NULL AND release_at IS NULL AND review IS NULL"
#: The columns the definition reads.
VISIBLE_COLUMNS = ("deleted_at", "release_at", "review")
#: A brief held until its release time (scheduled, or under embargo): stored, shown to
#: publishers only, and released by `storage.publishing.Publisher.release_due`. The one
#: partial index of held briefs says exactly this too.
SCHEDULED = "deleted_at IS NULL AND review IS NULL AND release_at IS NOT NULL"
#: A draft in review (submitted, or sent back with changes requested): stored, shown to its
#: author and the editors only, until an editor approves it (then visible, or held until its
#: release time). The one partial index of drafts says exactly this too.
DRAFT = "deleted_at IS NULL AND review IS NOT NULL"
#: A brief not retracted, visible or held: what publishers may still edit or retract.
KEPT = "deleted_at IS NULL"


def visible(alias: str = "") -> str:
    """Return the condition true for a visible brief, on `alias`'s columns when joined."""
    return _on(VISIBLE, alias)


def scheduled(alias: str = "") -> str:
    """Return the condition true for a held brief, on `alias`'s columns when joined."""
    return _on(SCHEDULED, alias)


def draft(alias: str = "") -> str:
    """Return the condition true for a draft in review, on `alias`'s columns when joined."""
    return _on(DRAFT, alias)


def _on(condition: str, alias: str) -> str:
    if not alias:
        return condition
    for column in VISIBLE_COLUMNS:
        condition = condition.replace(column, f"{alias}.{column}")
    return condition


#: Which migrations are one change on both backends: (SQLite versions, PostgreSQL versions),
#: one row per change, in order. PostgreSQL began at SQLite's fifth version, in one file.
#: Every migration of either backend is in exactly one row, and every row names both
#: (tests/storage/test_schema.py): a schema change made on one backend alone fails.
MIGRATIONS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((1, 2, 3, 4, 5), (1,)),  # the schema as of SQLite 0005
    ((6,), (2,)),  # content_hash_and_rejections
    ((7,), (3,)),  # no_pause_notice_flag
    ((8,), (4,)),  # corrections
    ((9,), (5,)),  # subscriptions
    ((10,), (6,)),  # due_copies_and_queue_indexes
    ((11,), (7,)),  # subscription_numbers
    ((12,), (8,)),  # forum_tag_and_mention_chooser
    ((13,), (9,)),  # audit_source
    ((14,), (10,)),  # delivery_queue_mark
    ((15,), (11,)),  # sources_and_tokens
    ((16,), (12,)),  # post_log_by_brief
    ((17,), (13,)),  # webhook_deliveries
    ((18,), (14,)),  # feeds
    ((19,), (15,)),  # release_at
    ((20,), (16,)),  # review
)
