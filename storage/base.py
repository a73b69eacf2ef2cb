"""The rules every library follows, and the narrow interface a database backend provides.

The repositories (storage/briefs.py, subscriptions.py, state.py) and whole-library copies
(storage/library.py) are written once on `Backend`: a `storage.sql.Database` plus the few
operations each database does its own way (full-text search, bulk writes, announcing new
briefs, its schema). storage/sqlite and storage/postgres implement it and nothing more.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic_core import to_json

from storage.errors import DuplicateIdError
from storage.models import COPY_FIELDS, MAX_BRIEF_ID, STORED, Brief, BriefContent, SearchHit
from storage.schema import PRIMARY_KEYS as SCHEMA_KEYS
from storage.schema import TABLES as SCHEMA
from storage.schema import TOPICS_COLUMN
from storage.search import fingerprint
from storage.sql import Connection, Database, Row

#: Audit actions, as the audit_log CHECK constraint allows them.
#: What an audit entry records: a brief added, edited, retracted or imported; held until a
#: time or given a new one ("schedule", its note the time), released ("release"), or
#: withdrawn before anyone saw it ("cancel"); in review: submitted, sent back with changes
#: requested, approved, rejected, or withdrawn by its author.
ACTIONS = frozenset(
    {
        "add", "edit", "delete", "import", "schedule", "release", "cancel",
        "submit", "request_changes", "approve", "reject", "withdraw",
    }
)  # fmt: skip

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

#: A brief's own columns, in the order rows carry them (search columns are the backend's).
BRIEF_COLUMNS = tuple(SCHEMA["briefs"])
#: Every table a library consists of, with its columns, in the order a copy fills them
#: (derived from storage/schema.py, where each column's kind is too).
COLUMNS: dict[str, tuple[str, ...]] = {table: tuple(columns) for table, columns in SCHEMA.items()}
TABLES = tuple(COLUMNS)
#: Each table's primary key: the order a copy reads its rows in.
PRIMARY_KEYS = dict(SCHEMA_KEYS)


def check_table(table: str) -> None:
    """Refuse a table name that is not part of a library (names are put into SQL)."""
    if table not in COLUMNS:
        raise ValueError(f"unknown table {table!r}")


def snapshot(content: BriefContent) -> str:
    """Return the audit log's JSON record of a brief's content (identity left out), its topics
    under their stored name (storage/schema.py), so the hashes stored before stay true."""
    record = content.model_dump(mode="json", include=set(COPY_FIELDS))
    stored = {TOPICS_COLUMN if key == "topics" else key: value for key, value in record.items()}
    return to_json(stored).decode()


def plain(content: BriefContent) -> BriefContent:
    """Drop identity from a Brief, so adding it always assigns a fresh id."""
    return content.content() if isinstance(content, Brief) else content


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
    taken: Mapping[int, tuple[str | None, bool]],
    skip_present: bool,
) -> list[BriefContent]:
    """Return the items of an `add_many` batch to store, in order.

    `live` holds the content keys of live briefs that some item shares, `taken` each kept id
    already in use with what it holds: its content key, and whether it is retracted. A kept id
    in use raises DuplicateIdError, unless `skip_present` and it holds this very content,
    retracted or live as the item is. With
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
                if not (skip_present and taken[item.id] == (key, item.retracted_at is not None)):
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
    items: Sequence[BriefContent],
    first_id: int,
    *,
    now: datetime,
    created_by: int | None,
    backfill: bool = False,
    review: bool = False,
) -> list[Brief]:
    """Give items without identity consecutive ids from `first_id` (and the `backfill` flag);
    `Brief` items keep theirs. A release time not after `now` holds nothing: stored visible.
    With `review`, new items are drafts submitted for review."""
    stored: list[Brief] = []
    next_id = first_id
    for item in items:
        if isinstance(item, Brief):
            stored.append(item)
        else:
            fields = {**item.__dict__, "id": next_id, "created_at": now, "created_by": created_by}
            fields["backfill"] = backfill
            if review:  # a draft submitted for review
                fields["review"] = "submitted"
            if item.release_at is not None and item.release_at <= now:
                fields["release_at"] = None
            stored.append(Brief.model_validate(fields, context=STORED))
            next_id += 1
    return stored


