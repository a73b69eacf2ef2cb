"""Briefs in PostgreSQL: CRUD with an audit trail, newest-first listing, full-text search."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from storage.interface import (
    SEARCH_CANDIDATES,
    SEARCH_COUNT_CAP,
    StaleEditError,
    content_key,
    kept_ids,
    plain,
    same_brief,
    snapshot,
    to_store,
    valid_id,
    with_ids,
)
from storage.models import STORED, AuditEntry, Brief, BriefContent, SearchHit, brief_number, utcnow
from storage.postgres.database import Connection, Database, aware
from storage.postgres.search import build_tsquery, search_vector, snippet_texts, title_vector
from storage.snippets import snippet

#: pg_advisory_xact_lock key serialising brief id allocation ("highest id + 1") across processes.
ID_LOCK = 0x62726965_66000002

#: Briefs one `add_many` stores before it settles the bulk write (Database.settle_bulk_write).
BULK_WRITE = 1000

#: NOTIFY channel announcing new briefs; the payload is the newest stored id.
PUBLISHED_CHANNEL = "briefbot_published"

#: Newest live briefs `suggest` scans in id order before it asks the title index.
SUGGEST_WINDOW = 2000

_CONTENT = (
    "title, what_happened, who_was_involved, when_and_where, key_quote, impact, body, "
    "source_url, image_url, tags, published_at"
)
_COLUMNS = f"id, {_CONTENT}, created_at, created_by, updated_at, deleted_at"
#: Rows whose content hash one pass of `fill_content_keys` computes.
_FILL_BATCH = 1000
# Tags travel as JSON text: an array of arrays must be rectangular, tag lists are not.
_INSERT_MANY = (
    f"INSERT INTO briefs (id, {_CONTENT}, created_at, created_by, updated_at, content_hash,"
    " search, title_search)"
    " SELECT id, title, what_happened, who_was_involved, when_and_where, key_quote, impact,"
    " body, source_url, image_url, ARRAY(SELECT json_array_elements_text(tags::json)),"
    " published_at, created_at, created_by, updated_at, content_hash, search::tsvector,"
    " title_search::tsvector"
    " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
    " $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[],"
    " $13::timestamptz[], $14::bigint[], $15::timestamptz[], $16::text[], $17::text[],"
    " $18::text[])"
    " AS row (id, title, what_happened, who_was_involved, when_and_where, key_quote, impact,"
    " body, source_url, image_url, tags, published_at, created_at, created_by, updated_at,"
    " content_hash, search, title_search)"
)
#: Where the tags are in an `_INSERT_MANY` row: after the id, the tenth content value.
_TAGS = 10
_NEWEST_FIRST = "ORDER BY COALESCE(published_at, created_at) DESC, id DESC"
_AUDIT = (
    "INSERT INTO audit_log (brief_id, action, actor_id, at, snapshot) VALUES ($1, $2, $3, $4, $5)"
)
_AUDIT_MANY = (
    "INSERT INTO audit_log (brief_id, action, actor_id, at, snapshot)"
    " SELECT brief_id, $2, $3, $4, snapshot"
    " FROM unnest($1::bigint[], $5::text[]) WITH ORDINALITY AS row (brief_id, snapshot, n)"
    " ORDER BY n"
)
_LIVE_MATCH = "deleted_at IS NULL AND search @@ $1::tsquery"


def _content_values(content: BriefContent) -> tuple[Any, ...]:
    return (
        content.title,
        content.what_happened,
        content.who_was_involved,
        content.when_and_where,
        content.key_quote,
        content.impact,
        content.body,
        content.source_url,
        content.image_url,
        list(content.tags),
        content.published_at,
    )


def _vectors(content: BriefContent) -> tuple[str, str]:
    """Return the `search` and `title_search` column values (tsvector input) for content."""
    return search_vector(content.__dict__), title_vector(content.__dict__)


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Turn rows into one list per column (JSON text for the tags), for `unnest`."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    columns[_TAGS] = [json.dumps(tags, ensure_ascii=False) for tags in columns[_TAGS]]
    return columns


def _brief(row: asyncpg.Record) -> Brief:
    return Brief.model_validate(dict(row.items()), context=STORED)


def _audit_entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry.model_validate({**dict(row.items()), "snapshot": json.loads(row["snapshot"])})


class BriefRepository:
    """Everything the bot does with briefs, as short transactions on one Database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, content: BriefContent, *, created_by: int | None = None) -> Brief:
        """Store new content under a fresh id (audited as 'add')."""
        stored = await self.add_many([plain(content)], created_by=created_by, action="add")
        return stored[0]

    async def add_many(
        self,
        items: Sequence[BriefContent],
        *,
        created_by: int | None = None,
        action: str = "import",
        skip_present: bool = False,
    ) -> list[Brief]:
        """Store all items or none, in one transaction; return what was stored.

        Items that are `Brief`s keep their id, created_at and created_by (an export read back);
        others get fresh ids. Raises DuplicateIdError if a kept id is taken or repeated. With
        `skip_present`, content already stored is left out (see `storage.interface.to_store`).
        """
        kept = kept_ids(items, action)
        if not items:
            return []
        # Search vectors, snapshots and keys do not depend on ids: made before taking the lock.
        prepared = {id(item): (_vectors(item), snapshot(item), content_key(item)) for item in items}
        now = utcnow()
        async with self._db.transaction() as conn:
            # Another process allocating ids waits here until this transaction ends.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", ID_LOCK)
            taken = {
                row["id"]: row["content_hash"]
                for row in await conn.fetch(
                    "SELECT id, CASE WHEN deleted_at IS NULL THEN content_hash END AS content_hash"
                    " FROM briefs WHERE id = ANY($1::bigint[])",
                    kept,
                )
            }
            live: set[str] = set()
            if skip_present:
                present = await conn.fetch(
                    "SELECT content_hash FROM briefs WHERE deleted_at IS NULL"
                    " AND content_hash = ANY($1::text[])",
                    [key for _, _, key in prepared.values()],
                )
                live = {row["content_hash"] for row in present}
            fresh = to_store(items, live=live, taken=taken, skip_present=skip_present)
            if not fresh:
                return []
            first_id = max([await _max_id(conn), *kept]) + 1
            stored = with_ids(fresh, first_id, now=now, created_by=created_by)
            # One statement per table, the rows sent as arrays: far faster than a row each.
            done = [prepared[id(item)] for item in fresh]
            rows = [
                (
                    brief.id,
                    *_content_values(brief),
                    brief.created_at,
                    brief.created_by,
                    brief.updated_at,
                    key,
                    *vector,
                )
                for brief, (vector, _, key) in zip(stored, done, strict=True)
            ]
            await conn.execute(_INSERT_MANY, *_columns(rows))
            await conn.execute(
                _AUDIT_MANY,
                [b.id for b in stored],
                action,
                created_by,
                now,
                [record for _, record, _ in done],
            )
            # Delivered at commit to every listening process (see PostgresStorage.listen_published).
            await conn.execute("SELECT pg_notify($1, $2)", PUBLISHED_CHANNEL, str(stored[-1].id))
        if len(stored) >= BULK_WRITE:
            await self._db.settle_bulk_write("briefs, audit_log")
        return stored

    async def fill_content_keys(self) -> int:
        """Compute the content hash of briefs stored before it was kept (migration 0002)."""
        filled = 0
        while True:
            async with self._db.transaction() as conn:
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM briefs WHERE content_hash IS NULL ORDER BY id"
                    " LIMIT $1 FOR UPDATE SKIP LOCKED",
                    _FILL_BATCH,
                )
                await conn.executemany(
                    "UPDATE briefs SET content_hash = $1 WHERE id = $2",
                    [(content_key(_brief(row)), row["id"]) for row in rows],
                )
            filled += len(rows)
            if len(rows) < _FILL_BATCH:
                return filled

    async def get(self, brief_id: int) -> Brief | None:
        """Return a live brief, or None if it never existed or was deleted."""
        if not valid_id(brief_id):
            return None
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM briefs WHERE id = $1 AND deleted_at IS NULL", brief_id
            )
        return None if row is None else _brief(row)

    async def update(
        self,
        brief_id: int,
        content: BriefContent,
        *,
        actor_id: int | None,
        base: Brief | None = None,
    ) -> Brief | None:
        """Replace a live brief's content (audited as 'edit'); None if missing or deleted.

        With `base`, raise StaleEditError if the brief changed since that version.
        """
        if not valid_id(brief_id):
            return None
        now = utcnow()
        based = "" if base is None else " AND updated_at IS NOT DISTINCT FROM $17"
        version = () if base is None else (base.updated_at,)
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "UPDATE briefs SET title = $1, what_happened = $2, who_was_involved = $3,"
                " when_and_where = $4, key_quote = $5, impact = $6, body = $7, source_url = $8,"
                " image_url = $9, tags = $10, published_at = $11, search = $12::tsvector,"
                " title_search = $13::tsvector, updated_at = $14, content_hash = $16"
                f" WHERE id = $15 AND deleted_at IS NULL{based} RETURNING {_COLUMNS}",
                *_content_values(content),
                *_vectors(content),
                now,
                brief_id,
                content_key(content),
                *version,
            )
            if row is None:
                if base is not None and await conn.fetchval(
                    "SELECT 1 FROM briefs WHERE id = $1 AND deleted_at IS NULL", brief_id
                ):
                    last = await conn.fetchrow(
                        "SELECT id, brief_id, action, actor_id, at, snapshot FROM audit_log"
                        " WHERE brief_id = $1 ORDER BY id DESC LIMIT 1",
                        brief_id,
                    )
                    raise StaleEditError(brief_id, None if last is None else _audit_entry(last))
                return None
            brief = _brief(row)
            await conn.execute(_AUDIT, brief_id, "edit", actor_id, now, snapshot(brief))
        return brief

    async def delete(self, brief_id: int, *, actor_id: int | None) -> bool:
        """Soft-delete: hide from lookups, search and auto-post; keep history. False if absent."""
        if not valid_id(brief_id):
            return False
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "UPDATE briefs SET deleted_at = $1, updated_at = $1"
                f" WHERE id = $2 AND deleted_at IS NULL RETURNING {_COLUMNS}",
                now,
                brief_id,
            )
            if row is None:
                return False
            record = snapshot(_brief(row))
            await conn.execute(_AUDIT, brief_id, "delete", actor_id, now, record)
        return True

    async def latest(self, limit: int) -> list[Brief]:
        """Return up to `limit` live briefs, newest (published, else created) first."""
        return await self.page(0, limit)

    async def page(self, offset: int, limit: int) -> list[Brief]:
        """Return one page of live briefs in `latest` order."""
        if limit <= 0:
            return []
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM briefs WHERE deleted_at IS NULL {_NEWEST_FIRST}"
                " LIMIT $1 OFFSET $2",
                limit,
                max(offset, 0),
            )
        return [_brief(row) for row in rows]

    async def count(self) -> int:
        """Return how many live briefs there are."""
        async with self._db.read() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM briefs WHERE deleted_at IS NULL"))

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[SearchHit]:
        """Return live briefs matching every word of `query`, best first, with snippets.

        Only the newest SEARCH_CANDIDATES matches (by id) are ranked, by title-weighted
        ts_rank, so a common word costs the same as a rare one; paging past them simply ends,
        in step with `search_count`, which is capped at the same number.
        """
        match = build_tsquery(query)
        offset = max(offset, 0)
        if match is None or limit <= 0 or offset >= SEARCH_CANDIDATES:
            return []
        async with self._db.read() as conn:
            # Rank the candidate window only, then read the page's rows for their snippets.
            rows = await conn.fetch(
                "WITH page AS ("
                " SELECT id, ts_rank(search, $1::tsquery) AS score FROM ("
                f"  SELECT id, search FROM briefs WHERE {_LIVE_MATCH} ORDER BY id DESC LIMIT $2"
                " ) AS candidates ORDER BY score DESC, id DESC LIMIT $3 OFFSET $4"
                f") SELECT page.score, {_COLUMNS} FROM page JOIN briefs USING (id)"
                " ORDER BY page.score DESC, id DESC",
                match,
                SEARCH_CANDIDATES,
                limit,
                offset,
            )
        return [
            SearchHit(
                brief_id=row["id"],
                title=row["title"],
                snippet=snippet(snippet_texts(row), query) or row["what_happened"],
                rank=float(row["score"]),
                published_at=row["published_at"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def search_count(self, query: str) -> int:
        """Return how many live briefs `search` can page through: at most SEARCH_COUNT_CAP.

        A result equal to SEARCH_COUNT_CAP means "that many or more" (show it as "500+").
        """
        match = build_tsquery(query)
        if match is None:
            return 0
        async with self._db.read() as conn:
            return int(
                await conn.fetchval(
                    f"SELECT count(*) FROM (SELECT 1 FROM briefs WHERE {_LIVE_MATCH} LIMIT $2)"
                    " AS matches",
                    match,
                    SEARCH_COUNT_CAP,
                )
            )

    async def suggest(self, prefix: str, *, limit: int = 25) -> list[tuple[int, str]]:
        """Return (id, title) pairs for autocomplete.

        No words typed: the latest titles. A number (`42`, `#42`): that brief first, if live.
        Otherwise titles containing every word, the last one as a prefix, newest id first.
        """
        if limit <= 0:
            return []
        number = brief_number(prefix)
        match = build_tsquery(prefix, prefix=True)
        found: list[tuple[int, str]] = []
        async with self._db.read() as conn:
            if number is not None:
                rows = await conn.fetch(
                    "SELECT id, title FROM briefs WHERE id = $1 AND deleted_at IS NULL", number
                )
                found.extend((row["id"], row["title"]) for row in rows)
            if match is None:
                rows = await conn.fetch(
                    f"SELECT id, title FROM briefs WHERE deleted_at IS NULL {_NEWEST_FIRST}"
                    " LIMIT $1",
                    limit,
                )
            else:
                rows = await _titles_matching(conn, match, limit)
        seen = {brief_id for brief_id, _ in found}
        found.extend((row["id"], row["title"]) for row in rows if row["id"] not in seen)
        return found[:limit]

    async def find_duplicate(
        self, title: str, what_happened: str, *, exclude_id: int | None = None
    ) -> Brief | None:
        """Return the oldest live brief saying the same title and what-happened, if any.

        Comparison ignores case, spacing and punctuation, so a re-pasted brief is caught.
        """
        # Weight A is the title, B what happened (and tags): candidates to confirm below.
        filters = [
            match
            for match in (
                build_tsquery(title, weights="A"),
                build_tsquery(what_happened, weights="B"),
            )
            if match is not None
        ]
        async with self._db.read() as conn:
            if filters:
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM briefs WHERE {_LIVE_MATCH} ORDER BY id",
                    " & ".join(filters),
                )
            elif "\x00" in title + what_happened:
                rows = []  # PostgreSQL text cannot hold NUL, so no stored brief says this
            else:
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM briefs WHERE deleted_at IS NULL"
                    " AND btrim(title) = $1 AND btrim(what_happened) = $2 ORDER BY id",
                    title.strip(),
                    what_happened.strip(),
                )
        same = same_brief(rows, title, what_happened, exclude_id=exclude_id)
        return None if same is None else _brief(same)

    async def history(self, brief_id: int) -> list[AuditEntry]:
        """Return every audited change to a brief, oldest first, even once it is deleted."""
        if not valid_id(brief_id):
            return []
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id, brief_id, action, actor_id, at, snapshot FROM audit_log"
                " WHERE brief_id = $1 ORDER BY id",
                brief_id,
            )
        return [_audit_entry(row) for row in rows]

    async def iter_all(self, *, batch: int = 500) -> AsyncIterator[Brief]:
        """Yield every live brief, oldest id first, reading `batch` rows at a time.

        The connection goes back to the pool between batches, so the consumer may use the
        database meanwhile.
        """
        if batch <= 0:
            raise ValueError("batch must be positive")
        last = 0  # below every brief id
        while True:
            async with self._db.read() as conn:
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM briefs WHERE deleted_at IS NULL AND id > $1"
                    " ORDER BY id LIMIT $2",
                    last,
                    batch,
                )
            for row in rows:
                yield _brief(row)
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    async def ids_created_after(self, since: datetime, *, limit: int) -> list[int]:
        """Return ids of live briefs created after `since`, oldest first (for auto-post)."""
        if limit <= 0:
            return []
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id FROM briefs WHERE deleted_at IS NULL AND created_at > $1"
                " ORDER BY id LIMIT $2",
                aware(since),
                limit,
            )
        return [int(row["id"]) for row in rows]

    async def max_id(self) -> int:
        """Return the highest id ever used (deleted briefs included), 0 when empty."""
        async with self._db.read() as conn:
            return await _max_id(conn)


