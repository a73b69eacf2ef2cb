"""Named values kept between runs."""

from __future__ import annotations

from storage.database import Database
from storage.state import BotState


async def test_get_set_replace(db: Database) -> None:
    state = BotState(db)
    assert await state.get("command_hash:global") is None
    await state.set("command_hash:global", "abc")
    await state.set("command_hash:global", "def")
    assert await state.get("command_hash:global") == "def"
