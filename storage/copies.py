"""Keeping posted copies right: a machine of its own on the post log's rows. A copy is kept
(due once its brief is edited or retracted, leased while it is updated) until it shows a
retraction, or is lost in Discord."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from storage.base import Backend, Shards
from storage.models import PostedCopy, utcnow
from storage.post_rows import COPY, DUE, on_row, owned
from storage.sql import Connection


class CopyState(enum.StrEnum):
    """Why a copy is no longer kept right (none: it is)."""

    #: Deleted in Discord.
    GONE = "gone"
    #: Closed to the bot.
    UNREACHABLE = "unreachable"
    #: Shows its brief's retraction, which is final.
    RETRACTED = "retracted"


async def mark_copies_due(conn: Connection, brief_id: int, version: datetime) -> None:
    """Mark a brief's kept copies due to show `version`, its new `updated_at`, in the
    transaction that edits or retracts it: the correction keeper then reads only them."""
    await conn.execute(
        "UPDATE post_log SET due_version = ? WHERE brief_id = ? AND message_id IS NOT NULL"
        " AND copy_state IS NULL",
        version,
        brief_id,
    )


class Copies:
    """Posted copies that show an older version of their brief, leased a batch at a time and
    brought up to date, or let go."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def due(
        self, *, limit: int, lease: timedelta, shards: Shards | None = None
    ) -> list[PostedCopy]:
        """Lease up to `limit` posted copies that show an older version of their brief.

        A copy is leased to this caller for `lease`: other processes leave it alone until
        then (and take it over after, should this one die).
        """
        now = utcnow()
        ours, args = owned(self._db, shards, "p.guild_id")
        where = f"{DUE} AND (p.lease_until IS NULL OR p.lease_until < ?){ours}"
        args = [now, *args]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT {COPY} FROM post_log AS p"
                f" WHERE {where} ORDER BY p.due_version, p.guild_id LIMIT ?"
                f" {self._db.dialect.skip_locked('p')}",
                *args,
                limit,
            )
            await conn.executemany(
                "UPDATE post_log SET lease_until = ? WHERE channel_id = ? AND brief_id = ?"
                " AND (lease_until IS NULL OR lease_until < ?)",
                [(now + lease, row["channel_id"], row["brief_id"], now) for row in rows],
            )
        return [PostedCopy.model_validate(row) for row in rows]

    async def behind(self, guild_id: int) -> int:
        """Return how many of a guild's posted copies wait to show their brief's latest version."""
        hint = self._db.dialect.indexed_by("post_log_guild_due")  # not the guild's history
        async with self._db.read() as conn:
            return int(
                await conn.fetchval(
                    f"SELECT count(*) FROM post_log AS p {hint} WHERE p.guild_id = ? AND {DUE}",
                    guild_id,
                )
            )

    async def shown(
        self,
        channel_id: int,
        brief_id: int,
        *,
        shown_hash: str,
        shown_version: datetime | None,
        retracted: bool = False,
    ) -> None:
        """Record what a copy shows now (after an edit, or found unchanged); end its lease.

        It stays due if its brief was edited again since `shown_version` was read."""
        await on_row(
            self._db,
            "UPDATE post_log SET shown_hash = ?, shown_version = ?, lease_until = NULL,"
            " copy_state = ?, due_version = CASE WHEN due_version > ? THEN due_version END",
            shown_hash,
            shown_version,
            CopyState.RETRACTED if retracted else None,
            shown_version,
            row=(channel_id, brief_id),
        )

    async def lost(self, channel_id: int, brief_id: int, state: CopyState) -> None:
        """Stop keeping a copy right: GONE (deleted) or UNREACHABLE (closed to the bot)."""
        await on_row(
            self._db,
            "UPDATE post_log SET copy_state = ?, lease_until = NULL, due_version = NULL",
            state,
            row=(channel_id, brief_id),
        )

    async def release(self, channel_id: int, brief_id: int, *, retry_after: timedelta) -> None:
        """After a temporary failure, let the copy be tried again `retry_after` from now."""
        await on_row(
            self._db,
            "UPDATE post_log SET lease_until = ?",
            utcnow() + retry_after,
            row=(channel_id, brief_id),
        )
