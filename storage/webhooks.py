"""Webhook deliveries: the webhook-ids each signed source has sent, kept in the library so
that every API process over one database refuses a replay, whichever saw the first delivery.
"""

from __future__ import annotations

from datetime import timedelta

from storage.base import Backend
from storage.models import utcnow

#: The longest webhook-id kept (the column's CHECK); a longer one is refused before storing.
WEBHOOK_ID_MAX = 255


class WebhookDeliveries:
    """The webhook-ids seen, per source, with when each was last seen."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def first_delivery(self, source: str, webhook_id: str, window: timedelta) -> bool:
        """Record a delivery of `webhook_id` from `source`; return False if it was already
        seen within `window` (a replay), True if it is new or was seen longer ago than that.

        The source's ids older than the window are pruned first, through the index on
        (source_name, seen_at): each push removes only what has expired since the last.
        Concurrent deliveries of one id meet on the primary key: one of them is first.
        """
        now = utcnow()
        expired = now - window
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM webhook_deliveries WHERE source_name = ? AND seen_at <= ?",
                source,
                expired,
            )
            row = await conn.fetchrow(
                "INSERT INTO webhook_deliveries (source_name, webhook_id, seen_at)"
                " VALUES (?, ?, ?) ON CONFLICT (source_name, webhook_id)"
                " DO UPDATE SET seen_at = excluded.seen_at"
                " WHERE webhook_deliveries.seen_at <= ? RETURNING seen_at",
                source,
                webhook_id,
                now,
                expired,
            )
        return row is not None
