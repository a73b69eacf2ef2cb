"""Crashes: a SIGKILL during an import or a delivery never leaves half a write behind."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.app import BriefBot
from storage.base import SEARCH_COUNT_CAP
from storage.briefs import Briefs
from storage.guilds import Guilds
from storage.models import Brief, BriefContent
from storage.sqlite.backend import SqliteDatabase
from tests.databases import message_id
from tests.helpers import (
    PROCESS_TIMEOUT,
    ROOT,
    Restart,
    Server,
    announce,
    cli_env,
    publish,
    run_cli,
    start_cli,
)
from tests.reliability.support import (
    incomplete_rows,
    integrity_problems,
    kill_hard,
    stored_titles,
    wait_for_rows,
    whole_files,
    write_brief_files,
)

FILES = 3000
KILLED = -signal.SIGKILL


def killed_import(tmp_path: Path, folder: str, kill_after_rows: int) -> int:
    """Run `python -m bot import` on a folder and SIGKILL it once it has stored some rows."""
    db = tmp_path / "briefs.db"
    importer = start_cli("import", folder, "--db", str(db), cwd=tmp_path)
    wait_for_rows(db, kill_after_rows, lambda: importer.poll() is not None)
    time.sleep(random.uniform(0, 0.05))  # land anywhere: parsing, inserting or committing
    return kill_hard(importer)


async def still_usable(path: Path) -> None:
    """Open the database as the bot does: its search finds every brief; it takes new ones."""
    db = await SqliteDatabase.open(path)
    try:
        assert await db.integrity_problems() == []
        briefs = Briefs(db)
        # Every stored brief is in the index (search counts stop at SEARCH_COUNT_CAP).
        stored = await briefs.count()
        assert await briefs.search_count("harbour") == min(stored, SEARCH_COUNT_CAP)
        added = await briefs.add(BriefContent(title="After the crash", what_happened="It works."))
        assert await briefs.get(added.id) == added
        assert await briefs.delete(added.id, actor_id=None)
    finally:
        await db.close()


def test_killed_import_keeps_files_whole_and_can_run_again(tmp_path: Path) -> None:
    files = write_brief_files(tmp_path / "archive", FILES)
    db = tmp_path / "briefs.db"

    assert killed_import(tmp_path, "archive", 1) == KILLED, "finished too soon"

    assert integrity_problems(db) == []
    assert incomplete_rows(db) == []
    asyncio.run(still_usable(db))
    before = stored_titles(db)
    stored, partial = whole_files(files, before)
    assert partial == []
    assert 0 < stored < FILES

    again = run_cli("import", "archive", "--db", str(db), cwd=tmp_path)

    assert again.returncode == 0, again.stderr
    total, present = sum(len(f.titles) for f in files), sum(before.values())
    assert (
        f"Imported {total - present} brief(s) from {FILES} file(s); {present} already present;"
        " 0 file(s) failed." in again.stderr
    )
    assert integrity_problems(db) == []
    # Plain brief files carry no identity: what the crash left stored is recognised by content.
    assert stored_titles(db) == {t: 1 for f in files for t in f.titles}


def test_restoring_a_backup_after_a_crash_stores_every_brief_exactly_once(tmp_path: Path) -> None:
    files = write_brief_files(tmp_path / "backup", FILES, with_identity=True)
    db = tmp_path / "briefs.db"

    assert killed_import(tmp_path, "backup", 3500) == KILLED, "finished too soon"
    assert integrity_problems(db) == []
    before = stored_titles(db)
    stored_before, partial = whole_files(files, before)
    assert partial == []
    assert 0 < stored_before < FILES

    again = run_cli("import", "backup", "--db", str(db), cwd=tmp_path)

    assert again.returncode == 0, again.stderr  # what was restored is recognised, not stored twice
    assert f"{sum(before.values())} already present; 0 file(s) failed." in again.stderr
    assert integrity_problems(db) == []
    titles = stored_titles(db)
    assert whole_files(files, titles) == (FILES, [])
    assert set(titles.values()) == {1}
    assert len(titles) == sum(len(f.titles) for f in files)


# --- auto-post delivery --------------------------------------------------------------------


def brief(n: int) -> BriefContent:
    return BriefContent(title=f"Auto-post {n}", what_happened=f"Event {n} happened.")


async def claimer(db: Path, server: Server, briefs: list[Brief], *args: str):
    """Start another process that claims these briefs for the server's guild."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.reliability.claimer", "--db", str(db),
        "--guild", str(server.guild.id), "--channel", str(server.news.id),
        "--briefs", ",".join(str(b.id) for b in briefs), *args,
        cwd=ROOT, env=cli_env(), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_delivery_killed_between_claim_and_send_never_posts_twice(
    simcord_env, settings, restart: Restart
) -> None:
    server = Server(simcord_env)
    assert "Done" in await server.subscribe()
    bot: BriefBot = simcord_env.bot
    claimed = await bot.storage.briefs.add(brief(1))
    process = await claimer(settings.database_path, server, [claimed], "--hang")
    assert process.stdout is not None
    won = json.loads(await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT))
    assert won == [claimed.id]
    process.kill()  # it dies "sending": claimed, message never recorded
    assert await process.wait() == KILLED

    await publish(simcord_env, brief(2))
    assert server.posted_titles() == ["Auto-post 2"]

    bot = await restart()
    await simcord_env.settle()
    await publish(simcord_env, brief(3))

    assert server.posted_titles() == ["Auto-post 2", "Auto-post 3"]
    # At most once: the dead process's claim is kept, so brief 1 is never posted here.
    assert await message_id(bot.storage, server.guild.id, claimed.id) is None
    settings_now = await bot.storage.guilds.get(server.guild.id)
    assert settings_now is not None
    assert await bot.storage.post_log.pending(settings_now, limit=10) == ([], 0)
    assert integrity_problems(settings.database_path) == []


