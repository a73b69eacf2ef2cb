"""Polling: claim the feeds that are due, fetch each once, store what is new or corrected, and
record when to come back.

Several processes may share a database: a feed is leased to the process that claimed it, so
one fetch per feed per round whatever runs. Items go through the one publishing operation
(`Publisher.upsert`, the feed being the source), so a new item is announced and auto-posted as
any brief is, and an edit at the source within CORRECTION_WINDOW corrects every posted copy.
The items a feed holds when it is added are stored as backfill: searchable, never auto-posted.
Validators (ETag, Last-Modified) and the next due time are stored only once every item is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.feeds._fetch import Fetcher
from bot.feeds._model import FeedItem, FeedParseError, Fetched, FetchOutcome, ParsedFeed
from bot.feeds._parse import parse_feed
from bot.feeds._policy import (
    CORRECTION_NOTE,
    CORRECTION_WINDOW,
    FAILED,
    Notice,
    backoff,
    healthy_wait,
    next_slot,
    notice_for,
    should_pause,
)
from storage.base import content_key
from storage.errors import ExternalRetractedError
from storage.feeds import FeedRecord, FeedResult, KnownItem, applied
from storage.library import Storage
from storage.models import utcnow
from storage.publishing import Source, UpsertOutcome

log = logging.getLogger("bot.feeds")

#: Feeds leased per claim, and how long a lease lasts (a fetch times out well before).
CLAIM_BATCH = 50
LEASE = timedelta(minutes=2)
#: Fetches of one host at once (the fetcher's connection limit per host).
PER_HOST = 2
#: Changes after the correction window logged per process, so each is logged once.
REMEMBERED_IGNORED = 10_000


@dataclass
class Ingested:
    """What one poll stored."""

    new: int = 0
    corrected: int = 0
    unchanged: int = 0
    #: Changed at the source after the correction window: logged, not applied.
    ignored: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Say it in a few words, for the feed's status."""
        parts = [f"{self.new} new", f"{self.corrected} corrected"]
        if self.ignored:
            parts.append(f"{self.ignored} changed too late to correct")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts)


@dataclass(frozen=True)
class PollReport:
    """One feed's poll: how the fetch ended, what was stored, and what comes next."""

    feed: FeedRecord
    fetched: Fetched
    ingested: Ingested | None
    error: str | None
    next_due_at: datetime
    notice: Notice | None


@dataclass(frozen=True)
class FeedNotice:
    """Something the newsroom should hear about a feed."""

    kind: Notice
    feed: FeedRecord
    error: str | None


Notify = Callable[[FeedNotice], Awaitable[None]]


@dataclass(frozen=True)
class _Polled:
    """A feed fetched and its items stored; `result` is what to record."""

    feed: FeedRecord
    fetched: Fetched
    outcome: FetchOutcome
    error: str | None
    ingested: Ingested | None
    result: FeedResult


def _result(
    feed: FeedRecord,
    fetched: Fetched,
    outcome: FetchOutcome,
    error: str | None,
    ingested: Ingested | None,
    ttl: float | None,
) -> FeedResult:
    """Say what to record of a poll: validators, next due time, failures, pause."""
    now = utcnow()
    failed = outcome in FAILED
    failures = feed.failures + 1 if failed else 0
    failing_since = (feed.failing_since or now) if failed else None
    if failed:
        due = now + backoff(outcome, failures, feed.interval, fetched.retry_after)
    else:
        wait = healthy_wait(feed.interval, fetched.max_age, ttl)
        due = now + wait if wait is not None else next_slot(feed.source, feed.interval, now)
    pause = should_pause(failing_since, now) and failing_since is not None
    return FeedResult(
        fetched_at=now,
        status=outcome.value if ingested is None else f"{outcome.value}: {ingested.summary()}",
        error=error if failed else None,
        etag=feed.etag if failed else fetched.etag,
        last_modified=feed.last_modified if failed else fetched.last_modified,
        url=fetched.moved_to,
        next_due_at=due,
        failures=failures,
        failing_since=failing_since,
        paused_reason=f"failing since {failing_since:%Y-%m-%d %H:%M} UTC: {error}"
        if pause and failing_since is not None
        else None,
        seeded=ingested is not None,
    )


