"""What every storage backend offers the bot, and the rules all backends share.

The bot only ever talks to these protocols; `storage.backends.open_storage` picks SQLite or
PostgreSQL from the database URL. Both backends pass the same test suite (tests/storage).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from storage.fts import fingerprint
from storage.models import (
    MAX_BRIEF_ID,
    STORED,
    AuditEntry,
    Brief,
    BriefContent,
    GuildSettings,
    RejectedPost,
    SearchHit,
)

#: Audit actions, as the audit_log CHECK constraint allows them.
ACTIONS = frozenset({"add", "edit", "delete", "import"})

#: Most matches `search` ranks: the newest ones by id. Ranking every match of a common word
#: would cost time in proportion to the library; this keeps a search's cost bounded.
SEARCH_CANDIDATES = 500
#: Most matches `search_count` counts (equal to SEARCH_CANDIDATES, so counted pages all
#: exist); a count equal to it means "at least this many", to be shown as e.g. "500+".
SEARCH_COUNT_CAP = SEARCH_CANDIDATES

#: Highlight markers and ellipsis for search snippets; plain text, safe to escape for Markdown.
SNIPPET_OPEN, SNIPPET_CLOSE, SNIPPET_ELLIPSIS = "«", "»", "…"
#: Words of context a snippet shows.
SNIPPET_TOKENS = 12

#: Every table a library consists of, in the order a copy must fill them (foreign keys).
TABLES = ("briefs", "audit_log", "guild_settings", "post_log", "bot_state")
#: Each table's primary key: the order a copy reads its rows in.
PRIMARY_KEYS = {
    "briefs": "id",
    "audit_log": "id",
    "guild_settings": "guild_id",
    "post_log": "guild_id, brief_id",
    "bot_state": "key",
}
#: Yes/no columns, which a copied `Row` carries as bool whatever the backend stores.
FLAG_COLUMNS = frozenset({"crosspost", "notified_pause", "skipped"})

#: One copied row, backend-neutral: times as aware datetimes, flags as bool, tags as a list.
Row = dict[str, Any]


class _Columns(Protocol):
    """A database row read by column name (sqlite3.Row, asyncpg.Record, a dict)."""

    def __getitem__(self, column: str, /) -> Any: ...


RowT = TypeVar("RowT", bound=_Columns)


def check_table(table: str) -> None:
    """Refuse a table name that is not part of a library (names are put into SQL)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")


def snapshot(content: BriefContent) -> str:
    """Return the audit log's JSON record of a brief's content (identity left out)."""
    return content.model_dump_json(include=set(BriefContent.model_fields))


def plain(content: BriefContent) -> BriefContent:
    """Drop identity from a Brief, so adding it always assigns a fresh id."""
    return content.content() if isinstance(content, Brief) else content


class DuplicateIdError(Exception):
    """An imported brief carries an id that is already taken (or repeated in the batch)."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.ids = sorted(set(ids))
        shown = ", ".join(f"#{i}" for i in self.ids[:10])
        more = f" and {len(self.ids) - 10} more" if len(self.ids) > 10 else ""
        super().__init__(f"brief ids already in use: {shown}{more}")


def valid_id(value: int) -> bool:
    """Say whether a number can be a brief's id (1 to MAX_BRIEF_ID); others name no brief."""
    return 1 <= value <= MAX_BRIEF_ID


def content_key(content: BriefContent) -> str:
    """Return a hash of what a brief says, to recognise a re-imported copy of a stored brief.

    The publication date counts in UTC, as the databases keep it.
    """
    published = content.published_at
    if published is not None:
        content = content.model_copy(update={"published_at": published.astimezone(UTC)})
    return hashlib.sha256(snapshot(content).encode()).hexdigest()


class StaleEditError(Exception):
    """An edit was based on an older version of the brief than the stored one."""

    def __init__(self, brief_id: int, changed: AuditEntry | None) -> None:
        self.brief_id = brief_id
        self.changed_by = changed.actor_id if changed is not None else None
        self.changed_at = changed.at if changed is not None else None
        super().__init__(f"brief #{brief_id} changed since the edit began")


