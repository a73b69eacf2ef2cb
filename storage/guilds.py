"""Per-guild auto-post settings, and the post log that makes each post happen exactly once.

Written once for every backend (storage/base.py says what a backend provides).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.base import COLUMNS, Backend, Shards
from storage.models import (
    DeliveryEvent,
    GuildSettings,
    PostedCopy,
    RejectedPost,
    UnsentPost,
    utcnow,
)

_SETTINGS = ", ".join(COLUMNS["guild_settings"])
#: Delivery log lines kept per guild.
LOG_KEPT = 200
#: A claim whose message was never recorded (nor skipped nor rejected).
_UNSENT = "message_id IS NULL AND skipped = FALSE AND rejected_at IS NULL"
#: A posted copy still kept right (not deleted, closed to the bot, or retracted already).
_KEPT = "p.message_id IS NOT NULL AND p.copy_state IS NULL"
#: A kept copy shows an older version of its brief than the stored one.
_BEHIND = "b.updated_at IS NOT NULL AND (p.shown_version IS NULL OR p.shown_version < b.updated_at)"
_COPY = "p.guild_id, p.brief_id, p.channel_id, p.message_id, p.shown_hash"
#: A rejected post goes again once its brief was edited after the rejection.
_RETRY_REJECTED = (
    "(p.rejected_at IS NOT NULL AND b.updated_at IS NOT NULL AND b.updated_at > p.rejected_at)"
)


class Guilds:
    """Where each guild wants briefs posted, and whether posting there is paused."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings | None:
        """Return a guild's settings, or None if it never configured anything."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_SETTINGS} FROM guild_settings WHERE guild_id = ?", guild_id
            )
        return None if row is None else GuildSettings.model_validate(row)

    async def set_channel(
        self, guild_id: int, channel_id: int, *, crosspost: bool = False
    ) -> GuildSettings:
        """Post to this channel from now on: no backlog, any pause and error cleared."""
        return await self._upsert(
            "INSERT INTO guild_settings (guild_id, channel_id, crosspost, subscribed_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
            " crosspost = excluded.crosspost, subscribed_at = excluded.subscribed_at,"
            " paused_reason = NULL, paused_at = NULL, last_error = NULL",
            guild_id,
            channel_id,
            crosspost,
            utcnow(),
        )

    async def set_mention(self, guild_id: int, role_id: int | None) -> GuildSettings:
        """Mention this role with each auto-post (None: mention nobody)."""
        return await self._upsert(
            "INSERT INTO guild_settings (guild_id, mention_role_id) VALUES (?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET mention_role_id = excluded.mention_role_id",
            guild_id,
            role_id,
        )

    async def disable(self, guild_id: int) -> None:
        """Stop auto-posting to this guild (its other settings are kept)."""
        await self._change("channel_id = NULL", guild_id)

    async def pause(self, guild_id: int, reason: str) -> None:
        """Stop posting until an admin sets the channel again (e.g. permissions were lost)."""
        await self._change(
            "paused_reason = ?, paused_at = ?, last_error = ?",
            guild_id,
            reason,
            utcnow(),
            reason,
        )

    async def record_error(self, guild_id: int, error: str | None) -> None:
        """Keep the last posting error for the status command (None clears it)."""
        await self._change("last_error = ?", guild_id, error)

    async def active(self, shards: Shards | None = None) -> list[GuildSettings]:
        """Return guilds that have a channel and are not paused (of these shards only)."""
        where = "channel_id IS NOT NULL AND paused_at IS NULL"
        args: tuple[Any, ...] = ()
        if shards is not None:
            where += f" AND {self._db.dialect.any_of('((guild_id >> 22) % ?)')}"
            args = (shards.count, list(shards.ids))
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT {_SETTINGS} FROM guild_settings WHERE {where} ORDER BY guild_id", *args
            )
        return [GuildSettings.model_validate(row) for row in rows]

    async def _upsert(self, sql: str, *args: Any) -> GuildSettings:
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(f"{sql} RETURNING {_SETTINGS}", *args)
        assert row is not None  # an upsert always returns its row
        return GuildSettings.model_validate(row)

    async def _change(self, assignments: str, guild_id: int, *args: Any) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                f"UPDATE guild_settings SET {assignments} WHERE guild_id = ?", *args, guild_id
            )


class PostLog:
    """Which brief went to which guild: claims, posted messages, skips and rejections."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def pending(self, guild: GuildSettings, *, limit: int) -> tuple[list[int], int]:
        """Return the oldest `limit` unposted live briefs since subscribing, and how many."""
        if guild.subscribed_at is None:
            return [], 0
        # INDEXED BY (SQLite): with `ORDER BY b.id LIMIT ?` and an unknown `since`, its planner
        # would rather walk the whole table in id order than sort; the range seek on
        # briefs_created reads only briefs created since subscribing.
        where = (
            f" FROM briefs AS b {self._db.dialect.indexed_by('briefs_created')}"
            " WHERE b.deleted_at IS NULL AND b.created_at > ?"
            " AND NOT EXISTS (SELECT 1 FROM post_log AS p"
            f" WHERE p.guild_id = ? AND p.brief_id = b.id AND NOT {_RETRY_REJECTED})"
        )
        args = (guild.subscribed_at, guild.guild_id)
        async with self._db.read() as conn:
            rows = await conn.fetch(f"SELECT b.id{where} ORDER BY b.id LIMIT ?", *args, limit)
            total = await conn.fetchval(f"SELECT count(*){where}", *args)
        return [int(row["id"]) for row in rows], int(total)

    async def claim(self, guild_id: int, brief_id: int, channel_id: int) -> bool:
        """Reserve posting this brief to this guild; True only for the one caller that won.

        A post Discord rejected is claimed again once the brief was edited since.
        """
        now = utcnow()
        async with self._db.transaction() as conn:
            if await conn.execute(
                "INSERT INTO post_log (guild_id, brief_id, channel_id, posted_at, claimed_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                guild_id,
                brief_id,
                channel_id,
                now,
                now,
            ):
                return True
            reclaimed = await conn.execute(
                "UPDATE post_log AS p SET rejected_at = NULL, rejected_reason = NULL,"
                " channel_id = ?, posted_at = ?, claimed_at = ? FROM briefs AS b"
                " WHERE p.guild_id = ? AND p.brief_id = ? AND b.id = p.brief_id"
                f" AND p.message_id IS NULL AND {_RETRY_REJECTED}",
                channel_id,
                now,
                now,
                guild_id,
                brief_id,
            )
        return reclaimed == 1

    async def unsent(self, guild_id: int, *, stale_after: timedelta) -> list[UnsentPost]:
        """Return claims last attempted `stale_after` ago or more, never recorded.

        Their process died between claiming and recording (before or after the send
        reached Discord): they are retried with the same nonce, or given up.
        """
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT guild_id, brief_id, channel_id, COALESCE(claimed_at, posted_at)"
                f" AS claimed_at FROM post_log WHERE guild_id = ? AND {_UNSENT}"
                " AND posted_at < ? ORDER BY brief_id",
                guild_id,
                utcnow() - stale_after,
            )
        return [UnsentPost.model_validate(row) for row in rows]

    async def retry(self, guild_id: int, brief_id: int, *, stale_after: timedelta) -> bool:
        """Take over an unsent claim for another attempt; True only for the one caller that won."""
        now = utcnow()
        async with self._db.transaction() as conn:
            won = await conn.execute(
                f"UPDATE post_log SET posted_at = ? WHERE guild_id = ? AND brief_id = ?"
                f" AND {_UNSENT} AND posted_at < ?",
                now,
                guild_id,
                brief_id,
                now - stale_after,
            )
        return won == 1

    async def give_up(self, guild_id: int, brief_id: int) -> None:
        """Never post an unsent claim again (too old for its nonce to protect a retry)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                f"UPDATE post_log SET skipped = TRUE WHERE guild_id = ? AND brief_id = ?"
                f" AND {_UNSENT}",
                guild_id,
                brief_id,
            )

    async def record_message(
        self,
        guild_id: int,
        brief_id: int,
        message_id: int,
        *,
        shown_hash: str | None = None,
        shown_version: datetime | None = None,
        crosspost: bool = False,
    ) -> None:
        """Store the posted message's id and what it shows (to keep it right later).

        `shown_version` is the brief's `updated_at` the message was rendered from; with
        `crosspost`, publishing it to following servers is queued (see `crossposts_due`).
        """
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET message_id = ?, posted_at = ?, shown_hash = ?,"
                " shown_version = ?, crosspost_state = ? WHERE guild_id = ? AND brief_id = ?",
                message_id,
                now,
                shown_hash,
                shown_version,
                "pending" if crosspost else None,
                guild_id,
                brief_id,
            )
            await conn.execute(
                "UPDATE guild_settings SET last_post_at = ?, last_error = NULL WHERE guild_id = ?",
                now,
                guild_id,
            )

    async def release(self, guild_id: int, brief_id: int) -> None:
        """Give back a claim whose send failed in a retryable way, so it is tried again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM post_log WHERE guild_id = ? AND brief_id = ?"
                " AND message_id IS NULL AND skipped = FALSE",
                guild_id,
                brief_id,
            )

    async def reject(self, guild_id: int, brief_id: int, reason: str) -> None:
        """Keep a claim Discord refused, with why: not retried until the brief is edited."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET rejected_at = ?, rejected_reason = ?"
                " WHERE guild_id = ? AND brief_id = ? AND message_id IS NULL",
                utcnow(),
                reason,
                guild_id,
                brief_id,
            )

    async def rejected(self, guild_id: int, *, limit: int = 10) -> list[RejectedPost]:
        """Return the guild's rejected posts of live briefs, newest first."""
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT p.brief_id, p.rejected_reason AS reason, p.rejected_at AS at,"
                f" {_RETRY_REJECTED} AS retrying FROM post_log AS p"
                " JOIN briefs AS b ON b.id = p.brief_id"
                " WHERE p.guild_id = ? AND p.rejected_at IS NOT NULL AND b.deleted_at IS NULL"
                " ORDER BY p.rejected_at DESC LIMIT ?",
                guild_id,
                limit,
            )
        return [RejectedPost.model_validate(row) for row in rows]

    async def skip(self, guild_id: int, brief_ids: Sequence[int]) -> None:
        """Mark briefs as never to be posted to this guild (beyond the catch-up cap)."""
        if not brief_ids:
            return
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO post_log (guild_id, brief_id, posted_at, skipped)"
                " VALUES (?, ?, ?, TRUE) ON CONFLICT DO NOTHING",
                [(guild_id, brief_id, now) for brief_id in brief_ids],
            )

    async def copy(self, guild_id: int, brief_id: int) -> PostedCopy | None:
        """Return the message a brief was posted as in a guild, if it was."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_COPY} FROM post_log AS p WHERE p.guild_id = ? AND p.brief_id = ?"
                " AND p.message_id IS NOT NULL",
                guild_id,
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
        where = f"{_KEPT} AND {_BEHIND} AND (p.lease_until IS NULL OR p.lease_until < ?)"
        args: list[Any] = [now]
        if shards is not None:
            where += f" AND {self._db.dialect.any_of('((p.guild_id >> 22) % ?)')}"
            args += [shards.count, list(shards.ids)]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT {_COPY} FROM post_log AS p JOIN briefs AS b ON b.id = p.brief_id"
                f" WHERE {where} ORDER BY b.updated_at, p.guild_id LIMIT ?"
                f" {self._db.dialect.skip_locked('p')}",
                *args,
                limit,
            )
            await conn.executemany(
                "UPDATE post_log SET lease_until = ? WHERE guild_id = ? AND brief_id = ?"
                " AND (lease_until IS NULL OR lease_until < ?)",
                [(now + lease, row["guild_id"], row["brief_id"], now) for row in rows],
            )
        return [PostedCopy.model_validate(row) for row in rows]

    async def copies_behind(self, guild_id: int) -> int:
        """Return how many of a guild's posted copies wait to show their brief's latest version."""
        async with self._db.read() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM post_log AS p JOIN briefs AS b ON b.id = p.brief_id"
                    f" WHERE p.guild_id = ? AND {_KEPT} AND {_BEHIND}",
                    guild_id,
                )
            )

    async def copy_shown(
        self,
        guild_id: int,
        brief_id: int,
        *,
        shown_hash: str,
        shown_version: datetime | None,
        retracted: bool = False,
    ) -> None:
        """Record what a copy shows now (after an edit, or found unchanged); end its lease."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET shown_hash = ?, shown_version = ?, lease_until = NULL,"
                " copy_state = ? WHERE guild_id = ? AND brief_id = ?",
                shown_hash,
                shown_version,
                "retracted" if retracted else None,
                guild_id,
                brief_id,
            )

    async def copy_lost(self, guild_id: int, brief_id: int, state: str) -> None:
        """Stop keeping a copy right: `gone` (deleted) or `unreachable` (closed to the bot)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET copy_state = ?, lease_until = NULL"
                " WHERE guild_id = ? AND brief_id = ?",
                state,
                guild_id,
                brief_id,
            )

    async def release_copy(self, guild_id: int, brief_id: int, *, retry_after: timedelta) -> None:
        """After a temporary failure, let the copy be tried again `retry_after` from now."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET lease_until = ? WHERE guild_id = ? AND brief_id = ?",
                utcnow() + retry_after,
                guild_id,
                brief_id,
            )

    async def crossposts_due(
        self, *, limit: int, lease: timedelta, shards: Shards | None = None
    ) -> list[PostedCopy]:
        """Lease up to `limit` announcement posts waiting to be published to followers."""
        now = utcnow()
        where = (
            "p.crosspost_state = 'pending' AND p.copy_state IS NULL"
            " AND (p.crosspost_after IS NULL OR p.crosspost_after < ?)"
        )
        args: list[Any] = [now]
        if shards is not None:
            where += f" AND {self._db.dialect.any_of('((p.guild_id >> 22) % ?)')}"
            args += [shards.count, list(shards.ids)]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT {_COPY} FROM post_log AS p WHERE {where} ORDER BY p.posted_at LIMIT ?",
                *args,
                limit,
            )
            await conn.executemany(
                "UPDATE post_log SET crosspost_after = ? WHERE guild_id = ? AND brief_id = ?",
                [(now + lease, row["guild_id"], row["brief_id"]) for row in rows],
            )
        return [PostedCopy.model_validate(row) for row in rows]

    async def crossposted(
        self, guild_id: int, brief_id: int, *, state: str, retry_after: timedelta | None = None
    ) -> None:
        """Record a crosspost's outcome: `done`, `failed`, or `pending` (tried again once
        `retry_after` has passed; at once when None)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET crosspost_state = ?, crosspost_after = ?"
                " WHERE guild_id = ? AND brief_id = ?",
                state,
                None if retry_after is None else utcnow() + retry_after,
                guild_id,
                brief_id,
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
