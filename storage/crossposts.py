"""Publishing announcement posts to following servers: a machine of its own on the post log's
rows, apart from posting and from keeping copies right."""

from __future__ import annotations

import enum
from datetime import timedelta

from storage.base import Backend, Shards
from storage.models import PostedCopy, utcnow
from storage.post_rows import COPY, on_row, owned


class CrosspostState(enum.StrEnum):
    """Where a post's publishing to followers stands (none: not asked for)."""

    #: Waiting its turn (`crosspost_after`, when set, defers it).
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Crossposts:
    """Announcement posts to publish: leased a batch at a time, each published, deferred or
    failed for good."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def due(
        self, *, limit: int, lease: timedelta, shards: Shards | None = None
    ) -> list[PostedCopy]:
        """Lease up to `limit` announcement posts waiting to be published to followers."""
        now = utcnow()
        ours, args = owned(self._db, shards, "p.guild_id")
        where = (
            f"p.crosspost_state = '{CrosspostState.PENDING}' AND p.copy_state IS NULL"
            f" AND (p.crosspost_after IS NULL OR p.crosspost_after < ?){ours}"
        )
        args = [now, *args]
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT {COPY} FROM post_log AS p WHERE {where} ORDER BY p.posted_at LIMIT ?",
                *args,
                limit,
            )
            await conn.executemany(
                "UPDATE post_log SET crosspost_after = ? WHERE channel_id = ? AND brief_id = ?",
                [(now + lease, row["channel_id"], row["brief_id"]) for row in rows],
            )
        return [PostedCopy.model_validate(row) for row in rows]

    async def published(self, channel_id: int, brief_id: int) -> None:
        """The post was published to following servers."""
        await self._set(channel_id, brief_id, CrosspostState.DONE)

    async def failed(self, channel_id: int, brief_id: int) -> None:
        """Publishing the post failed for good: it is not tried again."""
        await self._set(channel_id, brief_id, CrosspostState.FAILED)

    async def deferred(
        self, channel_id: int, brief_id: int, *, retry_after: timedelta | None = None
    ) -> None:
        """Try publishing the post again once `retry_after` has passed (at once when None)."""
        await self._set(channel_id, brief_id, CrosspostState.PENDING, retry_after)

    async def _set(
        self,
        channel_id: int,
        brief_id: int,
        state: CrosspostState,
        retry_after: timedelta | None = None,
    ) -> None:
        await on_row(
            self._db,
            "UPDATE post_log SET crosspost_state = ?, crosspost_after = ?",
            state,
            None if retry_after is None else utcnow() + retry_after,
            row=(channel_id, brief_id),
        )
