"""Full-text search at growing library sizes, beside a naive `LIKE '%word%'` scan.

Each FTS sample is what `/brief search` asks storage for: `search_count` plus the first page
of `search` (ranked, with snippets). Prefix rows are autocomplete's `suggest`. The baseline
counts the same matches with `LIKE` over every text column of the same table, through the
same connection, so only the index differs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.generate import PREFIXES, QUERIES, Query
from benchmarks.report import INFO, Result, Row, percentile, verdict
from storage.briefs import Briefs
from storage.search import words
from storage.sqlite.backend import SqliteDatabase

TARGET_P99_MS = 5.0
#: Stop timing one LIKE query after this long (it scans every row, every time).
LIKE_BUDGET_S = 6.0
_TEXT_COLUMNS = (
    "title",
    "what_happened",
    "who_was_involved",
    "when_and_where",
    "key_quote",
    "impact",
    "body",
)


async def _time(call: Callable[[], Awaitable[object]], reps: int, budget: float) -> list[float]:
    """Time up to `reps` calls (ms) after one warm-up, stopping early once over `budget` s."""
    await call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(reps):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) >= 3 and started > deadline:
            break
    return samples


def _like_sql(query: Query, *, prefix: bool) -> tuple[str, list[str]]:
    """Return a naive scan counting briefs containing every word (prefix: titles only)."""
    columns = ("title",) if prefix else _TEXT_COLUMNS
    clauses, params = [], []
    for word in words(query.text):
        clauses.append("(" + " OR ".join(f"{c} LIKE ?" for c in columns) + ")")
        params.extend([f"%{word}%"] * len(columns))
    where = " AND ".join(clauses)
    return f"SELECT count(*) FROM briefs WHERE deleted_at IS NULL AND {where}", params


async def _size(
    path: Path, reps: int, like_reps: int
) -> list[tuple[Query, list[float], list[float], int]]:
    """Time every query on one database: (query, FTS samples, LIKE samples, hits)."""
    db = await SqliteDatabase.open(path)
    try:
        repo = Briefs(db)
        measured = []
        for query in (*QUERIES, *PREFIXES):
            is_prefix = query in PREFIXES
            sql, params = _like_sql(query, prefix=is_prefix)

            async def fts(query: Query = query, is_prefix: bool = is_prefix) -> None:
                if is_prefix:
                    await repo.suggest(query.text)
                else:
                    await repo.search_count(query.text)
                    await repo.search(query.text, limit=5)

            async def like(sql: str = sql, params: list[str] = params) -> int:
                async with db.read() as conn:
                    return int(await conn.fetchval(sql, *params))

            hits = await like()
            fts_samples = await _time(fts, reps, budget=30.0)
            like_samples = await _time(like, like_reps, budget=LIKE_BUDGET_S)
            measured.append((query, fts_samples, like_samples, hits))
        return measured
    finally:
        await db.close()


async def run(databases: dict[int, Path], reps: int, like_reps: int) -> Result:
    """Run the benchmark over databases keyed by size, smallest first."""
    sizes = sorted(databases)
    result = Result(
        "search", f"Search: FTS5 vs LIKE scan at {', '.join(f'{n:,}' for n in sizes)} briefs"
    )
    by_size = {n: await _size(databases[n], reps, like_reps) for n in sizes}
    largest = sizes[-1]
    for n in sizes:
        hits_note = []
        for query, fts_samples, like_samples, hits in by_size[n]:
            p99 = percentile(fts_samples, 99)
            like99 = percentile(like_samples, 99)
            kind = "suggest" if query in PREFIXES else "search"
            result.rows.append(
                Row(
                    f"{kind}: {query.kind}",
                    n,
                    "ms",
                    percentile(fts_samples, 50),
                    p99,
                    like99,
                    "LIKE p99",
                    p99 / like99,
                    f"p99 < {TARGET_P99_MS:g} ms" if n == largest else "",
                    verdict(p99 < TARGET_P99_MS) if n == largest else INFO,
                    len(fts_samples),
                )
            )
            hits_note.append(f"“{query.text}” {hits:,}")
        result.notes.append(f"{n:,} briefs, matching briefs per query: " + ", ".join(hits_note))
    if len(sizes) > 1:
        smallest = sizes[0]
        for i, (query, samples, _, _) in enumerate(by_size[largest]):
            small = by_size[smallest][i][1]
            kind = "suggest" if query in PREFIXES else "search"
            result.rows.append(
                Row(
                    f"growth {smallest:,}→{largest:,}: {kind} {query.kind}",
                    largest,
                    "ms",
                    percentile(samples, 50),
                    percentile(samples, 99),
                    percentile(small, 99),
                    f"p99 at {smallest:,}",
                    percentile(samples, 99) / percentile(small, 99),
                    "near-flat",
                    INFO,
                )
            )
    result.notes.append(
        "baseline = SELECT count(*) … WHERE col LIKE '%word%' OR … over all seven text columns "
        "(titles only for prefixes), through the same aiosqlite connection; ratio < 1 means "
        "FTS is faster. LIKE is timed fewer times (it scans the whole table)."
    )
    result.notes.append(
        f"FTS sample = search_count + search(limit=5), what /brief search runs; target "
        f"p99 < {TARGET_P99_MS:g} ms applies at the largest size."
    )
    return result
