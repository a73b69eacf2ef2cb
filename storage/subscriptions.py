"""Auto-post subscriptions (many per guild), and the post log that makes each post happen
exactly once per channel.

Written once for every backend (storage/base.py says what a backend provides).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.base import COLUMNS, Backend, Shards
from storage.errors import AmbiguousSubscriptionError, SubscriptionLimitError
from storage.models import (
    MAX_SUBSCRIPTIONS,
    DeliveryEvent,
    PostedCopy,
    PostTrace,
    RejectedPost,
    Subscription,
    SubscriptionOptions,
    UnsentPost,
    utcnow,
)
from storage.queue import MARK_SINCE, RETRY_REJECTED, Queue, move_back
from storage.schema import visible
from storage.sql import Connection

_SUBSCRIPTION = ", ".join(COLUMNS["subscriptions"])
#: Delivery log lines kept per guild.
LOG_KEPT = 200
#: A claim whose message was never recorded (nor skipped nor rejected).
_UNSENT = "message_id IS NULL AND skipped = FALSE AND rejected_at IS NULL"
#: A posted copy still kept right (not deleted, closed to the bot, or retracted already).
_KEPT = "p.message_id IS NOT NULL AND p.copy_state IS NULL"
#: A kept copy shows an older version of its brief than the stored one.
_BEHIND = "b.updated_at IS NOT NULL AND (p.shown_version IS NULL OR p.shown_version < b.updated_at)"
#: A kept copy waits to show the version `due_version` names (`_BEHIND`, kept in the row by
#: `mark_copies_due`, `record_message` and `copy_shown`, so reading it needs no join with briefs:
#: post_log_due and post_log_guild_due index exactly these rows).
_DUE = "p.due_version IS NOT NULL"
_COPY = "p.guild_id, p.brief_id, p.channel_id, p.thread_id, p.message_id, p.shown_hash"
#: When an edited subscription begins (two arguments: its channel, now): afresh when it was
#: paused or moved, else as before; its queue is read again from then (a new topic may select
#: briefs it passed over).
_SINCE_EDIT = "CASE WHEN paused_at IS NOT NULL OR channel_id <> ? THEN ? ELSE subscribed_at END"
_MARK_EDIT = MARK_SINCE.replace("?", _SINCE_EDIT)
#: The options a subscription's edit may change, as stored.
_OPTIONS = tuple(SubscriptionOptions.model_fields)


def _owned(db: Backend, shards: Shards | None, guild_id: str) -> tuple[str, list[Any]]:
    """Return the condition (with its leading AND) keeping the rows whose guild, in column
    `guild_id`, these shards own, by Discord's formula (`Shards.owns`) in SQL, and its
    arguments; nothing when every shard is served."""
    if shards is None:
        return "", []
    owned = db.dialect.any_of(f"(({guild_id} >> 22) % ?)")
    return f" AND {owned}", [shards.count, list(shards.ids)]


async def mark_copies_due(conn: Connection, brief_id: int, version: datetime) -> None:
    """Mark a brief's kept copies due to show `version`, its new `updated_at`, in the
    transaction that edits or retracts it: the correction keeper then reads only them."""
    await conn.execute(
        "UPDATE post_log SET due_version = ? WHERE brief_id = ? AND message_id IS NOT NULL"
        " AND copy_state IS NULL",
        version,
        brief_id,
    )


def _stored(options: SubscriptionOptions) -> list[Any]:
    """Return the options as stored, in `_OPTIONS` order (topics as JSON text)."""
    values = options.model_dump()
    values["topics"] = json.dumps(values["topics"], ensure_ascii=False)
    values["match"] = str(values["match"])
    return [values[name] for name in _OPTIONS]


class Subscriptions:
    """Where each guild wants briefs posted (up to MAX_SUBSCRIPTIONS destinations), and
    whether posting to each is paused."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(self, guild_id: int, options: SubscriptionOptions) -> Subscription:
        """Post matching briefs published from now on (no backlog) as `options` say.

        Raises SubscriptionLimitError when the guild has MAX_SUBSCRIPTIONS already.
        """
        async with self._db.transaction() as conn:
            await self._db.lock_guild(conn, guild_id)
            return await self._insert(conn, guild_id, options)

    async def _insert(
        self, conn: Connection, guild_id: int, options: SubscriptionOptions
    ) -> Subscription:
        """Insert a subscription unless the guild has MAX_SUBSCRIPTIONS; the caller holds the
        guild's lock (`Backend.lock_guild`), so the count is still true when the row goes in."""
        columns = ", ".join(_OPTIONS)
        slots = ", ".join("?" for _ in _OPTIONS)
        now = utcnow()
        row = await conn.fetchrow(
            f"INSERT INTO subscriptions (guild_id, subscribed_at, queue_from, {columns})"
            f" SELECT ?, ?, {MARK_SINCE}, {slots}"
            " WHERE (SELECT count(*) FROM subscriptions WHERE guild_id = ?) < ?"
            f" RETURNING {_SUBSCRIPTION}",
            guild_id,
            now,
            now,
            *_stored(options),
            guild_id,
            MAX_SUBSCRIPTIONS,
        )
        if row is None:
            raise SubscriptionLimitError(
                f"this server has {MAX_SUBSCRIPTIONS} subscriptions already, the most it may have"
            )
        return Subscription.model_validate(row)

    async def get(self, subscription_id: int) -> Subscription | None:
        """Return one subscription, or None."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE id = ?", subscription_id
            )
        return None if row is None else Subscription.model_validate(row)

    async def of_guild(self, guild_id: int) -> list[Subscription]:
        """Return a guild's subscriptions, oldest first."""
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE guild_id = ? ORDER BY id",
                guild_id,
            )
        return [Subscription.model_validate(row) for row in rows]

    async def first(self, guild_id: int) -> Subscription | None:
        """Return a guild's oldest subscription, or None if it has none."""
        subscriptions = await self.of_guild(guild_id)
        return subscriptions[0] if subscriptions else None

    async def edit(self, subscription_id: int, options: SubscriptionOptions) -> Subscription | None:
        """Replace a subscription's options; None if it is gone.

        Editing resumes a paused subscription; when it was paused or its channel changed, it
        starts afresh from now (no backlog), as a new subscription would.
        """
        assignments = ", ".join(f"{name} = ?" for name in _OPTIONS)
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE subscriptions SET {assignments},"
                f" subscribed_at = {_SINCE_EDIT}, queue_from = {_MARK_EDIT},"
                " queue_version = queue_version + 1, queue_scanned_at = NULL,"
                " paused_reason = NULL, paused_at = NULL, last_error = NULL"
                f" WHERE id = ? RETURNING {_SUBSCRIPTION}",
                *_stored(options),
                options.channel_id,
                now,
                options.channel_id,
                now,
                subscription_id,
            )
        return None if row is None else Subscription.model_validate(row)

    async def remove(self, guild_id: int, subscription_id: int) -> bool:
        """Delete one of a guild's subscriptions; False if absent. Its posts stay recorded
        for their channel, no longer as its own (see `_delete`)."""
        return bool(await self._delete(guild_id, " AND id = ?", subscription_id))

    async def remove_all(self, guild_id: int) -> int:
        """Stop auto-posting to this guild altogether; return how many subscriptions ended."""
        return await self._delete(guild_id)

    async def _delete(self, guild_id: int, only: str = "", *args: Any) -> int:
        """Delete a guild's subscriptions (those `only` keeps) and forget which posts were
        theirs: a number is never handed out again, and nothing kept under it outlives it
        (today's posts against a daily cap), so no later subscription can inherit them."""
        async with self._db.transaction() as conn:
            await self._db.lock_guild(conn, guild_id)
            rows = await conn.fetch(
                f"DELETE FROM subscriptions WHERE guild_id = ?{only} RETURNING id", guild_id, *args
            )
            ids = [int(row["id"]) for row in rows]
            if ids:
                await conn.execute(
                    "UPDATE post_log SET subscription_id = NULL"
                    f" WHERE {self._db.dialect.any_of('subscription_id')}",
                    ids,
                )
        return len(ids)

    async def set_channel(
        self, guild_id: int, channel_id: int, *, crosspost: bool = False
    ) -> Subscription:
        """Post every brief to this channel from now on (`/autopost channel`): the guild's one
        subscription moves there (no backlog, any pause and error cleared), or is created.

        Raises AmbiguousSubscriptionError when the guild has several subscriptions. Under the
        guild's lock, so two at once never both create "the one" subscription.
        """
        async with self._db.transaction() as conn:
            await self._db.lock_guild(conn, guild_id)
            ids = await conn.fetch("SELECT id FROM subscriptions WHERE guild_id = ?", guild_id)
            if len(ids) > 1:
                raise AmbiguousSubscriptionError(f"this server has {len(ids)} subscriptions")
            if not ids:
                options = SubscriptionOptions(channel_id=channel_id, crosspost=crosspost)
                return await self._insert(conn, guild_id, options)
            row = await conn.fetchrow(
                "UPDATE subscriptions SET channel_id = ?, crosspost = ?, subscribed_at = ?,"
                " paused_reason = NULL, paused_at = NULL, last_error = NULL"
                f" WHERE id = ? RETURNING {_SUBSCRIPTION}",
                channel_id,
                crosspost,
                utcnow(),
                ids[0]["id"],
            )
        assert row is not None  # the guild's lock keeps it from being removed meanwhile
        return Subscription.model_validate(row)

    async def set_mention(
        self, guild_id: int, role_id: int | None, *, set_by: int | None = None
    ) -> Subscription | None:
        """Mention this role, chosen by member `set_by`, with each post of the guild's one
        subscription (None: nobody); None if the guild has no subscription. Raises
        AmbiguousSubscriptionError for several."""
        current = await self._only(guild_id)
        if current is None:
            return None
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE subscriptions SET mention_role_id = ?, mention_set_by = ? WHERE id = ?"
                f" RETURNING {_SUBSCRIPTION}",
                role_id,
                set_by if role_id is not None else None,
                current.id,
            )
        return None if row is None else Subscription.model_validate(row)

    async def _only(self, guild_id: int) -> Subscription | None:
        subscriptions = await self.of_guild(guild_id)
        if len(subscriptions) > 1:
            raise AmbiguousSubscriptionError(f"this server has {len(subscriptions)} subscriptions")
        return subscriptions[0] if subscriptions else None

    async def pause(self, subscription_id: int, reason: str) -> None:
        """Stop posting until a manager edits the subscription (e.g. permissions were lost)."""
        await self._change(
            "paused_reason = ?, paused_at = ?, last_error = ?",
            subscription_id,
            reason,
            utcnow(),
            reason,
        )

    async def record_error(self, subscription_id: int, error: str | None) -> None:
        """Keep the last posting error for the status command (None clears it)."""
        await self._change("last_error = ?", subscription_id, error)

    async def active(self, shards: Shards | None = None) -> list[Subscription]:
        """Return the subscriptions that are not paused (of these shards' guilds only)."""
        owned, args = _owned(self._db, shards, "guild_id")
        where = f"paused_at IS NULL{owned}"
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE {where} ORDER BY guild_id, id",
                *args,
            )
        return [Subscription.model_validate(row) for row in rows]

    async def _change(self, assignments: str, subscription_id: int, *args: Any) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                f"UPDATE subscriptions SET {assignments} WHERE id = ?", *args, subscription_id
            )