async def test_bot_delivery_racing_another_process_posts_each_brief_once(
    simcord_env, settings, tmp_path: Path
) -> None:
    settings.autopost_catchup_max = 40
    server = Server(simcord_env)
    assert "Done" in await server.subscribe()
    bot: BriefBot = simcord_env.bot
    briefs = [await bot.storage.briefs.add(brief(n)) for n in range(1, 31)]
    go = tmp_path / "go"
    process = await claimer(settings.database_path, server, briefs[::-1], "--go", str(go))
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT) == b"ready\n"

    go.touch()
    await announce(simcord_env, *briefs)
    out, _ = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)

    title = {b.id: b.title for b in briefs}
    claimed_elsewhere = {title[brief_id] for brief_id in json.loads(out)}
    posted = server.posted_titles()
    assert len(posted) == len(set(posted))
    assert claimed_elsewhere.isdisjoint(posted)
    assert claimed_elsewhere | set(posted) == set(title.values())


def test_two_processes_claiming_the_same_posts_never_both_win(tmp_path: Path) -> None:
    db_path = tmp_path / "briefs.db"

    async def prepare() -> list[int]:
        db = await SqliteDatabase.open(db_path)
        try:
            await Guilds(db).set_channel(1, 10)
            stored = await Briefs(db).add_many([brief(n) for n in range(300)])
            return [b.id for b in stored]
        finally:
            await db.close()

    ids = asyncio.run(prepare())
    go = tmp_path / "go"
    args = ["--db", str(db_path), "--guild", "1", "--channel", "10", "--go", str(go)]
    forward = ",".join(map(str, ids))
    backward = ",".join(map(str, ids[::-1]))
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.claimer", *args, "--briefs", order],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for order in (forward, backward)
    ]
    for racer in racers:
        assert racer.stdout is not None
        assert racer.stdout.readline() == "ready\n"
    go.touch()
    results = [json.loads(p.communicate(timeout=PROCESS_TIMEOUT)[0]) for p in racers]

    assert all(p.returncode == 0 for p in racers)
    first, second = (set(r) for r in results)
    assert first.isdisjoint(second)
    assert first | second == set(ids)
