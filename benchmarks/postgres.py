"""The PostgreSQL backend beside SQLite over the same library, as the bot's storage calls.

Needs a server: `--postgres-url URL` or BRIEFBOT_TEST_POSTGRES_URL (`scripts/test-postgres
start` prints one); without either the benchmark is skipped. For each size the cached SQLite
library is copied with `copy_library` (what `migrate-db` runs) into a fresh schema
`bench_<random>`, reached by appending `search_path` to the URL and dropped afterwards even on
error. The copy's rate is compared with the same copy into a new SQLite file, and two searches
are timed straight after it, with only the statistics the copy's own ANALYZE left.

Then, after VACUUM ANALYZE, both backends answer the same calls, sample by sample in
alternating order: `/brief search` (search_count + the first page of search), autocomplete's
`suggest`, `latest(5)`, `get(id)`, and an auto-post's `claim` + `record_message`. The
baseline is SQLite's p99 in the same run; a PostgreSQL p99 within 3× of it, or under 10 ms,
passes (judged at the largest size, as in the search benchmark).
"""

from __future__ import annotations

import random
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from benchmarks.generate import PREFIXES, QUERIES
from benchmarks.library import working_copy
from benchmarks.report import INFO, Result, Row, percentile, verdict
from storage.backends import open_storage, redact, sqlite_path, sqlite_url
from storage.base import TABLES
from storage.library import Storage
from storage.models import Subscription
from storage.transfer import copy_library

#: Where the server URL is read from when `--postgres-url` is not given (as the tests do).
URL_VARIABLE = "BRIEFBOT_TEST_POSTGRES_URL"
#: PostgreSQL's p99 passes within this many times SQLite's p99 ...
TARGET_RATIO = 3.0
#: ... or below this many milliseconds, whichever is looser.
TARGET_MS = 10.0
TARGET = f"p99 ≤ {TARGET_RATIO:g}× SQLite or < {TARGET_MS:g} ms"
#: Stop timing one case after this many seconds (each backend has at least 3 samples).
BUDGET_S = 30.0
#: Searches timed right after the copy, before this benchmark's VACUUM, and their samples.
UNANALYZED_KINDS, UNANALYZED_REPS = ("common word", "rare word"), 5
#: The guild, channel and first message id the auto-post samples use (made-up snowflakes).
GUILD_ID, CHANNEL_ID, MESSAGE_ID = 900_000_000_000_000_001, 900_000_000_000_000_002, 10**17

Call = Callable[[int], Awaitable[object]]


def with_search_path(url: str, schema: str) -> str:
    """Return the URL with a search_path, which asyncpg passes on as a server setting."""
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}search_path={schema}"


@asynccontextmanager
async def _schema(server: str) -> AsyncIterator[tuple[str, str, asyncpg.Connection]]:
    """Create an empty schema `bench_<random>`; yield it, its URL and an admin connection.

    The schema is dropped afterwards, whatever happened inside.
    """
    schema = f"bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield schema, with_search_path(server, schema), admin
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


async def _server_note(admin: asyncpg.Connection) -> str:
    """Describe the server: version and the settings that decide what a commit costs."""
    version = await admin.fetchval("SHOW server_version")
    fsync = await admin.fetchval("SHOW fsync")
    sync = await admin.fetchval("SHOW synchronous_commit")
    buffers = await admin.fetchval("SHOW shared_buffers")
    return (
        f"server: PostgreSQL {version}, fsync={fsync}, synchronous_commit={sync}, "
        f"shared_buffers={buffers}"
    )


async def _copy(source: Storage, target: Storage) -> tuple[float, int]:
    """Copy the library with `copy_library`; return seconds taken and briefs copied."""
    started = time.perf_counter()
    copied = await copy_library(source, target)
    return time.perf_counter() - started, copied["briefs"]


async def _pair(sqlite_call: Call, pg_call: Call, reps: int) -> tuple[list[float], list[float]]:
    """Time both backends (ms), alternating which goes first, after one warm-up call each.

    Call i (0 is the warm-up, then 1..reps) gets the same i on both backends, so both answer
    the same question. Stops early once over BUDGET_S.
    """
    await sqlite_call(0)
    await pg_call(0)
    sqlite_samples: list[float] = []
    pg_samples: list[float] = []
    order = [(sqlite_call, sqlite_samples), (pg_call, pg_samples)]
    deadline = time.perf_counter() + BUDGET_S
    for i in range(1, reps + 1):
        for call, samples in order if i % 2 else reversed(order):
            started = time.perf_counter()
            await call(i)
            samples.append((time.perf_counter() - started) * 1000)
        if i >= 3 and time.perf_counter() > deadline:
            break
    return sqlite_samples, pg_samples


