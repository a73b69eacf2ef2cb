"""Fixtures for PostgreSQL-only tests: an empty schema of its own on the test server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.backends import open_storage
from storage.library import Storage
from tests.databases import postgres_schema


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a new, empty schema (skipped without a server, like the shared tests)."""
    async with postgres_schema() as url:
        yield url


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[Storage]:
    storage = await open_storage(pg_url)
    try:
        yield storage
    finally:
        await storage.close()
