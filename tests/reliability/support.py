"""What only the reliability tests need: generated brief files, killing processes, reading the
database file as an outside tool would, members acting all at once.

Running the CLI and helper processes is in tests/helpers.py.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import simcord

from tests.helpers import PROCESS_TIMEOUT, start_python


@dataclass(frozen=True)
class BriefFile:
    """One generated import file and the titles of the briefs it holds."""

    path: Path
    titles: tuple[str, ...]


def brief_item(file_no: int, n: int) -> dict[str, Any]:
    """Return brief `n` of generated file `file_no`, as JSON content (title names both)."""
    return {
        "title": f"File {file_no:05d} brief {n}",
        "what_happened": f"Harbour event {file_no}-{n} happened near pier {file_no % 40}.",
        "who_was_involved": "The harbour master and the ferry crews.",
        "impact": f"Ferries {n} and {n + 1} run late.",
        "body": f"Paragraph about file {file_no}, brief {n}. " * 4,
        "topics": ["reliability", f"file-{file_no:05d}"],
    }


def write_brief_files(
    folder: Path, count: int, *, start: int = 0, with_identity: bool = False
) -> list[BriefFile]:
    """Write `count` JSON files holding 2 or 3 briefs each, as a publisher's archive would.

    With `with_identity`, each brief carries an id and created_at, like `python -m bot export`
    output split into files (a backup being restored).
    """
    folder.mkdir(parents=True, exist_ok=True)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    files = []
    for file_no in range(start, start + count):
        items = [brief_item(file_no, n) for n in range(2 + file_no % 2)]
        if with_identity:
            for n, item in enumerate(items):
                item["id"] = file_no * 3 + n + 1
                item["created_at"] = (created + timedelta(minutes=file_no)).isoformat()
        path = folder / f"{file_no:05d}.json"
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        files.append(BriefFile(path, tuple(item["title"] for item in items)))
    return files


def start_helper(module: str, *args: str) -> subprocess.Popen[str]:
    """Start `python -m <module> ...` (a helper program beside these tests)."""
    return start_python("-m", module, *args)


def read_line(process: subprocess.Popen[str]) -> str:
    """Read a helper's next line of output; fail with its errors if it exited instead."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        _, err = process.communicate(timeout=PROCESS_TIMEOUT)
        pytest.fail(f"helper exited early ({process.returncode}):\n{err}")
    return line


def kill_hard(process: subprocess.Popen[str]) -> int:
    """SIGKILL a process, as the OOM killer or a power cut would, and reap it."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=PROCESS_TIMEOUT)
    return process.returncode


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """Open the database as an outside tool would (stdlib sqlite3, autocommit) and close it."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def count_rows(path: Path, table: str = "briefs") -> int:
    """Return how many rows a table has now (0 while the database is still being created)."""
    if not path.exists():
        return 0
    try:
        with connect(path) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def wait_for_rows(path: Path, minimum: int, finished: Callable[[], bool]) -> int:
    """Poll until `briefs` holds `minimum` committed rows or the writer has `finished`."""
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while time.monotonic() < deadline:
        rows = count_rows(path)
        if rows >= minimum or finished():
            return rows
        time.sleep(0.005)
    raise AssertionError(f"no {minimum} rows in {path} after {PROCESS_TIMEOUT} s")


def integrity_problems(path: Path) -> list[str]:
    """Run SQLite's, the foreign keys' and the FTS index's own integrity checks."""
    with connect(path) as conn:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
        try:
            conn.execute("INSERT INTO briefs_fts (briefs_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            problems.append(f"search index: {exc}")
    return problems


def stored_titles(path: Path) -> Counter[str]:
    """Return how many live briefs carry each title."""
    with connect(path) as conn:
        rows = conn.execute("SELECT title FROM briefs WHERE deleted_at IS NULL").fetchall()
    return Counter(row[0] for row in rows)


def whole_files(files: list[BriefFile], titles: Counter[str]) -> tuple[int, list[str]]:
    """Return how many files are stored, and the files stored only in part (should be none)."""
    stored, partial = 0, []
    for brief_file in files:
        copies = {titles[title] for title in brief_file.titles}
        if len(copies) > 1:
            partial.append(f"{brief_file.path.name}: {[titles[t] for t in brief_file.titles]}")
        elif copies != {0}:
            stored += 1
    return stored, partial


def incomplete_rows(path: Path) -> list[tuple[Any, ...]]:
    """Return briefs whose stored fields differ from the generated file they came from."""
    with connect(path) as conn:
        rows = conn.execute(
            "SELECT id, title, what_happened, who_was_involved, impact, body, tags FROM briefs"
        ).fetchall()
        audited = {
            row[0] for row in conn.execute("SELECT brief_id FROM audit_log WHERE action = 'import'")
        }
    bad = []
    for row in rows:
        brief_id, title, *stored = row
        words = title.split()
        expected = brief_item(int(words[1]), int(words[3]))
        wanted = [
            expected["what_happened"],
            expected["who_was_involved"],
            expected["impact"],
            expected["body"],
            json.dumps(expected["topics"]),
        ]
        if stored != wanted or brief_id not in audited:
            bad.append(row)
    return bad


@contextlib.contextmanager
def all_at_once(env: simcord.Env) -> Iterator[None]:
    """Let members act without waiting for the bot, so their interactions overlap.

    simcord runs one member action at a time (actions from concurrent tasks raise
    `SetupError: operation overlaps active slash`), and each action waits for the bot to
    finish. Inside this block an action only delivers its interaction; the bot handles
    them all concurrently at the next `await env.settle()`.
    """

    async def deliver_only(**_: Any) -> None:
        return None

    env._settle_internal = deliver_only  # type: ignore[method-assign]
    try:
        yield
    finally:
        del env._settle_internal