def kept_ids(items: Sequence[BriefContent], action: str) -> list[int]:
    """Check an `add_many` batch before storing it; return the ids its `Brief` items keep.

    Raises ValueError for an unknown audit action, DuplicateIdError for an id given twice.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    kept = [item.id for item in items if isinstance(item, Brief)]
    repeated = [brief_id for brief_id, n in Counter(kept).items() if n > 1]
    if repeated:
        raise DuplicateIdError(repeated)
    return kept


def to_store(
    items: Sequence[BriefContent],
    *,
    live: Collection[str],
    taken: Mapping[int, str | None],
    skip_present: bool,
) -> list[BriefContent]:
    """Return the items of an `add_many` batch to store, in order.

    `live` holds the content keys of live briefs that some item shares, `taken` each kept id
    already in use with its live brief's key (None once deleted). A kept id in use raises
    DuplicateIdError, unless `skip_present` and it holds this very content. With
    `skip_present`, content already stored (or earlier in the batch) is also left out; items
    keeping their id are told apart by it, so an export's two equal briefs both come back.
    """
    fresh: list[BriefContent] = []
    seen: set[str] = set()
    duplicates: list[int] = []
    for item in items:
        key = content_key(item)
        if isinstance(item, Brief):
            if item.id in taken:
                if not (skip_present and taken[item.id] == key):
                    duplicates.append(item.id)
                continue
        elif skip_present and (key in live or key in seen):
            continue
        seen.add(key)
        fresh.append(item)
    if duplicates:
        raise DuplicateIdError(duplicates)
    return fresh


def with_ids(
    items: Sequence[BriefContent], first_id: int, *, now: datetime, created_by: int | None
) -> list[Brief]:
    """Give items without identity consecutive ids from `first_id`; `Brief` items keep theirs."""
    stored: list[Brief] = []
    next_id = first_id
    for item in items:
        if isinstance(item, Brief):
            stored.append(item)
        else:
            fields = {**item.__dict__, "id": next_id, "created_at": now, "created_by": created_by}
            stored.append(Brief.model_validate(fields, context=STORED))
            next_id += 1
    return stored


def same_brief(
    rows: Iterable[RowT], title: str, what_happened: str, *, exclude_id: int | None
) -> RowT | None:
    """Return the first row saying the same title and what-happened (case, accents, spacing
    and punctuation aside), other than `exclude_id`: confirms a search's candidates."""
    want = (fingerprint(title), fingerprint(what_happened))
    for row in rows:
        if row["id"] == exclude_id:
            continue
        if (fingerprint(row["title"]), fingerprint(row["what_happened"])) == want:
            return row
    return None


@dataclass(frozen=True)
class Shards:
    """The Discord shards one process serves: a guild belongs to `(id >> 22) % count`."""

    count: int
    ids: tuple[int, ...]

    def owns(self, guild_id: int) -> bool:
        """Say whether this process serves the guild (Discord's sharding formula)."""
        return (guild_id >> 22) % self.count in self.ids


class BriefStore(Protocol):
    """Everything the bot does with briefs."""

    async def add(self, content: BriefContent, *, created_by: int | None = None) -> Brief:
        """Store new content under a fresh id (audited as 'add')."""
        ...

    async def add_many(
        self,
        items: Sequence[BriefContent],
        *,
        created_by: int | None = None,
        action: str = "import",
        skip_present: bool = False,
    ) -> list[Brief]:
        """Store all items or none; `Brief` items keep their identity; return what was stored.

        With `skip_present`, items already stored with the same content (and kept ids already
        holding it) are left out instead of stored again.
        """
        ...

    async def get(self, brief_id: int) -> Brief | None:
        """Return a live brief, or None if it never existed or was deleted."""
        ...

    async def update(
        self,
        brief_id: int,
        content: BriefContent,
        *,
        actor_id: int | None,
        base: Brief | None = None,
    ) -> Brief | None:
        """Replace a live brief's content (audited as 'edit'); None if missing or deleted.

        With `base`, the version the edit started from, raise StaleEditError when the brief
        was changed since (its `updated_at` differs), so no edit silently overwrites another.
        """
        ...

    async def delete(self, brief_id: int, *, actor_id: int | None) -> bool:
        """Soft-delete a live brief (audited); False if absent."""
        ...

    async def latest(self, limit: int) -> list[Brief]:
        """Return up to `limit` live briefs, newest (published, else created) first."""
        ...

    async def page(self, offset: int, limit: int) -> list[Brief]:
        """Return one page of live briefs in `latest` order."""
        ...

    async def count(self) -> int:
        """Return how many live briefs there are."""
        ...

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[SearchHit]:
        """Return live briefs matching every word of `query`, best first, with snippets."""
        ...

    async def search_count(self, query: str) -> int:
        """Return how many live briefs `search` can page through (at most SEARCH_COUNT_CAP)."""
        ...

    async def suggest(self, prefix: str, *, limit: int = 25) -> list[tuple[int, str]]:
        """Return (id, title) pairs for autocomplete."""
        ...

    async def find_duplicate(
        self, title: str, what_happened: str, *, exclude_id: int | None = None
    ) -> Brief | None:
        """Return the oldest live brief saying the same title and what-happened, if any."""
        ...

    async def history(self, brief_id: int) -> list[AuditEntry]:
        """Return every audited change to a brief, oldest first."""
        ...

    def iter_all(self, *, batch: int = 500) -> AsyncIterator[Brief]:
        """Yield every live brief, oldest id first."""
        ...

    async def ids_created_after(self, since: datetime, *, limit: int) -> list[int]:
        """Return ids of live briefs created after `since`, oldest first."""
        ...

    async def max_id(self) -> int:
        """Return the highest id ever used (deleted briefs included), 0 when empty."""
        ...


