"""One way to run SQL on either database: the small interface the repositories are written on.

The repositories (storage/briefs.py, subscriptions.py, state.py) hold every query once, written with
`?` placeholders; each backend's connection (storage/sqlite/database.py,
storage/postgres/database.py) turns them into what its driver takes and hands rows back
backend-neutral: dicts by column name, times as aware UTC datetimes, yes/no columns as bool.
What SQL itself cannot say the same way on both lives in `Dialect`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

#: One row, by column name, as every backend returns it.
Row = dict[str, Any]

#: Columns that hold a time, in every table: stored as a backend likes, read as a datetime.
TIME_COLUMNS = frozenset(
    {
        "published_at",
        "created_at",
        "updated_at",
        "deleted_at",
        "at",
        "subscribed_at",
        "paused_at",
        "last_post_at",
        "posted_at",
        "rejected_at",
        "claimed_at",
        "shown_version",
        "lease_until",
        "crosspost_after",
    }
)
#: Yes/no columns, read as bool whatever the backend stores.
FLAG_COLUMNS = frozenset({"crosspost", "skipped", "retrying", "silent", "thread"})

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


class Database(Protocol):
    """An open database: transactions and reads on the backend's connections."""

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
