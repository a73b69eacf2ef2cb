"""Health checks of a PostgreSQL library: what its constraints cannot guarantee by themselves."""

from __future__ import annotations

import asyncpg

from storage.postgres.migrations import Driver, current_version, latest_version
from storage.postgres.search import search_vector, title_vector
from storage.schema import visible

#: Newest live briefs whose search vectors are recomputed and compared (all would be slow).
SAMPLE = 200
#: Most offending ids one finding lists.
SHOWN = 10

_CONTENT = (
    "id, title, what_happened, who_was_involved, when_and_where, key_quote, impact, body, tags"
)


def _ids(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


async def integrity_problems(conn: Driver) -> list[str]:
    """Return what is wrong with the schema, search vectors and references (empty: sound).

    Checked in full: the schema version, empty title vectors of live briefs that have words,
    post log and audit rows of missing briefs, and the audit id sequence. Search vectors are
    recomputed and compared for the newest SAMPLE live briefs only.
    """
    problems: list[str] = []
    version, latest = await current_version(conn), latest_version()
    if version != latest:
        problems.append(f"schema version {version}, expected {latest}")
    if version < 1:
        return problems
    # Every word of `title_search` is in `search` too, so a brief whose vectors were never
    # computed has an empty title_search: the small column is cheap to scan in full.
    empty = await conn.fetch(
        f"SELECT {_CONTENT} FROM briefs WHERE {visible()}"
        " AND title_search = ''::tsvector ORDER BY id"
    )
    missing = [row["id"] for row in empty if any(_expected(row))]
    sample = await conn.fetch(
        f"SELECT {_CONTENT} FROM briefs WHERE {visible()} ORDER BY id DESC LIMIT $1",
        SAMPLE,
    )
    expected = [_expected(row) for row in sample]
    stale = await conn.fetch(
        "SELECT b.id FROM briefs AS b JOIN unnest($1::bigint[], $2::text[], $3::text[])"
        " AS expected (id, search, title_search) USING (id)"
        " WHERE b.search <> expected.search::tsvector"
        " OR b.title_search <> expected.title_search::tsvector ORDER BY b.id",
        [row["id"] for row in sample],
        [vectors[0] for vectors in expected],
        [vectors[1] for vectors in expected],
    )
    if missing:
        problems.append(f"search index: empty for brief(s) {_ids(missing)}")
    if stale:
        problems.append(f"search index: out of date for brief(s) {_ids([r['id'] for r in stale])}")
    for table in ("post_log", "audit_log"):
        orphans = await conn.fetch(
            f"SELECT DISTINCT t.brief_id FROM {table} AS t"
            " WHERE NOT EXISTS (SELECT 1 FROM briefs AS b WHERE b.id = t.brief_id)"
            " ORDER BY t.brief_id"
        )
        if orphans:
            problems.append(f"{table}: rows for missing brief(s) {_ids([r[0] for r in orphans])}")
    problems.extend(await _audit_sequence_problems(conn))
    return problems


def _expected(row: asyncpg.Record) -> tuple[str, str]:
    """Return what a brief's `search` and `title_search` should hold (tsvector input)."""
    content = dict(row.items())
    return search_vector(content), title_vector(content)


async def _audit_sequence_problems(conn: Driver) -> list[str]:
    """Say whether the audit log's next id is already taken (a copy that forgot setval)."""
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence('audit_log', 'id')")
    if sequence is None:
        return ["audit_log: the id column has no sequence"]
    row = await conn.fetchrow(f"SELECT last_value, is_called FROM {sequence}")
    highest = await conn.fetchval("SELECT max(id) FROM audit_log")
    if row is None or highest is None:
        return []
    upcoming = row["last_value"] + 1 if row["is_called"] else row["last_value"]
    if upcoming <= highest:
        return [f"audit_log: next id {upcoming} is not above the highest id {highest}"]
    return []
