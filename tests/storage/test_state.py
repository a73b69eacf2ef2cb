"""Named values kept between runs."""

from __future__ import annotations

from storage.library import Storage


async def test_get_set_replace(store: Storage) -> None:
    state = store.state
    assert await state.get("command_hash:global") is None
    await state.set("command_hash:global", "abc")
    await state.set("command_hash:global", "def")
    assert await state.get("command_hash:global") == "def"
