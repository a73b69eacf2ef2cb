"""Crashes: a SIGKILL during an import or a delivery never leaves half a write behind."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import BriefBot
from bot.cogs.autopost._outcomes import NONCE_WINDOW, RETRY_UNSENT_AFTER, post_nonce
from storage.backends import open_storage
from storage.base import SEARCH_COUNT_CAP
from storage.briefs import Briefs
from storage.library import Storage
from storage.models import Brief, BriefContent
from storage.sqlite.backend import SqliteDatabase
from storage.subscriptions import Subscriptions
from tests.databases import BACKENDS, age_claims, database_url, message_id
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
    read_line,
    start_helper,
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


async def claimed_by_a_dead_process(bot: BriefBot, db: Path, server: Server) -> Brief:
    """Store a brief and have another process claim it for the server, then SIGKILL that
    process "sending": claimed, its message never recorded."""
    claimed = await bot.storage.briefs.add(brief(1))
    process = await claimer(db, server, [claimed], "--hang")
    assert process.stdout is not None
    won = json.loads(await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT))
    assert won == [claimed.id]
    process.kill()
    assert await process.wait() == KILLED
    return claimed


async def test_delivery_killed_between_claim_and_send_is_retried_once_and_only_once(
    simcord_env, settings, restart: Restart
) -> None:
    server = Server(simcord_env)
    assert "Done" in await server.subscribe()
    bot: BriefBot = simcord_env.bot
    claimed = await claimed_by_a_dead_process(bot, settings.database_path, server)

    await publish(simcord_env, brief(2))
    assert server.posted_titles() == ["Auto-post 2"]  # a fresh claim may still be in flight

    bot = await restart()
    await simcord_env.settle()
    await age_claims(bot.storage, RETRY_UNSENT_AFTER + timedelta(seconds=1))
    await publish(simcord_env, brief(3))
    await publish(simcord_env, brief(4))

    # The dead process's claim is taken over (with the same nonce) and posted, once.
    assert server.posted_titles() == ["Auto-post 2", "Auto-post 1", "Auto-post 3", "Auto-post 4"]
    assert await message_id(bot.storage, server.guild.id, claimed.id) is not None
    nonces = [r.json["nonce"] for r in simcord_env.http_requests if r.path.endswith("/messages")]
    assert nonces.count(post_nonce(server.news.id, claimed.id)) == 1
    settings_now = await bot.storage.subscriptions.first(server.guild.id)
    assert settings_now is not None
    assert await bot.storage.post_log.pending(settings_now, limit=10) == ([], 0)
    assert integrity_problems(settings.database_path) == []


async def test_a_claim_older_than_its_nonce_is_given_up_never_posted(
    simcord_env, settings, restart: Restart
) -> None:
    server = Server(simcord_env)
    assert "Done" in await server.subscribe()
    bot: BriefBot = simcord_env.bot
    claimed = await claimed_by_a_dead_process(bot, settings.database_path, server)

    bot = await restart()
    await age_claims(bot.storage, NONCE_WINDOW + timedelta(seconds=1))
    await publish(simcord_env, brief(2))
    await publish(simcord_env, brief(3))

    # Discord may or may not have it: past the nonce's window a retry could post it twice.
    assert server.posted_titles() == ["Auto-post 2", "Auto-post 3"]
    assert await message_id(bot.storage, server.guild.id, claimed.id) is None
    events = [(e.brief_id, e.event) for e in await bot.storage.delivery_log.recent(server.guild.id)]
    assert (claimed.id, "gave_up") in events
    log = await server.manager.slash(server.news, "autopost log")
    assert f"brief #{claimed.id} given up" in log.response.content


@pytest.mark.parametrize("backend", BACKENDS)
async def test_killed_between_send_and_record_the_retry_carries_the_same_nonce(
    backend: str, tmp_path: Path
) -> None:
    """kill -9 the moment Discord answered a post, before it was recorded: another process
    takes the claim over, sends it with the same nonce (so Discord would answer with the first
    message), and records it once."""
    async with database_url(backend, tmp_path) as url:
        store = await open_storage(url)
        try:
            await kill_between_send_and_record(store, url, tmp_path)
        finally:
            await store.close()


KILL_GUILD = 1 << 22


def shard_worker(url: str, name: str, go: Path, *args: str) -> subprocess.Popen[str]:
    return start_helper(
        "tests.reliability.shard_worker", "--db", url, "--name", name, "--go", str(go),
        "--guilds", str(KILL_GUILD), "--expect", "1", *args,
    )  # fmt: skip


async def kill_between_send_and_record(store: Storage, url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    first = shard_worker(url, "killed", go, "--kill-after-send")
    try:
        world = json.loads(read_line(first).split(" ", 1)[1])
        await store.subscriptions.set_channel(KILL_GUILD, world[str(KILL_GUILD)])
        sent = await store.briefs.add(BriefContent(title="Sent once", what_happened="Once."))
        go.touch()
        nonce = json.loads(read_line(first))["sent"]
        first.communicate(timeout=PROCESS_TIMEOUT)
        assert first.returncode == KILLED
    finally:
        first.kill()
    assert nonce == post_nonce(world[str(KILL_GUILD)], sent.id)
    assert await message_id(store, KILL_GUILD, sent.id) is None  # sent, never recorded

    await age_claims(store, RETRY_UNSENT_AFTER + timedelta(seconds=1))
    go_again = tmp_path / "go-again"
    second = shard_worker(url, "retry", go_again)
    try:
        # Its own simcord: the same server, its #news under another id. Moving the server's
        # channel there keeps the claim (the post log is per server and brief).
        world = json.loads(read_line(second).split(" ", 1)[1])
        await store.subscriptions.set_channel(KILL_GUILD, world[str(KILL_GUILD)])
        go_again.touch()
        out, err = second.communicate(timeout=PROCESS_TIMEOUT)
    finally:
        second.kill()
    assert second.returncode == 0, err
    report = json.loads(out.splitlines()[-1])
    assert report["nonces"] == [nonce]  # the retry carried the first attempt's nonce
    assert report["posts"] == {str(KILL_GUILD): [sent.id]}
    assert await message_id(store, KILL_GUILD, sent.id) is not None
    events = [(e.brief_id, e.event) for e in await store.delivery_log.recent(KILL_GUILD)]
    assert events.count((sent.id, "sent")) == 1


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
            await Subscriptions(db).set_channel(1, 10)
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