async def read_feed(fetched: Fetched, topics: list[str], max_chars: int) -> ParsedFeed:
    """Parse a fetched body off the event loop (FeedParseError when it is no feed)."""
    return await asyncio.to_thread(
        parse_feed,
        fetched.body,
        fetched.headers,
        url=fetched.url,
        topics=topics,
        max_chars=max_chars,
    )


class Poller:
    """Polls the library's feeds with one fetcher; tells `notify` what the newsroom should hear."""

    def __init__(
        self, storage: Storage, fetcher: Fetcher, *, max_chars: int, notify: Notify | None = None
    ) -> None:
        self.storage = storage
        self.fetcher = fetcher
        self.max_chars = max_chars
        self.notify = notify
        self._ignored: dict[tuple[str, str, str], None] = {}
        #: A gate per host the feeds live on (a few thousand at most: kept).
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def poll_due(self, *, everything: bool = False) -> list[PollReport]:
        """Poll every feed that is due (`everything`: every unpaused feed, made due now),
        batch after batch, until none is left; return what each poll did.

        A polled feed's next time is at least half an interval away, so it is not due again
        within the call; a feed another process claimed is left to it. A batch's results are
        recorded together, once every feed of it has stored its items.
        """
        if everything:
            await self.storage.feeds.bring_forward()
        reports: list[PollReport] = []
        while feeds := await self.storage.feeds.claim_due(limit=CLAIM_BATCH, lease=LEASE):
            polled = await asyncio.gather(*(self._take(feed) for feed in feeds))
            staying = [p for p in polled if p.result.url is None]
            await self.storage.feeds.finish_many([(p.feed.source, p.result) for p in staying])
            for p in polled:
                if p.result.url is None:
                    stored: FeedRecord | None = applied(p.feed, p.result)
                else:  # moved: the database says whether the new URL was free
                    stored = await self.storage.feeds.finish(p.feed.source, p.result)
                reports.append(await self._report(p, stored))
        return reports

    async def poll(self, feed: FeedRecord) -> PollReport:
        """Fetch one claimed feed, store its items, record the result and release it."""
        polled = await self._take(feed)
        return await self._report(
            polled, await self.storage.feeds.finish(feed.source, polled.result)
        )

    async def absorb(
        self, feed: FeedRecord, fetched: Fetched, parsed: ParsedFeed | None = None
    ) -> PollReport:
        """Store what a fetch of a feed got (`parsed`: already read, as by a dry run just
        before the feed was added: its items are then stored as its backfill at once)."""
        polled = await self._read(feed, fetched, parsed)
        return await self._report(
            polled, await self.storage.feeds.finish(feed.source, polled.result)
        )

    async def _take(self, feed: FeedRecord) -> _Polled:
        """Fetch a feed and store its items, without recording the result yet.

        Feeds of one host wait their turn here, PER_HOST at a time, so a fetch's timeout
        counts from when it may start, not from the queue for the host's connections.
        """
        host = urlsplit(feed.url).hostname or ""
        async with self._hosts.setdefault(host, asyncio.Semaphore(PER_HOST)):
            fetched = await self.fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
        return await self._read(feed, fetched)

    async def _read(
        self, feed: FeedRecord, fetched: Fetched, parsed: ParsedFeed | None = None
    ) -> _Polled:
        """Read a fetched body, store its items, and say what to record."""
        ingested: Ingested | None = None
        error = fetched.error
        outcome = fetched.outcome
        ttl: float | None = None
        if outcome is FetchOutcome.OK:
            try:
                parsed = parsed or await read_feed(fetched, feed.topics, self.max_chars)
            except FeedParseError as exc:
                outcome, error = FetchOutcome.TEMPORARY, f"not a feed briefbot can read: {exc}"
            else:
                ttl = parsed.ttl
                ingested = await self._ingest(feed, parsed)
        # what is reported outlives the round; the body it was read from does not
        fetched = replace(fetched, body=b"")
        return _Polled(
            feed,
            fetched,
            outcome,
            error,
            ingested,
            _result(feed, fetched, outcome, error, ingested, ttl),
        )

    async def _report(self, polled: _Polled, stored: FeedRecord | None) -> PollReport:
        """Log a recorded poll and tell the newsroom what it should hear."""
        feed, result = polled.feed, polled.result
        failed = polled.outcome in FAILED
        before = _outcome_of(feed.last_status)
        paused = result.paused_reason is not None
        notice = notice_for(polled.outcome, before, feed.failures, result.failures, paused)
        if log.isEnabledFor(logging.WARNING if failed else logging.INFO):
            log.log(
                logging.WARNING if failed else logging.INFO,
                "feed polled",
                extra={"feed": feed.source, "status": result.status, "failures": result.failures}
                | ({"error": polled.error} if polled.error else {}),
            )
        report = PollReport(
            stored or feed,
            polled.fetched,
            polled.ingested,
            polled.error,
            result.next_due_at,
            notice,
        )
        if notice is not None and self.notify is not None:
            try:
                await self.notify(FeedNotice(notice, report.feed, polled.error))
            except Exception:  # telling is best effort; the status shows it all the same
                log.exception("feed notice not sent", extra={"feed": feed.source})
        return report

    async def _ingest(self, feed: FeedRecord, parsed: ParsedFeed) -> Ingested:
        """Store a feed's new items and correct the recently changed ones, oldest first."""
        ingested = Ingested(skipped=list(parsed.skipped))
        items = _unique(parsed.items)
        known = await self.storage.feeds.known(feed.source, [item.key for item in items])
        source = Source(feed.source, feed.label or feed.source)
        backfill = feed.seeded_at is None
        now = utcnow()
        for item in reversed(items):  # feeds list the newest first: store in publishing order
            seen = known.get(item.key)
            if seen is not None and not await self._changed(feed, item, seen, now, ingested):
                continue
            try:
                upsert = await self.storage.publisher.upsert(
                    source,
                    item.key,
                    item.content,
                    correction=CORRECTION_NOTE if seen is not None else None,
                    backfill=backfill,
                )
            except ExternalRetractedError:
                continue  # retracted here: the source cannot bring it back
            if upsert.outcome is UpsertOutcome.CREATED:
                ingested.new += 1
            elif upsert.outcome is UpsertOutcome.CORRECTED:
                ingested.corrected += 1
            else:
                ingested.unchanged += 1
        return ingested

    async def _changed(
        self, feed: FeedRecord, item: FeedItem, seen: KnownItem, now: datetime, ingested: Ingested
    ) -> bool:
        """Say whether a known item is to be stored again: changed, live, and within the
        correction window. A changed date alone is no change (publishers bump dates); a later
        change is logged (once) and left alone."""
        if seen.retracted:
            return False
        key = content_key(item.content)
        if key != seen.content_hash:
            stored = await self.storage.briefs.get(seen.brief_id)
            if stored is not None:
                dated = item.content.model_copy(update={"published_at": stored.published_at})
                key = seen.content_hash if content_key(dated) == seen.content_hash else key
        if key == seen.content_hash:
            ingested.unchanged += 1
            return False
        if now - seen.created_at <= CORRECTION_WINDOW:
            return True
        ingested.ignored += 1
        remembered = (feed.source, item.key, key)
        if remembered not in self._ignored:
            self._ignored[remembered] = None
            if len(self._ignored) > REMEMBERED_IGNORED:
                self._ignored.pop(next(iter(self._ignored)))
            log.info(
                "feed item changed after the correction window; left as it was",
                extra={"feed": feed.source, "item": item.key, "brief": seen.brief_id},
            )
        return False


