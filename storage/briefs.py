"""Briefs: newest-first listing, search, topics, autocomplete and history; the writes, with
their audit trail, are `storage.writing`'s.

Written once for every backend (storage/base.py says what a backend provides).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from storage.base import (
    BRIEF_COLUMNS,
    SEARCH_CANDIDATES,
    SEARCH_COUNT_CAP,
    Backend,
    content_key,
    same_brief,
    valid_id,
)
from storage.models import (
    AuditEntry,
    Brief,
    BriefContent,
    Retraction,
    SearchHit,
    brief_number,
)
from storage.reviewing import ReviewWriter
from storage.rows import audit_entry, brief_of
from storage.schema import KEPT, scheduled, visible
from storage.topics import TopicCount, tally, topic_key

#: Rows whose content hash one pass of `fill_content_keys` computes.
FILL_BATCH = 1000
#: Longest the topic tally is reused without being recounted, however unchanged the library
#: looks: bounds what a race between two processes' writes could leave out of it.
TOPICS_TTL_SECONDS = 60.0

_SELECT = f"SELECT {', '.join(BRIEF_COLUMNS)} FROM briefs"
_LIVE = visible()
_HELD = scheduled()
#: Most held briefs `suggest_held` looks through (the soonest due): a newsroom holds a few.
HELD_SUGGESTIONS = 1000
_NEWEST_FIRST = "ORDER BY COALESCE(published_at, created_at) DESC, id DESC"


@dataclass(frozen=True)
class _Tally:
    """The topics as counted at one state of the library (its latest audit entry)."""

    version: int
    until: float
    topics: list[TopicCount]


class Briefs(ReviewWriter):
    """Everything the bot does with briefs, as short transactions on one database.

    Its writes announce nothing: entry points publish, correct and retract through
    `storage.publishing.Publisher`, which runs them and then announces the change.
    """

    def __init__(self, db: Backend) -> None:
        super().__init__(db)
        self._tally: _Tally | None = None

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

    async def get(self, brief_id: int, *, held: bool = False) -> Brief | None:
        """Return a live brief, or None if it never existed, was deleted or is held until its
        release time; with `held` (for publishers), a held one too (`release_at` says so)."""
        if not valid_id(brief_id):
            return None
        which = KEPT if held else _LIVE
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"{_SELECT} WHERE id = ? AND {which}", brief_id)
        return None if row is None else brief_of(row)

    async def scheduled(self, *, limit: int, offset: int = 0) -> list[Brief]:
        """Return held briefs, the soonest due first (a page of `limit` from `offset`)."""
        if limit <= 0:
            return []
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"{_SELECT} WHERE {_HELD} ORDER BY release_at, id LIMIT ? OFFSET ?",
                limit,
                max(offset, 0),
            )
        return [brief_of(row) for row in rows]

    async def next_release(self) -> datetime | None:
        """Return when the soonest held brief is due (None: none is held)."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT release_at FROM briefs WHERE {_HELD} ORDER BY release_at LIMIT 1"
            )
        return None if row is None else row["release_at"]

    async def scheduled_count(self) -> int:
        """Return how many briefs are held until their release time."""
        async with self._db.read() as conn:
            return int(await conn.fetchval(f"SELECT count(*) FROM briefs WHERE {_HELD}"))

    async def suggest_held(self, prefix: str, *, limit: int = 25) -> list[Brief]:
        """Return held briefs for autocomplete, soonest due first: the one numbered `prefix`
        (`42`, `#42`), else those whose title holds every word typed (the last as a prefix)."""
        if limit <= 0:
            return []
        number = brief_number(prefix)
        if number is not None:
            brief = await self.get(number, held=True)
            return [brief] if brief is not None and brief.release_at is not None else []
        words = prefix.casefold().split()
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"{_SELECT} WHERE {_HELD} ORDER BY release_at, id LIMIT ?", HELD_SUGGESTIONS
            )
        found = [brief_of(row) for row in rows]
        return [b for b in found if all(word in b.title.casefold() for word in words)][:limit]

    async def retraction(self, brief_id: int) -> Retraction | None:
        """Return what a deleted brief's copies say of it, or None if it is live or unknown (or
        was withdrawn while held or in review: nobody saw it, so nothing is said of it)."""
        if not valid_id(brief_id):
            return None
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT id AS brief_id, title, retraction AS reason, deleted_at AS at FROM briefs"
                " WHERE id = ? AND deleted_at IS NOT NULL"
                " AND release_at IS NULL AND review IS NULL",
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

    async def by_external(self, source_name: str, external_id: str) -> Brief | None:
        """Return the brief a source knows by `external_id`, retracted ones included (their
        `retracted_at` says so), or None."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"{_SELECT} WHERE source_name = ? AND external_id = ?", source_name, external_id
            )
        return None if row is None else brief_of(row)

    async def history(self, brief_id: int) -> list[AuditEntry]:
        """Return every audited change to a brief, oldest first, even once it is deleted."""
        if not valid_id(brief_id):
            return []
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id, brief_id, action, actor_id, source, source_label, at, snapshot, note"
                " FROM audit_log"
                " WHERE brief_id = ? ORDER BY id",
                brief_id,
            )
        return [audit_entry(row) for row in rows]

    async def iter_all(
        self, *, batch: int = 500, retracted: bool = False, held: bool = False
    ) -> AsyncIterator[Brief]:
        """Yield every live brief (with `retracted`, retracted ones too; with `held`, those
        held until their release time or in review, and those withdrawn then, too), oldest id
        first, reading `batch` rows at a time.

        The database is free between batches, so the consumer may use it meanwhile.
        """
        if batch <= 0:
            raise ValueError("batch must be positive")
        kept = [] if retracted else [KEPT]
        if not held:
            kept.append("release_at IS NULL AND review IS NULL")
        which = "".join(f" AND {condition}" for condition in kept)
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
