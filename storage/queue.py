"""The delivery queue: the briefs a subscription has still to post, read from its mark.

Every brief numbered up to a subscription's `queue_from` is settled for it: posted or skipped
(a post log row), retracted, stored before it began, or not one its topics select. A round
reads only what may have changed since: briefs numbered past the mark, briefs edited since
the last round looked (a new topic may select one), briefs released since then (held under an
older number until their time), and refused posts of edited briefs. So its
work follows what was published, not the size of the library. Whatever unsettles a brief again
(a claim given back, an edit of the subscription) moves the mark back and counts in
`queue_version`, so a round that read the mark before never moves it past that brief.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.base import Backend
from storage.models import Subscription, utcnow
from storage.schema import visible
from storage.sql import Connection

#: Edits read again on top of the last round's, in case processes' clocks differ a little.
CLOCK_MARGIN = timedelta(minutes=1)
#: How stale the time a round last looked may grow before an unmoved mark is written anyway.
RESCAN_AFTER = timedelta(minutes=10)

#: A post Discord refused, tried again once its brief was edited since.
RETRY_REJECTED = (
    "(p.rejected_at IS NOT NULL AND b.updated_at IS NOT NULL AND b.updated_at > p.rejected_at)"
)
#: Not posted to the channel yet (a refused post of an edited brief counts as not posted).
_UNPOSTED = (
    "NOT EXISTS (SELECT 1 FROM post_log AS p"
    f" WHERE p.channel_id = ? AND p.brief_id = b.id AND NOT {RETRY_REJECTED})"
)
#: The mark of a subscription beginning at `since` (one argument): just before the first live
#: brief stored after it, or the newest brief when there is none.
MARK_SINCE = (
    "(SELECT coalesce(min(b.id) - 1, (SELECT coalesce(max(id), 0) FROM briefs))"
    f" FROM briefs AS b WHERE {visible('b')} AND b.created_at > ?)"
)


def _candidates(db: Backend) -> str:
    """Return the query of the briefs a round looks at, with their topics, in number order."""
    # A feed's backlog, stored when the feed was added, is shown but never auto-posted.
    live = f"{visible('b')} AND NOT b.backfill"
    # SQLite, planning without statistics, would rather walk every number below the mark, or
    # the channel's whole post history, than these indexes of the few rows that changed.
    edited = db.dialect.indexed_by("briefs_updated")
    released = db.dialect.indexed_by("briefs_released")
    refused = db.dialect.indexed_by("post_log_rejected")
    return (
        "SELECT b.id, b.tags FROM briefs AS b WHERE b.id IN ("
        f"SELECT b.id FROM briefs AS b WHERE b.id > ? AND {live} AND b.created_at > ?"
        f" AND {_UNPOSTED}"
        f" UNION SELECT b.id FROM briefs AS b {edited} WHERE b.updated_at > ? AND b.id <= ?"
        f" AND {live}"
        f" AND b.created_at > ? AND {_UNPOSTED}"
        # Released since the round looked: held under an older number, stored (as released)
        # just now.
        f" UNION SELECT b.id FROM briefs AS b {released} WHERE b.released_at > ? AND b.id <= ?"
        f" AND {live} AND {_UNPOSTED}"
        f" UNION SELECT p.brief_id FROM post_log AS p {refused}"
        " JOIN briefs AS b ON b.id = p.brief_id"
        f" WHERE p.channel_id = ? AND p.rejected_at IS NOT NULL AND p.message_id IS NULL"
        f" AND {RETRY_REJECTED} AND {live}"
        ") ORDER BY b.id"
    )


async def move_back(conn: Connection, channel_id: int, brief_id: int) -> None:
    """Unsettle a brief for the subscriptions posting to a channel, in the transaction that
    gave its claim back, so the next round looks at it again; a round that read their marks
    before (whether past the brief yet or not) then moves none of them."""
    await conn.execute(
        "UPDATE subscriptions SET queue_version = queue_version + 1,"
        " queue_from = CASE WHEN queue_from >= ? THEN ? ELSE queue_from END WHERE channel_id = ?",
        brief_id,
        brief_id - 1,
        channel_id,
    )


class Queue:
    """Reads a subscription's queue from its mark, and moves the mark past what is settled."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def pending(
        self, subscription: Subscription, *, limit: int | None
    ) -> tuple[list[int], int]:
        """Return the oldest `limit` (None: every one) live briefs the subscription selects,
        published since it began and not posted to its channel yet, and how many there are."""
        async with self._db.read() as conn:
            mark = await conn.fetchrow(
                "SELECT queue_from, queue_version, queue_scanned_at, subscribed_at, channel_id"
                " FROM subscriptions WHERE id = ?",
                subscription.id,
            )
            if mark is None:  # removed meanwhile
                return [], 0
            # The newest number first: every brief up to it is in what the query reads next.
            top = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM briefs"))
            looked = utcnow()
            rows = await conn.fetch(_candidates(self._db), *self._arguments(subscription, mark))
        selected = [int(row["id"]) for row in rows if subscription.selects(row["tags"])]
        await self._advance(subscription, mark, (top, looked), selected)
        return (selected if limit is None else selected[: max(limit, 0)]), len(selected)

    @staticmethod
    def _arguments(subscription: Subscription, mark: dict[str, Any]) -> list[Any]:
        """Return the candidates query's arguments for this subscription and its mark."""
        since, channel = subscription.subscribed_at, subscription.channel_id
        scanned = mark["queue_scanned_at"]
        edited_since = None if scanned is None else scanned - CLOCK_MARGIN
        released_since = since if edited_since is None else max(since, edited_since)
        return [
            mark["queue_from"], since, channel,
            edited_since, mark["queue_from"], since, channel,
            released_since, mark["queue_from"], channel,
            channel,
        ]  # fmt: skip

    async def _advance(
        self,
        subscription: Subscription,
        mark: dict[str, Any],
        read: tuple[int, datetime],
        selected: list[int],
    ) -> None:
        """Move the mark to just before the first brief still to post (or to the newest brief
        read), unless it was moved back since it was read."""
        top, looked = read
        stored = (mark["subscribed_at"], mark["channel_id"])
        if stored != (subscription.subscribed_at, subscription.channel_id):
            return  # read as an older (or other) version of it: settles nothing of the stored one
        new = min(selected[0] - 1, top) if selected else top
        scanned = mark["queue_scanned_at"]
        fresh = scanned is not None and looked - scanned < RESCAN_AFTER
        if new == mark["queue_from"] and fresh:
            return
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE subscriptions SET queue_from = ?, queue_scanned_at = ?"
                " WHERE id = ? AND queue_version = ?",
                new,
                looked,
                subscription.id,
                mark["queue_version"],
            )
