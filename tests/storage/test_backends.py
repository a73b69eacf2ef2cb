"""Opening a library from its URL, on either backend; closing it."""

from __future__ import annotations

import pytest

from storage.backends import DatabaseUnavailableError, open_storage


async def test_close_is_idempotent(store_url: str) -> None:
    store = await open_storage(store_url)
    await store.close()
    await store.close()


async def test_a_schema_newer_than_the_code_is_refused_naming_the_database(
    store_url: str,
) -> None:
    store = await open_storage(store_url)
    try:
        async with store.db.transaction() as conn:  # as a newer version of the bot leaves it
            await conn.execute("UPDATE schema_version SET version = 99 WHERE id = 1")
    finally:
        await store.close()
    with pytest.raises(DatabaseUnavailableError, match="newer than this code") as caught:
        await open_storage(store_url)
    assert str(caught.value).startswith("cannot open ")
