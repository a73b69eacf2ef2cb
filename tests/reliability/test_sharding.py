"""Two bot processes on one database deliver each brief exactly once per channel.

Each process is the real bot in its own simcord (tests/reliability/shard_worker.py), with the
same servers; they publish briefs of their own while delivering. "split": SHARD_COUNT=2, one
shard each, as a sharded deployment runs. "overlap": both serve every shard (a rolling deploy,
or a misconfiguration), so only the post log's uniqueness stands between them and a double post.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from storage.backends import open_storage
from storage.base import Shards
from storage.library import Storage
from storage.models import BriefContent, SubscriptionOptions
from tests.databases import BACKENDS, database_url, message_id
from tests.helpers import PROCESS_TIMEOUT
from tests.reliability.support import read_line, start_helper

#: Servers on alternating shards of two: shard = (id >> 22) % 2.
GUILDS = [(n + 1) << 22 for n in range(6)]
BEFORE_START, PER_WORKER = 4, 3


def start_worker(url: str, name: str, go: Path, expect: int, *shard_args: str):
    return start_helper(
        "tests.reliability.shard_worker", "--db", url, "--name", name, "--go", str(go),
        "--guilds", ",".join(map(str, GUILDS)), "--expect", str(expect),
        "--publish", str(PER_WORKER), *shard_args,
    )  # fmt: skip


def final_reports(workers: list[subprocess.Popen[str]]) -> list[Any]:
    """Wait for every worker to end well; return the JSON line each printed last."""
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=PROCESS_TIMEOUT)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.splitlines()[-1]))
    return reports


@pytest.mark.parametrize("layout", ["split", "overlap"])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_processes_post_each_brief_once_per_channel(
    backend: str, layout: str, tmp_path: Path
) -> None:
    async with database_url(backend, tmp_path) as url:
        store = await open_storage(url)  # create the schema before the race
        try:
            await race(store, url, layout, tmp_path)
        finally:
            await store.close()


async def race(store: Storage, url: str, layout: str, tmp_path: Path) -> None:
    """Start both workers, subscribe every server, publish, and check what was posted."""
    go = tmp_path / "go"
    expect = BEFORE_START + 2 * PER_WORKER
    two = ("--shard-count", "2")
    shard_args = {
        "split": ((*two, "--shard-ids", "0"), (*two, "--shard-ids", "1")),
        "overlap": (two, ()),
    }[layout]
    workers = [
        start_worker(url, f"W{index}", go, expect, *args) for index, args in enumerate(shard_args)
    ]
    try:
        worlds = []
        for worker in workers:
            ready, world = read_line(worker).split(" ", 1)
            assert ready == "ready"
            worlds.append(json.loads(world))
        assert worlds[0] == worlds[1], "both simulated worlds must have the same channels"
        for guild_id, channel_id in worlds[0].items():
            await store.subscriptions.set_channel(int(guild_id), channel_id)
            # A second subscription routing every brief (all are "news") to the same channel:
            # the post log, per channel, still posts each brief there once.
            await store.subscriptions.add(
                int(guild_id), SubscriptionOptions(channel_id=channel_id, topics=["News"])
            )
        for n in range(BEFORE_START):
            await store.briefs.add(
                BriefContent(title=f"Early {n}", what_happened="Before.", topics=["news"])
            )
        go.touch()
        reports = final_reports(workers)
    finally:
        for worker in workers:
            worker.kill()

    every = [brief.id async for brief in store.briefs.iter_all()]
    assert len(every) == expect
    for guild_id in GUILDS:
        posts = [brief for report in reports for brief in report["posts"][str(guild_id)]]
        assert sorted(posts) == every, f"server {guild_id}: {posts}"
        for brief_id in every:
            assert await message_id(store, guild_id, brief_id) is not None
        for settings in await store.subscriptions.of_guild(guild_id):
            assert (settings.paused_reason, settings.last_error) == (None, None)  # none tried
    if layout == "split":  # each process left the other's servers alone entirely
        for shard, report in enumerate(reports):
            owned = [str(g) for g in GUILDS if Shards(2, (shard,)).owns(g)]
            assert report["touched"] == sorted(owned), f"shard {shard}"
    assert await store.integrity_problems() == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_correction_made_in_one_process_reaches_every_copy_once(
    backend: str, tmp_path: Path
) -> None:
    """One process edits a brief and retracts another; each process edits the copies of its
    own servers, each copy once, whether it heard of the change by NOTIFY or by its sweep."""
    async with database_url(backend, tmp_path) as url:
        store = await open_storage(url)
        try:
            await correct_across_processes(store, url, tmp_path)
        finally:
            await store.close()


async def correct_across_processes(store: Storage, url: str, tmp_path: Path) -> None:
    go, go2 = tmp_path / "go", tmp_path / "go2"
    edit, retract = 1, 2  # the first two early briefs, stored by this test below
    two = ("--shard-count", "2", "--go2", str(go2), "--edit", str(edit), "--retract", str(retract))
    workers = [
        start_worker(
            url, "W0", go, BEFORE_START + 2 * PER_WORKER, *two, "--shard-ids", "0", "--correct"
        ),
        start_worker(url, "W1", go, BEFORE_START + 2 * PER_WORKER, *two, "--shard-ids", "1"),
    ]  # fmt: skip
    try:
        worlds = [json.loads(read_line(worker).split(" ", 1)[1]) for worker in workers]
        assert worlds[0] == worlds[1]
        for guild_id, channel_id in worlds[0].items():
            await store.subscriptions.set_channel(int(guild_id), channel_id)
        early = [
            await store.briefs.add(BriefContent(title=f"Early {n}", what_happened="Before."))
            for n in range(BEFORE_START)
        ]
        assert [brief.id for brief in early[:2]] == [edit, retract]
        go.touch()
        for worker in workers:
            json.loads(read_line(worker))  # delivered
        go2.touch()
        reports = final_reports(workers)
    finally:
        for worker in workers:
            worker.kill()

    for shard, report in enumerate(reports):
        owned = [g for g in GUILDS if Shards(2, (shard,)).owns(g)]
        for guild_id in owned:
            shows = report["shows"][str(guild_id)]
            assert shows[str(edit)] == "Corrected title", f"server {guild_id}: {shows}"
            assert shows[str(retract)] == "Retracted: Early 1", f"server {guild_id}: {shows}"
            assert shows[str(early[2].id)] == "Early 2"
        # Each of its servers' two changed copies edited once; no other message touched.
        assert len(report["edits"]) == 2 * len(owned) == len(set(report["edits"]))
    for guild_id in GUILDS:
        assert await store.copies.behind(guild_id) == 0
