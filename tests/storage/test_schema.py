"""The schema described once (storage/schema.py) against both backends' live schema: tables,
columns and kinds, how results are read, which brief is visible, and the migrations' mapping."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from storage.library import Storage
from storage.postgres.migrations import load_migrations as postgres_migrations
from storage.schema import (
    KINDS,
    MIGRATIONS,
    RESULTS,
    TABLES,
    VISIBLE_COLUMNS,
    Kind,
    draft,
    scheduled,
    visible,
)
from storage.sqlite.migrations import load_migrations as sqlite_migrations
from tests.storage.conftest import make_content

#: How SQLite declares each kind of column, and what its CHECK says of the values.
SQLITE_TYPES = {
    Kind.INT: "INTEGER",
    Kind.TEXT: "TEXT",
    Kind.TIME: "TEXT",
    Kind.FLAG: "INTEGER",
    Kind.LIST: "TEXT",
    Kind.JSON: "TEXT",
}
#: How PostgreSQL declares each kind of column (information_schema's data_type).
POSTGRES_TYPES = {
    Kind.INT: {"bigint", "integer"},
    Kind.TEXT: {"text"},
    Kind.TIME: {"timestamp with time zone"},
    Kind.FLAG: {"boolean"},
    Kind.LIST: {"ARRAY"},
    Kind.JSON: {"text"},
}
#: The search vectors PostgreSQL keeps beside a brief's columns (storage/postgres/search.py).
POSTGRES_SEARCH_COLUMNS = {"search", "title_search"}


async def live_columns(store: Storage, backend: str) -> dict[str, dict[str, str]]:
    """Return every library table's columns with their declared types, as the database has them."""
    found: dict[str, dict[str, str]] = {}
    async with store.db.read() as conn:
        for table in TABLES:
            if backend == "sqlite":
                rows = await conn.fetch(f"SELECT name, type FROM pragma_table_info('{table}')")
                found[table] = {row["name"]: row["type"] for row in rows}
            else:
                rows = await conn.fetch(
                    "SELECT column_name AS name, data_type AS type FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = ?",
                    table,
                )
                found[table] = {row["name"]: row["type"] for row in rows}
    return found


async def test_the_description_is_the_live_schema_after_every_migration(
    store: Storage, backend: str
) -> None:
    live = await live_columns(store, backend)
    for table, columns in TABLES.items():
        declared = live[table]
        if backend == "postgresql" and table == "briefs":
            assert set(declared) >= POSTGRES_SEARCH_COLUMNS
            declared = {c: t for c, t in declared.items() if c not in POSTGRES_SEARCH_COLUMNS}
        assert set(declared) == set(columns), table
        for column, kind in columns.items():
            if backend == "sqlite":
                assert declared[column] == SQLITE_TYPES[kind], (table, column)
            else:
                assert declared[column] in POSTGRES_TYPES[kind], (table, column)


