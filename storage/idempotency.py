"""Idempotency keys: the first answer to a POST, kept a day, so a retried request (same key,
same body) gets it again instead of storing twice (the IETF Idempotency-Key draft)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.base import Backend
from storage.models import utcnow

#: How long a key's answer is kept.
EXPIRY = timedelta(hours=24)


@dataclass(frozen=True)
class Stored:
    """The answer remembered under a key, and the hash of the request that got it."""

    request_hash: str
    status: int
    body: str
    stored_at: datetime


class IdempotencyKeys:
    """Remembered answers, by token and key."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def remember(
        self, token_id: int, key: str, request_hash: str, status: int, body: str
    ) -> Stored:
        """Keep the answer to a request under its key, unless one is kept already (a
        concurrent retry): return what is kept now, the first answer."""
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE token_id = ? AND idempotency_key = ?"
                " AND expires_at <= ?",
                token_id,
                key,
                now,
            )
            await conn.execute(
                "INSERT INTO idempotency_keys (token_id, idempotency_key, request_hash, status,"
                " response, stored_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (token_id, idempotency_key) DO NOTHING",
                token_id,
                key,
                request_hash,
                status,
                body,
                now,
                now + EXPIRY,
            )
            row = await conn.fetchrow(
                "SELECT request_hash, status, response, stored_at FROM idempotency_keys"
                " WHERE token_id = ? AND idempotency_key = ?",
                token_id,
                key,
            )
        assert row is not None
        return Stored(row["request_hash"], row["status"], row["response"], row["stored_at"])

    async def recall(self, token_id: int, key: str) -> Stored | None:
        """Return the unexpired answer kept under a key, or None."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT request_hash, status, response, stored_at FROM idempotency_keys"
                " WHERE token_id = ? AND idempotency_key = ? AND expires_at > ?",
                token_id,
                key,
                utcnow(),
            )
        if row is None:
            return None
        return Stored(row["request_hash"], row["status"], row["response"], row["stored_at"])

    async def forget_expired(self) -> int:
        """Remove every expired answer; return how many."""
        async with self._db.transaction() as conn:
            return await conn.execute(
                "DELETE FROM idempotency_keys WHERE expires_at <= ?", utcnow()
            )
