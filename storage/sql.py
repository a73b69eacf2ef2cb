"""One way to run SQL on either database: the small interface the repositories are written on.

The repositories (storage/briefs.py, subscriptions.py, state.py) hold every query once, written with
`?` placeholders; each backend's connection (storage/sqlite/backend.py,
storage/postgres/backend.py) turns them into what its driver takes and hands rows back
backend-neutral: dicts by column name, each value as storage/schema.py gives its kind (times as
aware UTC datetimes, yes/no columns as bool, lists as lists).
What SQL itself cannot say the same way on both lives in `Dialect`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from storage.errors import LibraryUnreachableError

log = logging.getLogger("storage")

#: Longest one operation (waiting for a connection, its statements, its commit) may take when
#: the library answers people: well inside the 3 s Discord allows an interaction's first
#: answer, so a hung database is reported instead of showing "interaction failed".
ANSWER_TIMEOUT = 2.0

#: One row, by column name, as every backend returns it.
Row = dict[str, Any]

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """Write `?` placeholders as PostgreSQL's `$1, $2, …` (no query here has a literal `?`)."""
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class Connection(Protocol):
    """A connection inside a transaction or a read, as the repositories use it."""

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run one statement and return its rows."""
        ...

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """Run one statement and return its first row, if any."""
        ...

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """Run one statement and return the first column of its first row (None if none)."""
        ...

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return how many rows it inserted, changed or deleted."""
        ...

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per set of arguments."""
        ...

    def iterate(self, sql: str, *args: Any, batch: int) -> AsyncIterator[list[Row]]:
        """Yield a statement's rows `batch` at a time (inside `Database.snapshot`)."""
        ...


class Reads:
    """`fetchrow` and `fetchval` written once, on top of a connection's `fetch`."""

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run one statement and return its rows."""
        raise NotImplementedError

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """Run one statement and return its first row, if any."""
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """Run one statement and return the first column of its first row (None if none)."""
        row = await self.fetchrow(sql, *args)
        return None if row is None else next(iter(row.values()))


@dataclass(frozen=True)
class Dialect:
    """The few things SQL cannot say the same way on SQLite and PostgreSQL, as templates
    (`{}` is the expression, column, alias or index they apply to)."""

    #: A condition true when the expression is one of a list given as one argument.
    any_of_list: str
    #: A condition true when the column equals one argument, NULL matching NULL.
    null_safe_equal: str
    #: What makes a SELECT lock its rows of an alias, passing over rows another transaction
    #: holds (nothing where the database locks the whole file).
    lock_skipping_locked: str
    #: The hint that makes the planner use an index, where the database takes hints.
    index_hint: str
    #: A list column's items as rows of one column, `value` (tags: JSON text, or an array).
    list_items: str

    def any_of(self, expression: str) -> str:
        """Return a condition true when `expression` is one of a list given as one argument."""
        return self.any_of_list.format(expression)

    def same(self, column: str) -> str:
        """Return a condition true when `column` equals one argument, NULL matching NULL."""
        return self.null_safe_equal.format(column)

    def skip_locked(self, alias: str) -> str:
        """Return the clause that locks a SELECT's rows of `alias`, skipping locked ones."""
        return self.lock_skipping_locked.format(alias)

    def indexed_by(self, index: str) -> str:
        """Return the hint that makes the planner use `index`."""
        return self.index_hint.format(index)

    def items(self, column: str) -> str:
        """Return a FROM item giving a list column's items as rows of `value`."""
        return self.list_items.format(column)

    def holds_any(self, column: str) -> str:
        """Return a condition true when a list column holds an item of a list given as one
        argument."""
        return f"EXISTS (SELECT 1 FROM {self.items(column)} WHERE {self.any_of('value')})"


