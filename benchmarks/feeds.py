"""Feeds: the poller's CPU per poll over rounds of mostly-304 feeds, against a bare aiohttp
loop making the same requests in the same run; items ingested per second; peak RSS.

The feed server is a child process (`python -m benchmarks.feeds serve`), so this process's
CPU (every thread: the parser's and SQLite's too) is the client's alone. /f/{n}.xml is RSS with
three items and an ETag (304 on a match); one feed in CHANGING_EVERY gains an item on every
request, counted per User-Agent, so each client sees one new item per request and the rounds
of the poller, the bare loop and a `Fetcher` alone can alternate. The poller's SQLite library
is seeded by a first round (items/s by the wall clock), then every feed is made due before
each measured round, as its interval passing would. Targets (issue 22): at most 3× the bare
loop's CPU, and 10,000 feeds every 10 minutes under a fifth of a core. Peak RSS is a fresh
interpreter (`python -m benchmarks.feeds memory`) adding M feeds and seeding them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web

from benchmarks.report import INFO, Result, Row, percentile, verdict
from benchmarks.simulated import quiet_logs
from bot.brief.parsing import DEFAULT_MAX_CHARS
from bot.feeds._fetch import ACCEPT, ACCEPT_ENCODING, Fetcher
from bot.feeds._polling import CLAIM_BATCH, PER_HOST, Poller, PollReport
from storage.backends import open_storage, sqlite_url
from storage.library import Storage

#: Items in every feed; one feed in CHANGING_EVERY gains one on each request.
ITEMS = 3
CHANGING_EVERY = 20
#: Measured rounds of each side, alternating.
ROUNDS = 3
#: Connections of the fetcher in all (its per-host limit is the poller's PER_HOST).
CONNECTIONS = 32
INTERVAL = timedelta(minutes=10)
#: The issue's goal: 10,000 feeds every 10 minutes under a fifth of a core, ≤ 3× the floor.
PROJECTED_FEEDS = 10_000
TARGET_CORE = 0.2
TARGET_RATIO = 3.0
POLLER_AGENT = "briefbot-benchmark (poller)"
FLOOR_AGENT = "briefbot-benchmark (bare loop)"
FETCHER_AGENT = "briefbot-benchmark (fetcher alone)"
PROBE_AGENT = "briefbot-benchmark (memory probe)"
T = TypeVar("T")
_ROOT = Path(__file__).resolve().parent.parent
_PUBLISHED = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _rss(feed: int, newest: int) -> bytes:
    """Feed `feed`'s RSS 2.0 body holding items newest … newest - ITEMS + 1."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Harbour Gazette {feed}</title><link>https://feeds.example/{feed}/</link>",
        "<description>News from the harbour</description>",
    ]
    for number in range(newest, max(newest - ITEMS, 0), -1):
        title = escape(f"Ferry timetable {feed}-{number} changes from Monday")
        parts.append(
            f'<item><guid isPermaLink="false">bench-{feed}-{number}</guid><title>{title}</title>'
            f"<description>{escape('<p>The harbour office moves the first crossing to 06:40.')}"
            f"{escape(' Night services run as before.</p><p>Fares are unchanged.</p>')}"
            f"</description><link>https://feeds.example/{feed}/{number}</link>"
            f"<category>harbour</category><category>transport</category>"
            f"<pubDate>{format_datetime(_PUBLISHED + timedelta(hours=number))}</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


class _FeedSite:
    """The server's feeds: fixed ones cached; a changing one's count kept per User-Agent."""

    def __init__(self) -> None:
        self._fixed: dict[int, bytes] = {}
        self._requests: Counter[tuple[int, str]] = Counter()

    async def answer(self, request: web.Request) -> web.Response:
        feed = int(request.match_info["feed"])
        if feed % CHANGING_EVERY == 0:
            key = (feed, request.headers.get("User-Agent", ""))
            self._requests[key] += 1
            newest = ITEMS + self._requests[key] - 1
            body = _rss(feed, newest)
        else:
            newest = ITEMS
            body = self._fixed.get(feed) or self._fixed.setdefault(feed, _rss(feed, newest))
        etag = f'"f{feed}-{newest}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})


async def serve() -> None:
    """Serve the feeds on a free loopback port, print it, and stop when stdin closes."""
    app = web.Application()
    app.router.add_get("/f/{feed:[0-9]+}.xml", _FeedSite().answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(runner.addresses[0][1], flush=True)
    try:
        await asyncio.to_thread(sys.stdin.read)
    finally:
        await runner.cleanup()


class _Server:
    """The feed server's child process, started and stopped around a benchmark."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self.base = ""

    async def __aenter__(self) -> _Server:
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.feeds", "serve",
            cwd=_ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        port = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).strip()
        if not port.isdigit():
            process.kill()
            raise RuntimeError("the feed server did not start (no port printed)")
        self.base = f"http://127.0.0.1:{port.decode()}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()


def _url(base: str, feed: int) -> str:
    return f"{base}/f/{feed}.xml"


def _cpu() -> float:
    """CPU seconds of this process so far, user and system, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _add_feeds(storage: Storage, base: str, count: int) -> None:
    """Add `count` feeds on the server, due now."""
    for feed in range(count):
        await storage.feeds.add(f"feed-{feed}", _url(base, feed), interval=INTERVAL)


def _fetcher(agent: str) -> Fetcher:
    return Fetcher(user_agent=agent, allow_private=True, per_host=PER_HOST, concurrency=CONNECTIONS)


def _outcomes(reports: Sequence[PollReport]) -> tuple[Counter[str], int]:
    """Each fetch outcome's count, and the items the round stored as new."""
    outcomes = Counter(report.fetched.outcome.value for report in reports)
    return outcomes, sum(report.ingested.new for report in reports if report.ingested)


class _Floor:
    """The bare loop: one aiohttp session, the poller's batches and connection limits, the
    same headers and conditional requests; each body read and nothing else done. Beside it,
    the same round through a `Fetcher` alone (no storage, no parsing): where the cost is."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = urls
        self.etags: dict[str, str] = {}
        self.fetcher_etags: dict[str, str] = {}
        self.statuses: Counter[int] = Counter()

    async def round(self, http: aiohttp.ClientSession) -> None:
        """Request every URL once, CLAIM_BATCH at a time, keeping each answer's ETag."""
        await self._in_batches(lambda url: self._get(http, url))

    async def fetches(self, fetcher: Fetcher) -> None:
        """Fetch every URL once through `fetcher`, CLAIM_BATCH at a time, as the poller would."""
        await self._in_batches(lambda url: self._fetch(fetcher, url))

    async def _in_batches(self, one: Callable[[str], Awaitable[None]]) -> None:
        for start in range(0, len(self.urls), CLAIM_BATCH):
            await asyncio.gather(*(one(url) for url in self.urls[start : start + CLAIM_BATCH]))

    async def _fetch(self, fetcher: Fetcher, url: str) -> None:
        fetched = await fetcher.fetch(url, etag=self.fetcher_etags.get(url))
        if fetched.etag:
            self.fetcher_etags[url] = fetched.etag

    async def _get(self, http: aiohttp.ClientSession, url: str) -> None:
        headers = {"User-Agent": FLOOR_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        if url in self.etags:
            headers["If-None-Match"] = self.etags[url]
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            await response.read()
            self.statuses[response.status] += 1
            if etag := response.headers.get("ETag"):
                self.etags[url] = etag


def _floor_session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS, limit_per_host=PER_HOST)
    return aiohttp.ClientSession(
        connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()
    )


@dataclass
class _Rounds:
    """The measured rounds: CPU seconds of each, the poller's outcomes and new items."""

    floor: list[float] = field(default_factory=list)
    fetcher: list[float] = field(default_factory=list)
    poller: list[float] = field(default_factory=list)
    polls: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    new: int = 0


def _all_due(database: Path) -> None:
    """Make every feed due, as its interval passing would (each keeps its own slot after a
    poll, so two rounds a few seconds apart would otherwise find none due)."""
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("UPDATE feeds SET next_due_at = added_at")


async def _cpu_of(work: Awaitable[T]) -> tuple[float, T]:
    """CPU seconds this process spends while `work` runs (after a collection), and its value."""
    gc.collect()
    before = _cpu()
    value = await work
    return _cpu() - before, value


async def _measured(
    poller: Poller, database: Path, floor: _Floor, http: aiohttp.ClientSession, fetcher: Fetcher
) -> _Rounds:
    """Alternate ROUNDS rounds of the floor, the fetcher alone and the poller (CPU per
    request, per fetch, per poll)."""
    rounds = _Rounds()
    for _ in range(ROUNDS):
        cpu, _ = await _cpu_of(floor.round(http))
        rounds.floor.append(cpu / len(floor.urls))
        cpu, _ = await _cpu_of(floor.fetches(fetcher))
        rounds.fetcher.append(cpu / len(floor.urls))
        _all_due(database)
        cpu, reports = await _cpu_of(poller.poll_due())
        rounds.poller.append(cpu / max(len(reports), 1))
        rounds.polls.append(len(reports))
        outcomes, new = _outcomes(reports)
        rounds.outcomes.update(outcomes)
        rounds.new += new
    return rounds


def _status_kb(field: str) -> float:
    """This process's VmRSS or VmHWM in kB (Linux), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


async def probe(base: str, count: int, database: Path) -> dict[str, float]:
    """Add `count` feeds to a new library, run the seeding round; return RSS in MB."""
    quiet_logs()
    storage = await open_storage(sqlite_url(database))
    start = _status_kb("VmRSS")
    try:
        await _add_feeds(storage, base, count)
        async with _fetcher(PROBE_AGENT) as fetcher:
            poller = Poller(storage, fetcher, max_chars=DEFAULT_MAX_CHARS)
            reports = await poller.poll_due()
    finally:
        await storage.close()
    peak = _status_kb("VmHWM")
    outcomes, new = _outcomes(reports)
    bodies = sum(len(report.fetched.body) for report in reports)
    return {
        "start_mb": start / 1024, "peak_mb": peak / 1024, "ok": outcomes["ok"], "new": new,
        "bodies_mb": bodies / 2**20,
    }  # fmt: skip


async def _memory(base: str, count: int, workdir: Path) -> dict[str, float]:
    """Run the memory probe in a fresh interpreter; return what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.feeds", "memory", base, str(count),
        str(workdir / "feeds-memory.db"),
        cwd=_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        tail = "\n".join(err.decode(errors="replace").strip().splitlines()[-15:])
        raise RuntimeError(f"the memory probe exited with {process.returncode}:\n{tail}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


@dataclass(frozen=True)
class _Seen:
    """What the poller and floor rounds measured."""

    seed_outcomes: Counter[str]
    seed_items: int
    seed_cpu: float
    seed_wall: float
    rounds: _Rounds
    floor_statuses: Counter[int]


async def _poll_and_floor(base: str, count: int, workdir: Path) -> _Seen:
    """Seed a library of `count` feeds, then measure the alternating rounds."""
    database = workdir / "feeds.db"
    storage = await open_storage(sqlite_url(database))
    try:
        await _add_feeds(storage, base, count)
        async with (
            _fetcher(POLLER_AGENT) as fetcher,
            _fetcher(FETCHER_AGENT) as alone,
            _floor_session() as http,
        ):
            poller = Poller(storage, fetcher, max_chars=DEFAULT_MAX_CHARS)
            started, before = time.perf_counter(), _cpu()
            seed_outcomes, seed_items = _outcomes(await poller.poll_due())
            seed_cpu, seed_wall = _cpu() - before, time.perf_counter() - started
            floor = _Floor([_url(base, feed) for feed in range(count)])
            await floor.round(http)  # the ETags, and the connections opened
            await floor.fetches(alone)
            floor.statuses.clear()
            rounds = await _measured(poller, database, floor, http, alone)
    finally:
        await storage.close()
    return _Seen(seed_outcomes, seed_items, seed_cpu, seed_wall, rounds, floor.statuses)


def _cpu_row(case: str, count: int, seconds: list[float], floor: Row | None = None) -> Row:
    """A row of CPU ms per request: the median round, the worst, against the floor's."""
    ms = [cpu * 1000 for cpu in seconds]
    p50 = statistics.median(ms)
    if floor is None:
        return Row(case, count, "ms", p50, percentile(ms, 99), samples=len(ms))
    return Row(case, count, "ms", p50, percentile(ms, 99), baseline=floor.p50,
               baseline_label="bare loop", ratio=p50 / floor.p50, samples=len(ms))  # fmt: skip


def _rows(result: Result, count: int, seen: _Seen) -> None:
    """The seeding, floor, poller and projection rows."""
    rate = seen.seed_items / seen.seed_wall
    result.rows.append(Row("seeding round: items ingested", seen.seed_items, "items/s", rate))
    seed_ms = seen.seed_cpu / count * 1000
    result.rows.append(Row("seeding round: CPU per poll", count, "ms", seed_ms))
    floor = _cpu_row("bare aiohttp loop: CPU per request", count, seen.rounds.floor)
    alone = "Fetcher alone (no storage): CPU per fetch"
    poller = _cpu_row("poller round: CPU per poll", count, seen.rounds.poller, floor)
    assert poller.ratio is not None
    poller.target = f"≤ {TARGET_RATIO:g}× bare loop"
    poller.result = verdict(poller.ratio <= TARGET_RATIO)
    result.rows.extend([floor, _cpu_row(alone, count, seen.rounds.fetcher, floor), poller])
    share = poller.p50 / 1000 * PROJECTED_FEEDS / INTERVAL.total_seconds()
    result.rows.append(
        Row(
            f"projected: {PROJECTED_FEEDS:,} feeds every {INTERVAL.seconds // 60} min",
            PROJECTED_FEEDS, "% of a core", share * 100,
            target=f"< {TARGET_CORE * 100:g}% of a core", result=verdict(share < TARGET_CORE),
        )
    )  # fmt: skip
    expected = ROUNDS * len(range(0, count, CHANGING_EVERY))
    result.notes.append(
        f"seeding: {dict(seen.seed_outcomes)}; measured poller rounds: "
        f"{dict(seen.rounds.outcomes)} (polls per round: {seen.rounds.polls}), "
        f"{seen.rounds.new} new items (expected {expected}); "
        f"bare loop: statuses {dict(sorted(seen.floor_statuses.items()))}"
    )


async def run(count: int, memory_feeds: int, workdir: Path) -> Result:
    """Measure the poller and the floor over `count` feeds, then RSS over `memory_feeds`."""
    result = Result("feeds", f"Feeds: {count:,} feeds polled, 1 in {CHANGING_EVERY} changing")
    async with _Server() as server:
        seen = await _poll_and_floor(server.base, count, workdir)
        memory = await _memory(server.base, memory_feeds, workdir)
    _rows(result, count, seen)
    result.rows.append(
        Row(
            f"peak RSS, {memory_feeds:,} feeds added and seeded", memory_feeds, "MB",
            memory["peak_mb"], baseline=memory["start_mb"], baseline_label="library opened",
            ratio=memory["peak_mb"] / memory["start_mb"], result=INFO,
        )
    )  # fmt: skip
    result.notes.extend(
        [
            "CPU = getrusage(RUSAGE_SELF) user + system of this process, every thread (the "
            "parser's and SQLite's); the feed server is a child process and not counted; "
            f"p50 = median of {ROUNDS} alternating rounds each side, p99 = their worst",
            f"one server host: both sides are held to {PER_HOST} requests at a time to it (the "
            f"poller's PER_HOST and the fetcher's limit_per_host; the bare loop's connector "
            f"limit_per_host={PER_HOST}, limit={CONNECTIONS}), in batches of {CLAIM_BATCH}",
            "poller = Poller.poll_due() over a SQLite library, every feed made due before each "
            "round: claims, fetch, parse (in a thread), known-item lookup, upsert of new items, "
            "and the finish write per feed; its INFO log is off (quiet_logs), as everywhere",
            f"projected share = CPU per poll × {PROJECTED_FEEDS:,} / "
            f"{INTERVAL.total_seconds():.0f} s; items ingested/s = items stored by the "
            "seeding round / its wall seconds",
            f"peak RSS = VmHWM of a fresh interpreter that opens a library, adds the feeds and "
            f"runs one seeding round ({memory['ok']:.0f} fetched ok, {memory['new']:.0f} items "
            f"stored); baseline = its RSS once the library was opened; poll_due returns every "
            f"report, each holding its fetched body: {memory['bodies_mb']:.1f} MB of bodies here",
        ]
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the child processes: `serve`, or `memory BASE COUNT DATABASE`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.feeds")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve")
    memory = commands.add_parser("memory")
    memory.add_argument("base")
    memory.add_argument("count", type=int)
    memory.add_argument("database", type=Path)
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(serve())
    else:
        print(json.dumps(asyncio.run(probe(args.base, args.count, args.database))))


if __name__ == "__main__":
    main()
