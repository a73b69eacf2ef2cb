"""The tsvector and tsquery text built in Python, as PostgreSQL itself reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.postgres.search import build_tsquery, build_tsvector
from storage.search import lexemes
from tests.storage.sqlite.test_search import any_text


@pytest.fixture
async def conn(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(pg_url)
    try:
        yield connection
    finally:
        await connection.close()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=any_text, prefix=st.booleans())
async def test_any_text_matches_itself(conn: asyncpg.Connection, text: str, prefix: bool) -> None:
    vector = build_tsvector([("A", lexemes(text)), ("D", lexemes(text))])
    query = build_tsquery(text, prefix=prefix, weights="A" if prefix else "")
    parsed = await conn.fetchval("SELECT $1::tsvector", vector)
    if query is None:
        assert lexemes(text) == []
        assert parsed == ""
        return
    assert await conn.fetchval("SELECT $1::tsvector @@ $2::tsquery", vector, query)


async def test_weights_and_prefixes_restrict_matches(conn: asyncpg.Connection) -> None:
    vector = build_tsvector([("A", lexemes("Council meets")), ("D", lexemes("Budget talk"))])

    async def matches(query: str | None) -> bool:
        return bool(await conn.fetchval("SELECT $1::tsvector @@ $2::tsquery", vector, query))

    assert await matches(build_tsquery("coun", prefix=True, weights="A"))
    assert not await matches(build_tsquery("budg", prefix=True, weights="A"))
    assert await matches(build_tsquery("budg", prefix=True))
    assert not await matches(build_tsquery("budg"))
    assert await matches(build_tsquery("COUNCIL budget"))


async def test_title_words_rank_above_body_words(conn: asyncpg.Connection) -> None:
    title = build_tsvector([("A", ["volcano"]), ("D", ["ash"])])
    body = build_tsvector([("A", ["ash"]), ("D", ["volcano"])])
    query = build_tsquery("volcano")
    ranks = [
        await conn.fetchval("SELECT ts_rank($1::tsvector, $2::tsquery)", vector, query)
        for vector in (title, body)
    ]
    assert ranks[0] > ranks[1]
