"""Fixtures for storage tests: real SQLite files in tmp_path, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage.briefs import BriefRepository
from storage.database import Database
from storage.models import BriefContent


def make_content(**overrides: Any) -> BriefContent:
    """A valid brief with every section filled, overridable field by field."""
    fields: dict[str, Any] = {
        "title": "Comet seen over Lisbon",
        "what_happened": "Astronomers tracked a bright comet across the night sky.",
        "who_was_involved": "The Lisbon Observatory",
        "when_and_where": "Tuesday night, Lisbon",
        "key_quote": "We have not seen one this bright in decades.",
        "impact": "Stargazers are expected to gather all week.",
        "body": "A longer account of the sighting.",
        "source_url": "https://example.com/comet",
        "tags": ["science", "space"],
    }
    fields.update(overrides)
    return BriefContent(**fields)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "briefs.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def repo(db: Database) -> BriefRepository:
    return BriefRepository(db)
