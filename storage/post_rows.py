"""The post log's rows as its machines (posts, copies, crossposts) read and change them: the
conditions that name their states, one row's update, and the rows of some shards' guilds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.base import Backend, Shards

#: A claim whose message was never recorded (nor skipped nor rejected).
UNSENT = "message_id IS NULL AND skipped = FALSE AND rejected_at IS NULL"
#: A posted copy still kept right (not deleted, closed to the bot, or retracted already).
KEPT = "p.message_id IS NOT NULL AND p.copy_state IS NULL"
#: A kept copy shows an older version of its brief than the stored one.
BEHIND = "b.updated_at IS NOT NULL AND (p.shown_version IS NULL OR p.shown_version < b.updated_at)"
#: A kept copy waits to show the version `due_version` names (`BEHIND`, kept in the row by
#: `mark_copies_due`, `PostLog.record_message` and `Copies.shown`, so reading it needs no
#: join with briefs: post_log_due and post_log_guild_due index exactly these rows).
DUE = "p.due_version IS NOT NULL"
COPY = "p.guild_id, p.brief_id, p.channel_id, p.thread_id, p.message_id, p.shown_hash"


def owned(db: Backend, shards: Shards | None, guild_id: str) -> tuple[str, list[Any]]:
    """Return the condition (with its leading AND) keeping the rows whose guild, in column
    `guild_id`, these shards own, by Discord's formula (`Shards.owns`) in SQL, and its
    arguments; nothing when every shard is served."""
    if shards is None:
        return "", []
    owned = db.dialect.any_of(f"(({guild_id} >> 22) % ?)")
    return f" AND {owned}", [shards.count, list(shards.ids)]


async def on_row(
    db: Backend,
    statement: str,
    *values: Any,
    row: tuple[int, int],
    only: str | None = None,
    only_args: Sequence[Any] = (),
) -> int:
    """Run an UPDATE or DELETE (`statement` up to its WHERE, then its `values`) on the post
    log's row of (channel, brief), `only` if that condition holds; return rows changed."""
    condition = f" AND {only}" if only else ""
    async with db.transaction() as conn:
        return await conn.execute(
            f"{statement} WHERE channel_id = ? AND brief_id = ?{condition}",
            *values,
            *row,
            *only_args,
        )
