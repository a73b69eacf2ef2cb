"""When a feed is fetched next, and when its failures are told or pause it: pure rules.

A healthy feed is fetched once per interval, at its own phase of the interval (a hash of its
name), so many feeds spread evenly over the interval whenever they were added or the bot
restarted. A server's Cache-Control max-age or RSS ttl longer than the interval is honoured
up to an hour; Retry-After is honoured as given (up to a day). Failures back off
exponentially; a permanent-looking failure (404, 410, 401, 403, a refused address) starts at
an hour. A feed failing for three days is paused, and the newsroom is told.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime, timedelta

from bot.feeds._model import FetchOutcome

#: The interval a feed gets unless told otherwise, and the shortest one allowed.
DEFAULT_INTERVAL = timedelta(minutes=10)
MIN_INTERVAL = timedelta(minutes=2)
MAX_INTERVAL = timedelta(days=1)
#: The longest a server's max-age or ttl may stretch the interval.
MAX_CACHE_WAIT = timedelta(hours=1)
#: The longest a Retry-After is waited, and the longest backoff.
MAX_RETRY_AFTER = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=12)
#: Where a permanent-looking failure's backoff starts.
PERMANENT_BACKOFF = timedelta(hours=1)
#: A feed failing this long is paused until someone resumes it.
PAUSE_AFTER = timedelta(days=3)
#: Failures in a row before the newsroom is told (a permanent-looking one is told at once).
TELL_AFTER = 3
#: How long an item's edits at the source still correct its brief.
CORRECTION_WINDOW = timedelta(days=7)
#: The note shown with a brief corrected from its feed.
CORRECTION_NOTE = "Updated from the source"

FAILED = frozenset(
    {
        FetchOutcome.RATE_LIMITED,
        FetchOutcome.TEMPORARY,
        FetchOutcome.PERMANENT,
        FetchOutcome.REFUSED,
        FetchOutcome.TOO_LARGE,
    }
)
PERMANENT = frozenset({FetchOutcome.PERMANENT, FetchOutcome.REFUSED})


class Notice(enum.StrEnum):
    """What the newsroom is told about a feed."""

    FAILING = "failing"
    PAUSED = "paused"
    RECOVERED = "recovered"


def phase(name: str, interval: timedelta) -> timedelta:
    """Return a feed's own offset within its interval, stable across restarts."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return timedelta(seconds=(digest % 1_000_000) / 1_000_000 * interval.total_seconds())


def next_slot(name: str, interval: timedelta, now: datetime) -> datetime:
    """Return the feed's first slot more than half an interval from now: on average one
    interval away, and always at the feed's phase (feeds stay spread over the interval)."""
    step = interval.total_seconds()
    offset = phase(name, interval).total_seconds()
    earliest = now.timestamp() + step / 2
    slots = -(-(earliest - offset) // step)  # ceiling
    return now + timedelta(seconds=offset + slots * step - now.timestamp())


def healthy_wait(interval: timedelta, max_age: float | None, ttl: float | None) -> timedelta | None:
    """Return how long a server asked us to wait when that is longer than the interval (capped
    at MAX_CACHE_WAIT), else None: the feed keeps its slots."""
    asked = max((s for s in (max_age, ttl) if s is not None), default=0.0)
    if asked <= interval.total_seconds():
        return None
    return min(timedelta(seconds=asked), MAX_CACHE_WAIT)


def backoff(
    outcome: FetchOutcome, failures: int, interval: timedelta, retry_after: float | None
) -> timedelta:
    """Return the wait after the `failures`-th failure in a row (1 for the first)."""
    if retry_after is not None and outcome is FetchOutcome.RATE_LIMITED:
        return min(max(timedelta(seconds=retry_after), interval), MAX_RETRY_AFTER)
    start = PERMANENT_BACKOFF if outcome in PERMANENT else interval
    factor: int = 2 ** min(failures - 1, 16)
    return min(start * factor, MAX_BACKOFF)


def should_pause(failing_since: datetime | None, now: datetime) -> bool:
    """Say whether a feed has failed long enough to be paused."""
    return failing_since is not None and now - failing_since >= PAUSE_AFTER


def notice_for(
    outcome: FetchOutcome,
    before: FetchOutcome | None,
    failures_before: int,
    failures: int,
    paused: bool,
) -> Notice | None:
    """Return what to tell the newsroom after a poll, if anything (`before`: how the poll
    before this one ended, None when unknown).

    A failing feed is told once: at its TELL_AFTER-th failure in a row, or at once when the
    failure looks permanent; its recovery is told only when its failing was.
    """
    if paused:
        return Notice.PAUSED
    if failures == 0:
        # failures_before 0 after a failed poll: someone resumed the feed (which counts again)
        resumed = failures_before == 0 and before in FAILED
        return Notice.RECOVERED if resumed or told(before, failures_before) else None
    if failures == TELL_AFTER or (outcome in PERMANENT and failures == 1):
        return Notice.FAILING
    return None


def told(last: FetchOutcome | None, failures: int) -> bool:
    """Say whether a feed that has failed `failures` times in a row, last as `last`, has been
    told as failing."""
    return failures >= TELL_AFTER or (failures >= 1 and last in PERMANENT)
