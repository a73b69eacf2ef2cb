"""The shared backend for several bot processes: PostgreSQL through an asyncpg pool.

Times are timestamptz, yes/no boolean, tags a text array; `PostgresConnection` numbers the
repositories' `?` placeholders and hands rows back as dicts. New briefs are announced to
every process with LISTEN/NOTIFY; ids are handed out under an advisory lock.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import asyncpg

from storage.postgres.checks import integrity_problems
from storage.postgres.migrations import (
    Driver,
    apply_migrations,
    current_version,
    latest_version,
    refuse_foreign,
)
from storage.postgres.search import PostgresSearch, search_vector, title_vector
from storage.schema import KINDS, Kind
from storage.sql import (
    POSTGRES,
    Connection,
    Reachability,
    Reads,
    Row,
    guarded,
    numbered,
)

log = logging.getLogger("storage.postgres")

#: What a dropped or refused connection raises (a deadline raises TimeoutError).
LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError)


def _lost(error: BaseException) -> bool:
    return isinstance(error, LOST)


#: Seconds between attempts to listen again after the listening connection dropped (the first
#: waits the least; any operation that finds the database back tries at once).
RELISTEN_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
#: Connections one process keeps open: enough for concurrent commands and auto-posting.
POOL_MIN, POOL_MAX = 1, 10
#: Seconds to wait for the server to accept a connection before reporting it unreachable.
CONNECT_TIMEOUT = 10.0
#: The GIN indexes (migrations/0001_schema.sql) whose pending lists a bulk write leaves behind.
SEARCH_INDEXES = ("briefs_search", "briefs_title_search")
#: Plan every statement for its actual parameters. asyncpg prepares statements, and a generic
#: plan cannot know how common a searched word is: for a rare one it would walk every brief
#: in id order (~1 s at 100,000 briefs) instead of asking the GIN index (~1 ms).
SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}
#: pg_advisory_xact_lock key serialising brief id allocation ("highest id + 1") across processes.
ID_LOCK = 0x62726965_66000002
#: pg_advisory_xact_lock(class, key) class serialising changes to one guild's subscriptions;
#: the key is the guild id folded into an int4 (two guilds sharing one only wait for each
#: other). Two-key locks never collide with the one-key ID_LOCK.
GUILD_LOCK, GUILD_LOCK_KEYS = 0x62726966, 2**31
#: NOTIFY channel announcing changes to briefs, followed by `:schema` (a channel is the whole
#: database's: one per library); the payload is `change:id` (published, edited, retracted).
PUBLISHED_CHANNEL = "briefbot_published"
#: Longest channel name PostgreSQL takes (NAMEDATALEN - 1 bytes).
CHANNEL_MAX = 63

#: The type each kind of column (storage/schema.py) is sent as, for inserting many rows as one
#: array per column (`unnest`); text, and lists sent as JSON text, are the rest.
_SENT_AS = {Kind.INT: "bigint", Kind.FLAG: "boolean", Kind.TIME: "timestamptz"}
#: Each column's type in an `unnest` insert, where it is not text.
_TYPES = {name: _SENT_AS[kind] for name, kind in KINDS.items() if kind in _SENT_AS}
#: Tables whose id is an identity column (numbered by the database).
_IDENTITY = frozenset({"audit_log", "delivery_log", "subscriptions", "tokens"})
#: List columns, sent as JSON text in an `unnest` insert: an array of arrays must be
#: rectangular, lists are not.
_LISTS = frozenset(name for name, kind in KINDS.items() if kind is Kind.LIST)
#: How an `unnest` column becomes the stored value, where it is not stored as sent.
_STORED_AS = {
    **{name: f"ARRAY(SELECT json_array_elements_text(row.{name}::json))" for name in _LISTS},
    "search": "row.search::tsvector",
    "title_search": "row.title_search::tsvector",
}


def aware(value: datetime) -> datetime:
    """Read a naive datetime as UTC (as the SQLite backend does), so no local time sneaks in."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _args(values: Iterable[Any]) -> list[Any]:
    return [aware(value) if isinstance(value, datetime) else value for value in values]


def _row(record: asyncpg.Record) -> Row:
    row = dict(record.items())
    if isinstance(row.get("tags"), list):
        row["tags"] = list(row["tags"])
    return row


class PostgresConnection(Reads):
    """One pooled asyncpg connection, speaking `storage.sql.Connection`."""

    def __init__(self, conn: Driver) -> None:
        self.driver = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run one statement and return its rows."""
        return [_row(record) for record in await self.driver.fetch(numbered(sql), *_args(args))]

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return how many rows it inserted, changed or deleted."""
        status = await self.driver.execute(numbered(sql), *_args(args))
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdecimal() else 0

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per set of arguments (pipelined by asyncpg)."""
        await self.driver.executemany(numbered(sql), [_args(values) for values in args])

    async def iterate(self, sql: str, *args: Any, batch: int) -> AsyncIterator[list[Row]]:
        """Yield a statement's rows `batch` at a time, through a server-side cursor."""
        cursor = await self.driver.cursor(numbered(sql), *_args(args))
        while records := await cursor.fetch(batch):
            yield [_row(record) for record in records]