def _unique(items: list[FeedItem]) -> list[FeedItem]:
    """Keep the first of the items sharing a key (a feed listing one twice)."""
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.key not in seen:
            seen.add(item.key)
            unique.append(item)
    return unique


def _outcome_of(status: str | None) -> FetchOutcome | None:
    """Read the outcome a stored status starts with."""
    if not status:
        return None
    try:
        return FetchOutcome(status.split(":", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class DryRun:
    """What a feed would give now (`/feed test`, `feeds add --dry-run`): nothing is stored."""

    fetched: Fetched
    parsed: ParsedFeed | None
    #: Why nothing can be read from it (None: `parsed` says what would be stored).
    error: str | None


async def dry_run(fetcher: Fetcher, url: str, topics: list[str], max_chars: int) -> DryRun:
    """Fetch a feed unconditionally and map its items, storing nothing."""
    fetched = await fetcher.fetch(url)
    if fetched.outcome is not FetchOutcome.OK:
        return DryRun(fetched, None, fetched.error or f"the fetch ended {fetched.outcome.value}")
    try:
        parsed = await read_feed(fetched, topics, max_chars)
    except FeedParseError as exc:
        return DryRun(fetched, None, f"not a feed briefbot can read: {exc}")
    return DryRun(fetched, parsed, None)
