"""Fixtures for storage tests: every test here runs on both backends, on a fresh database.

SQLite gets a file in tmp_path; PostgreSQL a schema of its own on the test server (see
tests/databases.py), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage.backends import open_storage
from storage.briefs import Briefs
from storage.library import Storage
from storage.models import BriefContent
from tests.databases import BACKENDS, database_url


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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database of this test's backend."""
    async with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Storage]:
    storage = await open_storage(store_url)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
def repo(store: Storage) -> Briefs:
    return store.briefs
