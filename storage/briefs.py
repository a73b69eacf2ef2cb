"""Briefs: storing with an audit trail, newest-first listing, search, topics and autocomplete.

Written once for every backend (storage/base.py says what a backend provides).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.base import (
    BRIEF_COLUMNS,
    SEARCH_CANDIDATES,
    SEARCH_COUNT_CAP,
    Backend,
    content_key,
    kept_ids,
    plain,
    same_brief,
    snapshot,
    to_store,
    valid_id,
    with_ids,
)
from storage.errors import StaleEditError
from storage.models import (
    STORED,
    AuditEntry,
    Brief,
    BriefContent,
    Retraction,
    SearchHit,
    brief_number,
    utcnow,
)
from storage.schema import visible
from storage.sql import Connection, Row
from storage.subscriptions import mark_copies_due
from storage.topics import TopicCount, tally, topic_key

#: Briefs one `add_many` stores before the database is asked to settle (Backend.settle).
BULK_WRITE = 1000
#: Rows whose content hash one pass of `fill_content_keys` computes.
FILL_BATCH = 1000
#: Longest the topic tally is reused without being recounted, however unchanged the library
#: looks: bounds what a race between two processes' writes could leave out of it.
TOPICS_TTL_SECONDS = 60.0

#: The columns a brief's content fills, in the order the model lists them.
_CONTENT = tuple(BriefContent.model_fields)
_SELECT = f"SELECT {', '.join(BRIEF_COLUMNS)} FROM briefs"
_LIVE = visible()
_NEWEST_FIRST = "ORDER BY COALESCE(published_at, created_at) DESC, id DESC"


def brief_of(row: Row) -> Brief:
    """Read a stored brief (a retracted one says when and why)."""
    return Brief.model_validate({**row, "retracted_at": row.get("deleted_at")}, context=STORED)


def audit_entry(row: Row) -> AuditEntry:
    """Read one audit row (its snapshot is JSON text)."""
    return AuditEntry.model_validate({**row, "snapshot": json.loads(row["snapshot"])})


def content_values(content: BriefContent) -> dict[str, Any]:
    """Return the content columns of a brief as stored."""
    values = {column: getattr(content, column) for column in _CONTENT}
    values["tags"] = list(content.tags)
    return values


def brief_row(brief: Brief) -> Row:
    """Return every column of a brief's row, as `Backend.insert` takes it."""
    return {
        "id": brief.id,
        **content_values(brief),
        "created_at": brief.created_at,
        "created_by": brief.created_by,
        "updated_at": brief.updated_at,
        "deleted_at": brief.retracted_at,
        "content_hash": content_key(brief),
        "correction": brief.correction,
        "retraction": brief.retraction,
    }


def audit_rows(
    stored: Sequence[Brief],
    action: str,
    actor_id: int | None,
    at: Any,
    source: str | None = None,
) -> list[Row]:
    """Return the audit entries of newly stored briefs: one `action` each (by the user
    `actor_id` or the named `source`), with its correction note; then, for a retracted one
    (an export read back), its retraction, when and why."""
    rows = [
        {
            "brief_id": brief.id,
            "action": action,
            "actor_id": actor_id,
            "source": source,
            "at": at,
            "snapshot": snapshot(brief),
            "note": brief.correction,
        }
        for brief in stored
    ]
    rows += [
        {
            "brief_id": brief.id,
            "action": "delete",
            "actor_id": None,
            "source": source,
            "at": brief.retracted_at,
            "snapshot": snapshot(brief),
            "note": brief.retraction,
        }
        for brief in stored
        if brief.retracted_at is not None
    ]
    return rows


@dataclass(frozen=True)
class _Tally:
    """The topics as counted at one state of the library (its latest audit entry)."""

    version: int
    until: float
    topics: list[TopicCount]


