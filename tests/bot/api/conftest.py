"""The API served for real: uvicorn on a free loopback port, over a library of each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.api import ApiServer, create_api, serving
from bot.config import Settings
from storage.backends import open_storage
from storage.library import Storage
from tests.databases import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(backend: str, tmp_path: Path) -> AsyncIterator[Storage]:
    """A new, empty library of this test's backend."""
    async with database_url(backend, tmp_path) as url:
        storage = await open_storage(url)
        try:
            yield storage
        finally:
            await storage.close()


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_path=tmp_path / "briefs.db")  # type: ignore[call-arg]


@pytest.fixture
async def server(store: Storage, api_settings: Settings) -> AsyncIterator[ApiServer]:
    """The API over `store`, listening on 127.0.0.1 at a port the system chose."""
    async with serving(create_api(store, api_settings), "127.0.0.1", 0) as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
