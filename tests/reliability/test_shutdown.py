"""Graceful shutdown: closing the bot leaves a database any tool can open without recovery."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BriefBot
from bot.config import Settings
from storage.briefs import Briefs
from storage.models import BriefContent
from storage.sqlite.backend import SqliteDatabase
from tests.reliability.support import connect, count_rows, integrity_problems

#: Generous guard that turns a hang into a failure; nothing here measures speed.
HANG = 60


def brief(n: int) -> BriefContent:
    return BriefContent(title=f"Closing time {n}", what_happened=f"Event {n} happened.")


def wal_leftovers(path: Path) -> int:
    """Bytes of write-ahead log the next opener would have to replay (0 after a clean close)."""
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_closing_the_bot_closes_its_database_cleanly(simcord_env, settings: Settings) -> None:
    channel = simcord_env.create_guild(name="Newsroom").create_text_channel("news")
    alice = simcord_env.guild.add_member(simcord_env.create_user("alice"))
    bot: BriefBot = simcord_env.bot
    for n in range(20):
        await bot.storage.briefs.add(brief(n))
    assert (await alice.slash(channel, "brief search", query="closing")).response.embeds
    assert wal_leftovers(settings.database_path) > 0  # writes are in the log until closed

    await asyncio.wait_for(bot.close(), HANG)

    assert wal_leftovers(settings.database_path) == 0
    assert integrity_problems(settings.database_path) == []
    assert count_rows(settings.database_path) == 20
    await bot.storage.close()
    await bot.close()  # closing twice is harmless


async def test_close_lets_a_write_in_progress_finish(tmp_path: Path) -> None:
    path = tmp_path / "briefs.db"
    db = await SqliteDatabase.open(path)
    writing = asyncio.create_task(Briefs(db).add_many([brief(n) for n in range(500)]))
    await asyncio.sleep(0)  # the import has taken the database

    await asyncio.wait_for(asyncio.gather(db.close(), db.close()), HANG)

    assert len(await writing) == 500
    assert count_rows(path) == 500
    assert wal_leftovers(path) == 0
    assert integrity_problems(path) == []


async def test_a_closed_database_refuses_work_instead_of_hanging(tmp_path: Path) -> None:
    path = tmp_path / "briefs.db"
    db = await SqliteDatabase.open(path)
    briefs = Briefs(db)
    await briefs.add(brief(1))
    await db.close()

    with pytest.raises(Exception):  # noqa: B017, PT011 - any error will do; a hang would not
        await asyncio.wait_for(briefs.add(brief(2)), HANG)
    with pytest.raises(Exception):  # noqa: B017, PT011
        await asyncio.wait_for(briefs.count(), HANG)

    assert count_rows(path) == 1
    reopened = await SqliteDatabase.open(path)
    try:
        assert await Briefs(reopened).count() == 1
    finally:
        await reopened.close()
    with connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
