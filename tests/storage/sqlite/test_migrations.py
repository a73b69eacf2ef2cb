"""Migrations: numbered files, applied once each, upgrading an older database in place."""

from __future__ import annotations

import json
from pathlib import Path

import aiosqlite
import pytest

from storage.backends import open_storage, sqlite_url
from storage.briefs import Briefs
from storage.sqlite.backend import SqliteDatabase
from storage.sqlite.migrations import (
    MigrationError,
    apply_migrations,
    current_version,
    latest_version,
    load_migrations,
    split_statements,
)
from tests.storage.conftest import (
    COPIES_BEFORE_DUE,
    POSTS_BEFORE_NUMBERS,
    check_copies_due_marked,
    check_numbers_kept,
    check_sources_after_upgrade,
    check_upgraded_to_subscriptions,
    make_content,
)


def test_migrations_are_numbered_in_order() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, 21))
    assert [m.name for m in migrations] == [
        "briefs",
        "autopost",
        "audit",
        "bot_state",
        "title_search",
        "content_hash_and_rejections",
        "no_pause_notice_flag",
        "corrections",
        "subscriptions",
        "due_copies_and_queue_indexes",
        "subscription_numbers",
        "forum_tag_and_mention_chooser",
        "audit_source",
        "delivery_queue_mark",
        "sources_and_tokens",
        "post_log_by_brief",
        "webhook_deliveries",
        "feeds",
        "release_at",
        "review",
    ]


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    sql = """
    -- a comment; with a semicolon
    CREATE TABLE t (a TEXT DEFAULT ';');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        INSERT INTO t VALUES ('x'); INSERT INTO t VALUES ('y');
    END;
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER")
    assert statements[1].endswith("END;")


def test_split_statements_rejects_unterminated_sql() -> None:
    with pytest.raises(MigrationError):
        split_statements("CREATE TABLE t (a)")


async def table_names(db: SqliteDatabase) -> set[str]:
    async with db.read() as conn:
        rows = await conn.fetch("SELECT name FROM sqlite_schema WHERE type = 'table'")
    return {row["name"] for row in rows}


async def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    for _ in range(3):
        db = await SqliteDatabase.open(db_path)
        try:
            assert await db.schema_version() == latest_version()
            assert {"briefs", "subscriptions", "post_log", "audit_log", "bot_state"} <= (
                await table_names(db)
            )
        finally:
            await db.close()
        async with aiosqlite.connect(db_path, isolation_level=None) as conn:
            assert await apply_migrations(conn) == latest_version()
            async with conn.execute("SELECT count(*) FROM schema_version") as cursor:
                assert await cursor.fetchone() == (1,)


async def test_old_database_is_upgraded_in_place(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, up_to=1) == 1
        await conn.execute(
            "INSERT INTO briefs (id, title, what_happened, body, tags, created_at)"
            " VALUES (7, 'Old flood warning', 'Rivers rose overnight.', '', '[\"weather\"]',"
            " '2023-03-01T08:00:00.000000+00:00')"
        )
        async with conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'") as cur:
            assert "audit_log" not in {row[0] for row in await cur.fetchall()}

    db = await SqliteDatabase.open(db_path)
    try:
        assert await db.schema_version() == latest_version()
        repo = Briefs(db)
        old = await repo.get(7)
        assert old is not None
        assert old.title == "Old flood warning"
        assert old.topics == ["weather"]
        assert [hit.brief_id for hit in await repo.search("flood")] == [7]
        assert await repo.suggest("flo") == [(7, "Old flood warning")]  # 0005 rebuilt titles
        new = await repo.add(make_content())
        assert new.id == 8
        assert [entry.action for entry in await repo.history(8)] == ["add"]
        assert await repo.delete(7, actor_id=1)
        assert [entry.action for entry in await repo.history(7)] == ["delete"]
    finally:
        await db.close()


async def test_newer_database_than_code_is_refused(db_path: Path) -> None:
    db = await SqliteDatabase.open(db_path)
    async with db.transaction() as conn:
        await conn.execute("UPDATE schema_version SET version = 99")
    await db.close()
    with pytest.raises(MigrationError):
        await SqliteDatabase.open(db_path)


async def test_failed_migration_leaves_version_unchanged(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "x.db", isolation_level=None) as conn:
        await conn.execute("CREATE TABLE audit_log (x)")  # 0003 will collide with this
        with pytest.raises(aiosqlite.OperationalError):
            await apply_migrations(conn)
        assert await current_version(conn) == 2
        assert not conn.in_transaction


async def test_briefs_from_before_content_hashes_are_recognised_on_reimport(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    content = make_content()
    fields = {k: v for k, v in content.model_dump().items() if v is not None}
    fields["tags"] = json.dumps(fields.pop("topics"))  # the column keeps the old name
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, up_to=5) == 5
        # a brief stored by the code of version 5, which kept no content hash
        await conn.execute(
            f"INSERT INTO briefs ({', '.join(fields)}, created_at)"
            f" VALUES ({', '.join('?' * len(fields))}, '2025-01-01T00:00:00+00:00')",
            tuple(fields.values()),
        )

    store = await open_storage(sqlite_url(db_path))
    try:
        assert await store.briefs.add_many([make_content()], skip_present=True) == []
        assert await store.briefs.count() == 1
    finally:
        await store.close()


async def test_each_servers_setting_becomes_one_subscription_and_nothing_posts_again(
    db_path: Path,
) -> None:
    """From the schema before subscriptions (version 8): a subscribed server, a paused one
    with a mention, a server that turned posting off, and their post logs."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, up_to=8) == 8
        for n in (1, 2, 3):
            await conn.execute(
                "INSERT INTO briefs (id, title, what_happened, created_at, content_hash)"
                " VALUES (?, ?, 'x', '2026-11-01T00:00:00.000000+00:00', ?)",
                (n, f"Brief {n}", f"h{n}"),
            )
        await conn.executemany(
            "INSERT INTO guild_settings (guild_id, channel_id, mention_role_id, crosspost,"
            " subscribed_at, paused_reason, paused_at, last_post_at, last_error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (10, 100, None, 1, "2026-10-01T00:00:00.000000+00:00", None, None,
                 "2026-11-02T00:00:00.000000+00:00", None),
                (20, 200, 7, 0, "2026-10-01T00:00:00.000000+00:00", "Channel deleted.",
                 "2026-11-03T00:00:00.000000+00:00", None, "Channel deleted."),
                (30, None, None, 0, "2026-10-01T00:00:00.000000+00:00", None, None, None, None),
            ],
        )  # fmt: skip
        await conn.executemany(
            "INSERT INTO post_log (guild_id, brief_id, channel_id, message_id, posted_at,"
            " skipped, claimed_at, shown_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (10, 1, 100, 1001, "2026-11-02T00:00:00.000000+00:00", 0, None, None),
                (10, 2, None, None, "2026-11-02T00:00:00.000000+00:00", 1, None, None),
                (20, 1, 200, 2001, "2026-11-02T00:00:00.000000+00:00", 0, None, None),
                (30, 1, None, None, "2026-11-02T00:00:00.000000+00:00", 1, None, None),
            ],
        )
    store = await open_storage(sqlite_url(db_path))
    try:
        first = await check_upgraded_to_subscriptions(store)
        assert first.last_post_at is not None
        assert await store.integrity_problems() == []
    finally:
        await store.close()


