"""Bulk import throughput: text files and one JSON file through `bot.cli.importing.import_files`.

The baseline is the floor for storing the same rows at all: one `executemany` into a bare
SQLite table (no index, full-text index or audit log) with the bot's pragmas. Two extra rows
split the text import into parsing and storing, to show where the time goes.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from benchmarks.generate import generate, write_json_file, write_text_files
from benchmarks.report import INFO, Result, Row, verdict
from bot.brief.files import collect_files, read_file
from bot.cli.importing import import_files
from storage.briefs import Briefs
from storage.library import Storage
from storage.models import BriefContent
from storage.sqlite.backend import SqliteDatabase, encode_time

TARGET_RATE = 5000.0
_BARE_TABLE = (
    "CREATE TABLE briefs (id INTEGER PRIMARY KEY, title TEXT, what_happened TEXT,"
    " who_was_involved TEXT, when_and_where TEXT, key_quote TEXT, impact TEXT, body TEXT,"
    " source_url TEXT, image_url TEXT, tags TEXT, published_at TEXT)"
)


def _raw_insert(briefs: Sequence[BriefContent], path: Path) -> float:
    """Insert the rows with one executemany into a bare table; return seconds taken."""
    rows = [
        (
            b.title,
            b.what_happened,
            b.who_was_involved,
            b.when_and_where,
            b.key_quote,
            b.impact,
            b.body,
            b.source_url,
            b.image_url,
            json.dumps(b.topics, ensure_ascii=False),
            None if b.published_at is None else encode_time(b.published_at),
        )
        for b in briefs
    ]
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(_BARE_TABLE)
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO briefs (title, what_happened, who_was_involved, when_and_where,"
            " key_quote, impact, body, source_url, image_url, tags, published_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        return time.perf_counter() - started


async def _import(files: Sequence[Path], database: Path) -> tuple[float, int, int]:
    """Import files into a fresh database; return seconds, briefs stored and failed files."""
    db = await SqliteDatabase.open(database)
    try:
        started = time.perf_counter()
        report = await import_files(Storage(db).publisher, files, max_bytes=2**31)
        return time.perf_counter() - started, report.stored, len(report.failures)
    finally:
        await db.close()


async def _store_only(briefs: Sequence[BriefContent], database: Path) -> float:
    """Store already-parsed briefs the way import does (batches of 1,000); return seconds."""
    db = await SqliteDatabase.open(database)
    try:
        repo = Briefs(db)
        started = time.perf_counter()
        for start in range(0, len(briefs), 1000):
            await repo.add_many(briefs[start : start + 1000])
        return time.perf_counter() - started
    finally:
        await db.close()


def _parse_only(files: Sequence[Path]) -> float:
    """Read and parse every file, storing nothing; return seconds."""
    started = time.perf_counter()
    for path in files:
        read_file(path, strip_patterns=(), max_chars=100_000, max_bytes=2**31)
    return time.perf_counter() - started


def run(count: int, seed: int, workdir: Path | None = None) -> Result:
    """Run the benchmark with `count` briefs and return its table."""
    result = Result("import", f"Import: {count:,} briefs as text files and as one JSON file")
    briefs = generate(count, seed)
    with tempfile.TemporaryDirectory(prefix="briefbot-import-", dir=workdir) as tmp:
        root = Path(tmp)
        write_text_files(briefs, root / "text")
        write_json_file(briefs, root / "json" / "briefs.json")
        text_files = list(collect_files([root / "text"]))
        baseline_s = _raw_insert(briefs, root / "bare.db")
        baseline = count / baseline_s

        for case, files, database in (
            ("text files → import_files", text_files, "text.db"),
            ("one JSON file → import_files", [root / "json" / "briefs.json"], "json.db"),
        ):
            seconds, stored, failed = asyncio.run(_import(files, root / database))
            rate = stored / seconds
            result.rows.append(
                Row(
                    case,
                    count,
                    "briefs/s",
                    rate,
                    baseline=baseline,
                    baseline_label="raw executemany",
                    ratio=rate / baseline,
                    target=f"≥ {TARGET_RATE:,.0f} briefs/s",
                    result=verdict(rate >= TARGET_RATE and stored == count),
                )
            )
            result.notes.append(
                f"{case}: {stored:,} stored, {failed} failed files, {seconds:.2f} s"
            )

        parse_rate = count / _parse_only(text_files)
        store_rate = count / asyncio.run(_store_only(briefs, root / "store.db"))
        for case, rate in (
            ("  of which: parse only", parse_rate),
            ("  of which: store only", store_rate),
        ):
            result.rows.append(
                Row(case, count, "briefs/s", rate, baseline=baseline,
                    baseline_label="raw executemany", ratio=rate / baseline, result=INFO)
            )  # fmt: skip
    result.notes.append(
        f"baseline = one executemany of the same {count:,} rows into a bare table "
        f"({baseline_s:.2f} s): the cost of SQLite itself, without FTS, index, audit or parsing."
    )
    result.notes.append(
        "store only = Briefs.add_many in batches of 1,000 (FTS triggers, newest-first "
        "index and audit snapshot included); parse only = read_file on every text file."
    )
    return result
