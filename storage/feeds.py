"""Feeds: sources whose briefs come from polling an RSS, Atom or JSON Feed URL.

A feed is stored with its source (storage/sources.py), in one transaction, and removed with
it. What a poll needs between runs lives here, not in memory: the next due time (so a restart
does not fetch everything again), what a conditional request sends back, the lease that lets
one process of several fetch it, and how its polls went. `known` tells a poll which of its
items are already briefs, through the briefs_external index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from storage.base import Backend
from storage.errors import FeedExistsError, SourceExistsError
from storage.models import utcnow
from storage.schema import visible
from storage.sources import check_name
from storage.sql import Connection, Row

#: Most external ids one `known` query asks for.
KNOWN_CHUNK = 500

_FEED_COLUMNS = (
    "source_name, url, interval_seconds, fixed_topics, etag, last_modified, next_due_at,"
    " last_fetch_at, last_status, last_error, failing_since, failures, paused_at,"
    " pause_reason, added_at, added_by, seeded_at"
)
#: A feed's columns with its source's label and review flag, on the feeds row's own name (an
#: UPDATE's RETURNING may name no other table, so they are subqueries).
_SOURCE = "FROM sources AS s WHERE s.name = feeds.source_name"
_RECORD = (
    f"{_FEED_COLUMNS}, (SELECT s.label {_SOURCE}) AS label,"
    f" (SELECT s.requires_review {_SOURCE}) AS requires_review"
)
#: A feed whose lease is free: never leased, or its lease ran out.
_FREE = "(lease_until IS NULL OR lease_until < ?)"


@dataclass(frozen=True)
class FeedRecord:
    """One stored feed."""

    source: str
    label: str | None
    url: str
    interval: timedelta
    #: Topics added to every item of the feed.
    topics: list[str]
    etag: str | None
    last_modified: str | None
    next_due_at: datetime
    last_fetch_at: datetime | None
    last_status: str | None
    last_error: str | None
    failing_since: datetime | None
    failures: int
    paused_at: datetime | None
    pause_reason: str | None
    added_at: datetime
    added_by: int | None
    #: When a first successful fetch stored the items already in the feed (None: not yet).
    seeded_at: datetime | None
    #: Whether its source's new briefs wait for an editor's approval (drafts).
    requires_review: bool = False

    @property
    def paused(self) -> bool:
        """Say whether the feed is paused (never polled until resumed)."""
        return self.paused_at is not None


@dataclass(frozen=True)
class FeedResult:
    """What one poll of a feed learned, recorded by `Feeds.finish`."""

    fetched_at: datetime
    #: What the poll ended in, as the poller names it ("200", "304", "timeout", …).
    status: str
    error: str | None
    #: What the next conditional request sends back (stored as given).
    etag: str | None
    last_modified: str | None
    next_due_at: datetime
    failures: int
    failing_since: datetime | None
    #: A permanent redirect's new URL (None: unchanged).
    url: str | None = None
    #: Set: the feed is paused from `fetched_at`, for this reason.
    paused_reason: str | None = None
    #: The items the feed held were stored: its seeding is done (kept if done before).
    seeded: bool = False


@dataclass(frozen=True)
class KnownItem:
    """A feed item already stored as a brief of its source."""

    brief_id: int
    #: The brief's content hash: `storage.base.content_key` of its content.
    content_hash: str
    created_at: datetime
    retracted: bool


def _record(row: Row) -> FeedRecord:
    return FeedRecord(
        source=row["source_name"],
        label=row["label"],
        url=row["url"],
        interval=timedelta(seconds=row["interval_seconds"]),
        topics=list(row["fixed_topics"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_due_at=row["next_due_at"],
        last_fetch_at=row["last_fetch_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        failing_since=row["failing_since"],
        failures=row["failures"],
        paused_at=row["paused_at"],
        pause_reason=row["pause_reason"],
        added_at=row["added_at"],
        added_by=row["added_by"],
        seeded_at=row["seeded_at"],
        requires_review=bool(row["requires_review"]),
    )


class Feeds:
    """The feeds repository."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(
        self,
        name: str,
        url: str,
        *,
        label: str | None = None,
        interval: timedelta,
        topics: Sequence[str] = (),
        added_by: int | None = None,
        due_at: datetime | None = None,
    ) -> FeedRecord:
        """Store a new feed and its source in one transaction, due at `due_at` (None: now).

        SourceExistsError if the name is taken, FeedExistsError if another feed has the URL.
        """
        check_name(name)
        seconds = round(interval.total_seconds())
        if seconds <= 0:
            raise ValueError("a feed's interval must be at least a second")
        now = utcnow()
        async with self._db.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM sources WHERE name = ?", name) is not None:
                raise SourceExistsError(f"a source named {name!r} already exists")
            other = await conn.fetchval("SELECT source_name FROM feeds WHERE url = ?", url)
            if other is not None:
                raise FeedExistsError(str(other))
            await conn.execute(
                "INSERT INTO sources (name, label, added_at) VALUES (?, ?, ?)", name, label, now
            )
            row = await conn.fetchrow(
                "INSERT INTO feeds (source_name, url, interval_seconds, fixed_topics,"
                " next_due_at, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?)"
                f" RETURNING {_RECORD}",
                name,
                url,
                seconds,
                list(topics),
                due_at or now,
                now,
                added_by,
            )
        assert row is not None
        return _record(row)

    async def get(self, name: str) -> FeedRecord | None:
        """Return the feed called `name`, or None."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"SELECT {_RECORD} FROM feeds WHERE source_name = ?", name)
        return None if row is None else _record(row)

    async def remove(self, name: str) -> bool:
        """Remove a feed with its source and the source's tokens (its briefs stay, still
        naming it); False if there is no such feed."""
        async with self._db.transaction() as conn:
            if not await conn.execute("DELETE FROM feeds WHERE source_name = ?", name):
                return False
            await conn.execute("DELETE FROM tokens WHERE source_name = ?", name)
            await conn.execute("DELETE FROM sources WHERE name = ?", name)
        return True

    async def pause(self, name: str, reason: str) -> FeedRecord | None:
        """Stop polling a feed until it is resumed (a paused one keeps its first pause's
        time and reason); None if there is no such feed."""
        return await self._change(
            "paused_at = COALESCE(paused_at, ?), pause_reason = COALESCE(pause_reason, ?)",
            name,
            utcnow(),
            reason,
        )

    async def resume(self, name: str) -> FeedRecord | None:
        """Poll a feed again, at once and with its failures forgotten; None if absent."""
        return await self._change(
            "paused_at = NULL, pause_reason = NULL, failures = 0, failing_since = NULL,"
            " next_due_at = ?",
            name,
            utcnow(),
        )

    async def bring_forward(self) -> int:
        """Make every unpaused feed due now (`feeds poll --all`); return how many."""
        async with self._db.transaction() as conn:
            return await conn.execute(
                "UPDATE feeds SET next_due_at = ? WHERE paused_at IS NULL", utcnow()
            )

    async def claim_due(
        self, *, limit: int, lease: timedelta, everything: bool = False
    ) -> list[FeedRecord]:
        """Lease up to `limit` unpaused feeds that are due (with `everything`, due or not)
        and not leased to another poller, the longest due first, for `lease`.

        Safe with several processes on one database: PostgreSQL passes over the rows another
        claim holds, and the update checks the lease again, so no feed goes to two claimers.
        """
        if limit <= 0:
            return []
        now = utcnow()
        due = "" if everything else " AND next_due_at <= ?"
        args = [now] if everything else [now, now]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT source_name FROM feeds WHERE paused_at IS NULL{due} AND {_FREE}"
                f" ORDER BY next_due_at LIMIT ? {self._db.dialect.skip_locked('feeds')}",
                *args,
                limit,
            )
            names = [row["source_name"] for row in rows]
            if not names:
                return []
            claimed = await conn.fetch(
                f"UPDATE feeds SET lease_until = ? WHERE {self._db.dialect.any_of('source_name')}"
                f" AND paused_at IS NULL AND {_FREE} RETURNING {_RECORD}",
                now + lease,
                names,
                now,
            )
        records = [_record(row) for row in claimed]
        return sorted(records, key=lambda record: (record.next_due_at, record.source))

    async def finish(self, name: str, result: FeedResult) -> FeedRecord | None:
        """Record one poll's result and end the feed's lease, in one statement; None if the
        feed is gone. A new URL another feed already has is not taken: the old one stays."""
        return await self._change(
            f"{_FINISHED}, url = COALESCE(CASE WHEN NOT EXISTS"
            " (SELECT 1 FROM feeds AS o WHERE o.url = ?) THEN CAST(? AS TEXT) END, url)",
            name,
            *_finished(result),
            result.url,
            result.url,
        )

    async def finish_many(self, results: Sequence[tuple[str, FeedResult]]) -> None:
        """Record a round's results (none moving its feed's URL: `finish` does that) and end
        their leases, in one transaction; `applied` says what each feed then is."""
        if any(result.url is not None for _, result in results):
            raise ValueError("a result that moves its feed is recorded by finish")
        if not results:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                f"UPDATE feeds SET {_FINISHED} WHERE source_name = ?",
                [(*_finished(result), name) for name, result in results],
            )

    async def known(self, source: str, keys: Sequence[str]) -> dict[str, KnownItem]:
        """Return the briefs of `source` stored under these external ids, by id: a poll's
        items already stored, read through the briefs_external index a chunk at a time."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, KnownItem] = {}
        async with self._db.read() as conn:
            for start in range(0, len(wanted), KNOWN_CHUNK):
                found.update(await _known(conn, source, wanted[start : start + KNOWN_CHUNK]))
        return found

    # Last: below it, `list` in an annotation would name this method.
    async def list(self) -> list[FeedRecord]:
        """Return every feed, by name."""
        async with self._db.read() as conn:
            rows = await conn.fetch(f"SELECT {_RECORD} FROM feeds ORDER BY source_name")
        return [_record(row) for row in rows]

    async def _change(self, assignments: str, name: str, *args: object) -> FeedRecord | None:
        """Set `assignments` on one feed in one statement; return it as it now is."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE feeds SET {assignments} WHERE source_name = ? RETURNING {_RECORD}",
                *args,
                name,
            )
        return None if row is None else _record(row)


#: What recording a poll's result sets (the arguments: `_finished`).
_FINISHED = (
    "last_fetch_at = ?, last_status = ?, last_error = ?, etag = ?, last_modified = ?,"
    " next_due_at = ?, failures = ?, failing_since = ?,"
    " paused_at = COALESCE(paused_at, ?), pause_reason = COALESCE(pause_reason, ?),"
    " seeded_at = COALESCE(seeded_at, ?), lease_until = NULL"
)


def _finished(result: FeedResult) -> tuple[object, ...]:
    paused_at = None if result.paused_reason is None else result.fetched_at
    seeded_at = result.fetched_at if result.seeded else None
    return (
        result.fetched_at,
        result.status,
        result.error,
        result.etag,
        result.last_modified,
        result.next_due_at,
        result.failures,
        result.failing_since,
        paused_at,
        result.paused_reason,
        seeded_at,
    )


def applied(feed: FeedRecord, result: FeedResult) -> FeedRecord:
    """Return a feed as `finish_many` leaves it after `result` (its URL unchanged)."""
    pausing = result.paused_reason is not None
    return replace(
        feed,
        last_fetch_at=result.fetched_at,
        last_status=result.status,
        last_error=result.error,
        etag=result.etag,
        last_modified=result.last_modified,
        next_due_at=result.next_due_at,
        failures=result.failures,
        failing_since=result.failing_since,
        paused_at=feed.paused_at or (result.fetched_at if pausing else None),
        pause_reason=feed.pause_reason or result.paused_reason,
        seeded_at=feed.seeded_at or (result.fetched_at if result.seeded else None),
    )


async def _known(conn: Connection, source: str, keys: Sequence[str]) -> dict[str, KnownItem]:
    """Return the briefs of `source` stored under these external ids (one query)."""
    slots = ", ".join("?" * len(keys))
    rows = await conn.fetch(
        f"SELECT external_id, id AS brief_id, content_hash, created_at, {visible()} AS live"
        f" FROM briefs WHERE source_name = ? AND external_id IN ({slots})",
        source,
        *keys,
    )
    return {
        row["external_id"]: KnownItem(
            brief_id=row["brief_id"],
            content_hash=row["content_hash"],
            created_at=row["created_at"],
            retracted=not row["live"],
        )
        for row in rows
    }
