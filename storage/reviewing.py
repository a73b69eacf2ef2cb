"""Review before publishing: drafts (a contributor's brief, or one from a source that requires
review) move between submitted and changes requested until an editor approves or rejects
them, or their author withdraws them; and each draft's review card.

A draft is stored, invisible to members (storage/schema.py `DRAFT`); approving it makes it
visible (or held until its release time) in one update that applies to a draft still in
review, so two editors approving at once publish it once. `storage.publishing.Publisher`
runs these writes and announces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.base import BRIEF_COLUMNS, Backend, snapshot, valid_id
from storage.models import Brief, utcnow
from storage.rows import brief_of
from storage.schema import draft
from storage.writing import BriefWriter

_DRAFT = draft()
_SELECT = f"SELECT {', '.join(BRIEF_COLUMNS)} FROM briefs"
#: What a draft may be: waiting for an editor, or back with its author.
ReviewState = Literal["submitted", "changes"]


class ReviewWriter(BriefWriter):
    """The briefs repository's review writes and reads, as short transactions."""

    async def set_review(
        self,
        brief_id: int,
        state: ReviewState,
        *,
        action: str,
        note: str | None = None,
        actor_id: int | None = None,
        source: str | None = None,
        label: str | None = None,
    ) -> Brief | None:
        """Move a draft to `state` (audited as `action`: 'submit' again after a revision,
        'request_changes' with the editor's `note`); None if it is no longer a draft."""
        if not valid_id(brief_id):
            return None
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE briefs SET review = ?, review_note = ? WHERE id = ? AND {_DRAFT}"
                f" RETURNING {', '.join(BRIEF_COLUMNS)}",
                state,
                note,
                brief_id,
            )
            if row is None:
                return None
            brief = brief_of(row)
            audit = (actor_id, source, now, snapshot(brief), note, label)
            await self._audit(conn, brief_id, action, *audit)
        return brief

    async def hold_draft(self, brief_id: int, release_at: datetime | None) -> bool:
        """Give a draft the release time it will be held until once approved (None: none)."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE briefs SET release_at = ? WHERE id = ? AND {_DRAFT} RETURNING id",
                release_at,
                brief_id,
            )
        return row is not None

    async def approve(self, brief_id: int, *, actor_id: int | None) -> Brief | None:
        """Approve a draft (audited): visible from now, as a new brief, or held until its
        release time. None if it is no longer a draft (approved by another editor meanwhile,
        rejected or withdrawn): whoever asks at the same time, it is approved once."""
        if not valid_id(brief_id):
            return None
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "UPDATE briefs SET review = NULL, review_note = NULL, created_at = ?,"
                " released_at = CASE WHEN release_at IS NULL THEN ? ELSE released_at END,"
                f" updated_at = NULL, correction = NULL WHERE id = ? AND {_DRAFT}"
                f" RETURNING {', '.join(BRIEF_COLUMNS)}",
                now,
                now,
                brief_id,
            )
            if row is None:
                return None
            brief = brief_of(row)
            await self._audit(conn, brief_id, "approve", actor_id, None, now, snapshot(brief))
        return brief

    async def withdraw(self, brief_id: int, *, author_id: int) -> bool:
        """Withdraw a draft its author wrote (audited): never published, nobody saw it.
        False if it is not one of theirs, or no longer a draft."""
        if not valid_id(brief_id):
            return False
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "UPDATE briefs SET deleted_at = ?, updated_at = ?"
                f" WHERE id = ? AND {_DRAFT} AND created_by = ?"
                f" RETURNING {', '.join(BRIEF_COLUMNS)}",
                now,
                now,
                brief_id,
                author_id,
            )
            if row is None:
                return False
            record = snapshot(brief_of(row))
            await self._audit(conn, brief_id, "withdraw", author_id, None, now, record)
        return True

    async def drafts(self, *, author_id: int | None = None, limit: int = 25) -> list[Brief]:
        """Return drafts in review, oldest first (with `author_id`, only that author's)."""
        if limit <= 0:
            return []
        mine, args = ("", []) if author_id is None else (" AND created_by = ?", [author_id])
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"{_SELECT} WHERE {_DRAFT}{mine} ORDER BY id LIMIT ?", *args, limit
            )
        return [brief_of(row) for row in rows]


@dataclass(frozen=True)
class ReviewCard:
    """The message showing a draft to the editors, and what it shows."""

    brief_id: int
    channel_id: int
    message_id: int
    #: What the card was rendered from (its state and content), to tell when it is behind.
    shown: str
    #: The draft left review (approved, rejected, withdrawn) and the card says so for good.
    final: bool


class ReviewCards:
    """Where each draft's review card is, and the cards still to bring up to date."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def get(self, brief_id: int) -> ReviewCard | None:
        """Return a draft's card, if one was posted."""
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT brief_id, channel_id, message_id, shown, final FROM review_cards"
                " WHERE brief_id = ?",
                brief_id,
            )
        return None if row is None else ReviewCard(**row)

    async def record(self, card: ReviewCard) -> None:
        """Keep where a card is and what it shows now."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO review_cards (brief_id, channel_id, message_id, shown, final)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (brief_id) DO UPDATE SET"
                " channel_id = excluded.channel_id, message_id = excluded.message_id,"
                " shown = excluded.shown, final = excluded.final",
                card.brief_id,
                card.channel_id,
                card.message_id,
                card.shown,
                card.final,
            )

    async def forget(self, brief_id: int) -> None:
        """Forget a card whose message is gone (the next look posts it again if needed)."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM review_cards WHERE brief_id = ?", brief_id)

    async def work(self, *, limit: int = 50) -> list[int]:
        """Return the briefs whose card may need posting or updating: drafts without a card,
        and cards not final yet (their draft may have moved)."""
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT b.id FROM briefs AS b WHERE {draft('b')} AND NOT EXISTS"
                " (SELECT 1 FROM review_cards AS c WHERE c.brief_id = b.id)"
                " UNION SELECT c.brief_id AS id FROM review_cards AS c WHERE NOT c.final"
                " ORDER BY id LIMIT ?",
                limit,
            )
        return [int(row["id"]) for row in rows]
