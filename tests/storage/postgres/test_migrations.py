"""Migrations: applied once each, even by processes starting together; newer schemas refused."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from storage.backends import open_storage
from storage.migrations import MigrationError
from storage.postgres.backend import PostgresDatabase
from storage.postgres.migrations import (
    apply_migrations,
    current_version,
    latest_version,
    load_migrations,
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

TABLES = {
    "schema_version",
    "briefs",
    "audit_log",
    "subscriptions",
    "post_log",
    "bot_state",
    "delivery_log",
    "sources",
    "tokens",
    "idempotency_keys",
    "webhook_deliveries",
    "feeds",
    "review_cards",
}


async def table_names(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await conn.close()
    return {row["table_name"] for row in rows}


def test_migrations_are_numbered_in_order() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, 17))
    assert [m.name for m in migrations] == [
        "schema",
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
    assert latest_version() == 16


async def test_two_processes_opening_an_empty_schema_migrate_once(pg_url: str) -> None:
    stores = await asyncio.gather(*(open_storage(pg_url) for _ in range(2)))
    try:
        for store in stores:
            assert await store.schema_version() == latest_version()
        assert await table_names(pg_url) == TABLES
        brief = await stores[0].briefs.add(make_content())
        assert await stores[1].briefs.get(brief.id) == brief
    finally:
        for store in stores:
            await store.close()


async def test_reopening_applies_nothing(pg_url: str) -> None:
    first = await open_storage(pg_url)
    brief = await first.briefs.add(make_content())
    await first.close()
    for _ in range(2):
        store = await open_storage(pg_url)
        try:
            assert await store.schema_version() == latest_version()
            assert await store.briefs.get(brief.id) == brief
            async with store.db.read() as conn:
                assert await apply_migrations(conn.driver) == latest_version()  # type: ignore[attr-defined]
                assert await conn.fetchval("SELECT count(*) FROM schema_version") == 1
        finally:
            await store.close()


async def test_newer_schema_than_code_is_refused(pg_url: str) -> None:
    store = await open_storage(pg_url)
    async with store.db.transaction() as conn:
        await conn.execute("UPDATE schema_version SET version = 99")
    await store.close()
    with pytest.raises(MigrationError, match="newer than this code"):
        await PostgresDatabase.open(pg_url)


async def test_failed_migration_leaves_nothing_behind(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE bot_state (x integer)")  # 0001 collides with this
        with pytest.raises(asyncpg.DuplicateTableError):
            await apply_migrations(conn)
        assert await current_version(conn) == 0
        assert not conn.is_in_transaction()
    finally:
        await conn.close()
    assert await table_names(pg_url) == {"bot_state"}  # DDL rolls back with the rest


async def test_unknown_target_version_is_refused(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        with pytest.raises(MigrationError, match="no migration"):
            await apply_migrations(conn, up_to=latest_version() + 1)
        assert await apply_migrations(conn, up_to=0) == 0
    finally:
        await conn.close()


async def test_briefs_from_before_content_hashes_are_recognised_on_reimport(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        assert await apply_migrations(conn, up_to=1) == 1
        await conn.execute(
            "INSERT INTO briefs (id, title, what_happened, created_at, search, title_search)"
            " VALUES (7, $1, $2, now(), '', '')",
            make_content().title,
            make_content().what_happened,
        )
    finally:
        await conn.close()
    plain = make_content().model_copy(
        update=dict.fromkeys(
            ("who_was_involved", "when_and_where", "key_quote", "impact", "source_url")
        )
        | {"body": "", "topics": []}
    )
    store = await open_storage(pg_url)
    try:
        assert await store.schema_version() == latest_version()
        assert await store.briefs.add_many([plain], skip_present=True) == []
        assert [b.id for b in await store.briefs.add_many([plain])] == [8]
    finally:
        await store.close()


async def test_each_servers_setting_becomes_one_subscription_and_nothing_posts_again(
    pg_url: str,
) -> None:
    """From the schema before subscriptions (version 4): a subscribed server, a paused one
    with a mention, a server that turned posting off, and their post logs."""
    conn = await asyncpg.connect(pg_url)
    try:
        assert await apply_migrations(conn, up_to=4) == 4
        for n in (1, 2, 3):
            await conn.execute(
                "INSERT INTO briefs (id, title, what_happened, created_at, search, title_search)"
                " VALUES ($1, $2, 'x', '2026-11-01', '', '')",
                n,
                f"Brief {n}",
            )
        await conn.executemany(
            "INSERT INTO guild_settings (guild_id, channel_id, mention_role_id, crosspost,"
            " subscribed_at, paused_reason, paused_at, last_post_at, last_error)"
            " VALUES ($1, $2, $3, $4, '2026-10-01', $5, $6, $7, $5)",
            [
                (10, 100, None, True, None, None, None),
                (20, 200, 7, False, "Channel deleted.", None, None),
                (30, None, None, False, None, None, None),
            ],
        )
        await conn.executemany(
            "INSERT INTO post_log (guild_id, brief_id, channel_id, message_id, posted_at,"
            " skipped) VALUES ($1, $2, $3, $4, '2026-11-02', $5)",
            [(10, 1, 100, 1001, False), (10, 2, None, None, True), (20, 1, 200, 2001, False),
             (30, 1, None, None, True)],
        )  # fmt: skip
        await conn.execute("UPDATE guild_settings SET paused_at = now() WHERE guild_id = 20")
    finally:
        await conn.close()
    store = await open_storage(pg_url)
    try:
        first = await check_upgraded_to_subscriptions(store)
        assert await store.subscriptions.active() == [first]
        # (The briefs were stored by hand, without search vectors: only those may show.)
        problems = await store.integrity_problems()
        assert [p for p in problems if not p.startswith("search index")] == []
    finally:
        await store.close()


async def test_removed_subscriptions_posts_are_forgotten_on_upgrade(pg_url: str) -> None:
    """From version 6: the post log still names removed subscriptions (numbers were never
    reused here, but an imported library could have reused them)."""
    conn = await asyncpg.connect(pg_url)
    try:
        assert await apply_migrations(conn, up_to=6) == 6
        await conn.execute(
            "INSERT INTO briefs (id, title, what_happened, created_at, search, title_search)"
            " VALUES (1, 'Brief 1', 'x', '2026-11-01', '', '')"
        )
        await conn.executemany(
            "INSERT INTO subscriptions (guild_id, channel_id, daily_cap, subscribed_at)"
            " VALUES ($1, $2, $3, '2026-10-01')",
            [(10, 100, None), (20, 200, 1), (30, 300, None)],
        )
        await conn.execute("DELETE FROM subscriptions WHERE id = 3")
        await conn.executemany(
            "INSERT INTO post_log (channel_id, brief_id, guild_id, subscription_id, message_id,"
            " posted_at) VALUES ($1, $2, $3, $4, 9, '2026-11-02')",
            POSTS_BEFORE_NUMBERS,
        )
    finally:
        await conn.close()
    store = await open_storage(pg_url)
    try:
        await check_numbers_kept(store)
    finally:
        await store.close()


async def test_copies_behind_their_brief_are_due_after_an_upgrade(pg_url: str) -> None:
    """From version 5, when a copy was behind only by comparison with its brief."""
    conn = await asyncpg.connect(pg_url)
    try:
        assert await apply_migrations(conn, up_to=5) == 5
        for n, changed in ((1, "2026-11-05"), (2, None), (3, "2026-11-05"), (4, "2026-11-06")):
            await conn.execute(
                "INSERT INTO briefs (id, title, what_happened, created_at, search, title_search,"
                " updated_at, deleted_at) VALUES ($1, $2, 'x', '2026-11-01', '', '',"
                " $3::text::timestamptz, $4::text::timestamptz)",
                n,
                f"Brief {n}",
                changed,
                changed if n == 4 else None,
            )
        await conn.executemany(
            "INSERT INTO post_log (channel_id, brief_id, guild_id, message_id, posted_at,"
            " shown_version, copy_state) VALUES ($1, $2, $3, $4, '2026-11-02',"
            " $5::text::timestamptz, $6)",
            COPIES_BEFORE_DUE,
        )
    finally:
        await conn.close()
    store = await open_storage(pg_url)
    try:
        await check_copies_due_marked(store)
    finally:
        await store.close()


async def test_briefs_from_before_sources_are_nobodys_and_sources_start_empty(
    pg_url: str,
) -> None:
    """From version 10, before sources: a brief has no external id, an entry no label."""
    conn = await asyncpg.connect(pg_url)
    try:
        assert await apply_migrations(conn, up_to=10) == 10
        await conn.execute(
            "INSERT INTO briefs (id, title, what_happened, created_at, search, title_search)"
            " VALUES (1, 'Brief 1', 'x', '2026-11-01', '', '')"
        )
        await conn.execute(
            "INSERT INTO audit_log (brief_id, action, source, at, snapshot)"
            " VALUES (1, 'add', 'cli', '2026-11-01', '{}')"
        )
    finally:
        await conn.close()
    store = await open_storage(pg_url)
    try:
        await check_sources_after_upgrade(store)
    finally:
        await store.close()