class GuildStore(Protocol):
    """Where each guild wants briefs posted, and whether posting there is paused."""

    async def get(self, guild_id: int) -> GuildSettings | None:
        """Return a guild's settings, or None if it never configured anything."""
        ...

    async def set_channel(
        self, guild_id: int, channel_id: int, *, crosspost: bool = False
    ) -> GuildSettings:
        """Post to this channel from now on: no backlog, any pause and error cleared."""
        ...

    async def set_mention(self, guild_id: int, role_id: int | None) -> GuildSettings:
        """Mention this role with each auto-post (None: mention nobody)."""
        ...

    async def disable(self, guild_id: int) -> None:
        """Stop auto-posting to this guild (its other settings are kept)."""
        ...

    async def pause(self, guild_id: int, reason: str) -> None:
        """Stop posting until an admin sets the channel again."""
        ...

    async def resume(self, guild_id: int) -> None:
        """Lift a pause without resubscribing."""
        ...

    async def mark_pause_notified(self, guild_id: int) -> None:
        """Remember that the guild was told about its pause."""
        ...

    async def record_error(self, guild_id: int, error: str | None) -> None:
        """Keep the last posting error for the status command (None clears it)."""
        ...

    async def active(self, shards: Shards | None = None) -> list[GuildSettings]:
        """Return guilds that have a channel and are not paused (of these shards only)."""
        ...


class PostLogStore(Protocol):
    """Which brief went to which guild: claims, posted messages and skips."""

    async def pending(self, guild: GuildSettings, *, limit: int) -> tuple[list[int], int]:
        """Return the oldest `limit` unposted live briefs since subscribing, and how many."""
        ...

    async def claim(self, guild_id: int, brief_id: int, channel_id: int) -> bool:
        """Reserve posting this brief to this guild; True only for the one caller that won.

        A rejected post of a brief edited since is claimed again the same way.
        """
        ...

    async def record_message(self, guild_id: int, brief_id: int, message_id: int) -> None:
        """Store the posted message's id and the post time."""
        ...

    async def release(self, guild_id: int, brief_id: int) -> None:
        """Give back an unsent claim, so it is tried again."""
        ...

    async def reject(self, guild_id: int, brief_id: int, reason: str) -> None:
        """Keep a claim Discord refused, with why: tried again once the brief is edited."""
        ...

    async def rejected(self, guild_id: int, *, limit: int = 10) -> list[RejectedPost]:
        """Return the guild's rejected posts of live briefs, newest first."""
        ...

    async def skip(self, guild_id: int, brief_ids: Sequence[int]) -> None:
        """Mark briefs as never to be posted to this guild."""
        ...

    async def message_id(self, guild_id: int, brief_id: int) -> int | None:
        """Return the message a brief was auto-posted as in this guild, if it was."""
        ...

    async def last_post(self, guild_id: int) -> datetime | None:
        """Return when a brief was last posted to this guild."""
        ...


class StateStore(Protocol):
    """Small named values the bot keeps between runs."""

    async def get(self, key: str) -> str | None:
        """Return the value stored under `key`, or None."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any previous value."""
        ...


class RowLoader(Protocol):
    """Writes copied rows inside one open transaction (see `Storage.restore`)."""

    async def load(self, table: str, rows: Sequence[Row]) -> None:
        """Insert rows of `table` exactly as given (ids and times kept)."""
        ...

    async def counts(self) -> dict[str, int]:
        """Return each table's row count as this transaction sees it."""
        ...


class Storage(Protocol):
    """One open database: the repositories on it, health checks, and whole-library copies."""

    @property
    def url(self) -> str:
        """Return the URL the database was opened with."""
        ...

    @property
    def briefs(self) -> BriefStore:
        """Return the briefs repository."""
        ...

    @property
    def guilds(self) -> GuildStore:
        """Return the per-guild auto-post settings."""
        ...

    @property
    def post_log(self) -> PostLogStore:
        """Return the auto-post log."""
        ...

    @property
    def state(self) -> StateStore:
        """Return the small named values kept between runs."""
        ...

    async def close(self) -> None:
        """Close every connection; later calls do nothing."""
        ...

    async def listen_published(self, callback: Callable[[int], None]) -> bool:
        """Have `callback(brief id)` called when any process stores new briefs.

        Returns False when the backend cannot tell (SQLite): other processes' briefs are then
        found by the auto-post sweep. Calling it again re-establishes a dropped listener.
        """
        ...

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        ...

    async def latest_version(self) -> int:
        """Return the version this code's migrations bring the database to."""
        ...

    async def integrity_problems(self) -> list[str]:
        """Return what the database's own and the search index's checks report (empty: sound)."""
        ...

    async def counts(self) -> dict[str, int]:
        """Return each table's row count (every brief, deleted ones included)."""
        ...

    def dump(self, table: str, *, batch: int = 1000) -> AsyncIterator[list[Row]]:
        """Yield every row of `table` in primary-key order, `batch` at a time."""
        ...

    def restore(self) -> AbstractAsyncContextManager[RowLoader]:
        """Open one transaction to load copied rows; commit on success, else roll back."""
        ...


def same_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """Describe every table whose row count differs (empty when all agree)."""
    return [
        f"{table}: {expected.get(table, 0)} expected, {actual.get(table, 0)} found"
        for table in TABLES
        if expected.get(table, 0) != actual.get(table, 0)
    ]
