"""Scaling: a sweep round and a correction round cost the work, not the library.

The same work is done over a small and a large library (each with a post history in
proportion: SUBSCRIBED channels holding a copy of every HISTORY_EVERY-th brief), through the
repositories, as the autopost feature's rounds call them:

* sweep round: `subscriptions.active()`, then each subscription's `pending` and `unsent`
  (what the periodic sweep asks), after one new brief was stored, which each subscription
  then claims and records as posted (the database side of delivering it). The subscriptions
  choose a topic only the new briefs carry and began before the library: without the
  delivery queue's mark each round would read every brief since they began;
* correction round: one brief with a copy in every channel is edited, then `copies_due` is
  leased batch after batch, each copy's brief read and the copy recorded as shown (the
  database side of the correction keeper; its Discord edits are paced and left out).

ratio = the large library's p50 over the small one's; the target is ≤ TARGET_RATIO. The
correction keeper's query from before `due_version` (every posted copy joined with its brief)
is timed beside, once per size, for reference.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.library import working_copy
from benchmarks.report import INFO, Result, Row, percentile, verdict
from bot.cogs.autopost._policy import COPY_BATCH, COPY_LEASE
from storage.backends import open_storage, sqlite_url
from storage.base import COLUMNS
from storage.library import Storage
from storage.models import BriefContent, SubscriptionOptions, utcnow
from storage.sql import Row as DbRow

#: Most a round at the large library may cost, as a multiple of the small library's.
TARGET_RATIO = 1.2
#: Subscribed channels, one server each; each holds a copy of every HISTORY_EVERY-th brief.
SUBSCRIBED = 20
HISTORY_EVERY = 10
#: Catch-up cap the sweep asks `pending` for (the bot's default AUTOPOST_CATCHUP_MAX).
CATCHUP = 5
#: The correction keeper's query before `due_version` (for reference only).
OLD_COPIES_DUE = (
    "SELECT p.guild_id, p.brief_id, p.channel_id, p.thread_id, p.message_id, p.shown_hash"
    " FROM post_log AS p JOIN briefs AS b ON b.id = p.brief_id"
    " WHERE p.message_id IS NOT NULL AND p.copy_state IS NULL AND b.updated_at IS NOT NULL"
    " AND (p.shown_version IS NULL OR p.shown_version < b.updated_at)"
    " AND (p.lease_until IS NULL OR p.lease_until < ?) ORDER BY b.updated_at, p.guild_id LIMIT ?"
)
GUILD = 1 << 22
#: The subscriptions' topic, which the new brief of each sweep round carries and the library's
#: briefs do not: a long-lived subscription passes over the library, and must not re-read it.
TOPIC = "scaling news"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _copy(channel: int, brief_id: int) -> DbRow:
    """A posted copy of a brief, showing it as stored."""
    now = utcnow()
    row: DbRow = dict.fromkeys(COLUMNS["post_log"])
    row |= {
        "channel_id": channel,
        "brief_id": brief_id,
        "guild_id": GUILD + channel,
        "message_id": channel * 10_000_000 + brief_id,
        "posted_at": now,
        "claimed_at": now,
        "skipped": False,
        "shown_hash": "shown",
        "shown_version": now,
    }
    return row


async def _prepare(store: Storage, count: int) -> list[int]:
    """Subscribe the channels, by a topic, since before the library began (their queues read
    once from the start, as after the upgrade that added the mark), and store their post
    history; return the briefs with copies."""
    for channel in range(1, SUBSCRIBED + 1):
        options = SubscriptionOptions(channel_id=channel, topics=[TOPIC])
        await store.subscriptions.add(GUILD + channel, options)
    async with store.db.transaction() as conn:
        await conn.execute("UPDATE subscriptions SET subscribed_at = ?, queue_from = 0", LONG_AGO)
    for sub in await store.subscriptions.active():
        await store.post_log.pending(sub, limit=CATCHUP)
    posted = list(range(HISTORY_EVERY, count + 1, HISTORY_EVERY))
    async with store.db.transaction() as conn:
        for first in range(0, len(posted), 10_000):
            rows = [
                _copy(channel, brief_id)
                for brief_id in posted[first : first + 10_000]
                for channel in range(1, SUBSCRIBED + 1)
            ]
            await store.db.insert(conn, "post_log", rows)
    return posted


async def _sweep(store: Storage, n: int) -> int:
    """One sweep round that finds one new brief for every subscription and posts it; return
    the posts made."""
    news = BriefContent(title=f"News {n}", what_happened="Just now.", topics=[TOPIC])
    stored = await store.briefs.add(news)
    posts = 0
    for sub in await store.subscriptions.active():
        ids, _ = await store.post_log.pending(sub, limit=CATCHUP)
        await store.post_log.unsent(sub.channel_id, stale_after=timedelta(minutes=5))
        for brief_id in ids:
            if await store.post_log.claim(sub, brief_id):
                await store.post_log.record_message(
                    sub, brief_id, 900_000_000 + n, shown_version=stored.updated_at
                )
                posts += 1
    return posts


async def _correct(store: Storage, brief_id: int, n: int) -> int:
    """Edit a brief posted to every channel, then one correction round; return copies done."""
    await store.briefs.update(
        brief_id, BriefContent(title=f"Corrected {n}", what_happened="Fixed."), actor_id=None
    )
    done = 0
    while copies := await store.copies.due(limit=COPY_BATCH, lease=COPY_LEASE):
        for copy in copies:
            brief = await store.briefs.get(copy.brief_id)
            version = None if brief is None else brief.updated_at
            await store.copies.shown(
                copy.channel_id, copy.brief_id, shown_hash=f"v{n}", shown_version=version
            )
            done += 1
    return done


class _Library:
    """One library being measured: its storage, the briefs with copies, and its samples."""

    def __init__(self, store: Storage, count: int, posted: list[int]) -> None:
        self.store, self.count, self.posted = store, count, posted
        self.samples: dict[str, list[float]] = {"sweep": [], "correction": [], "old": []}

    async def time(self, key: str, call: Awaitable[object]) -> None:
        started = time.perf_counter()
        await call
        self.samples[key].append((time.perf_counter() - started) * 1000)

    async def old_query(self) -> None:
        async with self.store.db.read() as conn:
            await conn.fetch(OLD_COPIES_DUE, utcnow(), COPY_BATCH)


async def _open(library: Path, count: int, workdir: Path) -> _Library:
    store = await open_storage(sqlite_url(working_copy(library, workdir / f"scaling-{count}")))
    return _Library(store, count, await _prepare(store, count))


async def _measure(libraries: list[_Library], reps: int) -> None:
    """Time both rounds (and the old correction query) on each library in turn, sample by
    sample, so both see the machine alike; two rounds of each warm up first."""
    for n in range(-2, reps):
        for library in libraries:
            store, edited = library.store, library.posted[-reps - 2 :]
            if n < 0:
                await _sweep(store, n)
                await _correct(store, edited[n], n)
                continue
            await library.time("sweep", _sweep(store, n))
            await library.time("correction", _correct(store, edited[n], n))
            if n < 3:
                await library.time("old", library.old_query())
    for library in libraries:
        if await _correct(library.store, library.posted[0], reps) != SUBSCRIBED:
            raise RuntimeError("a correction round did not reach every copy")
        if await _sweep(library.store, reps) != SUBSCRIBED:
            raise RuntimeError("a sweep round did not post to every channel")


async def run(libraries: dict[int, Path], reps: int, workdir: Path) -> Result:
    """Run the benchmark over the smallest and largest library and return its table."""
    small, large = min(libraries), max(libraries)
    result = Result(
        "scaling", f"Scaling: a sweep and a correction round at {small:,} and {large:,} briefs"
    )
    opened = [await _open(libraries[n], n, workdir) for n in (small, large)]
    try:
        await _measure(opened, reps)
    finally:
        for library in opened:
            await library.store.close()
    measured = {library.count: library.samples for library in opened}
    cases = (
        ("sweep", f"sweep round ({SUBSCRIBED} subscriptions, 1 new brief)"),
        ("correction", f"correction round ({SUBSCRIBED} copies of 1 edited brief)"),
    )
    for key, case in cases:
        for n in (small, large):
            samples = measured[n][key]
            row = Row(case, n, "ms", percentile(samples, 50), percentile(samples, 99))
            row.samples = len(samples)
            if n == large:
                base = percentile(measured[small][key], 50)
                row.baseline, row.baseline_label = base, f"p50 at {small:,}"
                row.ratio = row.p50 / base
                row.target = f"p50 ≤ {TARGET_RATIO}× at {small:,}"
                row.result = verdict(row.ratio <= TARGET_RATIO)
            result.rows.append(row)
    for n in (small, large):
        samples = measured[n]["old"]
        result.rows.append(
            Row(
                "before: correction keeper's join query, once",
                n,
                "ms",
                percentile(samples, 50),
                percentile(samples, 99),
                result=INFO,
                samples=len(samples),
            )
        )
    result.notes.append(
        f"each library has {SUBSCRIBED} subscribed channels holding a copy of every "
        f"{HISTORY_EVERY}th brief ({SUBSCRIBED * large // HISTORY_EVERY:,} post-log rows at "
        f"{large:,}); the subscriptions choose a topic only each round's new brief carries and "
        "began before the library, their queues read once from the start before timing."
    )
    result.notes.append(
        "rounds run the repositories' calls the autopost rounds make (Discord requests, paced "
        "by the bot, are left out); the 'before' rows time the join query the correction "
        "keeper ran before copies due were marked, which planned a scan of every brief."
    )
    return result
