"""Auto-post subscriptions, many per guild: where briefs are posted, how, and whether posting
to each is paused. What was posted is the post log's (storage/post_log.py).

Written once for every backend (storage/base.py says what a backend provides).
"""

from __future__ import annotations

import json
from typing import Any

from storage.base import COLUMNS, Backend, Shards
from storage.errors import AmbiguousSubscriptionError, SubscriptionLimitError
from storage.models import (
    MAX_SUBSCRIPTIONS,
    Subscription,
    SubscriptionOptions,
    utcnow,
)
from storage.post_rows import owned
from storage.queue import MARK_SINCE
from storage.sql import Connection

_SUBSCRIPTION = ", ".join(COLUMNS["subscriptions"])
#: When an edited subscription begins (two arguments: its channel, now): afresh when it was
#: paused or moved, else as before; its queue is read again from then (a new topic may select
#: briefs it passed over).
_SINCE_EDIT = "CASE WHEN paused_at IS NOT NULL OR channel_id <> ? THEN ? ELSE subscribed_at END"
_MARK_EDIT = MARK_SINCE.replace("?", _SINCE_EDIT)
#: The options a subscription's edit may change, as stored.
_OPTIONS = tuple(SubscriptionOptions.model_fields)


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
        ours, args = owned(self._db, shards, "guild_id")
        where = f"paused_at IS NULL{ours}"
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
