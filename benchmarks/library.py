"""Prepared brief databases, built once through the real repository and cached on disk.

A database of N generated briefs is keyed by N, the seed, the generator version and a hash of
the schema migrations, so reruns reuse it and a schema change rebuilds it. Benchmarks get a
private working copy (`working_copy`), since the bot writes to its database on start.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from benchmarks.generate import GENERATOR_VERSION, BriefGenerator
from storage.briefs import Briefs
from storage.sqlite.backend import SqliteDatabase

#: Briefs stored per `add_many` transaction while building.
BUILD_BATCH = 2000


#: Overrides where databases are cached (as `--cache-dir` does), e.g. a temporary folder in CI.
CACHE_VARIABLE = "BRIEFBOT_BENCH_CACHE"


def default_cache_dir() -> Path:
    """Return the folder for cached databases.

    `$BRIEFBOT_BENCH_CACHE` if set, else `$XDG_CACHE_HOME/briefbot-benchmarks` (by default
    `~/.cache/briefbot-benchmarks`).
    """
    if override := os.environ.get(CACHE_VARIABLE):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "briefbot-benchmarks"


def _schema_hash() -> str:
    """Hash the migration files, so a schema change invalidates every cached database."""
    import storage.sqlite

    folder = Path(storage.sqlite.__file__).parent / "migrations"
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.sql")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def cache_path(cache_dir: Path, count: int, seed: int) -> Path:
    """Return where the database of `count` briefs for `seed` is cached."""
    return cache_dir / f"briefs-n{count}-s{seed}-g{GENERATOR_VERSION}-{_schema_hash()}.db"


async def build(path: Path, count: int, seed: int, *, log: bool = True) -> None:
    """Store `count` generated briefs at `path` with `Briefs.add_many`, in batches."""
    db = await SqliteDatabase.open(path)
    try:
        repo = Briefs(db)
        generator = BriefGenerator(seed)
        started = time.perf_counter()
        done = 0
        while done < count:
            batch = list(generator.briefs(min(BUILD_BATCH, count - done)))
            await repo.add_many(batch)
            done += len(batch)
            if log and (done % 20_000 == 0 or done == count) and count >= 20_000:
                rate = done / (time.perf_counter() - started)
                print(f"  … {done:,}/{count:,} briefs stored ({rate:,.0f}/s)", flush=True)
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO briefs_fts (briefs_fts) VALUES ('optimize')")
    finally:
        await db.close()
    # Back to a rollback journal, so the finished file is complete on its own: no -wal or -shm
    # beside it to lose when it is renamed into the cache. `with conn` alone would not close.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = DELETE")


def _remove(path: Path) -> None:
    """Delete a database file with its journal files, if any."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def prepared(count: int, seed: int, cache_dir: Path) -> Path:
    """Return the cached database of `count` briefs, building it first if needed.

    Each build writes its own file (named for the process) and renames it into place when
    complete, so concurrent runs sharing a cache never see, or delete, a half-built one.
    """
    path = cache_path(cache_dir, count, seed)
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.building")
    _remove(partial)
    print(f"  building a database of {count:,} briefs (cached in {cache_dir}) …", flush=True)
    started = time.perf_counter()
    try:
        asyncio.run(build(partial, count, seed))
        partial.replace(path)
    finally:
        _remove(partial)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def working_copy(source: Path, folder: Path) -> Path:
    """Copy a cached database into `folder` for one benchmark to use (and modify)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target
