"""Webhook deliveries, on both backends: an id is new once per source within the window, new
again after it, and a source's expired ids are pruned by its own pushes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.library import Storage

WINDOW = timedelta(minutes=10)


async def seen(store: Storage) -> list[tuple[str, str]]:
    async with store.db.read() as conn:
        rows = await conn.fetch(
            "SELECT source_name, webhook_id FROM webhook_deliveries"
            " ORDER BY source_name, webhook_id"
        )
    return [(row["source_name"], row["webhook_id"]) for row in rows]


async def age(store: Storage, webhook_id: str, by: timedelta) -> None:
    """Move an id's sighting into the past, as if it had been seen `by` ago."""
    async with store.db.transaction() as conn:
        at = await conn.fetchval(
            "SELECT seen_at FROM webhook_deliveries WHERE webhook_id = ?", webhook_id
        )
        await conn.execute(
            "UPDATE webhook_deliveries SET seen_at = ? WHERE webhook_id = ?", at - by, webhook_id
        )


async def test_an_id_is_new_once_per_source_within_the_window(store: Storage) -> None:
    await store.sources.add("cms")
    await store.sources.add("wire")
    deliveries = store.webhook_deliveries

    assert await deliveries.first_delivery("cms", "msg_1", WINDOW)
    assert not await deliveries.first_delivery("cms", "msg_1", WINDOW)
    assert await deliveries.first_delivery("wire", "msg_1", WINDOW)
    assert await deliveries.first_delivery("cms", "msg_2", WINDOW)
    assert await seen(store) == [("cms", "msg_1"), ("cms", "msg_2"), ("wire", "msg_1")]


async def test_an_id_seen_longer_ago_than_the_window_is_new_again(store: Storage) -> None:
    await store.sources.add("cms")
    deliveries = store.webhook_deliveries
    assert await deliveries.first_delivery("cms", "msg_1", WINDOW)

    await age(store, "msg_1", WINDOW - timedelta(seconds=5))
    assert not await deliveries.first_delivery("cms", "msg_1", WINDOW)
    await age(store, "msg_1", timedelta(seconds=10))
    assert await deliveries.first_delivery("cms", "msg_1", WINDOW)
    assert not await deliveries.first_delivery("cms", "msg_1", WINDOW)  # seen again just now


async def test_a_sources_expired_ids_are_pruned_by_its_next_push(store: Storage) -> None:
    await store.sources.add("cms")
    await store.sources.add("wire")
    deliveries = store.webhook_deliveries
    for source, webhook_id in [("cms", "old"), ("cms", "recent"), ("wire", "old-wire")]:
        assert await deliveries.first_delivery(source, webhook_id, WINDOW)
    await age(store, "old", 2 * WINDOW)
    await age(store, "old-wire", 2 * WINDOW)

    assert await deliveries.first_delivery("cms", "new", WINDOW)
    # Only this source's expired ids go; another source's wait for its own next push.
    assert await seen(store) == [("cms", "new"), ("cms", "recent"), ("wire", "old-wire")]


async def test_concurrent_deliveries_of_one_id_let_one_through(store: Storage) -> None:
    await store.sources.add("cms")
    firsts = await asyncio.gather(
        *(store.webhook_deliveries.first_delivery("cms", "msg_1", WINDOW) for _ in range(8))
    )
    assert sorted(firsts) == [False] * 7 + [True]


async def test_a_sources_ids_go_with_it(store: Storage) -> None:
    await store.sources.add("cms")
    assert await store.webhook_deliveries.first_delivery("cms", "msg_1", WINDOW)
    assert await store.sources.remove("cms")
    assert await seen(store) == []