def same_brief(
    rows: Iterable[Row], title: str, what_happened: str, *, exclude_id: int | None
) -> Row | None:
    """Return the first row saying the same title and what-happened (case, accents, spacing
    and punctuation aside), other than `exclude_id`: confirms a search's candidates."""
    want = (fingerprint(title), fingerprint(what_happened))
    for row in rows:
        if row["id"] == exclude_id:
            continue
        if (fingerprint(row["title"]), fingerprint(row["what_happened"])) == want:
            return row
    return None


def same_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """Describe every table whose row count differs (empty when all agree)."""
    return [
        f"{table}: {expected.get(table, 0)} expected, {actual.get(table, 0)} found"
        for table in TABLES
        if expected.get(table, 0) != actual.get(table, 0)
    ]


@dataclass(frozen=True)
class Shards:
    """The Discord shards one process serves: a guild belongs to `(id >> 22) % count`."""

    count: int
    ids: tuple[int, ...]

    def owns(self, guild_id: int) -> bool:
        """Say whether this process serves the guild (Discord's sharding formula)."""
        return (guild_id >> 22) % self.count in self.ids


class Search(Protocol):
    """Full-text search over live briefs: FTS5 on SQLite, tsvector on PostgreSQL.

    Both read words as storage.search does, so they find the same briefs; only the ranking
    function differs (bm25 and ts_rank).
    """

    def columns(self, content: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
        """Return the search columns written with a brief: (column, placeholder, value)."""
        ...

    async def hits(
        self,
        conn: Connection,
        query: str,
        *,
        limit: int,
        offset: int,
        tags: Sequence[str] = (),
    ) -> list[SearchHit]:
        """Return one page of live briefs matching every word, best first, with snippets.

        With `tags`, only briefs carrying one of these exact tags count (ranked as without).
        """
        ...

    async def count(
        self, conn: Connection, query: str, *, cap: int, tags: Sequence[str] = ()
    ) -> int:
        """Return how many live briefs match every word of `query`, counting up to `cap`
        (with `tags`, only those carrying one of these exact tags)."""
        ...

    def tagged(self, tags: Sequence[str]) -> tuple[str, list[Any]]:
        """Return a condition on a `briefs` row, and its arguments, true when the brief
        carries one of these exact tags; the index narrows it, the tags decide."""
        ...

    async def titles(self, conn: Connection, prefix: str, *, limit: int) -> list[Row] | None:
        """Return (id, title) rows of live briefs whose title holds every word of `prefix`
        (the last one as a prefix), newest first; None when `prefix` has no words."""
        ...

    async def same_words(self, conn: Connection, title: str, what_happened: str) -> list[Row]:
        """Return live briefs whose title and what-happened hold these words (a superset of
        the briefs saying the same), oldest first."""
        ...


class Backend(Database, Protocol):
    """A database as the repositories use it: SQL, plus what each database does its own way."""

    @property
    def url(self) -> str:
        """Return the URL the database was opened with."""
        ...

    @property
    def search(self) -> Search:
        """Return the database's full-text search."""
        ...

    async def lock_ids(self, conn: Connection) -> None:
        """Hold, until the transaction ends, the right to hand out new brief ids."""
        ...

    async def lock_guild(self, conn: Connection, guild_id: int) -> None:
        """Hold, until the transaction ends, the right to change which subscriptions a guild
        has, so a count-then-insert (the MAX_SUBSCRIPTIONS cap) holds under concurrency."""
        ...

    async def insert(self, conn: Connection, table: str, rows: Sequence[Row]) -> None:
        """Insert rows of one table exactly as given, the fastest way the database has."""
        ...

    async def announce(self, change: str, brief_id: int) -> bool:
        """After a commit, tell every listening process (this one included) that a brief was
        published, edited or retracted; False when the database cannot (SQLite)."""
        ...

    async def settle(self, tables: Sequence[str]) -> None:
        """After a bulk write: bring the planner's statistics and indexes up to date."""
        ...

    async def listen(self, callback: Callable[[str, int], None]) -> bool:
        """Call `callback(change, brief id)` for every change any process announces; False
        if it cannot."""
        ...

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        ...

    def latest_version(self) -> int:
        """Return the version this code's migrations bring the database to."""
        ...

    async def integrity_problems(self) -> list[str]:
        """Return what the database's own and the search index's checks report."""
        ...
