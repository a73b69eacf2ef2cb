"""Per-guild auto-post settings, and the post log that makes each post happen exactly once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.interface import Shards
from storage.models import GuildSettings, RejectedPost, utcnow
from storage.sqlite.database import (
    Database,
    decode_optional_time,
    encode_time,
    fetch_all,
    fetch_value,
)


def _settings(row: sqlite3.Row) -> GuildSettings:
    return GuildSettings(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        mention_role_id=row["mention_role_id"],
        crosspost=bool(row["crosspost"]),
        subscribed_at=decode_optional_time(row["subscribed_at"]),
        paused_reason=row["paused_reason"],
        paused_at=decode_optional_time(row["paused_at"]),
        notified_pause=bool(row["notified_pause"]),
        last_post_at=decode_optional_time(row["last_post_at"]),
        last_error=row["last_error"],
    )


class GuildRepository:
    """Where each guild wants briefs posted, and whether posting there is paused."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings | None:
        """Return a guild's settings, or None if it never configured anything."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
            )
        return _settings(rows[0]) if rows else None

    async def set_channel(
        self, guild_id: int, channel_id: int, *, crosspost: bool = False
    ) -> GuildSettings:
        """Post to this channel from now on: no backlog, any pause and error cleared."""
        async with self._db.transaction() as conn:
            rows = await fetch_all(
                conn,
                "INSERT INTO guild_settings (guild_id, channel_id, crosspost, subscribed_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
                " crosspost = excluded.crosspost, subscribed_at = excluded.subscribed_at,"
                " paused_reason = NULL, paused_at = NULL, notified_pause = 0, last_error = NULL"
                " RETURNING *",
                (guild_id, channel_id, int(crosspost), encode_time(utcnow())),
            )
        return _settings(rows[0])

    async def set_mention(self, guild_id: int, role_id: int | None) -> GuildSettings:
        """Mention this role with each auto-post (None: mention nobody)."""
        async with self._db.transaction() as conn:
            rows = await fetch_all(
                conn,
                "INSERT INTO guild_settings (guild_id, mention_role_id) VALUES (?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET mention_role_id = excluded.mention_role_id"
                " RETURNING *",
                (guild_id, role_id),
            )
        return _settings(rows[0])

    async def disable(self, guild_id: int) -> None:
        """Stop auto-posting to this guild (its other settings are kept)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE guild_settings SET channel_id = NULL WHERE guild_id = ?", (guild_id,)
            )

    async def pause(self, guild_id: int, reason: str) -> None:
        """Stop posting until an admin sets the channel again (e.g. permissions were lost)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE guild_settings SET paused_reason = ?, paused_at = ?, notified_pause = 0,"
                " last_error = ? WHERE guild_id = ?",
                (reason, encode_time(utcnow()), reason, guild_id),
            )

    async def resume(self, guild_id: int) -> None:
        """Lift a pause without resubscribing (briefs missed meanwhile become pending)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE guild_settings SET paused_reason = NULL, paused_at = NULL,"
                " notified_pause = 0 WHERE guild_id = ?",
                (guild_id,),
            )

    async def mark_pause_notified(self, guild_id: int) -> None:
        """Remember that the guild was told about its pause, so it is told only once."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE guild_settings SET notified_pause = 1 WHERE guild_id = ?", (guild_id,)
            )

    async def record_error(self, guild_id: int, error: str | None) -> None:
        """Keep the last posting error for the status command (None clears it)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE guild_settings SET last_error = ? WHERE guild_id = ?", (error, guild_id)
            )

    async def active(self, shards: Shards | None = None) -> list[GuildSettings]:
        """Return guilds that have a channel and are not paused (of these shards only)."""
        where = "channel_id IS NOT NULL AND paused_at IS NULL"
        params: tuple[Any, ...] = ()
        if shards is not None:
            where += " AND ((guild_id >> 22) % ?) IN (SELECT value FROM json_each(?))"
            params = (shards.count, json.dumps(list(shards.ids)))
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, f"SELECT * FROM guild_settings WHERE {where} ORDER BY guild_id", params
            )
        return [_settings(row) for row in rows]


#: A rejected post goes again once its brief was edited after the rejection.
_RETRY_REJECTED = (
    "(p.rejected_at IS NOT NULL AND b.updated_at IS NOT NULL AND b.updated_at > p.rejected_at)"
)


