"""Writing briefs: storing new ones, replacing one's content and retracting one, each in one
transaction with its audit entry naming the actor.

`storage.briefs.Briefs` has these writes; `storage.publishing.Publisher` runs them for every
entry point and announces what they committed. They announce nothing themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.base import (
    BRIEF_COLUMNS,
    Backend,
    content_key,
    kept_ids,
    plain,
    snapshot,
    to_store,
    valid_id,
    with_ids,
)
from storage.copies import mark_copies_due
from storage.errors import ExternalIdTakenError, StaleEditError
from storage.models import Brief, BriefContent, utcnow
from storage.rows import audit_rows, brief_of, brief_row, content_values, release_rows
from storage.schema import KEPT, scheduled
from storage.sql import Connection

#: Briefs one `add_many` stores before the database is asked to settle (Backend.settle).
BULK_WRITE = 1000

_HELD = scheduled()
#: Held briefs one `release_due` releases at most (the rest in the next call).
RELEASE_BATCH = 500


@dataclass(frozen=True)
class Released:
    """A held brief released: when it was due and when it went out."""

    brief_id: int
    due: datetime
    at: datetime

    @property
    def late(self) -> timedelta:
        """Return how long after its time the brief was released."""
        return self.at - self.due


class BriefWriter:
    """The briefs repository's writes, as short transactions on one database."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(
        self,
        content: BriefContent,
        *,
        created_by: int | None = None,
        source: str | None = None,
        label: str | None = None,
        external_id: str | None = None,
        backfill: bool = False,
        review: bool = False,
    ) -> Brief:
        """Store new content under a fresh id (audited as 'add'), announcing nothing: entry
        points publish through `storage.publishing.Publisher`. With `external_id`, the brief
        is the `source`'s by that id: ExternalIdTakenError if it already has one. A `backfill`
        brief (a feed's backlog when it was added) is never auto-posted. With `review` (or from
        a source that requires it), the brief is a draft submitted for review."""
        stored = await self.add_many(
            [plain(content)],
            created_by=created_by,
            source=source,
            label=label,
            action="add",
            external_id=external_id,
            backfill=backfill,
            review=review,
        )
        return stored[0]

    async def add_many(
        self,
        items: Sequence[BriefContent],
        *,
        created_by: int | None = None,
        source: str | None = None,
        action: str = "import",
        skip_present: bool = False,
        label: str | None = None,
        external_id: str | None = None,
        backfill: bool = False,
        review: bool = False,
    ) -> list[Brief]:
        """Store all items or none, in one transaction; return what was stored.

        Items that are `Brief`s keep their id, created_at, created_by and updated_at (an
        export read back), their correction note, retraction and backfill flag; others get
        fresh ids (and, with `backfill`, are stored as a feed's backlog).
        Raises DuplicateIdError if a kept id is taken or repeated. With `skip_present`, content
        already stored is left out instead of stored again (see `storage.base.to_store`).
        New ids are above every id ever stored, retracted briefs' included: a number is never
        reused, so an old message's buttons never open another story.
        """
        kept = kept_ids(items, action)
        if not items:
            return []
        now = utcnow()
        async with self._db.transaction() as conn:
            await self._db.lock_ids(conn)  # another process handing out ids waits for us
            if external_id is not None:
                await self._check_external(conn, source, external_id)
                # A source's backlog (backfill) is never posted: no draft for an editor either.
                review = review or (not backfill and await self._requires_review(conn, source))
            taken, live = await self._present(conn, items, kept, skip_present=skip_present)
            fresh = to_store(items, live=live, taken=taken, skip_present=skip_present)
            if not fresh:
                return []
            highest = await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM briefs")
            first = max([int(highest), *kept]) + 1
            stored = with_ids(
                fresh, first, now=now, created_by=created_by, backfill=backfill, review=review
            )
            rows = [brief_row(brief) for brief in stored]
            if external_id is not None:
                rows[0] |= {"source_name": source, "external_id": external_id}
            await self._db.insert(conn, "briefs", rows)
            audit = audit_rows(stored, action, created_by, now, source, label)
            await self._db.insert(conn, "audit_log", audit)
        if len(stored) >= BULK_WRITE:
            await self._db.settle(("briefs", "audit_log"))
        return stored

    async def update(
        self,
        brief_id: int,
        content: BriefContent,
        *,
        actor_id: int | None,
        source: str | None = None,
        base: Brief | None = None,
        note: str | None = None,
        label: str | None = None,
    ) -> Brief | None:
        """Replace a brief's content (audited as 'edit'); None if missing or deleted.

        With `base`, the version the edit started from, raise StaleEditError when the brief
        was changed since (its `updated_at` differs), so no edit silently overwrites another.
        A correction `note` is kept in the audit trail and shown with the brief (until the
        next note replaces it). A held brief stays held, at its time: its edit is no
        correction (nobody saw it), so it keeps no note and has no copies to mark; so is a
        draft's, which stays in review.
        """
        if not valid_id(brief_id):
            return None
        now = utcnow()
        values = content_values(content)
        search = self._db.search.columns(values)
        assignments = [f"{column} = ?" for column in values]
        assignments += [f"{column} = {slot}" for column, slot, _ in search]
        args = [*values.values(), *(value for _, _, value in search)]
        if note is not None:
            assignments.append(
                "correction = CASE WHEN release_at IS NULL AND review IS NULL THEN ? END"
            )
            args.append(note)
        args += [now, content_key(content), brief_id]
        based = ""
        if base is not None:
            based = f" AND {self._db.dialect.same('updated_at')}"
            args.append(base.updated_at)
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE briefs SET {', '.join(assignments)}, updated_at = ?, content_hash = ?"
                f" WHERE id = ? AND {KEPT}{based} RETURNING {', '.join(BRIEF_COLUMNS)}",
                *args,
            )
            if row is None:
                if base is not None and await self._is_kept(conn, brief_id):
                    raise await self._stale(conn, brief_id)
                return None
            brief = brief_of(row)
            held = brief.release_at is not None or brief.review is not None
            audit = (actor_id, source, now, snapshot(brief), None if held else note, label)
            await self._audit(conn, brief_id, "edit", *audit)
            if not held:
                await mark_copies_due(conn, brief_id, now)  # its posted copies are now behind
        return brief

    async def delete(
        self,
        brief_id: int,
        *,
        actor_id: int | None,
        source: str | None = None,
        reason: str | None = None,
        label: str | None = None,
    ) -> bool:
        """Soft-delete (retract): hide from lookups, search and auto-post; keep history.

        Its posted copies then say it was retracted, with the `reason`. False if absent.
        """
        if not valid_id(brief_id):
            return False
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "UPDATE briefs SET deleted_at = ?, updated_at = ?, retraction = ?"
                f" WHERE id = ? AND {KEPT} RETURNING {', '.join(BRIEF_COLUMNS)}",
                now,
                now,
                reason,
                brief_id,
            )
            if row is None:
                return False
            brief = brief_of(row)
            audit = (actor_id, source, now, snapshot(brief), reason, label)
            if brief.review is not None:  # a draft an editor turned down: nobody saw it
                await self._audit(conn, brief_id, "reject", *audit)
                return True
            if brief.release_at is not None:  # withdrawn before anyone saw it: no copies
                await self._audit(conn, brief_id, "cancel", *audit)
                return True
            await self._audit(conn, brief_id, "delete", *audit)
            await mark_copies_due(conn, brief_id, now)  # its posted copies now retract it
        return True

    async def reschedule(
        self,
        brief_id: int,
        release_at: datetime,
        *,
        actor_id: int | None,
        source: str | None = None,
        label: str | None = None,
    ) -> Brief | None:
        """Hold a held brief until another time (audited as 'schedule'); None if it is not
        held (released meanwhile, retracted, or never held). A time not after now releases
        it with the next `release_due`."""
        if not valid_id(brief_id):
            return None
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                f"UPDATE briefs SET release_at = ? WHERE id = ? AND {_HELD}"
                f" RETURNING {', '.join(BRIEF_COLUMNS)}",
                release_at,
                brief_id,
            )
            if row is None:
                return None
            brief = brief_of(row)
            note = release_at.isoformat()
            audit = (actor_id, source, now, snapshot(brief), note, label)
            await self._audit(conn, brief_id, "schedule", *audit)
        return brief

    async def release_due(
        self,
        *,
        now: datetime | None = None,
        only: int | None = None,
        actor_id: int | None = None,
        source: str | None = None,
        label: str | None = None,
    ) -> list[Released]:
        """Release the held briefs due by `now` (with `only`, that one brief, due or not),
        oldest due first, at most RELEASE_BATCH; return those this call released.

        Each is claimed once, whichever processes sharing the database ask at the same time:
        the update that clears its `release_at` applies to a brief still held, and a brief
        another transaction released is left out. Released, a brief is new to everyone:
        `created_at` becomes the release (auto-posting treats it as just stored), and its
        edits while held leave no trace on it (no correction note, no edit time).
        """
        now = now or utcnow()
        args: list[Any]
        if only is not None:
            which, args = f"id = ? AND {_HELD}", [only]
        else:
            which, args = f"{_HELD} AND release_at <= ?", [now]
        async with self._db.transaction() as conn:
            due = await conn.fetch(
                f"SELECT id, release_at FROM briefs WHERE {which} ORDER BY release_at, id LIMIT ?",
                *args,
                RELEASE_BATCH,
            )
            if not due:
                return []
            when = {int(row["id"]): row["release_at"] for row in due}
            these = self._db.dialect.any_of("id")
            rows = await conn.fetch(
                "UPDATE briefs SET release_at = NULL, released_at = ?, created_at = ?,"
                f" updated_at = NULL, correction = NULL WHERE {these} AND {_HELD}"
                f" RETURNING {', '.join(BRIEF_COLUMNS)}",
                now,
                now,
                list(when),
            )
            released = sorted((brief_of(row) for row in rows), key=lambda b: when[b.id])
            audit = release_rows(released, when, actor_id, now, source, label)
            await self._db.insert(conn, "audit_log", audit)
        return [Released(brief.id, when[brief.id], now) for brief in released]

    async def _check_external(self, conn: Connection, source: str | None, external_id: str) -> None:
        """Raise ExternalIdTakenError if `source` already has a brief by `external_id`."""
        if source is None:
            raise ValueError("an external id needs its source")
        taken = await conn.fetchval(
            "SELECT id FROM briefs WHERE source_name = ? AND external_id = ?", source, external_id
        )
        if taken is not None:
            raise ExternalIdTakenError(int(taken))

    async def _present(
        self,
        conn: Connection,
        items: Sequence[BriefContent],
        kept: list[int],
        *,
        skip_present: bool,
    ) -> tuple[dict[int, tuple[str | None, bool]], set[str]]:
        """Return what a batch meets in the library: each kept id in use, with its content
        key and whether it is retracted; with `skip_present`, the keys of the items' content
        already stored (and not retracted)."""
        any_of = self._db.dialect.any_of
        rows = await conn.fetch(
            f"SELECT id, content_hash, {KEPT} AS live FROM briefs WHERE {any_of('id')}", kept
        )
        taken = {row["id"]: (row["content_hash"], not row["live"]) for row in rows}
        if not skip_present:
            return taken, set()
        keys = [content_key(item) for item in items]
        rows = await conn.fetch(
            f"SELECT content_hash FROM briefs WHERE {KEPT} AND {any_of('content_hash')}", keys
        )
        return taken, {row["content_hash"] for row in rows}

    async def _requires_review(self, conn: Connection, source: str | None) -> bool:
        """Say whether a source's new briefs wait for an editor (sources.requires_review)."""
        found = await conn.fetchval("SELECT requires_review FROM sources WHERE name = ?", source)
        return bool(found)

    async def _is_kept(self, conn: Connection, brief_id: int) -> bool:
        found = await conn.fetchval(f"SELECT 1 FROM briefs WHERE id = ? AND {KEPT}", brief_id)
        return found is not None

    async def _stale(self, conn: Connection, brief_id: int) -> StaleEditError:
        """Describe who changed a brief last, and when."""
        row = await conn.fetchrow(
            "SELECT actor_id, source, at FROM audit_log"
            " WHERE brief_id = ? ORDER BY id DESC LIMIT 1",
            brief_id,
        )
        return StaleEditError(
            brief_id,
            changed_by=None if row is None else row["actor_id"],
            changed_at=None if row is None else row["at"],
            changed_via=None if row is None else row["source"],
        )

    async def _audit(
        self,
        conn: Connection,
        brief_id: int,
        action: str,
        actor_id: int | None,
        source: str | None,
        at: Any,
        record: str,
        note: str | None = None,
        label: str | None = None,
    ) -> None:
        await conn.execute(
            "INSERT INTO audit_log"
            " (brief_id, action, actor_id, source, source_label, at, snapshot, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            brief_id,
            action,
            actor_id,
            source,
            label,
            at,
            record,
            note,
        )
