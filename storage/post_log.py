"""The post log: a row per (channel, brief), claimed before a post is sent and recorded after,
so each brief is posted once per channel.

Its rows carry two more machines, kept apart: the posted copy kept right (storage/copies.py)
and its publishing to followers (storage/crossposts.py). Written once for every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from storage.base import Backend
from storage.crossposts import CrosspostState
from storage.models import (
    Delivery,
    PostedCopy,
    PostTrace,
    RejectedPost,
    Subscription,
    UnsentPost,
    utcnow,
)
from storage.post_rows import BEHIND, COPY, KEPT, UNSENT, on_row
from storage.queue import RETRY_REJECTED, Queue, move_back
from storage.schema import TOPICS_COLUMN, visible


class PostLog:
    """Which brief went to which channel: claims, posted messages, skips and rejections.

    A post is claimed, then sent (its message recorded), given back to be tried again,
    rejected by Discord (claimed again once the brief is edited), skipped, or given up.
    Its copy, once sent, is kept right by `Copies`; its publishing to followers is
    `Crossposts`'; what happened is told in the `DeliveryLog`.

    A row per (channel, brief): whichever subscriptions route a brief to a channel, it is
    posted there once. Each row names its guild and the subscription that claimed it.
    """

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def pending(
        self, subscription: Subscription, *, limit: int | None
    ) -> tuple[list[int], int]:
        """Return the oldest `limit` (None: every one) live briefs the subscription selects,
        published since it began and not posted to its channel yet, and how many there are
        (storage/queue.py)."""
        return await Queue(self._db).pending(subscription, limit=limit)

    async def claim(self, subscription: Subscription, brief_id: int) -> bool:
        """Reserve posting this brief to the subscription's channel; True only for the one
        caller that won (of every process, and every subscription routing it there).

        A post Discord rejected is claimed again once the brief was edited since.
        """
        now = utcnow()
        channel_id = subscription.channel_id
        async with self._db.transaction() as conn:
            if await conn.execute(
                "INSERT INTO post_log (channel_id, brief_id, guild_id, subscription_id,"
                " posted_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                channel_id,
                brief_id,
                subscription.guild_id,
                subscription.id,
                now,
                now,
            ):
                return True
            reclaimed = await conn.execute(
                "UPDATE post_log AS p SET rejected_at = NULL, rejected_reason = NULL,"
                " subscription_id = ?, posted_at = ?, claimed_at = ? FROM briefs AS b"
                " WHERE p.channel_id = ? AND p.brief_id = ? AND b.id = p.brief_id"
                f" AND p.message_id IS NULL AND {RETRY_REJECTED}",
                subscription.id,
                now,
                now,
                channel_id,
                brief_id,
            )
        return reclaimed == 1

    async def unsent(self, channel_id: int, *, stale_after: timedelta) -> list[UnsentPost]:
        """Return the channel's claims last attempted `stale_after` ago or more, never recorded.

        Their process died between claiming and recording (before or after the send
        reached Discord): they are retried with the same nonce, or given up.
        """
        # INDEXED BY (SQLite): else the primary key's channel prefix reads the channel's
        # whole history; post_log_unsent holds the unsent claims only.
        hint = self._db.dialect.indexed_by("post_log_unsent")
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT guild_id, brief_id, channel_id, COALESCE(claimed_at, posted_at)"
                f" AS claimed_at FROM post_log {hint} WHERE channel_id = ? AND {UNSENT}"
                " AND posted_at < ? ORDER BY brief_id",
                channel_id,
                utcnow() - stale_after,
            )
        return [UnsentPost.model_validate(row) for row in rows]

    async def retry(self, channel_id: int, brief_id: int, *, stale_after: timedelta) -> bool:
        """Take over an unsent claim for another attempt; True only for the one caller that won."""
        now = utcnow()
        won = await on_row(
            self._db,
            "UPDATE post_log SET posted_at = ?",
            now,
            row=(channel_id, brief_id),
            only=f"{UNSENT} AND posted_at < ?",
            only_args=(now - stale_after,),
        )
        return won == 1

    async def give_up(self, channel_id: int, brief_id: int) -> None:
        """Never post an unsent claim again (too old for its nonce to protect a retry)."""
        await on_row(
            self._db, "UPDATE post_log SET skipped = TRUE", row=(channel_id, brief_id), only=UNSENT
        )

    async def record_message(
        self,
        subscription: Subscription,
        brief_id: int,
        message_id: int,
        *,
        thread_id: int | None = None,
        shown_hash: str | None = None,
        shown_version: datetime | None = None,
        crosspost: bool = False,
    ) -> None:
        """Store the posted message's id (and its thread's) and what it shows (to keep it
        right later).

        `shown_version` is the brief's `updated_at` the message was rendered from; with
        `crosspost`, publishing it to following servers is queued (see `Crossposts.due`).
        """
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET message_id = ?, thread_id = ?, posted_at = ?,"
                " shown_hash = ?, shown_version = ?, crosspost_state = ?"
                " WHERE channel_id = ? AND brief_id = ?",
                message_id,
                thread_id,
                now,
                shown_hash,
                shown_version,
                CrosspostState.PENDING if crosspost else None,
                subscription.channel_id,
                brief_id,
            )
            # Edited or retracted while it was being sent: due at once.
            await conn.execute(
                "UPDATE post_log AS p SET due_version = b.updated_at FROM briefs AS b"
                " WHERE p.channel_id = ? AND p.brief_id = ? AND b.id = p.brief_id"
                f" AND {KEPT} AND {BEHIND}",
                subscription.channel_id,
                brief_id,
            )
            await conn.execute(
                "UPDATE subscriptions SET last_post_at = ?, last_error = NULL WHERE id = ?",
                now,
                subscription.id,
            )

    async def posted_times(self, subscription_id: int, since: datetime) -> list[datetime]:
        """Return when the subscription's posts (and claims in flight) since then were made,
        oldest first: when its daily cap lets the next one go."""
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT posted_at FROM post_log WHERE subscription_id = ? AND posted_at > ?"
                " AND skipped = FALSE AND rejected_at IS NULL ORDER BY posted_at",
                subscription_id,
                since,
            )
        return [row["posted_at"] for row in rows]

    async def release(self, channel_id: int, brief_id: int) -> None:
        """Give back a claim whose send failed in a retryable way, so it is tried again."""
        async with self._db.transaction() as conn:
            given_back = await conn.execute(
                "DELETE FROM post_log WHERE channel_id = ? AND brief_id = ?"
                " AND message_id IS NULL AND skipped = FALSE",
                channel_id,
                brief_id,
            )
            if given_back:
                await move_back(conn, channel_id, brief_id)

    async def reject(self, channel_id: int, brief_id: int, reason: str) -> None:
        """Keep a claim Discord refused, with why: not retried until the brief is edited."""
        await on_row(
            self._db,
            "UPDATE post_log SET rejected_at = ?, rejected_reason = ?",
            utcnow(),
            reason,
            row=(channel_id, brief_id),
            only="message_id IS NULL",
        )

    async def rejected(self, channel_id: int, *, limit: int = 10) -> list[RejectedPost]:
        """Return the channel's rejected posts of live briefs, newest first."""
        hint = self._db.dialect.indexed_by("post_log_rejected")  # not the channel's history
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT p.brief_id, p.rejected_reason AS reason, p.rejected_at AS at,"
                f" {RETRY_REJECTED} AS retrying FROM post_log AS p {hint}"
                " JOIN briefs AS b ON b.id = p.brief_id"
                f" WHERE p.channel_id = ? AND p.rejected_at IS NOT NULL AND {visible('b')}"
                " ORDER BY p.rejected_at DESC LIMIT ?",
                channel_id,
                limit,
            )
        return [RejectedPost.model_validate(row) for row in rows]

    async def skip(self, subscription: Subscription, brief_ids: Sequence[int]) -> None:
        """Mark briefs as never to be posted to the subscription's channel (beyond the
        catch-up cap, or removed before they could be)."""
        if not brief_ids:
            return
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO post_log (channel_id, brief_id, guild_id, subscription_id,"
                " posted_at, skipped) VALUES (?, ?, ?, ?, ?, TRUE) ON CONFLICT DO NOTHING",
                [
                    (subscription.channel_id, brief_id, subscription.guild_id, subscription.id, now)
                    for brief_id in brief_ids
                ],
            )

    async def trace(self, guild_id: int, brief_id: int) -> PostTrace | None:
        """Return a brief, live or retracted, with what the post log holds of it in the
        guild's channels (`/autopost why`); None if no such brief was ever stored, or it is
        held until its release time (or was withdrawn then): nobody but publishers sees it."""
        async with self._db.read() as conn:
            brief = await conn.fetchrow(
                "SELECT id AS brief_id, title, tags, created_at, deleted_at, backfill FROM briefs"
                " WHERE id = ? AND release_at IS NULL AND review IS NULL",
                brief_id,
            )
            if brief is None:
                return None
            rows = await conn.fetch(
                "SELECT p.channel_id, p.subscription_id, p.thread_id, p.message_id,"
                " p.posted_at, p.skipped, p.rejected_at, p.rejected_reason, p.copy_state,"
                f" {RETRY_REJECTED} AS retrying FROM post_log AS p"
                " JOIN briefs AS b ON b.id = p.brief_id"
                " WHERE p.guild_id = ? AND p.brief_id = ? ORDER BY p.channel_id",
                guild_id,
                brief_id,
            )
        return PostTrace.model_validate({**brief, "topics": brief[TOPICS_COLUMN], "records": rows})

    async def deliveries(self, brief_id: int) -> list[Delivery]:
        """Return what the post log holds of a brief in every channel (the API's GET)."""
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT p.guild_id, p.channel_id, p.subscription_id, p.thread_id, p.message_id,"
                " p.posted_at, p.skipped, p.rejected_at, p.rejected_reason, p.copy_state,"
                f" {RETRY_REJECTED} AS retrying FROM post_log AS p"
                " JOIN briefs AS b ON b.id = p.brief_id"
                " WHERE p.brief_id = ? ORDER BY p.guild_id, p.channel_id",
                brief_id,
            )
        return [Delivery.model_validate(row) for row in rows]

    async def copy(self, channel_id: int, brief_id: int) -> PostedCopy | None:
        """Return the message a brief was posted as in a channel, if it was."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {COPY} FROM post_log AS p WHERE p.channel_id = ? AND p.brief_id = ?"
                " AND p.message_id IS NOT NULL",
                channel_id,
                brief_id,
            )
        return None if row is None else PostedCopy.model_validate(row)