async def _titles_matching(conn: Connection, match: str, limit: int) -> list[asyncpg.Record]:
    """Return the newest `limit` live briefs whose title matches, as (id, title) rows.

    A prefix's frequency is unknown to the planner, so each of the two ways is asked for
    explicitly: first the newest SUGGEST_WINDOW briefs in id order, which finds a common
    prefix's matches at once; only if they hold fewer than `limit` matches (a rare prefix),
    the title index, whose matches are then few enough to sort.
    """
    rows = await conn.fetch(
        "SELECT id, title FROM ("
        " SELECT id, title, title_search FROM briefs WHERE deleted_at IS NULL"
        " ORDER BY id DESC LIMIT $2"
        ") AS recent WHERE title_search @@ $1::tsquery ORDER BY id DESC LIMIT $3",
        match,
        SUGGEST_WINDOW,
        limit,
    )
    if len(rows) == limit:
        return rows
    return await conn.fetch(
        "WITH matches AS MATERIALIZED (SELECT id, title FROM briefs"
        " WHERE deleted_at IS NULL AND title_search @@ $1::tsquery)"
        " SELECT id, title FROM matches ORDER BY id DESC LIMIT $2",
        match,
        limit,
    )


async def _max_id(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT COALESCE(max(id), 0) FROM briefs"))