class PostLog:
    """Which brief went to which guild: claims, posted messages and skips."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending(self, guild: GuildSettings, *, limit: int) -> tuple[list[int], int]:
        """Return the oldest `limit` unposted live briefs since subscribing, and how many."""
        if guild.subscribed_at is None:
            return [], 0
        # INDEXED BY: with `ORDER BY b.id LIMIT ?` and an unknown `since`, the planner would
        # rather walk the whole table in id order than sort; the range seek on briefs_created
        # reads only briefs created since subscribing (and sorts just the pending ones).
        where = (
            " FROM briefs AS b INDEXED BY briefs_created"
            " WHERE b.deleted_at IS NULL AND b.created_at > ?"
            " AND NOT EXISTS (SELECT 1 FROM post_log AS p"
            f" WHERE p.guild_id = ? AND p.brief_id = b.id AND NOT {_RETRY_REJECTED})"
        )
        params = (encode_time(guild.subscribed_at), guild.guild_id)
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, f"SELECT b.id{where} ORDER BY b.id LIMIT ?", (*params, max(limit, 0))
            )
            total = await fetch_value(conn, f"SELECT count(*){where}", params)
        return [int(row[0]) for row in rows], int(total)

    async def claim(self, guild_id: int, brief_id: int, channel_id: int) -> bool:
        """Reserve posting this brief to this guild; True only for the one caller that won.

        A post Discord rejected is claimed again once the brief was edited since.
        """
        stamp = encode_time(utcnow())
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO post_log (guild_id, brief_id, channel_id, posted_at)"
                " VALUES (?, ?, ?, ?)",
                (guild_id, brief_id, channel_id, stamp),
            )
            won = cursor.rowcount == 1
            await cursor.close()
            if not won:
                cursor = await conn.execute(
                    "UPDATE post_log AS p SET rejected_at = NULL, rejected_reason = NULL,"
                    " channel_id = ?, posted_at = ? FROM briefs AS b"
                    " WHERE p.guild_id = ? AND p.brief_id = ? AND b.id = p.brief_id"
                    f" AND p.message_id IS NULL AND {_RETRY_REJECTED}",
                    (channel_id, stamp, guild_id, brief_id),
                )
                won = cursor.rowcount == 1
                await cursor.close()
        return won

    async def reject(self, guild_id: int, brief_id: int, reason: str) -> None:
        """Keep a claim Discord refused, with why: not retried until the brief is edited."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET rejected_at = ?, rejected_reason = ?"
                " WHERE guild_id = ? AND brief_id = ? AND message_id IS NULL",
                (encode_time(utcnow()), reason, guild_id, brief_id),
            )

    async def rejected(self, guild_id: int, *, limit: int = 10) -> list[RejectedPost]:
        """Return the guild's rejected posts, newest first (for `/autopost status`)."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                "SELECT p.brief_id, p.rejected_reason AS reason, p.rejected_at AS at,"
                f" {_RETRY_REJECTED} AS retrying FROM post_log AS p"
                " JOIN briefs AS b ON b.id = p.brief_id"
                " WHERE p.guild_id = ? AND p.rejected_at IS NOT NULL AND b.deleted_at IS NULL"
                " ORDER BY p.rejected_at DESC LIMIT ?",
                (guild_id, limit),
            )
        return [RejectedPost.model_validate(dict(row)) for row in rows]

    async def record_message(self, guild_id: int, brief_id: int, message_id: int) -> None:
        """Store the posted message's id (to edit or delete it later) and the post time."""
        stamp = encode_time(utcnow())
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE post_log SET message_id = ?, posted_at = ?"
                " WHERE guild_id = ? AND brief_id = ?",
                (message_id, stamp, guild_id, brief_id),
            )
            await conn.execute(
                "UPDATE guild_settings SET last_post_at = ?, last_error = NULL WHERE guild_id = ?",
                (stamp, guild_id),
            )

    async def release(self, guild_id: int, brief_id: int) -> None:
        """Give back a claim whose send failed in a retryable way, so it is tried again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM post_log WHERE guild_id = ? AND brief_id = ?"
                " AND message_id IS NULL AND skipped = 0",
                (guild_id, brief_id),
            )

    async def skip(self, guild_id: int, brief_ids: Sequence[int]) -> None:
        """Mark briefs as never to be posted to this guild (beyond the catch-up cap)."""
        if not brief_ids:
            return
        stamp = encode_time(utcnow())
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO post_log (guild_id, brief_id, posted_at, skipped)"
                " VALUES (?, ?, ?, 1)",
                [(guild_id, brief_id, stamp) for brief_id in brief_ids],
            )

    async def message_id(self, guild_id: int, brief_id: int) -> int | None:
        """Return the message a brief was auto-posted as in this guild, if it was."""
        async with self._db.read() as conn:
            value = await fetch_value(
                conn,
                "SELECT message_id FROM post_log WHERE guild_id = ? AND brief_id = ?",
                (guild_id, brief_id),
            )
        return None if value is None else int(value)

    async def last_post(self, guild_id: int) -> datetime | None:
        """Return when a brief was last posted to this guild."""
        async with self._db.read() as conn:
            value = await fetch_value(
                conn, "SELECT last_post_at FROM guild_settings WHERE guild_id = ?", (guild_id,)
            )
        return decode_optional_time(value)
