"""API tokens: each acts for one source, stored as a SHA-256 hash, never as the secret.

A token is 32 random bytes, so a fast hash is right (nothing to guess, nothing to stretch);
a presented secret is found by its hash and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.base import Backend
from storage.errors import UnknownSourceError
from storage.models import utcnow
from storage.sources import SourceRecord, source_record
from storage.sql import Row

#: How stale a token's last use may be before a request writes it again.
USE_NOTED = timedelta(minutes=1)
#: What every token starts with, so a leaked one is recognisable (and found by scanners).
PREFIX = "bb_"
_COLUMNS = "id, source_name, label, token_hash, created_at, revoked_at, last_used_at"
#: A live token with its source, in one query: what an API request needs to be authorized.
_WITH_SOURCE = (
    "SELECT t.id, t.source_name, t.label, t.token_hash, t.created_at, t.revoked_at,"
    " t.last_used_at, s.label AS source_label, s.webhook_secret, s.added_at,"
    " s.requires_review"
    " FROM tokens AS t JOIN sources AS s ON s.name = t.source_name"
    " WHERE t.token_hash = ? AND t.revoked_at IS NULL"
)


@dataclass(frozen=True)
class TokenRecord:
    """One stored token, without its secret."""

    id: int
    source: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class Credential:
    """A live token with its source, and the source's webhook secret (None: unsigned)."""

    token: TokenRecord
    source: SourceRecord
    webhook_secret: str | None = field(repr=False)


def token_hash(secret: str) -> str:
    """Return the hash a token is stored and found by."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _record(row: Row) -> TokenRecord:
    return TokenRecord(
        id=row["id"],
        source=row["source_name"],
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


class Tokens:
    """The tokens repository."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def create(self, source: str, label: str | None = None) -> tuple[TokenRecord, str]:
        """Create a token for `source`; return it and its secret, which is never kept or
        shown again. UnknownSourceError if there is no such source."""
        secret = PREFIX + secrets.token_urlsafe(32)
        async with self._db.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM sources WHERE name = ?", source) is None:
                raise UnknownSourceError(f"no source is named {source!r}")
            row = await conn.fetchrow(
                "INSERT INTO tokens (source_name, label, token_hash, created_at)"
                f" VALUES (?, ?, ?, ?) RETURNING {_COLUMNS}",
                source,
                label,
                token_hash(secret),
                utcnow(),
            )
        assert row is not None
        return _record(row), secret

    async def verify(self, secret: str) -> TokenRecord | None:
        """Return the live token `secret` is, noting its use; None if it is none, or revoked."""
        row = await self._find(
            secret, f"SELECT {_COLUMNS} FROM tokens WHERE token_hash = ? AND revoked_at IS NULL"
        )
        return None if row is None else _record(row)

    async def authenticate(self, secret: str) -> Credential | None:
        """Return the live token `secret` is with its source and the source's webhook secret,
        read in one query, noting its use; None if it is none, or revoked."""
        row = await self._find(secret, _WITH_SOURCE)
        if row is None:
            return None
        source = source_record(
            {
                "name": row["source_name"],
                "label": row["source_label"],
                "webhook_secret": row["webhook_secret"],
                "added_at": row["added_at"],
                "requires_review": row["requires_review"],
            }
        )
        return Credential(_record(row), source, row["webhook_secret"])

    async def _find(self, secret: str, sql: str) -> Row | None:
        """Return the row `sql` finds by the secret's hash, its use noted; None if none.

        A request only reads: the use is written at most once per USE_NOTED, so a busy
        token does not queue every request behind the database's writer.
        """
        wanted = token_hash(secret)
        async with self._db.read() as conn:
            row = await conn.fetchrow(sql, wanted)
        if row is None or not hmac.compare_digest(row["token_hash"], wanted):
            return None
        now = utcnow()
        last = row["last_used_at"]
        if last is not None and now - last < USE_NOTED:
            return row
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", now, row["id"])
        return {**row, "last_used_at": now}

    async def list(self, source: str | None = None) -> list[TokenRecord]:
        """Return every token (of `source` only, if given), oldest first."""
        where, args = ("WHERE source_name = ?", [source]) if source is not None else ("", [])
        async with self._db.read() as conn:
            rows = await conn.fetch(f"SELECT {_COLUMNS} FROM tokens {where} ORDER BY id", *args)
        return [_record(row) for row in rows]

    async def revoke(self, token_id: int) -> bool:
        """Revoke a live token at once; False if there is none by that id (or it is revoked)."""
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                utcnow(),
                token_id,
            )
        return changed > 0
