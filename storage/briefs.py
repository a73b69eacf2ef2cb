"""Briefs in SQLite: CRUD with an audit trail, newest-first listing, full-text search."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.fts import build_match_query
from storage.interface import (
    SEARCH_CANDIDATES,
    SEARCH_COUNT_CAP,
    SNIPPET_CLOSE,
    SNIPPET_ELLIPSIS,
    SNIPPET_OPEN,
    SNIPPET_TOKENS,
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
from storage.sqlite.database import (
    Database,
    decode_optional_time,
    decode_time,
    encode_time,
    fetch_all,
    fetch_value,
)

# Measured at 100,000 briefs: ranking SEARCH_CANDIDATES = 500 candidates costs ~6.5 ms p50 for
# a common word, 1,000 cost ~12 ms; the floor (~5 ms) is bm25's own pass counting each word's
# documents for its IDF. FTS5 allows at most 64 snippet tokens.

#: bm25 column weights, in briefs_fts column order: a title match outranks a body match.
_WEIGHTS = {
    "title": 10.0,
    "what_happened": 4.0,
    "who_was_involved": 2.0,
    "when_and_where": 2.0,
    "key_quote": 2.0,
    "impact": 2.0,
    "body": 1.0,
    "tags": 5.0,
}
_BM25 = "bm25(briefs_fts, {})".format(", ".join(str(w) for w in _WEIGHTS.values()))

_COLUMNS = (
    "id, title, what_happened, who_was_involved, when_and_where, key_quote, impact, body, "
    "source_url, image_url, tags, published_at, created_at, created_by, updated_at, content_hash"
)
_INSERT = f"INSERT INTO briefs ({_COLUMNS}) VALUES ({', '.join('?' * 16)})"
#: Rows whose content hash one pass of `fill_content_keys` computes.
_FILL_BATCH = 1000
_NEWEST_FIRST = "ORDER BY COALESCE(published_at, created_at) DESC, id DESC"
_AUDIT = "INSERT INTO audit_log (brief_id, action, actor_id, at, snapshot) VALUES (?, ?, ?, ?, ?)"


def _content_values(content: BriefContent) -> tuple[Any, ...]:
    published = content.published_at
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
        json.dumps(list(content.tags), ensure_ascii=False),
        None if published is None else encode_time(published),
    )


def _brief(row: sqlite3.Row) -> Brief:
    """Read a stored brief: tags are JSON text, times ISO 8601 text (pydantic reads them)."""
    return Brief.model_validate({**dict(row), "tags": json.loads(row["tags"])}, context=STORED)


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
        now = utcnow()
        stamp = encode_time(now)
        keys = [content_key(item) for item in items]
        async with self._db.transaction() as conn:
            taken = {
                row[0]: row[1]
                for row in await fetch_all(
                    conn,
                    "SELECT id, CASE WHEN deleted_at IS NULL THEN content_hash END FROM briefs"
                    " WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(kept),),
                )
            }
            live = set()
            if skip_present:
                rows = await fetch_all(
                    conn,
                    "SELECT content_hash FROM briefs WHERE deleted_at IS NULL"
                    " AND content_hash IN (SELECT value FROM json_each(?))",
                    (json.dumps(keys),),
                )
                live = {row[0] for row in rows}
            fresh = to_store(items, live=live, taken=taken, skip_present=skip_present)
            if not fresh:
                return []
            first_id = max([await _max_id(conn), *kept]) + 1
            stored = with_ids(fresh, first_id, now=now, created_by=created_by)
            await conn.executemany(
                _INSERT,
                [
                    (
                        brief.id,
                        *_content_values(brief),
                        encode_time(brief.created_at),
                        brief.created_by,
                        None if brief.updated_at is None else encode_time(brief.updated_at),
                        content_key(brief),
                    )
                    for brief in stored
                ],
            )
            await conn.executemany(
                _AUDIT,
                [(brief.id, action, created_by, stamp, snapshot(brief)) for brief in stored],
            )
        return stored

    async def fill_content_keys(self) -> int:
        """Compute the content hash of briefs stored before it was kept (migration 0006)."""
        filled = 0
        while True:
            async with self._db.transaction() as conn:
                rows = await fetch_all(
                    conn,
                    "SELECT * FROM briefs WHERE content_hash IS NULL ORDER BY id LIMIT ?",
                    (_FILL_BATCH,),
                )
                await conn.executemany(
                    "UPDATE briefs SET content_hash = ? WHERE id = ?",
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
            rows = await fetch_all(
                conn, "SELECT * FROM briefs WHERE id = ? AND deleted_at IS NULL", (brief_id,)
            )
        return _brief(rows[0]) if rows else None

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
        stamp = encode_time(utcnow())
        based = (
            "" if base is None else " AND updated_at IS ?"  # IS: equal, or both NULL
        )
        version = () if base is None else (_optional_time(base.updated_at),)
        async with self._db.transaction() as conn:
            rows = await fetch_all(
                conn,
                "UPDATE briefs SET title = ?, what_happened = ?, who_was_involved = ?,"
                " when_and_where = ?, key_quote = ?, impact = ?, body = ?, source_url = ?,"
                " image_url = ?, tags = ?, published_at = ?, updated_at = ?, content_hash = ?"
                f" WHERE id = ? AND deleted_at IS NULL{based} RETURNING *",
                (*_content_values(content), stamp, content_key(content), brief_id, *version),
            )
            if not rows:
                if base is not None and await _is_live(conn, brief_id):
                    raise StaleEditError(brief_id, await _last_change(conn, brief_id))
                return None
            brief = _brief(rows[0])
            await conn.execute(_AUDIT, (brief_id, "edit", actor_id, stamp, snapshot(brief)))
        return brief

    async def delete(self, brief_id: int, *, actor_id: int | None) -> bool:
        """Soft-delete: hide from lookups, search and auto-post; keep history. False if absent."""
        if not valid_id(brief_id):
            return False
        stamp = encode_time(utcnow())
        async with self._db.transaction() as conn:
            rows = await fetch_all(
                conn,
                "UPDATE briefs SET deleted_at = ?, updated_at = ?"
                " WHERE id = ? AND deleted_at IS NULL RETURNING *",
                (stamp, stamp, brief_id),
            )
            if not rows:
                return False
            record = snapshot(_brief(rows[0]))
            await conn.execute(_AUDIT, (brief_id, "delete", actor_id, stamp, record))
        return True

    async def latest(self, limit: int) -> list[Brief]:
        """Return up to `limit` live briefs, newest (published, else created) first."""
        return await self.page(0, limit)

    async def page(self, offset: int, limit: int) -> list[Brief]:
        """Return one page of live briefs in `latest` order."""
        if limit <= 0:
            return []
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                f"SELECT * FROM briefs WHERE deleted_at IS NULL {_NEWEST_FIRST} LIMIT ? OFFSET ?",
                (limit, max(offset, 0)),
            )
        return [_brief(row) for row in rows]

    async def count(self) -> int:
        """Return how many live briefs there are."""
        async with self._db.read() as conn:
            return int(
                await fetch_value(conn, "SELECT count(*) FROM briefs WHERE deleted_at IS NULL")
            )

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[SearchHit]:
        """Return live briefs matching every word of `query`, best first, with snippets.

        Only the newest SEARCH_CANDIDATES matches (by id) are ranked, by title-weighted bm25,
        so a common word costs the same as a rare one; paging past them simply ends, in step
        with `search_count`, which is capped at the same number.
        """
        match = build_match_query(query)
        offset = max(offset, 0)
        if match is None or limit <= 0 or offset >= SEARCH_CANDIDATES:
            return []
        async with self._db.read() as conn:
            # FTS5 walks the doclist newest-first and stops after the window, so bm25 runs on
            # at most SEARCH_CANDIDATES rows, never on every match.
            ranked = await fetch_all(
                conn,
                "SELECT rowid, score FROM ("
                f" SELECT rowid, {_BM25} AS score FROM briefs_fts WHERE briefs_fts MATCH ?"
                " ORDER BY rowid DESC LIMIT ?"
                ") ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
                (match, SEARCH_CANDIDATES, limit, offset),
            )
            hits: list[SearchHit] = []
            for brief_id, score in ranked:
                # Snippets only for the page; `rowid = ?` lets FTS5 seek straight to the row.
                rows = await fetch_all(
                    conn,
                    "SELECT b.id, b.title, b.what_happened, b.published_at, b.created_at,"
                    " snippet(briefs_fts, -1, ?, ?, ?, ?) AS snippet"
                    " FROM briefs_fts JOIN briefs AS b ON b.id = briefs_fts.rowid"
                    " WHERE briefs_fts MATCH ? AND briefs_fts.rowid = ? AND b.deleted_at IS NULL",
                    (
                        SNIPPET_OPEN,
                        SNIPPET_CLOSE,
                        SNIPPET_ELLIPSIS,
                        SNIPPET_TOKENS,
                        match,
                        brief_id,
                    ),
                )
                hits.extend(
                    SearchHit(
                        brief_id=row["id"],
                        title=row["title"],
                        snippet=row["snippet"] or row["what_happened"],
                        rank=-float(score),
                        published_at=decode_optional_time(row["published_at"]),
                        created_at=decode_time(row["created_at"]),
                    )
                    for row in rows
                )
        return hits

    async def search_count(self, query: str) -> int:
        """Return how many live briefs `search` can page through: at most SEARCH_COUNT_CAP.

        A result equal to SEARCH_COUNT_CAP means "that many or more" (show it as "500+").
        """
        match = build_match_query(query)
        if match is None:
            return 0
        async with self._db.read() as conn:
            return int(
                await fetch_value(
                    conn,
                    "SELECT count(*) FROM"
                    " (SELECT 1 FROM briefs_fts WHERE briefs_fts MATCH ? LIMIT ?)",
                    (match, SEARCH_COUNT_CAP),
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
        match = build_match_query(prefix, prefix=True)
        found: list[tuple[int, str]] = []
        async with self._db.read() as conn:
            if number is not None:
                rows = await fetch_all(
                    conn,
                    "SELECT id, title FROM briefs WHERE id = ? AND deleted_at IS NULL",
                    (number,),
                )
                found.extend((row[0], row[1]) for row in rows)
            if match is None:
                rows = await fetch_all(
                    conn,
                    "SELECT id, title FROM briefs WHERE deleted_at IS NULL"
                    f" {_NEWEST_FIRST} LIMIT ?",
                    (limit,),
                )
            else:
                # briefs_titles (0005) has prefix indexes, so a short common prefix is one
                # doclist read instead of a merge of every matching term's doclist.
                rows = await fetch_all(
                    conn,
                    "SELECT rowid, title FROM briefs_titles WHERE briefs_titles MATCH ?"
                    " ORDER BY rowid DESC LIMIT ?",
                    (match, limit),
                )
        seen = {brief_id for brief_id, _ in found}
        found.extend((row[0], row[1]) for row in rows if row[0] not in seen)
        return found[:limit]

    async def find_duplicate(
        self, title: str, what_happened: str, *, exclude_id: int | None = None
    ) -> Brief | None:
        """Return the oldest live brief saying the same title and what-happened, if any.

        Comparison ignores case, spacing and punctuation, so a re-pasted brief is caught.
        """
        title_match = build_match_query(title)
        what_match = build_match_query(what_happened)
        filters = [f"title : ({title_match})"] if title_match else []
        if what_match:
            filters.append(f"what_happened : ({what_match})")
        async with self._db.read() as conn:
            if filters:
                rows = await fetch_all(
                    conn,
                    "SELECT b.* FROM briefs_fts JOIN briefs AS b ON b.id = briefs_fts.rowid"
                    " WHERE briefs_fts MATCH ? AND b.deleted_at IS NULL ORDER BY b.id",
                    (" AND ".join(filters),),
                )
            else:
                rows = await fetch_all(
                    conn,
                    "SELECT * FROM briefs WHERE deleted_at IS NULL"
                    " AND trim(title) = ? AND trim(what_happened) = ? ORDER BY id",
                    (title.strip(), what_happened.strip()),
                )
        same = same_brief(rows, title, what_happened, exclude_id=exclude_id)
        return None if same is None else _brief(same)

    async def history(self, brief_id: int) -> list[AuditEntry]:
        """Return every audited change to a brief, oldest first, even once it is deleted."""
        if not valid_id(brief_id):
            return []
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, "SELECT * FROM audit_log WHERE brief_id = ? ORDER BY id", (brief_id,)
            )
        return [_audit_entry(row) for row in rows]

    async def iter_all(self, *, batch: int = 500) -> AsyncIterator[Brief]:
        """Yield every live brief, oldest id first, reading `batch` rows at a time.

        The lock is released between batches, so the consumer may use the database meanwhile.
        """
        if batch <= 0:
            raise ValueError("batch must be positive")
        last: int | None = None
        while True:
            async with self._db.read() as conn:
                if last is None:
                    rows = await fetch_all(
                        conn,
                        "SELECT * FROM briefs WHERE deleted_at IS NULL ORDER BY id LIMIT ?",
                        (batch,),
                    )
                else:
                    rows = await fetch_all(
                        conn,
                        "SELECT * FROM briefs WHERE id > ? AND deleted_at IS NULL"
                        " ORDER BY id LIMIT ?",
                        (last, batch),
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
            rows = await fetch_all(
                conn,
                "SELECT id FROM briefs WHERE deleted_at IS NULL AND created_at > ?"
                " ORDER BY id LIMIT ?",
                (encode_time(since), limit),
            )
        return [int(row[0]) for row in rows]

    async def max_id(self) -> int:
        """Return the highest id ever used (deleted briefs included), 0 when empty."""
        async with self._db.read() as conn:
            return await _max_id(conn)


def _optional_time(value: datetime | None) -> str | None:
    return None if value is None else encode_time(value)


def _audit_entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry.model_validate({**dict(row), "snapshot": json.loads(row["snapshot"])})


async def _is_live(conn: aiosqlite.Connection, brief_id: int) -> bool:
    return bool(
        await fetch_all(
            conn, "SELECT 1 FROM briefs WHERE id = ? AND deleted_at IS NULL", (brief_id,)
        )
    )


async def _last_change(conn: aiosqlite.Connection, brief_id: int) -> AuditEntry | None:
    rows = await fetch_all(
        conn, "SELECT * FROM audit_log WHERE brief_id = ? ORDER BY id DESC LIMIT 1", (brief_id,)
    )
    return _audit_entry(rows[0]) if rows else None


async def _max_id(conn: aiosqlite.Connection) -> int:
    return int(await fetch_value(conn, "SELECT COALESCE(MAX(id), 0) FROM briefs"))