class PostgresDatabase:
    """A library in a PostgreSQL database (or schema), shared by any number of processes."""

    dialect = POSTGRES
    search = PostgresSearch()

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], url: str) -> None:
        self.url = url
        self._pool = pool
        self._listener: asyncpg.Connection[asyncpg.Record] | None = None
        self._heard: Callable[[str, int], None] | None = None
        self._notify_channel: str | None = None
        self._relisten: asyncio.Task[None] | None = None
        self._back = asyncio.Event()
        self._closed = False
        self.timeout: float | None = None
        self.reach = Reachability()
        self.reach.on_back(self._back.set)

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        """Connect and apply pending migrations, unless the schema is another program's."""
        pool = await asyncpg.create_pool(
            url,
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            server_settings=SERVER_SETTINGS,
            timeout=CONNECT_TIMEOUT,
        )
        try:
            async with pool.acquire() as conn:
                await refuse_foreign(conn)
                await apply_migrations(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url)

    async def close(self) -> None:
        """Close the pool once (waiting for borrowed connections); later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        if self._relisten is not None:
            self._relisten.cancel()
            with suppress(asyncio.CancelledError):
                await self._relisten
        if self._listener is not None:
            self._listener.terminate()  # closing it politely would wait out a hung server
        try:
            await asyncio.wait_for(self._pool.close(), self.timeout)
        except TimeoutError:
            self._pool.terminate()

    async def answer_within(self, seconds: float | None) -> None:
        """Bound every operation, and listening again, to `seconds` (None: no bound)."""
        self.timeout = seconds

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        """Borrow a connection inside a transaction; commit on success, roll back on any error."""
        async with self._session({}) as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresConnection]:
        """Borrow a connection outside any transaction: each statement reads its own snapshot."""
        async with self._session(None) as conn:
            yield conn

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PostgresConnection]:
        """Borrow a connection in a read-only repeatable-read transaction: one snapshot."""
        async with self._session({"isolation": "repeatable_read", "readonly": True}) as conn:
            yield conn

    @asynccontextmanager
    async def _session(self, begin: dict[str, Any] | None) -> AsyncIterator[PostgresConnection]:
        """Borrow a connection (in a transaction begun with `begin`, unless None), the whole
        operation within `timeout`. A connection that timed out or was cancelled is dropped,
        not rolled back: a hung server would hang the rollback too; dropping it rolls back."""
        async with guarded(self.reach, self.timeout, _lost) as operation:
            conn = await self._pool.acquire()
            reusable = False
            try:
                transaction = None if begin is None else conn.transaction(**begin)
                if transaction is not None:
                    await transaction.start()
                try:
                    yield PostgresConnection(conn)
                except BaseException as error:
                    if not isinstance(error, (asyncio.CancelledError, *LOST)):
                        if transaction is not None:
                            await transaction.rollback()
                        reusable = True
                    raise
                if transaction is not None:
                    operation.committing()
                    await transaction.commit()
                operation.done()
                reusable = True
            finally:
                if not reusable:
                    conn.terminate()
                await self._pool.release(conn, timeout=self.timeout)

    async def lock_ids(self, conn: Connection) -> None:
        """Another process handing out brief ids waits here until this transaction ends."""
        await conn.execute("SELECT pg_advisory_xact_lock(?)", ID_LOCK)

    async def lock_guild(self, conn: Connection, guild_id: int) -> None:
        """Another transaction changing this guild's subscriptions waits here until this one
        ends (a count under READ COMMITTED alone would let concurrent adds pass the cap)."""
        await conn.execute(
            "SELECT pg_advisory_xact_lock(?, ?)", GUILD_LOCK, guild_id % GUILD_LOCK_KEYS
        )

    async def insert(self, conn: Connection, table: str, rows: Sequence[Row]) -> None:
        """Insert rows in one statement, each column sent as one array (far faster than a row
        each); briefs get their search vectors, and given audit ids move the id sequence."""
        if not rows:
            return
        columns = list(rows[0])
        arrays = [[row[column] for row in rows] for column in columns]
        if table == "briefs":
            columns += ["search", "title_search"]
            arrays += [[search_vector(row) for row in rows], [title_vector(row) for row in rows]]
        for index, column in enumerate(columns):
            if column in _LISTS:
                arrays[index] = [
                    json.dumps(list(value), ensure_ascii=False) for value in arrays[index]
                ]
        slots = ", ".join(f"?::{_TYPES.get(column, 'text')}[]" for column in columns)
        values = ", ".join(_STORED_AS.get(column, f"row.{column}") for column in columns)
        await conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values}"
            f" FROM unnest({slots}) WITH ORDINALITY AS row ({', '.join(columns)}, n) ORDER BY n",
            *arrays,
        )
        if table in _IDENTITY and "id" in columns:  # given ids: the sequence moves past them
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" GREATEST(max(id), 1), max(id) IS NOT NULL) FROM {table}"
            )

    async def announce(self, change: str, brief_id: int) -> bool:
        """NOTIFY every listening process, this one included, as `change:id`."""
        async with self.read() as conn:
            channel = await self._channel(conn)
            await conn.execute("SELECT pg_notify(?, ?)", channel, f"{change}:{brief_id}")
        return True

    async def _channel(self, conn: Connection) -> str:
        """Return the NOTIFY channel of this library: one per schema, since a channel is the
        whole database's and another schema's library must not wake this one's listeners."""
        if self._notify_channel is None:
            self._notify_channel = _channel(await conn.fetchval("SELECT current_schema()"))
        return self._notify_channel

    async def settle(self, tables: Sequence[str]) -> None:
        """After a bulk write: refresh planner statistics and merge the search indexes' backlog.

        Until autovacuum gets there, the planner has no statistics for new rows, and GIN keeps
        fresh entries in a pending list every search scans linearly: right after copying 5,000
        briefs, a rare word took ~80 ms instead of ~10 ms.
        """
        async with self._pool.acquire() as conn:
            await conn.execute(f"ANALYZE {', '.join(tables)}")
            for index in SEARCH_INDEXES:
                await conn.execute("SELECT gin_clean_pending_list($1::regclass)", index)

    async def listen(self, callback: Callable[[str, int], None]) -> bool:
        """Keep a connection of its own listening for changes, calling `callback(change, id)`.

        Idempotent while that connection lives. When it drops (a server restart), it connects
        again by itself, as soon as the server answers, and then calls `callback` with
        "published" and the newest id: briefs stored meanwhile were announced to nobody.
        """
        if self._closed:
            raise RuntimeError("the database is closed")
        self._heard = callback
        listening = self._listener is not None and not self._listener.is_closed()
        if listening or (self._relisten is not None and not self._relisten.done()):
            return True
        try:
            await self._connect_listener()
        except (TimeoutError, *LOST) as error:
            self.reach.failed(f"{type(error).__name__}: {error}")
            self._listener_lost(None)
        return True

    async def _connect_listener(self) -> None:
        """Open the listening connection, within the connect timeout (or the answer one)."""
        assert self._heard is not None
        heard = self._heard
        seconds = self.timeout or CONNECT_TIMEOUT
        listener = await asyncpg.connect(self.url, timeout=seconds)
        try:
            async with asyncio.timeout(seconds):
                channel = _channel(await listener.fetchval("SELECT current_schema()"))
                await listener.add_listener(
                    channel, lambda _conn, _pid, _channel, payload: heard(*_change(payload))
                )
        except BaseException:
            listener.terminate()
            raise
        listener.add_termination_listener(self._listener_lost)
        self._listener = listener

    def _listener_lost(self, _listener: object) -> None:
        """The listening connection dropped: listen again in the background until it works."""
        if not self._closed and (self._relisten is None or self._relisten.done()):
            self._relisten = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        """Try to listen again, soon and then less often, or at once when an operation finds
        the database back; then say which briefs may have gone unheard."""
        for attempt in itertools.count():
            self._back.clear()
            try:
                await self._connect_listener()
                async with asyncio.timeout(self.timeout or CONNECT_TIMEOUT):
                    newest = await self._listener_newest()
            except (TimeoutError, *LOST) as error:
                delay = RELISTEN_SECONDS[min(attempt, len(RELISTEN_SECONDS) - 1)]
                log.debug("cannot listen yet", extra={"error": f"{type(error).__name__}"})
                with suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._back.wait()
                continue
            log.info("listening for new briefs again", extra={"attempts": attempt + 1})
            if newest and self._heard is not None:
                self._heard("published", newest)
            return

    async def _listener_newest(self) -> int:
        assert self._listener is not None
        return int(await self._listener.fetchval("SELECT COALESCE(MAX(id), 0) FROM briefs"))

    async def schema_version(self) -> int:
        """Return the migration version the database is at."""
        async with self._pool.acquire() as conn:
            return await current_version(conn)

    def latest_version(self) -> int:
        """Return the version the packaged migrations bring a database to."""
        return latest_version()

    async def integrity_problems(self) -> list[str]:
        """Return what the schema, search column and reference checks report (empty: sound)."""
        async with self._pool.acquire() as conn:
            return await integrity_problems(conn)


def _channel(schema: object) -> str:
    """Return the NOTIFY channel of the library in `schema`."""
    return f"{PUBLISHED_CHANNEL}:{schema}"[:CHANNEL_MAX]


def _change(payload: str) -> tuple[str, int]:
    """Read a NOTIFY payload: `change:id`, or a bare id (published)."""
    change, _, brief_id = payload.rpartition(":")
    return change or "published", int(brief_id)