#: SQLite: lists as JSON text, `IS` for NULL-safe equality, no row locks (BEGIN IMMEDIATE
#: already keeps every other writer out), and the planner takes index hints.
SQLITE = Dialect(
    "{} IN (SELECT value FROM json_each(?))", "{} IS ?", "", "INDEXED BY {}", "json_each({})"
)
#: PostgreSQL: lists as arrays, row locks that pass over rows another process is leasing,
#: no planner hints.
POSTGRES = Dialect(
    "{} = ANY(?)",
    "{} IS NOT DISTINCT FROM ?",
    "FOR UPDATE OF {} SKIP LOCKED",
    "",
    "unnest({}) AS value",
)


class Phase(enum.StrEnum):
    """How far one operation got: what a failure then says about what was stored."""

    WORKING = "working"  # statements run: nothing is stored until the commit
    COMMITTING = "committing"  # the commit was sent: stored or not, unknown until confirmed
    DONE = "done"  # committed (or nothing to commit)


class Operation:
    """One database operation under its deadline; the backend marks its commit."""

    def __init__(self) -> None:
        self.phase = Phase.WORKING

    def committing(self) -> None:
        """The commit is being sent: from now on a failure leaves the outcome unknown."""
        self.phase = Phase.COMMITTING

    def done(self) -> None:
        """The operation is complete: a failure after this loses nothing."""
        self.phase = Phase.DONE


class Reach(enum.StrEnum):
    """Whether the database answers."""

    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"


class Reachability:
    """Whether the database answers, logged once when an outage starts and once when it ends
    (not once per failed query); callbacks run when it answers again."""

    def __init__(self) -> None:
        self.state = Reach.REACHABLE
        self._since = 0.0
        self._on_back: list[Callable[[], None]] = []

    def on_back(self, callback: Callable[[], None]) -> None:
        """Call `callback()` whenever the database answers again after an outage."""
        self._on_back.append(callback)

    def failed(self, reason: str) -> None:
        """An operation found the database unreachable."""
        if self.state is Reach.REACHABLE:
            self.state = Reach.UNREACHABLE
            self._since = time.monotonic()
            log.warning("library unreachable", extra={"error": reason})

    def answered(self) -> None:
        """An operation completed: the database answers."""
        if self.state is Reach.UNREACHABLE:
            self.state = Reach.REACHABLE
            seconds = round(time.monotonic() - self._since, 1)
            log.info("library reachable again", extra={"outage_seconds": seconds})
            for callback in self._on_back:
                callback()


@asynccontextmanager
async def guarded(
    reach: Reachability, seconds: float | None, lost: Callable[[BaseException], bool]
) -> AsyncIterator[Operation]:
    """Run one operation within `seconds` (None: however long it takes); raise
    LibraryUnreachableError, saying whether anything was stored, when the deadline passes or
    the error is one the backend calls `lost` (the connection or the file is gone)."""
    operation = Operation()
    try:
        async with asyncio.timeout(seconds):
            yield operation
    except Exception as error:
        if not (isinstance(error, TimeoutError) or lost(error)):
            raise
        if operation.phase is Phase.DONE:
            reach.answered()
            return
        if isinstance(error, TimeoutError):
            reason = f"no answer within {seconds:g} s"
        else:
            reason = f"{type(error).__name__}: {error}"
        reach.failed(reason)
        stored = False if operation.phase is Phase.WORKING else None
        raise LibraryUnreachableError(reason, stored=stored) from error
    reach.answered()


class Database(Protocol):
    """An open database: transactions and reads on the backend's connections."""

    #: Longest one operation may take (None: as long as the database takes).
    timeout: float | None
    #: Whether the database answers; logs outages once.
    reach: Reachability

    async def answer_within(self, seconds: float | None) -> None:
        """Bound every operation from now on to `seconds` (None: no bound), waits for locks
        included; past it, LibraryUnreachableError."""
        ...

    @property
    def dialect(self) -> Dialect:
        """Return how this database says what SQL cannot say one way."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """Run statements in one transaction: committed on success, rolled back on error."""
        ...

    def read(self) -> AbstractAsyncContextManager[Connection]:
        """Run reads outside a transaction (each statement sees its own snapshot)."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[Connection]:
        """Run reads that all see one consistent state of the database."""
        ...

    async def close(self) -> None:
        """Close every connection; later calls do nothing."""
        ...
