"""Recurring queries cost the work, not the library: none scans briefs or the post log.

The sweep, the delivery queue, the correction keeper, crossposts and the status counts run
over a large library with a long post history; every statement the repositories actually
ran (recorded by a wrapper of the backend) is explained by the database itself, which must
not plan a full scan of `briefs` or `post_log` or of an index of either (a partial index of
waiting work excepted: `WORK`), nor a search by only a prefix of an index's key (a channel's
whole history). SQLite is explained without statistics and after ANALYZE, PostgreSQL after
ANALYZE of the sizable tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from storage.base import COLUMNS, TABLES, Backend, Shards
from storage.feeds import FeedResult
from storage.library import Storage
from storage.models import Brief, BriefContent, SubscriptionOptions, utcnow
from storage.rows import brief_row
from storage.sql import Connection, Row

#: Briefs in the library; the post log holds CHANNELS × POSTED copies besides the work.
BRIEFS = 20_000
CHANNELS, POSTED = 10, 2_000
#: Feeds polled, a few due at a time.
FEEDS = 2_000
#: Tables that grow with the library: a full scan of one is what must not happen.
GROWING = frozenset({"briefs", "post_log", "feeds"})
#: Partial indexes holding only work waiting to be done (due copies, unsent claims, refused
#: posts, crossposts, briefs held until their release): reading one whole reads the work.
#: Others (every live brief, every posted copy) grow with the library like their tables.
WORK = frozenset(
    {"post_log_due", "post_log_guild_due", "post_log_unsent", "post_log_rejected",
     "post_log_crossposts", "feeds_due", "briefs_scheduled"}
)  # fmt: skip
GUILD = 1 << 22
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

Statement = tuple[str, tuple[Any, ...]]


class RecordingConnection:
    """A connection that notes each statement (with its arguments) before running it."""

    def __init__(self, conn: Connection, seen: list[Statement]) -> None:
        self._conn = conn
        self._seen = seen

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        self._seen.append((sql, args))
        return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        self._seen.append((sql, args))
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self._seen.append((sql, args))
        return await self._conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        self._seen.append((sql, args))
        return await self._conn.execute(sql, *args)

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(values) for values in args]
        if rows:
            self._seen.append((sql, rows[0]))
        await self._conn.executemany(sql, rows)


class RecordingBackend:
    """The backend as the repositories see it, noting every statement they run through it."""

    def __init__(self, db: Backend) -> None:
        self.db = db
        self.seen: list[Statement] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.db.transaction() as conn:
            yield cast(Connection, RecordingConnection(conn, self.seen))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self.db.read() as conn:
            yield cast(Connection, RecordingConnection(conn, self.seen))


@dataclass
class Plan:
    """What the database plans for one statement, and its reads of growing tables that are
    not bounded by the work (`scans`)."""

    sql: str
    lines: list[str]
    scans: list[str] = field(default_factory=list)


_ALIAS = re.compile(r"\b(\w+)\s+AS\s+(\w+)\b", re.IGNORECASE)
_SQLITE_ACCESS = re.compile(
    r"^(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?(?:INDEX (\w+)|(INTEGER )?PRIMARY KEY))?"
    r"(?: \((.*)\))?"
)
#: PostgreSQL's index condition of a MIN or MAX read from an index's end.
_MIN_MAX = re.compile(r"^\(\w+ IS NOT NULL\)$")
#: A comparison in a plan's index condition: column, operator.
_TERM = re.compile(r"\b(\w+) ?(=|<=|>=|<|>) ?")


def _tables(sql: str) -> dict[str, str]:
    """Return the table each name in the statement stands for (aliases included).

    Only tables the statement names count: SQLite also compiles into an insert of a brief
    a scan of the post log for foreign keys, run only while a violation is outstanding.
    """
    names = {table: table for table in TABLES if re.search(rf"\b{table}\b", sql)}
    names.update({alias: table for table, alias in _ALIAS.findall(sql) if table in TABLES})
    return names


def _reads_the_library(condition: str, key: Sequence[str]) -> bool:
    """Say whether an index search reads an unbounded share of a growing table: it neither
    fixes every column of the index's key nor starts from a range's lower end (a prefix only,
    such as a channel's whole history, or everything below a bound, as `rowid<?`)."""
    terms = _TERM.findall(condition)
    fixed = {column for column, operator in terms if operator == "="}
    ranged = any(operator in (">", ">=") for _, operator in terms)
    return not ranged and not set(key) <= fixed


async def _key(conn: Connection, sqlite: bool, table: str, index: str | None) -> list[str]:
    """Return the columns of an index (None: the table's primary key)."""
    if sqlite:
        if index is None:
            rows = await conn.fetch(f"SELECT name FROM pragma_table_info('{table}') WHERE pk > 0")
            return [row["name"] for row in rows] or ["rowid"]
        rows = await conn.fetch(f"SELECT name FROM pragma_index_info('{index}')")
        return [row["name"] for row in rows]
    rows = await conn.fetch(
        "SELECT a.attname AS name FROM pg_index AS i JOIN pg_attribute AS a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indexrelid = to_regclass(?)",
        index,
    )
    return [row["name"] for row in rows]


async def explain(db: Backend, sql: str, args: Sequence[Any]) -> Plan:
    """Return the database's plan for a statement, with the accesses that read an unbounded
    share of a growing table: a full scan, or a search by a prefix of an index's key."""
    tables = _tables(sql)
    sqlite = bool(db.dialect.index_hint)
    async with db.read() as conn:
        if sqlite:
            rows = await conn.fetch(f"EXPLAIN QUERY PLAN {sql}", *args)
            plan = Plan(sql, [row["detail"] for row in rows])
            for line in plan.lines:
                access = _SQLITE_ACCESS.match(line)
                if access is None or tables.get(access[2]) not in GROWING or access[3] in WORK:
                    continue
                if line == f"SEARCH {access[2]}":  # MIN/MAX of the key: one row read
                    continue
                key = (
                    ["rowid"] if access[4] else await _key(conn, True, tables[access[2]], access[3])
                )
                if access[1] == "SCAN" or _reads_the_library(access[5] or "", key):
                    plan.scans.append(line)
            return plan
        text = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
        root = json.loads(text)[0]["Plan"]
        plan = Plan(sql, [])
        nodes = [(root, "")]
        while nodes:
            node, parent = nodes.pop()
            nodes.extend((child, node["Node Type"]) for child in node.get("Plans", []))
            kind, index = node["Node Type"], node.get("Index Name")
            relation = node.get("Relation Name") or next(
                (t for t in GROWING if (index or "").startswith(f"{t}_")), None
            )
            condition = node.get("Index Cond", "")
            plan.lines.append(f"{kind} {relation or ''} {index or ''} {condition}".strip())
            if relation not in GROWING or index in WORK:
                continue
            if parent == "Limit" and _MIN_MAX.match(condition):  # MIN/MAX of the key: one row
                continue
            if kind == "Seq Scan" or (
                kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
                and _reads_the_library(condition, await _key(conn, False, relation, index))
            ):
                plan.scans.append(plan.lines[-1])
    return plan


def _brief(n: int) -> Row:
    """Brief n of the library: one in three edited since, one in fifty retracted, one in
    four an item of a feed (its external id the item's)."""
    created = EPOCH + timedelta(minutes=n)
    brief = Brief(
        **BriefContent(
            title=f"Brief {n}", what_happened=f"Event {n}.", topics=["news"]
        ).model_dump(),
        id=n,
        created_at=created,
        updated_at=created + timedelta(days=1) if n % 3 == 0 else None,
    )
    row = brief_row(brief)
    row["deleted_at"] = created + timedelta(days=2) if n % 50 == 0 else None
    row["source_name"] = f"feed{n % 8}" if n % 4 == 0 else None
    row["external_id"] = f"item-{n}" if n % 4 == 0 else None
    return row


def _feed(n: int) -> Row:
    """Feed n: one in a hundred due now, one in fifty paused, the rest due later."""
    row: Row = dict.fromkeys(COLUMNS["feeds"])
    due = EPOCH if n % 100 == 0 else utcnow() + timedelta(minutes=n)
    row |= {
        "source_name": f"feed{n}",
        "url": f"https://news{n}.example/feed.xml",
        "interval_seconds": 600,
        "fixed_topics": ["news"] if n % 2 else [],
        "next_due_at": due,
        "failures": 0,
        "paused_at": EPOCH if n % 50 == 1 else None,
        "added_at": EPOCH,
    }
    return row


def _copy(channel: int, brief_id: int, **values: Any) -> Row:
    """A post-log row: by default a posted copy showing its brief as stored."""
    posted = EPOCH + timedelta(minutes=brief_id, seconds=1)
    row: Row = dict.fromkeys(COLUMNS["post_log"])
    row |= {
        "channel_id": channel,
        "brief_id": brief_id,
        "guild_id": GUILD + channel,
        "subscription_id": None,
        "message_id": channel * 1_000_000 + brief_id,
        "posted_at": posted,
        "skipped": False,
        "claimed_at": posted,
        "shown_hash": "shown",
        "shown_version": posted + timedelta(days=1),
    }
    row.update(values)
    return row


#: Besides its history, channel 1 has posts Discord refused, a claim left unsent, and copies
#: waiting to be crossposted; channel 2 has copies due a correction.
REJECTED, UNSENT = range(POSTED + 1, POSTED + 6), POSTED + 10


async def _fill(store: Storage) -> None:
    """Store the library and a long post history, cheaply (the backends' bulk paths)."""
    history = [
        _copy(c, n, crosspost_state="pending" if c == 1 and n % 500 == 0 else "done")
        for c in range(1, CHANNELS + 1)
        for n in range(1, POSTED + 1)
    ]
    for row in history[POSTED : POSTED + 30 : 3]:
        row["shown_version"], row["due_version"] = None, EPOCH + timedelta(days=9)
    history += [
        _copy(1, n, message_id=None, rejected_at=EPOCH, rejected_reason="HTTP 400")
        for n in REJECTED
    ]
    history.append(_copy(1, UNSENT, message_id=None))
    sources = [
        {"name": f"feed{n}", "label": None, "webhook_secret": None, "added_at": EPOCH}
        for n in range(FEEDS)
    ]
    async with store.db.transaction() as conn:
        await store.db.insert(conn, "sources", sources)
        await store.db.insert(conn, "feeds", [_feed(n) for n in range(FEEDS)])
        for first in range(1, BRIEFS + 1, 5_000):
            rows = [_brief(n) for n in range(first, min(first + 5_000, BRIEFS + 1))]
            await store.db.insert(conn, "briefs", rows)
        await store.db.insert(conn, "post_log", history)


Operation = Callable[[Storage], Awaitable[object]]


async def _recurring(store: Storage) -> list[tuple[str, Operation]]:
    """Subscribe the channels (with their work waiting) and return the recurring operations,
    each as the bot calls it, over the repositories given."""
    subscriptions = [
        await store.subscriptions.add(GUILD + c, SubscriptionOptions(channel_id=c))
        for c in range(1, CHANNELS + 1)
    ]
    sub = subscriptions[0]
    new = await store.briefs.add_many(
        [BriefContent(title=f"New {n}", what_happened="Today.") for n in range(3)]
    )
    posted = new[0]
    assert await store.post_log.claim(sub, posted.id)
    await store.post_log.record_message(sub, posted.id, 42, shown_version=posted.updated_at)
    assert await store.post_log.claim(sub, new[1].id)  # a claim in flight: unsent
    await store.briefs.update(
        posted.id, BriefContent(title="Fixed", what_happened="Now."), actor_id=1
    )
    shards = Shards(2, (0,))
    since = utcnow() - timedelta(days=1)
    await store.sources.add("cms")
    await store.sources.set_webhook_secret("cms")
    _, token = await store.tokens.create("cms")
    window = timedelta(minutes=10)
    lease = timedelta(minutes=5)
    items = [f"item-{n}" for n in range(0, 4800, 8)]  # feed0's, in two chunks
    for n in range(3):  # held briefs, one of them due
        held = await store.briefs.add(
            BriefContent(title=f"Held {n}", what_happened="Later.", release_at=utcnow() + lease)
        )
    async with store.db.transaction() as conn:
        await conn.execute("UPDATE briefs SET release_at = ? WHERE id = ?", since, held.id)

    async def publish(s: Storage) -> None:
        stored = await s.briefs.add(BriefContent(title="Breaking", what_happened="Just now."))
        assert await s.post_log.claim(sub, stored.id)
        await s.post_log.record_message(sub, stored.id, 7, shown_version=stored.updated_at)
        await s.delivery_log.add(sub.guild_id, stored.id, "sent", "#news")

    async def correct(s: Storage) -> None:
        copy = (await s.copies.due(limit=10, lease=lease))[0]
        brief = await s.briefs.get(copy.brief_id)
        await s.briefs.retraction(copy.brief_id)
        version = None if brief is None else brief.updated_at
        await s.copies.shown(
            copy.channel_id, copy.brief_id, shown_hash="new", shown_version=version
        )
        await s.copies.release(copy.channel_id, copy.brief_id, retry_after=lease)
        await s.copies.lost(copy.channel_id, copy.brief_id, "gone")

    async def edit(s: Storage) -> None:
        await s.briefs.update(5, BriefContent(title="Edited", what_happened="Again."), actor_id=1)
        await s.briefs.delete(6, actor_id=1)

    def due(of: Shards | None) -> Operation:
        return lambda s: s.copies.due(limit=10, lease=lease, shards=of)

    def crossposts(of: Shards | None) -> Operation:
        return lambda s: s.crossposts.due(limit=10, lease=lease, shards=of)

    return [
        ("sweep: active subscriptions", lambda s: s.subscriptions.active()),
        ("sweep: active subscriptions of shards", lambda s: s.subscriptions.active(shards)),
        ("delivery queue: pending", lambda s: s.post_log.pending(sub, limit=25)),
        ("delivery queue: unsent", lambda s: s.post_log.unsent(1, stale_after=timedelta(0))),
        ("daily cap: posted times", lambda s: s.post_log.posted_times(sub.id, since)),
        ("publish: claim, record, log", publish),
        ("reclaim a rejected post", lambda s: s.post_log.claim(sub, REJECTED[0])),
        ("correction keeper: due copies", due(None)),
        ("correction keeper: of shards", due(shards)),
        ("correction keeper: one copy", correct),
        ("edit and retract: copies due", edit),
        ("crossposts due", crossposts(None)),
        ("crossposts due of shards", crossposts(shards)),
        ("status: copies behind", lambda s: s.copies.behind(sub.guild_id)),
        ("status: rejected", lambda s: s.post_log.rejected(sub.channel_id)),
        ("status: posted copy", lambda s: s.post_log.copy(sub.channel_id, posted.id)),
        ("status: log", lambda s: s.delivery_log.recent(sub.guild_id)),
        ("push: by external id", lambda s: s.briefs.by_external("cms", "story-1")),
        ("push: where a brief went", lambda s: s.post_log.deliveries(posted.id)),
        ("push: token and source", lambda s: s.tokens.authenticate(token)),
        ("push: webhook-id", lambda s: s.webhook_deliveries.first_delivery("cms", "m", window)),
        ("feeds: claim due", lambda s: s.feeds.claim_due(limit=10, lease=lease)),
        ("feeds: items known", lambda s: s.feeds.known("feed0", items)),
        ("feeds: finish", lambda s: s.feeds.finish("feed0", _result())),
        ("scheduling: release due", lambda s: s.publisher.release_due()),
        ("scheduling: next release", lambda s: s.briefs.next_release()),
        ("scheduling: waiting", lambda s: s.briefs.scheduled(limit=20)),
    ]  # fmt: skip


def _result() -> FeedResult:
    """A poll's result: the feed answered 304."""
    now = utcnow()
    return FeedResult(
        fetched_at=now, status="304", error=None, etag='"v1"', last_modified=None,
        next_due_at=now + timedelta(minutes=10), failures=0, failing_since=None,
    )  # fmt: skip


async def _plans(store: Storage, operations: list[tuple[str, Operation]]) -> dict[str, list[Plan]]:
    """Run each operation through a recording backend; explain every statement it ran."""
    plans: dict[str, list[Plan]] = {}
    for name, operation in operations:
        recorder = RecordingBackend(store.db)
        await operation(Storage(cast(Backend, recorder)))
        assert recorder.seen, f"{name} ran no statement"
        plans[name] = [await explain(store.db, sql, args) for sql, args in recorder.seen]
    return plans


def _scans(plans: dict[str, list[Plan]]) -> list[str]:
    return [
        f"{name}: {scan}\n    in {plan.sql}"
        for name, found in plans.items()
        for plan in found
        for scan in plan.scans
    ]


@pytest.fixture
async def library(store: Storage) -> Storage:
    await _fill(store)
    return store


async def test_recurring_queries_read_only_their_work(library: Storage) -> None:
    operations = await _recurring(library)
    if library.db.dialect.index_hint:  # SQLite: as a new file plans them, then with statistics
        assert _scans(await _plans(library, operations)) == []
        async with library.db.transaction() as conn:
            await conn.execute("ANALYZE")
    else:
        await library.db.settle(TABLES)
    plans = await _plans(library, operations)
    assert _scans(plans) == []
    touched = {p.sql for found in plans.values() for p in found if "post_log" in p.sql}
    assert len(touched) > 10  # the post log's queries were seen, not bypassed


@pytest.mark.parametrize(
    ("sql", "arg"),
    [
        ("SELECT id FROM briefs WHERE title = ?", "x"),
        ("SELECT count(*) FROM post_log AS p WHERE p.shown_hash = ?", "x"),
        # A channel's whole history, by the primary key's prefix (as `unsent` read it).
        ("SELECT brief_id FROM post_log WHERE channel_id = ? AND message_id IS NULL", 1),
        # The correction keeper's query before due_version: every copy against its brief.
        (
            "SELECT p.brief_id FROM post_log AS p JOIN briefs AS b ON b.id = p.brief_id"
            " WHERE p.message_id IS NOT NULL AND p.copy_state IS NULL AND b.updated_at IS NOT NULL"
            " AND (p.shown_version IS NULL OR p.shown_version < b.updated_at)"
            " AND p.shown_hash <> ? ORDER BY b.updated_at, p.guild_id LIMIT 10",
            "x",
        ),
    ],
)
async def test_a_full_scan_is_caught(library: Storage, sql: str, arg: object) -> None:
    """The check can fail: a statement no index serves (or serves by a prefix) is reported."""
    await library.db.settle(TABLES)
    plan = await explain(library.db, sql, [arg])
    assert plan.scans, plan.lines