def _search(store: Storage, text: str) -> Call:
    """Return what `/brief search` asks storage for: the count, then the first page."""

    async def search(_: int) -> None:
        await store.briefs.search_count(text)
        await store.briefs.search(text, limit=5)

    return search


def _cases(
    store: Storage,
    ids: list[int],
    pairs: list[tuple[int, int]],
    subscriptions: dict[int, Subscription],
) -> dict[str, Call]:
    """Return each timed case as a call on one backend, keyed by the case's name."""
    cases = {f"search: {query.kind}": _search(store, query.text) for query in QUERIES}
    for query in PREFIXES:

        async def suggest(_: int, text: str = query.text) -> None:
            await store.briefs.suggest(text)

        cases[f"suggest: {query.kind}"] = suggest

    async def latest(_: int) -> None:
        if len(await store.briefs.latest(5)) != min(5, len(ids)):
            raise RuntimeError("latest(5) returned too few briefs")

    async def get(i: int) -> None:
        if await store.briefs.get(ids[i]) is None:
            raise RuntimeError(f"brief #{ids[i]} is missing")

    async def post(i: int) -> None:
        guild_id, brief_id = pairs[i]
        subscription = subscriptions[guild_id]
        if not await store.post_log.claim(subscription, brief_id):
            raise RuntimeError(f"the claim of #{brief_id} in {guild_id} was lost")
        await store.post_log.record_message(subscription, brief_id, MESSAGE_ID + i)

    cases["latest(5)"] = latest
    cases["get(id)"] = get
    cases["claim + record_message"] = post
    return cases


async def _answers(sqlite: Storage, pg: Storage) -> list[str]:
    """Return each query's match count on both backends (from search_count / suggest)."""
    out = []
    for query in QUERIES:
        a = await sqlite.briefs.search_count(query.text)
        b = await pg.briefs.search_count(query.text)
        out.append(f"“{query.text}” {a:,}" + ("" if a == b else f" (PostgreSQL {b:,}!)"))
    for query in PREFIXES:
        a = len(await sqlite.briefs.suggest(query.text))
        b = len(await pg.briefs.suggest(query.text))
        out.append(f"“{query.text}…” {a}" + ("" if a == b else f" (PostgreSQL {b}!)"))
    return out


def _compared(case: str, n: int, lite: list[float], post: list[float], judged: bool) -> Row:
    """Return a row of PostgreSQL samples against SQLite's p99, judged only if `judged`."""
    lite99, pg99 = percentile(lite, 99), percentile(post, 99)
    ok = pg99 <= TARGET_RATIO * lite99 or pg99 < TARGET_MS
    return Row(case, n, "ms", percentile(post, 50), pg99, lite99, "SQLite p99", pg99 / lite99,
               TARGET if judged else "", verdict(ok) if judged else INFO, len(post))  # fmt: skip


async def _load(
    result: Result, n: int, sqlite: Storage, pg: Storage, schema: str, admin: asyncpg.Connection
) -> None:
    """Copy the library into PostgreSQL and into a new SQLite file; time searches in between.

    The searches run right after the copy, as the bot's would after `migrate-db` (whose
    restore ends with ANALYZE), before this function's VACUUM ANALYZE.
    """
    seconds, briefs = await _copy(sqlite, pg)
    unanalyzed = []
    for query in QUERIES:
        if query.kind in UNANALYZED_KINDS:
            lite, post = await _pair(
                _search(sqlite, query.text), _search(pg, query.text), UNANALYZED_REPS
            )
            unanalyzed.append(
                _compared(f"search: {query.kind}, right after the copy", n, lite, post, False)
            )
    raced = await admin.fetchval(
        "SELECT last_autoanalyze IS NOT NULL FROM pg_stat_user_tables"
        " WHERE schemaname = $1 AND relname = 'briefs'",
        schema,
    )
    started = time.perf_counter()
    for table in TABLES:
        await admin.execute(f"VACUUM (ANALYZE) {schema}.{table}")
    vacuum_s = time.perf_counter() - started

    folder = Path(sqlite_path(sqlite.url)).parent
    baseline = await open_storage(sqlite_url(folder / "copy.db"))
    try:
        baseline_s, _ = await _copy(sqlite, baseline)
    finally:
        await baseline.close()
    rate, baseline_rate = briefs / seconds, briefs / baseline_s
    result.rows.append(
        Row("copy_library → PostgreSQL", n, "briefs/s", rate, baseline=baseline_rate,
            baseline_label="→ SQLite", ratio=rate / baseline_rate)
    )  # fmt: skip
    result.rows.extend(unanalyzed)
    result.notes.append(
        f"{n:,} briefs: copy {seconds:.1f} s into PostgreSQL, {baseline_s:.1f} s into SQLite; "
        f"VACUUM (ANALYZE) after it {vacuum_s:.1f} s"
        + ("; autovacuum had also analyzed briefs by then" if raced else "")
    )


