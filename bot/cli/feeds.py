"""`python -m bot feeds add|list|remove|resume|poll`: the feeds briefs are read from.

`feeds poll` fetches due feeds every POLL_EVERY seconds until stopped, beside bot processes
sharing the database (a feed is leased to one poller at a time); `--once` fetches every due
feed once and exits, for cron; `--all` fetches every unpaused feed, due or not. Without
Discord, what the newsroom would be told is logged instead.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime, timedelta

from bot.cli.database import open_database, storage_errors
from bot.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, one_line, writing
from bot.config import Settings
from bot.feeds import (
    MIN_INTERVAL,
    DryRun,
    FeedNotice,
    Poller,
    PollReport,
    UrlRefused,
    check_url,
    dry_run,
    feed_name,
    fetcher_for,
)
from storage.errors import FeedExistsError, SourceExistsError, SourceNameError
from storage.feeds import FeedRecord
from storage.library import Storage
from storage.sources import check_name
from storage.topics import split_topics

log = logging.getLogger("bot.cli")

#: Seconds between rounds of `feeds poll` (a feed is fetched when it is due, not every round).
POLL_EVERY = 15.0
#: Items a dry run lists.
SHOWN_ITEMS = 10


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"error: {one_line(message)}", file=sys.stderr)
    return code


def _when(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


async def feeds(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `feeds` action."""
    if args.action == "add":
        return await add(settings, args)
    db = await open_database(settings.database, create=False)
    if db is None:
        return EXIT_FAILED
    try:
        if args.action == "list":
            return listing(await db.feeds.list())
        if args.action == "remove":
            if not await db.feeds.remove(args.name):
                return _fail(f"no feed is named {args.name!r}")
            print(f"removed feed {args.name} (its briefs stay)", file=sys.stderr)
            return EXIT_OK
        if args.action == "resume":
            if await db.feeds.resume(args.name) is None:
                return _fail(f"no feed is named {args.name!r}")
            print(f"resumed feed {args.name}: fetched at the next poll", file=sys.stderr)
            return EXIT_OK
        return await poll(settings, db, once=args.once, everything=args.all)
    except storage_errors() as exc:
        return _fail(f"the library failed: {exc}")
    finally:
        await db.close()


async def add(settings: Settings, args: argparse.Namespace) -> int:
    """Add a feed (or, with --dry-run, show what it would give), after checking what it is."""
    try:
        url = check_url(args.url, allow_private=settings.feeds_allow_private)
        if args.name is not None:
            check_name(args.name)
    except (UrlRefused, SourceNameError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    interval = timedelta(minutes=args.interval)
    if interval < MIN_INTERVAL:
        return _fail(f"--interval: at least {MIN_INTERVAL.seconds // 60} minutes", EXIT_USAGE)
    topics = split_topics(args.topics) if args.topics else []
    async with fetcher_for(settings) as fetcher:
        trial = await dry_run(fetcher, url, topics, settings.brief_max_chars)
    if args.dry_run:
        return show_dry_run(trial)
    if trial.error is not None:
        return _fail(f"{url}: {trial.error}; nothing added")
    db = await open_database(settings.database, create=True)
    if db is None:
        return EXIT_FAILED
    try:
        taken = {feed.source for feed in await db.feeds.list()}
        taken |= {source.name for source in await db.sources.list()}
        name = args.name or feed_name(url, taken)
        label = args.label or (trial.parsed.title if trial.parsed else None)
        feed = await db.feeds.add(name, url, label=label, interval=interval, topics=topics)
        seeded = await seed(settings, db, feed, trial, review=args.review)
    except (FeedExistsError, SourceExistsError) as exc:
        return _fail(str(exc))
    except storage_errors() as exc:
        return _fail(f"the library failed: {exc}")
    finally:
        await db.close()
    stored = seeded.ingested.new if seeded.ingested else 0
    new = "wait for an editor's approval" if args.review else "are posted"
    print(
        f"added feed {feed.source} ({feed.url}): {stored} items it holds now are stored, "
        f"searchable, never posted; new ones {new} from the next poll on",
        file=sys.stderr,
    )
    return EXIT_OK


async def seed(
    settings: Settings, db: Storage, feed: FeedRecord, trial: DryRun, *, review: bool
) -> PollReport:
    """Store the items a new feed holds now (read by its dry run) as its backlog; with
    `review`, have its later items wait for an editor from then on."""
    try:
        async with fetcher_for(settings) as fetcher:
            poller = Poller(db, fetcher, max_chars=settings.brief_max_chars)
            return await poller.absorb(feed, trial.fetched, trial.parsed)
    finally:
        # Set only now: storage makes every new brief of a reviewed source a draft, the
        # backlog's too, and a backlog that is never posted must not pile up for editors.
        # Set even if storing the backlog failed, so no later item is published unreviewed.
        if review:
            await db.sources.set_review(feed.source, True)


def show_dry_run(trial: DryRun) -> int:
    """Print what a feed would give: its title, its items' keys and titles; exit 1 if nothing."""
    if trial.error is not None or trial.parsed is None:
        return _fail(f"{trial.fetched.url}: {trial.error}")
    parsed = trial.parsed
    with writing():
        print(f"{parsed.kind} feed: {parsed.title or '(untitled)'}: {len(parsed.items)} items")
        for item in parsed.items[:SHOWN_ITEMS]:
            print("\t".join([item.key, item.content.title, ",".join(item.content.topics) or "-"]))
        if len(parsed.items) > SHOWN_ITEMS:
            print(f"… and {len(parsed.items) - SHOWN_ITEMS} more")
        for note in parsed.skipped:
            print(f"skipped: {note}")
    return EXIT_OK


def listing(feeds: list[FeedRecord]) -> int:
    """Print every feed, one a line: name, URL, interval, state, last fetch, status, next,
    review (its new items wait for an editor's approval)."""
    with writing():
        for feed in feeds:
            state = "paused" if feed.paused else ("failing" if feed.failures else "ok")
            minutes = f"{int(feed.interval.total_seconds() // 60)}m"
            status = feed.last_error if feed.failures and feed.last_error else feed.last_status
            fields = [feed.source, feed.url, minutes, state, _when(feed.last_fetch_at)]
            fields += [status or "-", "-" if feed.paused else _when(feed.next_due_at)]
            fields.append("review" if feed.requires_review else "-")
            print("\t".join(fields))
    return EXIT_OK


async def poll(settings: Settings, db: Storage, *, once: bool, everything: bool) -> int:
    """Poll due feeds once (`once`), or round after round until stopped."""

    async def notify(notice: FeedNotice) -> None:
        log.warning(
            f"feed {notice.kind}",
            extra={"feed": notice.feed.source, "url": notice.feed.url, "error": notice.error},
        )

    async with fetcher_for(settings) as fetcher:
        poller = Poller(db, fetcher, max_chars=settings.brief_max_chars, notify=notify)
        while True:
            reports = await poller.poll_due(everything=everything)
            if once:
                return report(reports)
            await asyncio.sleep(POLL_EVERY)


def report(reports: list[PollReport]) -> int:
    """Print one line per feed polled; exit 1 when any failed."""
    with writing():
        for polled in reports:
            status = polled.feed.last_status or "-"
            error = f"\t{polled.error}" if polled.error else ""
            print(f"{polled.feed.source}\t{status}{error}")
    if not reports:
        print("no feed was due", file=sys.stderr)
    return EXIT_FAILED if any(polled.error for polled in reports) else EXIT_OK
