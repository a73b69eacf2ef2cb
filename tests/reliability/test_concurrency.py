"""Concurrency: many members at once, and other processes writing the same database file."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import simcord

from bot.app import BriefBot
from bot.ui.replies import GENERIC_FAILURE
from storage.models import BriefContent
from tests.helpers import PROCESS_TIMEOUT, cli_env, start_cli
from tests.reliability.support import (
    all_at_once,
    count_rows,
    integrity_problems,
    stored_titles,
    wait_for_rows,
    whole_files,
    write_brief_files,
)

MEMBERS = 30


def brief(n: int) -> BriefContent:
    return BriefContent(
        title=f"Comet sighting {n}",
        what_happened=f"Comet number {n} was seen over the harbour.",
        impact="Stargazers gather on the pier.",
        body=f"Report {n}. " + "The comet's tail stretched across the sky. " * 120,
    )


@dataclass(frozen=True)
class Crowd:
    """A newsroom with many members."""

    env: simcord.Env
    channel: simcord.ChannelHandle
    members: list[simcord.MemberActor]


@pytest.fixture
def crowded_newsroom(simcord_env: simcord.Env) -> Crowd:
    guild = simcord_env.create_guild(name="Newsroom")
    channel = guild.create_text_channel("news")
    members = [guild.add_member(simcord_env.create_user(f"member{n}")) for n in range(MEMBERS)]
    return Crowd(simcord_env, channel, members)


async def everyone_at_once(crowd: Crowd, more_message) -> list:
    """Each member searches, asks for the latest briefs or clicks More, all at the same time."""
    env, channel, members = crowd.env, crowd.channel, crowd.members
    results = []
    with all_at_once(env):
        for n, member in enumerate(members):
            if n % 3 == 0:
                results.append(await member.slash(channel, "brief search", query="comet harbour"))
            elif n % 3 == 1:
                results.append(await member.slash(channel, "brief latest", count=3))
            else:
                results.append(await member.click(more_message, label="More"))
    assert not any(result.acknowledged for result in results), "the bot answered too early"
    return results


def assert_all_served(results: list) -> None:
    """Every member got a real answer: nothing unanswered, no failure, no database error."""
    for result in results:
        assert result.acknowledged
        messages = [result.response, *result.followups]
        assert all(m is not None and GENERIC_FAILURE not in m.content for m in messages)
        assert all("locked" not in m.content.lower() for m in messages)
        assert result.response.embeds


async def test_thirty_members_at_once_while_briefs_are_added(crowded_newsroom) -> None:
    bot: BriefBot = crowded_newsroom.env.bot
    for n in range(5):
        await bot.storage.briefs.add(brief(n))
    first = await crowded_newsroom.members[0].slash(crowded_newsroom.channel, "brief latest")

    added = 5
    for _ in range(3):
        results = await everyone_at_once(crowded_newsroom, first.response.message)
        adds = [bot.storage.briefs.add(brief(added + n)) for n in range(10)]
        await asyncio.gather(crowded_newsroom.env.settle(), *adds)
        added += len(adds)
        assert_all_served(results)

    assert await bot.storage.briefs.count() == added
    assert await bot.storage.integrity_problems() == []


async def test_members_are_served_while_a_cli_import_writes_the_same_file(
    crowded_newsroom, settings, tmp_path: Path
) -> None:
    bot: BriefBot = crowded_newsroom.env.bot
    for n in range(5):
        await bot.storage.briefs.add(brief(n))
    first = await crowded_newsroom.members[0].slash(crowded_newsroom.channel, "brief latest")
    files = write_brief_files(tmp_path / "archive", 1200)
    db = settings.database_path
    importer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "import", "archive", "--db", str(db),
        cwd=tmp_path, env=cli_env(),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await asyncio.to_thread(wait_for_rows, db, 6, lambda: importer.returncode is not None)
    assert importer.returncode is None, "the import finished before members arrived"

    added, rounds = 5, 0
    while importer.returncode is None or rounds < 2:
        results = await everyone_at_once(crowded_newsroom, first.response.message)
        adds = [bot.storage.briefs.add(brief(added + n)) for n in range(10)]
        await asyncio.gather(crowded_newsroom.env.settle(), *adds)
        added, rounds = added + len(adds), rounds + 1
        assert_all_served(results)
    _, errors = await asyncio.wait_for(importer.communicate(), PROCESS_TIMEOUT)

    assert importer.returncode == 0, errors.decode()
    imported = sum(len(f.titles) for f in files)
    assert await bot.storage.briefs.count() == added + imported
    assert whole_files(files, stored_titles(db)) == (len(files), [])
    assert integrity_problems(db) == []


def test_two_imports_into_one_new_database_at_once(tmp_path: Path) -> None:
    first = write_brief_files(tmp_path / "morning", 1000)
    second = write_brief_files(tmp_path / "evening", 1000, start=1000)
    db = tmp_path / "data" / "briefs.db"

    importers = [
        start_cli("import", name, "--db", str(db), cwd=tmp_path) for name in ("morning", "evening")
    ]
    outcomes = [importer.communicate(timeout=PROCESS_TIMEOUT) for importer in importers]

    for importer, (_, errors) in zip(importers, outcomes, strict=True):
        assert importer.returncode == 0, errors
        assert "locked" not in errors
    files = first + second
    assert whole_files(files, stored_titles(db)) == (len(files), [])
    assert count_rows(db) == sum(len(f.titles) for f in files)
    assert integrity_problems(db) == []