async def test_subscription_numbers_are_kept_for_good_after_an_upgrade(db_path: Path) -> None:
    """From version 10, when SQLite handed out the highest removed number again."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, up_to=10) == 10
        await conn.execute(
            "INSERT INTO briefs (id, title, what_happened, created_at, content_hash)"
            " VALUES (1, 'Brief 1', 'x', '2026-11-01T00:00:00.000000+00:00', 'h1')"
        )
        await conn.executemany(
            "INSERT INTO subscriptions (id, guild_id, channel_id, daily_cap, subscribed_at)"
            " VALUES (?, ?, ?, ?, '2026-10-01T00:00:00.000000+00:00')",
            [(1, 10, 100, None), (2, 20, 200, 1), (3, 30, 300, None)],
        )
        await conn.execute("DELETE FROM subscriptions WHERE id = 3")
        await conn.executemany(
            "INSERT INTO post_log (channel_id, brief_id, guild_id, subscription_id, message_id,"
            " posted_at) VALUES (?, ?, ?, ?, 9, '2026-11-02T00:00:00.000000+00:00')",
            POSTS_BEFORE_NUMBERS,
        )
    store = await open_storage(sqlite_url(db_path))
    try:
        await check_numbers_kept(store)
        assert await store.integrity_problems() == []
    finally:
        await store.close()


async def test_copies_behind_their_brief_are_due_after_an_upgrade(db_path: Path) -> None:
    """From version 9, when a copy was behind only by comparison with its brief."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, up_to=9) == 9
        for n, changed in ((1, "11-05"), (2, None), (3, "11-05"), (4, "11-06")):
            await conn.execute(
                "INSERT INTO briefs (id, title, what_happened, created_at, content_hash,"
                " updated_at, deleted_at) VALUES (?, ?, 'x', '2026-11-01T00:00:00.000000+00:00',"
                " ?, ?, ?)",
                (
                    n,
                    f"Brief {n}",
                    f"h{n}",
                    changed and f"2026-{changed}T00:00:00.000000+00:00",
                    f"2026-{changed}T00:00:00.000000+00:00" if n == 4 else None,
                ),
            )
        await conn.executemany(
            "INSERT INTO post_log (channel_id, brief_id, guild_id, message_id, posted_at,"
            " shown_version, copy_state) VALUES (?, ?, ?, ?, '2026-11-02T00:00:00.000000+00:00',"
            " ?, ?)",
            [
                (*row[:4], row[4] and f"{row[4]}T00:00:00.000000+00:00", row[5])
                for row in COPIES_BEFORE_DUE
            ],
        )
    store = await open_storage(sqlite_url(db_path))
    try:
        await check_copies_due_marked(store)
        assert await store.integrity_problems() == []
    finally:
        await store.close()


async def test_briefs_from_before_sources_are_nobodys_and_sources_start_empty(
    db_path: Path,
) -> None:
    """From version 14, before sources: a brief has no external id, an entry no label."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, up_to=14) == 14
        await conn.execute(
            "INSERT INTO briefs (id, title, what_happened, created_at, content_hash)"
            " VALUES (1, 'Brief 1', 'x', '2026-11-01T00:00:00.000000+00:00', 'h1')"
        )
        await conn.execute(
            "INSERT INTO audit_log (brief_id, action, source, at, snapshot)"
            " VALUES (1, 'add', 'cli', '2026-11-01T00:00:00.000000+00:00', '{}')"
        )
    store = await open_storage(sqlite_url(db_path))
    try:
        await check_sources_after_upgrade(store)
        assert await store.integrity_problems() == []
    finally:
        await store.close()
