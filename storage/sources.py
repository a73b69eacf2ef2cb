"""Sources: the named origins of pushed briefs (a newsroom's CMS, a wire, later feeds).

A source's briefs carry its name and the id it knows each by; its tokens act for it alone
(storage/tokens.py). Its webhook secret is kept as given, not hashed: checking a webhook's
HMAC signature needs the secret itself.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from storage.base import Backend
from storage.errors import SourceExistsError, SourceNameError, UnknownSourceError
from storage.models import utcnow
from storage.sql import Row

#: What a source may be called: short, lower case, safe in a URL path and a metric label.
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
#: Names taken by sources that are not stored here (storage.publishing.SOURCES).
RESERVED = frozenset({"cli"})
_COLUMNS = "name, label, webhook_secret, added_at, requires_review"


@dataclass(frozen=True)
class SourceRecord:
    """One stored source."""

    name: str
    label: str | None
    added_at: datetime
    #: Whether pushes from it must carry a webhook signature.
    signed: bool
    #: Whether its new briefs wait for an editor's approval (drafts) instead of publishing.
    requires_review: bool = False

    @property
    def shown(self) -> str:
        """Return how history shows it: its label, else its name."""
        return self.label or self.name


def check_name(name: str) -> str:
    """Return `name` if it may name a source; else raise SourceNameError saying why."""
    if not SOURCE_NAME.fullmatch(name):
        raise SourceNameError(
            f"{name!r} is not a source name: 1 to 32 of a-z, 0-9, '_' and '-',"
            " starting with a letter or digit"
        )
    if name in RESERVED:
        raise SourceNameError(f"{name!r} is reserved")
    return name


def source_record(row: Row) -> SourceRecord:
    """Return the record of a `sources` row (its secret only as whether it is set)."""
    return SourceRecord(
        name=row["name"],
        label=row["label"],
        added_at=row["added_at"],
        signed=row["webhook_secret"] is not None,
        requires_review=bool(row["requires_review"]),
    )


class Sources:
    """The sources repository."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(self, name: str, *, label: str | None = None) -> SourceRecord:
        """Store a new source; SourceExistsError if the name is taken."""
        check_name(name)
        async with self._db.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM sources WHERE name = ?", name) is not None:
                raise SourceExistsError(f"a source named {name!r} already exists")
            row = await conn.fetchrow(
                "INSERT INTO sources (name, label, added_at) VALUES (?, ?, ?)"
                f" RETURNING {_COLUMNS}",
                name,
                label,
                utcnow(),
            )
        assert row is not None
        return source_record(row)

    async def list(self) -> list[SourceRecord]:
        """Return every source, by name."""
        async with self._db.read() as conn:
            rows = await conn.fetch(f"SELECT {_COLUMNS} FROM sources ORDER BY name")
        return [source_record(row) for row in rows]

    async def get(self, name: str) -> SourceRecord | None:
        """Return the source called `name`, or None."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sources WHERE name = ?", name)
        return None if row is None else source_record(row)

    async def remove(self, name: str) -> bool:
        """Remove a source and its tokens (its briefs stay, still naming it); False if absent."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM tokens WHERE source_name = ?", name)
            return await conn.execute("DELETE FROM sources WHERE name = ?", name) > 0

    async def set_webhook_secret(self, name: str) -> str:
        """Give a source a new webhook signing secret (Standard Webhooks' `whsec_` form) and
        return it, shown this once; UnknownSourceError if there is no such source."""
        # Standard Webhooks' form: whsec_ and the key in standard base64 (not the URL-safe
        # alphabet, which its libraries would misread).
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                "UPDATE sources SET webhook_secret = ? WHERE name = ?", secret, name
            )
        if not changed:
            raise UnknownSourceError(f"no source is named {name!r}")
        return secret

    async def set_review(self, name: str, required: bool) -> None:
        """Have a source's new briefs wait for an editor (or not); UnknownSourceError if there
        is no such source."""
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                "UPDATE sources SET requires_review = ? WHERE name = ?", required, name
            )
        if not changed:
            raise UnknownSourceError(f"no source is named {name!r}")

    async def webhook_secret(self, name: str) -> str | None:
        """Return a source's webhook secret, to check a signature (None: pushes are unsigned)."""
        async with self._db.read() as conn:
            value = await conn.fetchval("SELECT webhook_secret FROM sources WHERE name = ?", name)
        return None if value is None else str(value)