async def _size(
    result: Result, n: int, library: Path, server: str, reps: int, workdir: Path, seed: int,
    judged: bool,
) -> None:  # fmt: skip
    """Copy one library into a fresh schema, time both backends on it, and add its rows."""
    folder = workdir / f"postgres-{n}"
    sqlite = await open_storage(sqlite_url(working_copy(library, folder)))
    try:
        async with _schema(server) as (schema, url, admin):
            pg = await open_storage(url)
            try:
                await _load(result, n, sqlite, pg, schema, admin)
                async with sqlite.db.read() as conn:
                    top = int(await conn.fetchval("SELECT max(id) FROM briefs"))
                rng = random.Random(seed)
                ids = [rng.randint(1, top) for _ in range(reps + 1)]
                pairs = [(GUILD_ID + k // top, k % top + 1) for k in range(reps + 1)]
                subscribed: dict[int, dict[int, Subscription]] = {}
                for store in (sqlite, pg):
                    subscribed[id(store)] = {
                        guild_id: await store.subscriptions.set_channel(
                            guild_id, CHANNEL_ID + guild_id - GUILD_ID
                        )
                        for guild_id in sorted({guild for guild, _ in pairs})
                    }
                matches = await _answers(sqlite, pg)
                sqlite_cases = _cases(sqlite, ids, pairs, subscribed[id(sqlite)])
                pg_cases = _cases(pg, ids, pairs, subscribed[id(pg)])
                for case, sqlite_call in sqlite_cases.items():
                    lite, post = await _pair(sqlite_call, pg_cases[case], reps)
                    result.rows.append(_compared(case, n, lite, post, judged))
                result.notes.append(f"{n:,} briefs, matches per query: " + ", ".join(matches))
            finally:
                await pg.close()
    finally:
        await sqlite.close()
        shutil.rmtree(folder, ignore_errors=True)


async def run(
    databases: dict[int, Path], server: str, reps: int, workdir: Path, seed: int = 1
) -> Result:
    """Run the benchmark over cached SQLite libraries keyed by size, smallest first."""
    sizes = sorted(databases)
    result = Result(
        "postgres", f"PostgreSQL vs SQLite at {', '.join(f'{n:,}' for n in sizes)} briefs"
    )
    admin = await asyncpg.connect(server)
    try:
        server_note = await _server_note(admin)
    finally:
        await admin.close()
    for n in sizes:
        await _size(result, n, databases[n], server, reps, workdir, seed, n == sizes[-1])
    result.notes.append(
        f"{server_note}; {redact(server)} over loopback TCP; one schema bench_<random> per "
        "size, dropped afterwards."
    )
    result.notes.append(
        "p50/p99 = PostgreSQL; baseline = SQLite p99 over the same library in the same run, "
        "samples alternating between the backends; ratio = PostgreSQL p99 / SQLite p99. "
        f"Target ({TARGET}, whichever is looser) applies at the largest size."
    )
    result.notes.append(
        "search = search_count + search(limit=5), what /brief search runs; suggest = "
        "autocomplete; get = random ids; claim + record_message = one auto-post (two "
        "commits), each sample a new (guild, brief) pair."
    )
    result.notes.append(
        "copy = copy_library (every table, one transaction, counts verified) into the empty "
        "schema, beside the same copy into a new SQLite file. The other rows run after VACUUM "
        "(ANALYZE), i.e. once autovacuum has seen the tables; “right after the copy” rows are "
        f"the same searches before it ({UNANALYZED_REPS} samples), as after migrate-db."
    )
    return result