async def test_sqlite_checks_flags_and_json_as_their_kind_says(
    store: Storage, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL's types say it: boolean, text[]")
    async with store.db.read() as conn:
        for table, columns in TABLES.items():
            sql = " ".join(
                str(await conn.fetchval("SELECT sql FROM sqlite_schema WHERE name = ?", table))
                .lower()
                .split()
            )
            for column, kind in columns.items():
                if kind is Kind.FLAG:
                    assert f"check ({column} in (0, 1))" in sql, (table, column)
                if kind in (Kind.LIST, Kind.JSON):
                    assert f"check (json_valid({column}))" in sql, (table, column)


def test_a_declared_result_is_no_column_and_every_name_has_one_kind() -> None:
    columns = {column for table in TABLES.values() for column in table}
    assert not columns & set(RESULTS)
    for table in TABLES.values():
        for column, kind in table.items():
            assert KINDS[column] is kind


async def test_aliases_and_expressions_read_the_same_on_both_backends(
    store: Storage, backend: str
) -> None:
    brief = await store.briefs.add(make_content(topics=["space"]))
    await store.briefs.delete(brief.id, actor_id=1)
    async with store.db.read() as conn:
        row = await conn.fetchrow(
            "SELECT deleted_at AS at, COALESCE(updated_at, created_at) AS updated_at,"
            " created_at AS last_post_at, (SELECT max(created_at) FROM briefs) AS published_at,"
            f" {visible()} AS live, 1 = 1 AS skipped, tags, title AS reason FROM briefs"
        )
    assert row is not None
    for name in ("at", "updated_at", "last_post_at", "published_at"):
        assert isinstance(row[name], datetime), name
        assert row[name].utcoffset() is not None
    assert row["live"] is False
    assert row["skipped"] is True
    assert row["tags"] == ["space"]
    assert row["reason"] == brief.title


async def test_a_time_under_an_undeclared_name_is_refused_not_read_as_text(
    store: Storage, backend: str
) -> None:
    await store.briefs.add(make_content())
    async with store.db.read() as conn:
        if backend == "sqlite":
            with pytest.raises(TypeError, match=r"storage/schema\.py"):
                await conn.fetch("SELECT created_at AS whenever FROM briefs")
        else:
            [row] = await conn.fetch("SELECT created_at AS whenever FROM briefs")
            assert isinstance(row["whenever"], datetime)
        [row] = await conn.fetch("SELECT title AS headline FROM briefs")
    assert row["headline"] == make_content().title


def _words(sql: str) -> str:
    """Return SQL lowercased, without parentheses and repeated spaces (PostgreSQL's deparsed
    definitions add parentheses)."""
    return " ".join(sql.replace("(", " ").replace(")", " ").lower().split())


#: Where a condition starts in a definition, and what ends it.
_CONDITION = re.compile(
    r"\b(?:where|when)\b(.*?)(?=\b(?:begin|end|order|group|limit|insert|select)\b|;|$)"
)


def _other_visibility(sql: str) -> str | None:
    """Return a condition of a definition about visibility that is not the one definition.

    Every use of the definition, on any alias, is taken out of each condition (WHERE, WHEN);
    a condition still reading one of its columns says visibility another way.
    """
    for condition in _CONDITION.findall(_words(sql)):
        text = condition
        for alias in ("", "new", "old", "briefs"):
            text = text.replace(_words(visible(alias)), " ")
            text = text.replace(_words(scheduled(alias)), " ")
            text = text.replace(_words(draft(alias)), " ")
        for column in VISIBLE_COLUMNS:
            if re.search(rf"(?<![\w.])(?:\w+\.)?{column}\b", text):
                return condition.strip()
    return None


async def visibility_objects(store: Storage, backend: str) -> dict[str, str]:
    """Return the definitions of the indexes, triggers, views and functions on briefs."""
    async with store.db.read() as conn:
        if backend == "sqlite":
            rows = await conn.fetch(
                "SELECT name, sql FROM sqlite_schema"
                " WHERE (type IN ('index', 'trigger') AND tbl_name = 'briefs' OR type = 'view')"
                " AND sql IS NOT NULL"
            )
            return {row["name"]: row["sql"] for row in rows}
        rows = await conn.fetch(
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = 'briefs'"
            " UNION ALL SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger AS t"
            " WHERE t.tgrelid = 'briefs'::regclass AND NOT t.tgisinternal"
            " UNION ALL SELECT viewname, definition FROM pg_views"
            " WHERE schemaname = current_schema()"
            " UNION ALL SELECT p.proname, p.prosrc FROM pg_proc AS p"
            " JOIN pg_namespace AS n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
        )
        return {row["name"]: row["sql"] for row in rows}


async def test_every_index_and_trigger_says_visible_as_the_one_definition(
    store: Storage, backend: str
) -> None:
    objects = await visibility_objects(store, backend)
    about = {
        name
        for name, sql in objects.items()
        if any(_words(visible(alias)) in _words(sql) for alias in ("", "new", "old"))
    }
    expected = {"briefs_newest", "briefs_created"}
    if backend == "sqlite":
        expected |= {"briefs_live", "briefs_ai", "briefs_ad", "briefs_au"}
        expected |= {"briefs_titles_ai", "briefs_titles_ad", "briefs_titles_au"}
    else:
        expected |= {"briefs_search", "briefs_title_search"}
    assert expected <= about
    others = {name: _other_visibility(sql) for name, sql in objects.items()}
    assert {name: other for name, other in others.items() if other} == {}


def test_a_visibility_said_another_way_is_found() -> None:
    assert _other_visibility(f"CREATE INDEX x ON briefs (id) WHERE {visible()}") is None
    assert _other_visibility(f"WHEN {visible('new')} BEGIN SELECT 1; END") is None
    assert _other_visibility(f"CREATE INDEX x ON briefs (release_at) WHERE {scheduled()}") is None
    assert _other_visibility("CREATE INDEX x ON briefs (id) WHERE deleted_at IS NULL")
    assert _other_visibility("WHERE release_at > now()")
    assert _other_visibility("CREATE INDEX x ON briefs (id) WHERE deleted_at < now()")
    assert _other_visibility("WHERE (old.deleted_at IS NOT NULL)")
    assert _other_visibility("ON briefs (deleted_at) WHERE id > 0") is None  # not a condition


def test_every_migration_has_its_counterpart_on_the_other_backend() -> None:
    sqlite = {m.version: m.name for m in sqlite_migrations()}
    postgres = {m.version: m.name for m in postgres_migrations()}
    assert [v for lite, _ in MIGRATIONS for v in lite] == sorted(sqlite)
    assert [v for _, pg in MIGRATIONS for v in pg] == sorted(postgres)
    for lite, pg in MIGRATIONS:
        assert lite, pg
        assert pg, lite
        if len(lite) == len(pg) == 1:
            assert sqlite[lite[0]] == postgres[pg[0]], (lite, pg)
