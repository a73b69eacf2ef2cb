"""A brief and its audit entries as the database keeps them: rows to write, and back."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from storage.base import content_key, snapshot
from storage.models import COPY_FIELDS, STORED, AuditEntry, Brief, BriefContent
from storage.schema import TOPICS_COLUMN
from storage.sql import Row

#: The column each field of a brief's content fills, in the order the model lists them (the
#: topics keep their old name there: storage/schema.py).
_CONTENT = {
    field: TOPICS_COLUMN if field == "topics" else field
    for field in BriefContent.model_fields
    if field in COPY_FIELDS
}


def brief_of(row: Row) -> Brief:
    """Read a stored brief (a retracted one says when and why)."""
    fields = {key: value for key, value in row.items() if key != TOPICS_COLUMN}
    fields["topics"] = row[TOPICS_COLUMN]
    fields["retracted_at"] = row.get("deleted_at")
    return Brief.model_validate(fields, context=STORED)


def audit_entry(row: Row) -> AuditEntry:
    """Read one audit row (its snapshot is JSON text)."""
    return AuditEntry.model_validate({**row, "snapshot": json.loads(row["snapshot"])})


def content_values(content: BriefContent) -> dict[str, Any]:
    """Return the content columns of a brief as stored (its release time is not one: holding
    and releasing are their own writes)."""
    values = {column: getattr(content, field) for field, column in _CONTENT.items()}
    values[TOPICS_COLUMN] = list(content.topics)
    return values


def brief_row(brief: Brief) -> Row:
    """Return every column of a brief's row, as `Backend.insert` takes it."""
    return {
        "id": brief.id,
        **content_values(brief),
        "created_at": brief.created_at,
        "created_by": brief.created_by,
        "updated_at": brief.updated_at,
        "deleted_at": brief.retracted_at,
        "content_hash": content_key(brief),
        "correction": brief.correction,
        "retraction": brief.retraction,
        "backfill": brief.backfill,
        "release_at": brief.release_at,
        "released_at": brief.released_at,
        "review": brief.review,
        "review_note": brief.review_note,
    }


def audit_rows(
    stored: Sequence[Brief],
    action: str,
    actor_id: int | None,
    at: Any,
    source: str | None = None,
    label: str | None = None,
) -> list[Row]:
    """Return the audit entries of newly stored briefs: one `action` each (by the user
    `actor_id` or the named `source`), with its correction note; then, for a retracted one
    (an export read back), its retraction, when and why; for a held one, when it is due; for
    a draft, its submission."""

    def entry(brief: Brief, what: str, note: str | None, **who: Any) -> Row:
        return {
            "brief_id": brief.id, "action": what, "actor_id": actor_id, "source": source,
            "source_label": label, "at": at, "snapshot": snapshot(brief), "note": note,
        } | who  # fmt: skip

    rows = [entry(brief, action, brief.correction) for brief in stored]
    rows += [
        entry(brief, "delete", brief.retraction, actor_id=None, at=brief.retracted_at)
        for brief in stored
        if brief.retracted_at is not None
    ]
    live = [brief for brief in stored if brief.retracted_at is None]
    rows += [
        entry(brief, "schedule", brief.release_at.isoformat())
        for brief in live
        if brief.release_at is not None
    ]
    rows += [entry(brief, "submit", None) for brief in live if brief.review is not None]
    return rows


def release_rows(
    released: Sequence[Brief],
    due: Mapping[int, datetime],
    actor_id: int | None,
    at: datetime,
    source: str | None = None,
    label: str | None = None,
) -> list[Row]:
    """Return the audit entries of held briefs released at `at`: each notes when it was due."""
    return [
        {
            "brief_id": brief.id,
            "action": "release",
            "actor_id": actor_id,
            "source": source,
            "source_label": label,
            "at": at,
            "snapshot": snapshot(brief),
            "note": due[brief.id].isoformat(),
        }
        for brief in released
    ]
