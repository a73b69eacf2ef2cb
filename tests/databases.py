"""Test databases on both backends: SQLite files in tmp_path, PostgreSQL schemas on a server.

PostgreSQL tests need a server: set BRIEFBOT_TEST_POSTGRES_URL (`scripts/test-postgres start`
prints one; `.ci/run` does this). Without it they are skipped, unless
BRIEFBOT_REQUIRE_POSTGRES=1 (as in CI), which makes a missing server a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from storage.backends import sqlite_url
from storage.library import Storage

POSTGRES_URL_VARIABLE = "BRIEFBOT_TEST_POSTGRES_URL"
REQUIRE_VARIABLE = "BRIEFBOT_REQUIRE_POSTGRES"
BACKENDS = ("sqlite", "postgresql")


def postgres_server() -> str:
    """Return the test server's URL, or skip (fail, when required) if there is none."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if url:
        return url
    message = f"no PostgreSQL test server: set {POSTGRES_URL_VARIABLE} (scripts/test-postgres)"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(message)
    pytest.skip(message)


def with_search_path(url: str, schema: str) -> str:
    """Return the URL with a search_path, which asyncpg passes on as a server setting."""
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}search_path={schema}"


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """Create an empty schema on the test server; yield a URL using it; drop it afterwards."""
    server = postgres_server()
    schema = f"test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(server, schema)
        finally:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database of this backend, removed afterwards."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "data" / "briefs.db")
    else:
        async with postgres_schema() as url:
            yield url


async def message_id(storage: Storage, guild_id: int, brief_id: int) -> int | None:
    """Return the message a brief was auto-posted as in a guild, read from the post log."""
    async with storage.db.read() as conn:
        value = await conn.fetchval(
            "SELECT message_id FROM post_log WHERE guild_id = ? AND brief_id = ?",
            guild_id,
            brief_id,
        )
    return None if value is None else int(value)


async def highest_id(storage: Storage) -> int:
    """Return the highest brief id ever used (deleted briefs included), 0 when empty."""
    async with storage.db.read() as conn:
        return int(await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM briefs"))


async def age_claims(storage: Storage, by: timedelta) -> None:
    """Move every unrecorded auto-post claim `by` into the past: the database as the bot will
    find it that much later (its claims carry the database's own, real clock)."""
    async with storage.db.transaction() as conn:
        rows = await conn.fetch(
            "SELECT guild_id, brief_id, posted_at, claimed_at FROM post_log"
            " WHERE message_id IS NULL"
        )
        await conn.executemany(
            "UPDATE post_log SET posted_at = ?, claimed_at = ? WHERE guild_id = ? AND brief_id = ?",
            [
                (
                    row["posted_at"] - by,
                    (row["claimed_at"] or row["posted_at"]) - by,
                    row["guild_id"],
                    row["brief_id"],
                )
                for row in rows
            ],
        )


class Freezer:
    """A TCP proxy in front of the PostgreSQL test server that can freeze like a hung server
    (connections still accepted, nothing answered), thaw, or drop every connection as a
    restart does. `freeze_on(b"COMMIT")` freezes once a commit reached the server, so its
    answer is lost."""

    def __init__(self, server_url: str) -> None:
        parts = urlsplit(server_url)
        self._server_url = server_url
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._freeze_on: bytes | None = None
        self._streams: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Freezer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self.thaw()
        self.drop()
        if self._server is not None:
            self._server.close()

    def url(self, url: str) -> str:
        """Return `url` (of the test server) going through the proxy."""
        host, port = self._target
        return url.replace(f"@{host}:{port}/", f"@127.0.0.1:{self.port}/", 1)

    def freeze(self) -> None:
        self._flowing.clear()

    def freeze_on(self, marker: bytes) -> None:
        self._freeze_on = marker

    def thaw(self) -> None:
        self._freeze_on = None
        self._flowing.set()

    def drop(self) -> None:
        for stream in self._streams:
            stream.transport.abort()
        self._streams.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._streams |= {writer, up_writer}
        await asyncio.gather(
            self._pump(reader, up_writer, watch=True),
            self._pump(up_reader, writer, watch=False),
            return_exceptions=True,
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, watch: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
                if watch and self._freeze_on is not None and self._freeze_on in data:
                    self.freeze()
        finally:
            writer.transport.abort()


async def age_posts(storage: Storage, by: timedelta) -> None:
    """Move every post and claim of the post log `by` into the past, as a daily cap will
    count them that much later (their times come from the database's own, real clock)."""
    async with storage.db.transaction() as conn:
        rows = await conn.fetch("SELECT channel_id, brief_id, posted_at FROM post_log")
        await conn.executemany(
            "UPDATE post_log SET posted_at = ? WHERE channel_id = ? AND brief_id = ?",
            [(row["posted_at"] - by, row["channel_id"], row["brief_id"]) for row in rows],
        )