class Briefs:
    """Everything the bot does with briefs, as short transactions on one database.

    Its writes announce nothing: entry points publish, correct and retract through
    `storage.publishing.Publisher`, which runs them and then announces the change.
    """

    def __init__(self, db: Backend) -> None:
        self._db = db
        self._tally: _Tally | None = None

    async def add(
        self, content: BriefContent, *, created_by: int | None = None, source: str | None = None
    ) -> Brief:
        """Store new content under a fresh id (audited as 'add'), announcing nothing: entry
        points publish through `storage.publishing.Publisher`."""
        stored = await self.add_many(
            [plain(content)], created_by=created_by, source=source, action="add"
        )
        return stored[0]

    async def add_many(
        self,
        items: Sequence[BriefContent],
        *,
        created_by: int | None = None,
        source: str | None = None,
        action: str = "import",
        skip_present: bool = False,
    ) -> list[Brief]:
        """Store all items or none, in one transaction; return what was stored.

        Items that are `Brief`s keep their id, created_at, created_by and updated_at (an
        export read back), and their correction note and retraction; others get fresh ids.
        Raises DuplicateIdError if a kept id is taken or repeated. With `skip_present`, content
        already stored is left out instead of stored again (see `storage.base.to_store`).
        New ids are above every id ever stored, retracted briefs' included: a number is never
        reused, so an old message's buttons never open another story.
        """
        kept = kept_ids(items, action)
        if not items:
            return []
        any_of = self._db.dialect.any_of
        now = utcnow()
        async with self._db.transaction() as conn:
            await self._db.lock_ids(conn)  # another process handing out ids waits for us
            rows = await conn.fetch(
                f"SELECT id, content_hash, {_LIVE} AS live FROM briefs WHERE {any_of('id')}",
                kept,
            )
            taken = {row["id"]: (row["content_hash"], not row["live"]) for row in rows}
            live: set[str] = set()
            if skip_present:
                keys = [content_key(item) for item in items]
                rows = await conn.fetch(
                    f"SELECT content_hash FROM briefs WHERE {_LIVE} AND {any_of('content_hash')}",
                    keys,
                )
                live = {row["content_hash"] for row in rows}
            fresh = to_store(items, live=live, taken=taken, skip_present=skip_present)
            if not fresh:
                return []
            highest = await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM briefs")
            stored = with_ids(fresh, max([int(highest), *kept]) + 1, now=now, created_by=created_by)
            await self._db.insert(conn, "briefs", [brief_row(brief) for brief in stored])
            audit = audit_rows(stored, action, created_by, now, source)
            await self._db.insert(conn, "audit_log", audit)
        if len(stored) >= BULK_WRITE:
            await self._db.settle(("briefs", "audit_log"))
        return stored

    async def fill_content_keys(self) -> int:
        """Compute the content hash of briefs stored before it was kept; return how many."""
        filled = 0
        while True:
            async with self._db.transaction() as conn:
                rows = await conn.fetch(
                    f"{_SELECT} WHERE content_hash IS NULL ORDER BY id LIMIT ?", FILL_BATCH
                )
                await conn.executemany(
                    "UPDATE briefs SET content_hash = ? WHERE id = ?",
                    [(content_key(brief_of(row)), row["id"]) for row in rows],
                )
            filled += len(rows)
            if len(rows) < FILL_BATCH:
                return filled

    async def get(self, brief_id: int) -> Brief | None:
        """Return a live brief, or None if it never existed or was deleted."""
        if not valid_id(brief_id):
            return None
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"{_SELECT} WHERE id = ? AND {_LIVE}", brief_id)
        return None if row is None else brief_of(row)

    async def update(
        self,
        brief_id: int,
        content: BriefContent,
        *,
        actor_id: int | None,
        source: str | None = None,
        base: Brief | None = None,
        note: str | None = None,
    ) -> Brief | None:
        """Replace a live brief's content (audited as 'edit'); None if missing or deleted.

        With `base`, the version the edit started from, raise StaleEditError when the brief
        was changed since (its `updated_at` differs), so no edit silently overwrites another.
        A correction `note` is kept in the audit trail and shown with the brief (until the
        next note replaces it).
        """
        if not valid_id(brief_id):
            return None
        now = utcnow()
        values = content_values(content)
        search = self._db.search.columns(values)
        assignments = [f"{column} = ?" for column in values]
        assignments += [f"{column} = {slot}" for column, slot, _ in search]
        args = [*values.values(), *(value for _, _, value in search)]
        if note is not None:
            assignments.append("correction = ?")
            args.append(note)
        args += [now, content_key(content), brief_id]
        based = ""
        if base is not None:
            based = f" AND {self._db.dialect.same('updated_at')}"
            args.append(base.updated_at)
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE briefs SET {', '.join(assignments)}, updated_at = ?, content_hash = ?"
                f" WHERE id = ? AND {_LIVE}{based} RETURNING {', '.join(BRIEF_COLUMNS)}",
                *args,
            )
            if row is None:
                if base is not None and await self._is_live(conn, brief_id):
                    raise await self._stale(conn, brief_id)
                return None
            brief = brief_of(row)
            audit = (actor_id, source, now, snapshot(brief), note)
            await self._audit(conn, brief_id, "edit", *audit)
            await mark_copies_due(conn, brief_id, now)  # its posted copies are now behind
        return brief

    async def delete(
        self,
        brief_id: int,
        *,
        actor_id: int | None,
        source: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Soft-delete (retract): hide from lookups, search and auto-post; keep history.

        Its posted copies then say it was retracted, with the `reason`. False if absent.
        """
        if not valid_id(brief_id):
            return False
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "UPDATE briefs SET deleted_at = ?, updated_at = ?, retraction = ?"
                f" WHERE id = ? AND {_LIVE} RETURNING {', '.join(BRIEF_COLUMNS)}",
                now,
                now,
                reason,
                brief_id,
            )
            if row is None:
                return False
            record = snapshot(brief_of(row))
            await self._audit(conn, brief_id, "delete", actor_id, source, now, record, reason)
            await mark_copies_due(conn, brief_id, now)  # its posted copies now retract it
        return True

    async def retraction(self, brief_id: int) -> Retraction | None:
        """Return what a deleted brief's copies say of it, or None if it is live or unknown."""
        if not valid_id(brief_id):
            return None
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT id AS brief_id, title, retraction AS reason, deleted_at AS at FROM briefs"
                " WHERE id = ? AND deleted_at IS NOT NULL",
                brief_id,
            )
        return None if row is None else Retraction.model_validate(row)

    async def latest(self, limit: int) -> list[Brief]:
        """Return up to `limit` live briefs, newest (published, else created) first."""
        return await self.page(0, limit)

    async def page(
        self, offset: int, limit: int, *, topic: TopicCount | None = None
    ) -> list[Brief]:
        """Return one page of live briefs in `latest` order (with `topic`, those that have it)."""
        if limit <= 0:
            return []
        where, args = self._db.search.tagged(topic.spellings) if topic else ("", [])
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"{_SELECT} WHERE {_LIVE}{' AND ' + where if where else ''}"
                f" {_NEWEST_FIRST} LIMIT ? OFFSET ?",
                *args,
                limit,
                max(offset, 0),
            )
        return [brief_of(row) for row in rows]

    async def count(self) -> int:
        """Return how many live briefs there are."""
        async with self._db.read() as conn:
            return int(await conn.fetchval(f"SELECT count(*) FROM briefs WHERE {_LIVE}"))

    async def search(
        self, query: str, *, limit: int = 10, offset: int = 0, topic: TopicCount | None = None
    ) -> list[SearchHit]:
        """Return live briefs matching every word of `query`, best first, with snippets.

        Only the newest SEARCH_CANDIDATES matches (by id) are ranked, so a common word costs
        the same as a rare one; paging past them simply ends, in step with `search_count`.
        With `topic`, only briefs that have it are searched.
        """
        offset = max(offset, 0)
        if limit <= 0 or offset >= SEARCH_CANDIDATES:
            return []
        tags = topic.spellings if topic else ()
        async with self._db.read() as conn:
            return await self._db.search.hits(conn, query, limit=limit, offset=offset, tags=tags)

    async def search_count(self, query: str, *, topic: TopicCount | None = None) -> int:
        """Return how many live briefs `search` can page through: at most SEARCH_COUNT_CAP.

        A result equal to SEARCH_COUNT_CAP means "that many or more" (show it as "500+").
        """
        tags = topic.spellings if topic else ()
        async with self._db.read() as conn:
            return await self._db.search.count(conn, query, cap=SEARCH_COUNT_CAP, tags=tags)

    async def topics(self) -> list[TopicCount]:
        """Return the topics of the live briefs with how many have each, most used first.

        Counting reads every live brief, so the tally is kept until the library changes: its
        latest audit entry (every add, edit and delete makes one) says when, in one read.
        """
        async with self._db.read() as conn:
            version = int(await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM audit_log"))
            kept = self._tally
            if kept is not None and kept.version == version and time.monotonic() < kept.until:
                return list(kept.topics)
            rows = await conn.fetch(
                "SELECT value AS tag, count(*) AS briefs"
                f" FROM briefs, {self._db.dialect.items('briefs.tags')}"
                f" WHERE {_LIVE} GROUP BY value"
            )
        topics = tally((row["tag"], int(row["briefs"])) for row in rows)
        self._tally = _Tally(version, time.monotonic() + TOPICS_TTL_SECONDS, topics)
        return list(topics)

    async def topic(self, name: str) -> TopicCount | None:
        """Return the topic `name` stands for (compared by key), if a live brief has it."""
        key = topic_key(name)
        return next((topic for topic in await self.topics() if topic.key == key), None)

    async def suggest(self, prefix: str, *, limit: int = 25) -> list[tuple[int, str]]:
        """Return (id, title) pairs for autocomplete.

        No words typed: the latest titles. A number (`42`, `#42`): that brief first, if live.
        Otherwise titles containing every word, the last one as a prefix, newest id first.
        """
        if limit <= 0:
            return []
        number = brief_number(prefix)
        found: list[tuple[int, str]] = []
        async with self._db.read() as conn:
            if number is not None:
                rows = await conn.fetch(
                    f"SELECT id, title FROM briefs WHERE id = ? AND {_LIVE}", number
                )
                found.extend((row["id"], row["title"]) for row in rows)
            titles = await self._db.search.titles(conn, prefix, limit=limit)
            if titles is None:
                titles = await conn.fetch(
                    f"SELECT id, title FROM briefs WHERE {_LIVE} {_NEWEST_FIRST} LIMIT ?", limit
                )
        seen = {brief_id for brief_id, _ in found}
        found.extend((row["id"], row["title"]) for row in titles if row["id"] not in seen)
        return found[:limit]

    async def find_duplicate(
        self, title: str, what_happened: str, *, exclude_id: int | None = None
    ) -> Brief | None:
        """Return the oldest live brief saying the same title and what-happened, if any.

        Comparison ignores case, spacing and punctuation, so a re-pasted brief is caught.
        """
        async with self._db.read() as conn:
            rows = await self._db.search.same_words(conn, title, what_happened)
        same = same_brief(rows, title, what_happened, exclude_id=exclude_id)
        return None if same is None else brief_of(same)

    async def find_stored(
        self,
        content: BriefContent,
        *,
        since: datetime,
        brief_id: int | None = None,
        created_by: int | None = None,
    ) -> Brief | None:
        """Return the live brief saying exactly this, added by `created_by` (or, with
        `brief_id`, that brief edited) since `since`: how a store whose commit was never
        confirmed is checked before it is tried again."""
        if brief_id is None:
            which, arg = self._db.dialect.same("created_by"), created_by
        else:
            which, arg = "id = ?", brief_id
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"{_SELECT} WHERE content_hash = ? AND COALESCE(updated_at, created_at) >= ?"
                f" AND {which} AND {_LIVE}"
                " ORDER BY id DESC LIMIT 1",
                content_key(content),
                since,
                arg,
            )
        return None if row is None else brief_of(row)

    async def history(self, brief_id: int) -> list[AuditEntry]:
        """Return every audited change to a brief, oldest first, even once it is deleted."""
        if not valid_id(brief_id):
            return []
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id, brief_id, action, actor_id, source, at, snapshot, note FROM audit_log"
                " WHERE brief_id = ? ORDER BY id",
                brief_id,
            )
        return [audit_entry(row) for row in rows]

    async def iter_all(self, *, batch: int = 500, retracted: bool = False) -> AsyncIterator[Brief]:
        """Yield every live brief (with `retracted`, retracted ones too), oldest id first,
        reading `batch` rows at a time.

        The database is free between batches, so the consumer may use it meanwhile.
        """
        if batch <= 0:
            raise ValueError("batch must be positive")
        which = "" if retracted else f" AND {_LIVE}"
        last = 0  # below every brief id
        while True:
            async with self._db.read() as conn:
                rows = await conn.fetch(
                    f"{_SELECT} WHERE id > ?{which} ORDER BY id LIMIT ?", last, batch
                )
            for row in rows:
                yield brief_of(row)
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    async def _is_live(self, conn: Connection, brief_id: int) -> bool:
        found = await conn.fetchval(f"SELECT 1 FROM briefs WHERE id = ? AND {_LIVE}", brief_id)
        return found is not None

    async def _stale(self, conn: Connection, brief_id: int) -> StaleEditError:
        """Describe who changed a brief last, and when."""
        row = await conn.fetchrow(
            "SELECT actor_id, source, at FROM audit_log"
            " WHERE brief_id = ? ORDER BY id DESC LIMIT 1",
            brief_id,
        )
        return StaleEditError(
            brief_id,
            changed_by=None if row is None else row["actor_id"],
            changed_at=None if row is None else row["at"],
            changed_via=None if row is None else row["source"],
        )

    async def _audit(
        self,
        conn: Connection,
        brief_id: int,
        action: str,
        actor_id: int | None,
        source: str | None,
        at: Any,
        record: str,
        note: str | None = None,
    ) -> None:
        await conn.execute(
            "INSERT INTO audit_log (brief_id, action, actor_id, source, at, snapshot, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            brief_id,
            action,
            actor_id,
            source,
            at,
            record,
            note,
        )
