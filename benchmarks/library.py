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
from pathlib import Path

from benchmarks.generate import GENERATOR_VERSION, BriefGenerator
from storage.sqlite.briefs import BriefRepository
from storage.sqlite.database import Database

#: Briefs stored per `add_many` transaction while building.
BUILD_BATCH = 2000


def default_cache_dir() -> Path:
    """Return the folder for cached databases (`$XDG_CACHE_HOME/briefbot-benchmarks`)."""
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
    """Store `count` generated briefs at `path` with `BriefRepository.add_many`, in batches."""
    db = await Database.open(path)
    try:
        repo = BriefRepository(db)
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
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("ANALYZE")


def prepared(count: int, seed: int, cache_dir: Path) -> Path:
    """Return the cached database of `count` briefs, building it first if needed."""
    path = cache_path(cache_dir, count, seed)
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".building")
    for leftover in cache_dir.glob(partial.name + "*"):
        leftover.unlink()
    print(f"  building a database of {count:,} briefs (cached in {cache_dir}) …", flush=True)
    started = time.perf_counter()
    asyncio.run(build(partial, count, seed))
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(path)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def working_copy(source: Path, folder: Path) -> Path:
    """Copy a cached database into `folder` for one benchmark to use (and modify)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target
