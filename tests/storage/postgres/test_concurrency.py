"""Several processes on one database: ids stay unique and consecutive, claims exactly-once."""

from __future__ import annotations

import asyncio

import pytest

from storage.backends import open_storage
from storage.library import Storage
from tests.storage.conftest import make_content


async def test_processes_adding_together_get_distinct_consecutive_ids(pg_url: str) -> None:
    stores = [await open_storage(pg_url) for _ in range(3)]
    try:
        added = await asyncio.gather(
            *(
                store.briefs.add_many([make_content(title=f"P{n} B{i}") for i in range(5)])
                for n, store in enumerate(stores * 4)
            )
        )
        ids = sorted(brief.id for batch in added for brief in batch)
        assert ids == list(range(1, 61))
        for batch in added:  # each call's ids are one consecutive run
            assert [b.id for b in batch] == list(range(batch[0].id, batch[0].id + 5))
    finally:
        for store in stores:
            await store.close()


async def test_failed_transaction_rolls_back(pg: Storage) -> None:
    async def failing_write() -> None:
        async with pg.db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_write()
    assert await pg.state.get("k") is None
    await pg.state.set("k", "after")  # the pool's connections are usable again
    assert await pg.state.get("k") == "after"


async def test_cancelled_transaction_rolls_back(pg: Storage) -> None:
    entered = asyncio.Event()

    async def writer() -> None:
        async with pg.db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(writer())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pg.state.get("k") is None
