"""Small named values the bot keeps between runs (e.g. the synced command tree's hash)."""

from __future__ import annotations

from storage.base import Backend


class State:
    """A string key-value store in the bot_state table."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """Return the value stored under `key`, or None."""
        async with self._db.read() as conn:
            value = await conn.fetchval("SELECT value FROM bot_state WHERE key = ?", key)
        return None if value is None else str(value)

    async def take(self, key: str) -> str | None:
        """Return the value stored under `key` and remove it (None if there was none)."""
        async with self._db.transaction() as conn:
            value = await conn.fetchval("SELECT value FROM bot_state WHERE key = ?", key)
            await conn.execute("DELETE FROM bot_state WHERE key = ?", key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any previous value."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )
