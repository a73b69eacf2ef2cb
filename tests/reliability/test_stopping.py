"""Ctrl+C, SIGTERM and no network: real processes stop at once and say why in one line."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import PROCESS_TIMEOUT, cli_env, start_cli
from tests.reliability.fake_discord import PHASES, FakeDiscord, hanging_server
from tests.reliability.support import (
    count_rows,
    integrity_problems,
    stored_titles,
    wait_for_rows,
    whole_files,
    write_brief_files,
)

#: What the README promises: a stop takes at most this long, whatever the bot is doing.
STOP_WITHIN = 2.0
SIGNALS = [signal.SIGINT, signal.SIGTERM]


async def start_bot(
    tmp_path: Path, api_base: str, *args: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start `python -m bot run` (through tests.reliability.offline_bot) with a token."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.reliability.offline_bot", api_base, *args,
        cwd=tmp_path, env={**cli_env(), "DISCORD_TOKEN": "fake.token.here", **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def until(reached: asyncio.Event, process: asyncio.subprocess.Process) -> None:
    """Wait until the bot reaches the phase; fail if it ends before that."""
    waiting = asyncio.create_task(reached.wait())
    ended = asyncio.create_task(process.wait())
    done, _ = await asyncio.wait(
        {waiting, ended}, timeout=PROCESS_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    waiting.cancel()
    if ended in done or not done:
        ended.cancel()
        _, errors = await process.communicate()
        pytest.fail(f"the bot never got there: {errors.decode()}")
    ended.cancel()


async def stop(process: asyncio.subprocess.Process, sig: signal.Signals) -> tuple[float, str]:
    """Send the signal; return how long the process took to end, and its stderr."""
    started = time.monotonic()
    process.send_signal(sig)
    try:
        _, errors = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
    return time.monotonic() - started, errors.decode()


async def read_until(process: asyncio.subprocess.Process, text: str) -> str:
    """Read the process's stderr up to the line holding `text`; return what was read."""
    assert process.stderr is not None
    read = ""
    while text not in read:
        line = await asyncio.wait_for(process.stderr.readline(), PROCESS_TIMEOUT)
        if not line:
            pytest.fail(f"never logged {text!r}: {read}")
        read += line.decode()
    return read


def assert_quiet(errors: str) -> None:
    """No traceback, nothing "ignored", no unclosed session: only log lines and messages."""
    for noise in ("Traceback", "Exception ignored", "Unclosed", "Task was destroyed"):
        assert noise not in errors, errors


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("phase", PHASES)
async def test_a_signal_stops_the_bot_within_two_seconds_in_every_phase(
    tmp_path: Path, phase: str, sig: signal.Signals
) -> None:
    async with FakeDiscord(hang_at=phase).serving() as discord, hanging_server() as (port, db):
        env = {"DATABASE_URL": f"postgresql://bot@127.0.0.1:{port}/briefs"}
        bot = await start_bot(tmp_path, discord.api_base, env=env if phase == "database" else {})
        await until(db if phase == "database" else discord.reached, bot)
        seen = await read_until(bot, "shard ready") if phase == "running" else ""

        took, errors = await stop(bot, sig)
        errors = seen + errors

    assert took < STOP_WITHIN, errors
    assert bot.returncode == 0, errors
    assert f"msg=stopping signal={sig.name}" in errors
    assert_quiet(errors)
    if phase == "running":
        assert integrity_problems(tmp_path / "data" / "briefs.db") == []


async def test_a_resolver_that_never_answers_does_not_hold_the_stop(tmp_path: Path) -> None:
    bot = await start_bot(tmp_path, "http://discord.test/api/v10", "--dns", "hang")
    seen = await read_until(bot, "logging in")
    await asyncio.sleep(0.3)  # the resolver thread is asked, and stays silent

    took, errors = await stop(bot, signal.SIGINT)
    errors = seen + errors

    assert took < STOP_WITHIN, errors
    assert bot.returncode == 0, errors
    assert_quiet(errors)


def free_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("http://discord.test/api/v10", "--dns", "fail"), "Name or service not known"),
        ((f"http://127.0.0.1:{free_port()}/api/v10",), "Connect call failed"),
    ],
    ids=["no-name-server", "connection-refused"],
)
async def test_no_network_is_one_line_and_exit_1(
    tmp_path: Path, args: tuple[str, ...], why: str
) -> None:
    bot = await start_bot(tmp_path, *args)
    _, errors = await asyncio.wait_for(bot.communicate(), PROCESS_TIMEOUT)

    assert bot.returncode == 1
    error_lines = [line for line in errors.decode().splitlines() if not line.startswith("at=")]
    assert len(error_lines) == 1, errors
    assert error_lines[0].startswith("error: cannot reach Discord (")
    assert why in error_lines[0]
    assert error_lines[0].endswith("; check the network")
    assert not (tmp_path / "data").exists()  # nothing created before Discord answered


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_an_interrupted_import_keeps_whole_batches_and_says_what_it_stored(
    tmp_path: Path, sig: signal.Signals
) -> None:
    files = write_brief_files(tmp_path / "archive", 3000)
    db = tmp_path / "briefs.db"
    importer = start_cli("import", "archive", "--db", str(db), cwd=tmp_path)
    wait_for_rows(db, 1, lambda: importer.poll() is not None)
    assert importer.poll() is None, "finished too soon"

    started = time.monotonic()
    importer.send_signal(sig)
    _, errors = importer.communicate(timeout=PROCESS_TIMEOUT)

    assert time.monotonic() - started < STOP_WITHIN
    assert importer.returncode == 128 + sig
    assert_quiet(errors)
    lines = errors.strip().splitlines()
    assert lines[-1] == "interrupted"
    stored = count_rows(db)
    assert lines[-2].startswith(f"Imported {stored} brief(s) from ")
    assert integrity_problems(db) == []
    assert whole_files(files, stored_titles(db))[1] == []

    again = start_cli("import", "archive", "--db", str(db), cwd=tmp_path)
    _, errors = again.communicate(timeout=PROCESS_TIMEOUT)
    assert again.returncode == 0, errors
    total = sum(len(f.titles) for f in files)
    assert (
        f"Imported {total - stored} brief(s) from 3000 file(s); {stored} already present" in errors
    )
    assert set(stored_titles(db).values()) == {1}