class PostLog:
    """Which brief went to which channel: claims, posted messages, skips and rejections.

    A row per (channel, brief): whichever subscriptions route a brief to a channel, it is
    posted there once. Each row names its guild and the subscription that claimed it.
    """

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def _on_row(
        self,
        statement: str,
        *values: Any,
        row: tuple[int, int],
        only: str | None = None,
        only_args: Sequence[Any] = (),
    ) -> int:
        """Run an UPDATE or DELETE (`statement` up to its WHERE, then its `values`) on the post
        log's row of (channel, brief), `only` if that condition holds; return rows changed."""
        condition = f" AND {only}" if only else ""
        async with self._db.transaction() as conn:
            return await conn.execute(
                f"{statement} WHERE channel_id = ? AND brief_id = ?{condition}",
                *values,
                *row,
                *only_args,
            )

    async def pending(self, subscription: Subscription, *, limit: int) -> tuple[list[int], int]:
        """Return the oldest `limit` live briefs the subscription selects, published since it
        began and not posted to its channel yet, and how many there are (storage/queue.py)."""
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
                f" AS claimed_at FROM post_log {hint} WHERE channel_id = ? AND {_UNSENT}"
                " AND posted_at < ? ORDER BY brief_id",
                channel_id,
                utcnow() - stale_after,
            )
        return [UnsentPost.model_validate(row) for row in rows]

    async def retry(self, channel_id: int, brief_id: int, *, stale_after: timedelta) -> bool:
        """Take over an unsent claim for another attempt; True only for the one caller that won."""
        now = utcnow()
        won = await self._on_row(
            "UPDATE post_log SET posted_at = ?",
            now,
            row=(channel_id, brief_id),
            only=f"{_UNSENT} AND posted_at < ?",
            only_args=(now - stale_after,),
        )
        return won == 1

    async def give_up(self, channel_id: int, brief_id: int) -> None:
        """Never post an unsent claim again (too old for its nonce to protect a retry)."""
        await self._on_row(
            "UPDATE post_log SET skipped = TRUE", row=(channel_id, brief_id), only=_UNSENT
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
        `crosspost`, publishing it to following servers is queued (see `crossposts_due`).
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
                "pending" if crosspost else None,
                subscription.channel_id,
                brief_id,
            )
            # Edited or retracted while it was being sent: due at once.
            await conn.execute(
                "UPDATE post_log AS p SET due_version = b.updated_at FROM briefs AS b"
                " WHERE p.channel_id = ? AND p.brief_id = ? AND b.id = p.brief_id"
                f" AND {_KEPT} AND {_BEHIND}",
                subscription.channel_id,
                brief_id,
            )
            await conn.execute(
                "UPDATE subscriptions SET last_post_at = ?, last_error = NULL WHERE id = ?",
                now,
                subscription.id,
            )

    async def posted_since(self, subscription_id: int, since: datetime) -> int:
        """Return how many posts (and claims in flight) the subscription made since then."""
        async with self._db.read() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM post_log WHERE subscription_id = ? AND posted_at > ?"
                    " AND skipped = FALSE AND rejected_at IS NULL",
                    subscription_id,
                    since,
                )
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
        await self._on_row(
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
        guild's channels (`/autopost why`); None if no such brief was ever stored."""
        async with self._db.read() as conn:
            brief = await conn.fetchrow(
                "SELECT id AS brief_id, title, tags, created_at, deleted_at FROM briefs"
                " WHERE id = ?",
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
        return PostTrace.model_validate({**brief, "records": rows})

    async def copy(self, channel_id: int, brief_id: int) -> PostedCopy | None:
        """Return the message a brief was posted as in a channel, if it was."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_COPY} FROM post_log AS p WHERE p.channel_id = ? AND p.brief_id = ?"
                " AND p.message_id IS NOT NULL",
                channel_id,
                brief_id,
            )
        return None if row is None else PostedCopy.model_validate(row)

    async def copies_due(
        self, *, limit: int, lease: timedelta, shards: Shards | None = None
    ) -> list[PostedCopy]:
        """Lease up to `limit` posted copies that show an older version of their brief.

        A copy is leased to this caller for `lease`: other processes leave it alone until
        then (and take it over after, should this one die).
        """
        now = utcnow()
        owned, args = _owned(self._db, shards, "p.guild_id")
        where = f"{_DUE} AND (p.lease_until IS NULL OR p.lease_until < ?){owned}"
        args = [now, *args]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT {_COPY} FROM post_log AS p"
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

    async def copies_behind(self, guild_id: int) -> int:
        """Return how many of a guild's posted copies wait to show their brief's latest version."""
        hint = self._db.dialect.indexed_by("post_log_guild_due")  # not the guild's history
        async with self._db.read() as conn:
            return int(
                await conn.fetchval(
                    f"SELECT count(*) FROM post_log AS p {hint} WHERE p.guild_id = ? AND {_DUE}",
                    guild_id,
                )
            )

    async def copy_shown(
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
        await self._on_row(
            "UPDATE post_log SET shown_hash = ?, shown_version = ?, lease_until = NULL,"
            " copy_state = ?, due_version = CASE WHEN due_version > ? THEN due_version END",
            shown_hash,
            shown_version,
            "retracted" if retracted else None,
            shown_version,
            row=(channel_id, brief_id),
        )

    async def copy_lost(self, channel_id: int, brief_id: int, state: str) -> None:
        """Stop keeping a copy right: `gone` (deleted) or `unreachable` (closed to the bot)."""
        await self._on_row(
            "UPDATE post_log SET copy_state = ?, lease_until = NULL, due_version = NULL",
            state,
            row=(channel_id, brief_id),
        )

    async def release_copy(self, channel_id: int, brief_id: int, *, retry_after: timedelta) -> None:
        """After a temporary failure, let the copy be tried again `retry_after` from now."""
        await self._on_row(
            "UPDATE post_log SET lease_until = ?",
            utcnow() + retry_after,
            row=(channel_id, brief_id),
        )

    async def crossposts_due(
        self, *, limit: int, lease: timedelta, shards: Shards | None = None
    ) -> list[PostedCopy]:
        """Lease up to `limit` announcement posts waiting to be published to followers."""
        now = utcnow()
        owned, args = _owned(self._db, shards, "p.guild_id")
        where = (
            "p.crosspost_state = 'pending' AND p.copy_state IS NULL"
            f" AND (p.crosspost_after IS NULL OR p.crosspost_after < ?){owned}"
        )
        args = [now, *args]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT {_COPY} FROM post_log AS p WHERE {where} ORDER BY p.posted_at LIMIT ?",
                *args,
                limit,
            )
            await conn.executemany(
                "UPDATE post_log SET crosspost_after = ? WHERE channel_id = ? AND brief_id = ?",
                [(now + lease, row["channel_id"], row["brief_id"]) for row in rows],
            )
        return [PostedCopy.model_validate(row) for row in rows]

    async def crossposted(
        self, channel_id: int, brief_id: int, *, state: str, retry_after: timedelta | None = None
    ) -> None:
        """Record a crosspost's outcome: `done`, `failed`, or `pending` (tried again once
        `retry_after` has passed; at once when None)."""
        await self._on_row(
            "UPDATE post_log SET crosspost_state = ?, crosspost_after = ?",
            state,
            None if retry_after is None else utcnow() + retry_after,
            row=(channel_id, brief_id),
        )

    async def log(
        self, guild_id: int, brief_id: int | None, event: str, detail: str | None = None
    ) -> None:
        """Add a line to the guild's delivery log, keeping its newest LOG_KEPT lines."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO delivery_log (guild_id, brief_id, at, event, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                guild_id,
                brief_id,
                utcnow(),
                event,
                detail,
            )
            await conn.execute(
                "DELETE FROM delivery_log WHERE guild_id = ? AND id <= ("
                " SELECT id FROM delivery_log WHERE guild_id = ?"
                " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                guild_id,
                guild_id,
                LOG_KEPT,
            )

    async def recent(self, guild_id: int, *, limit: int = 20) -> list[DeliveryEvent]:
        """Return the guild's latest delivery log lines, newest first."""
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT at, brief_id, event, detail FROM delivery_log WHERE guild_id = ?"
                " ORDER BY id DESC LIMIT ?",
                guild_id,
                limit,
            )
        return [DeliveryEvent.model_validate(row) for row in rows]
