"""The delivery log: what auto-posting did in each guild, newest first, as `/autopost log`
shows it; the newest LOG_KEPT lines per guild are kept."""

from __future__ import annotations

import enum

from storage.base import Backend
from storage.models import DeliveryEvent, utcnow

#: Delivery log lines kept per guild.
LOG_KEPT = 200


class Event(enum.StrEnum):
    """What a line of the delivery log tells."""

    SENT = "sent"
    UPDATED = "updated"
    RETRACTED = "retracted"
    GONE = "gone"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    GAVE_UP = "gave_up"
    CROSSPOSTED = "crossposted"
    TEST = "test"
    PAUSED = "paused"


class DeliveryLog:
    """Each guild's latest deliveries, updates and failures."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(
        self, guild_id: int, brief_id: int | None, event: Event, detail: str | None = None
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
