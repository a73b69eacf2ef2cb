"""Full-text search on PostgreSQL: tsvector columns and tsquery input built in Python.

What a brief's `search` column holds, what a search asks for and the texts its snippets come
from are computed here from the words storage.search reads, so no server locale or
dictionary is involved and both backends find the same briefs. Weights mirror the SQLite
backend's bm25 column weights (title 10, tags 5, what happened 4, other sections 2, body 1)
as closely as PostgreSQL's four weights allow.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from storage.base import BRIEF_COLUMNS, SEARCH_CANDIDATES
from storage.models import SECTIONS, SearchHit
from storage.schema import visible
from storage.search import lexeme, lexemes, words
from storage.snippets import snippet
from storage.sql import POSTGRES, Connection, Row

#: Highest word position a PostgreSQL tsvector records (later words share it).
MAX_POSITION = 16_383
#: Most positions PostgreSQL keeps for one word of a tsvector.
MAX_POSITIONS = 256
#: Most bytes of distinct words one tsvector holds (PostgreSQL refuses more than 1 MiB).
MAX_VECTOR_BYTES = 1_000_000
#: tsvector/tsquery weights, most important first.
WEIGHTS = "ABCD"


def _quote(item: str) -> str:
    """Quote a lexeme for tsvector/tsquery input, which then takes it verbatim."""
    if "'" in item or "\\" in item:
        item = item.replace("\\", "\\\\").replace("'", "''")
    return f"'{item}'"


def _check_weights(weights: str) -> None:
    if any(weight not in WEIGHTS for weight in weights):
        raise ValueError(f"tsvector weights are A, B, C or D, not {weights!r}")


@functools.cache
def _labels(weight: str) -> tuple[str, ...]:
    """Return every position's tsvector label with this weight ("1A", "2A", ...), made once."""
    return tuple(f"{position}{weight}" for position in range(MAX_POSITION + 1))


def build_tsvector(groups: Iterable[tuple[str, Iterable[str]]]) -> str:
    """Return tsvector input text for lexemes grouped by weight, positions counted across groups.

    Quoted lexemes make PostgreSQL take each word as given (its own parser and dictionaries
    depend on the server's locale). PostgreSQL's limits are kept here: positions stop at
    MAX_POSITION, a word keeps its first MAX_POSITIONS of them, and words beyond
    MAX_VECTOR_BYTES are left out rather than refused.
    """
    entries: dict[str, list[str]] = {}
    size = position = 0
    last = str(MAX_POSITION)
    for weight, found in groups:
        if len(weight) != 1:
            raise ValueError(f"one weight per group, not {weight!r}")
        _check_weights(weight)
        labels = _labels(weight)
        for item in found:
            if position < MAX_POSITION:
                position += 1
            entry = entries.get(item)
            if entry is None:
                cost = len(item.encode())
                if size + cost <= MAX_VECTOR_BYTES:
                    size += cost
                    entries[item] = [labels[position]]
            elif len(entry) < MAX_POSITIONS and not (
                position == MAX_POSITION and entry[-1][:-1] == last
            ):
                entry.append(labels[position])
    return " ".join(f"{_quote(item)}:{','.join(entry)}" for item, entry in entries.items())


def build_tsquery(text: str, *, prefix: bool = False, weights: str = "") -> str | None:
    """Return tsquery input text matching every word of `text` (AND), or None if none.

    Each word becomes a quoted lexeme, so operators in the input are just text; `weights`
    (e.g. "A") restricts matches to those parts of a tsvector. With `prefix`, the last word
    also matches words it begins. Cast the result with `::tsquery`, never `to_tsquery`.
    """
    _check_weights(weights)
    found = [item for item in (lexeme(word) for word in words(text)) if item]
    if not found:
        return None
    terms = [_quote(item) + (f":{weights}" if weights else "") for item in found]
    if prefix:
        terms[-1] = f"{_quote(found[-1])}:*{weights}"
    return " & ".join(terms)


#: Summary sections weighted C, in column order.
_SECTIONS = tuple(section.field for section in SECTIONS[1:])

#: Columns a snippet may come from, in the order the SQLite backend's index lists them.
SNIPPET_COLUMNS = ("title", *(section.field for section in SECTIONS), "body", "tags")


class Columns(Protocol):
    """A row read by column name: a database record or a dict."""

    def __getitem__(self, column: str, /) -> Any: ...


def search_vector(row: Mapping[str, Any]) -> str:
    """Return tsvector input text for a brief's content (a row or model dump, by column name)."""
    tags: Sequence[str] = row.get("tags") or ()
    return build_tsvector(
        [
            ("A", lexemes(row.get("title"))),
            ("B", lexemes(row.get("what_happened")) + lexemes(" ".join(tags))),
            ("C", [item for column in _SECTIONS for item in lexemes(row.get(column))]),
            ("D", lexemes(row.get("body"))),
        ]
    )


def title_vector(row: Mapping[str, Any]) -> str:
    """Return tsvector input text for a brief's title alone (the `title_search` column)."""
    return build_tsvector([("A", lexemes(row.get("title")))])


def snippet_texts(row: Columns) -> list[str | None]:
    """Return a brief's searchable texts in SNIPPET_COLUMNS order (tags as SQLite shows them)."""
    texts: list[str | None] = [row[column] for column in SNIPPET_COLUMNS[:-1]]
    texts.append(json.dumps(list(row["tags"]), ensure_ascii=False))
    return texts


def build_tags_tsquery(tags: Sequence[str]) -> str | None:
    """Return tsquery input matching briefs that may carry one of `tags` (their words, weight
    B, where tags are indexed); the tags themselves decide. None when a tag has no words."""
    found = []
    for tag in tags:
        match = build_tsquery(tag, weights="B")
        if match is None:
            return None
        found.append(f"({match})")
    return " | ".join(found) or None


#: A brief's tags checked exactly.
_TAGGED = POSTGRES.holds_any("tags")


class _Selection(NamedTuple):
    """How a search finds its briefs: the tsquery that ranks them, the one that selects them,
    and the rest of the condition with its arguments."""

    ranking: str
    selecting: str
    condition: str
    args: list[Any]


def _selection(query: str, tags: Sequence[str]) -> _Selection | None:
    """Return how to find the briefs matching `query` (and carrying one of `tags`), if any.

    With tags, their words join the selecting tsquery (one index scan finds both), and their
    exact check follows; ranking still uses the query's words alone.
    """
    match = build_tsquery(query)
    if match is None:
        return None
    if not tags:
        return _Selection(match, match, "", [])
    narrowing = build_tags_tsquery(tags)
    selecting = match if narrowing is None else f"({match}) & ({narrowing})"
    return _Selection(match, selecting, f" AND {_TAGGED}", [list(tags)])


#: Newest live briefs `titles` scans in id order before it asks the title index.
SUGGEST_WINDOW = 2000
_LIVE_MATCH = f"{visible()} AND search @@ ?::tsquery"
#: A brief's columns without its search vectors (what repositories read).
_BRIEF = ", ".join(BRIEF_COLUMNS)


class PostgresSearch:
    """tsvector queries behind `storage.base.Search`; GIN indexes on live briefs (0001)."""

    def columns(self, content: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
        """Return the `search` and `title_search` vectors computed from a brief's content."""
        return [
            ("search", "?::tsvector", search_vector(content)),
            ("title_search", "?::tsvector", title_vector(content)),
        ]

    async def hits(
        self,
        conn: Connection,
        query: str,
        *,
        limit: int,
        offset: int,
        tags: Sequence[str] = (),
    ) -> list[SearchHit]:
        """Rank the newest SEARCH_CANDIDATES matches by ts_rank; snippets built in Python."""
        found = _selection(query, tags)
        if found is None:
            return []
        rows = await conn.fetch(
            "WITH page AS ("
            " SELECT id, ts_rank(search, ?::tsquery) AS score FROM ("
            f"  SELECT id, search FROM briefs WHERE {_LIVE_MATCH}{found.condition}"
            "  ORDER BY id DESC LIMIT ?"
            " ) AS candidates ORDER BY score DESC, id DESC LIMIT ? OFFSET ?"
            f") SELECT page.score, {_BRIEF} FROM page JOIN briefs USING (id)"
            " ORDER BY page.score DESC, id DESC",
            found.ranking,
            found.selecting,
            *found.args,
            SEARCH_CANDIDATES,
            limit,
            offset,
        )
        return [
            SearchHit(
                brief_id=row["id"],
                title=row["title"],
                snippet=snippet(snippet_texts(row), query) or row["what_happened"],
                rank=float(row["score"]),
                published_at=row["published_at"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def count(
        self, conn: Connection, query: str, *, cap: int, tags: Sequence[str] = ()
    ) -> int:
        """Count matches up to `cap`, without ranking them."""
        found = _selection(query, tags)
        if found is None:
            return 0
        return int(
            await conn.fetchval(
                f"SELECT count(*) FROM (SELECT 1 FROM briefs WHERE {_LIVE_MATCH}{found.condition}"
                " LIMIT ?) AS matches",
                found.selecting,
                *found.args,
                cap,
            )
        )

    def tagged(self, tags: Sequence[str]) -> tuple[str, list[Any]]:
        """Narrow by the tags' words in `search` (its GIN index), then check the tags."""
        narrowing = build_tags_tsquery(tags)
        if narrowing is None:
            return _TAGGED, [list(tags)]
        return f"search @@ ?::tsquery AND {_TAGGED}", [narrowing, list(tags)]

    async def titles(self, conn: Connection, prefix: str, *, limit: int) -> list[Row] | None:
        """Return the newest `limit` live briefs whose title matches, as (id, title) rows.

        A prefix's frequency is unknown to the planner, so each of the two ways is asked for
        explicitly: first the newest SUGGEST_WINDOW briefs in id order, which finds a common
        prefix's matches at once; only if they hold fewer than `limit` matches (a rare
        prefix), the title index, whose matches are then few enough to sort.
        """
        match = build_tsquery(prefix, prefix=True)
        if match is None:
            return None
        rows = await conn.fetch(
            "SELECT id, title FROM ("
            f" SELECT id, title, title_search FROM briefs WHERE {visible()}"
            " ORDER BY id DESC LIMIT ?"
            ") AS recent WHERE title_search @@ ?::tsquery ORDER BY id DESC LIMIT ?",
            SUGGEST_WINDOW,
            match,
            limit,
        )
        if len(rows) == limit:
            return rows
        return await conn.fetch(
            "WITH matches AS MATERIALIZED (SELECT id, title FROM briefs"
            f" WHERE {visible()} AND title_search @@ ?::tsquery)"
            " SELECT id, title FROM matches ORDER BY id DESC LIMIT ?",
            match,
            limit,
        )

    async def same_words(self, conn: Connection, title: str, what_happened: str) -> list[Row]:
        """Match the title's words (weight A) and what-happened's (weight B)."""
        filters = [
            match
            for match in (
                build_tsquery(title, weights="A"),
                build_tsquery(what_happened, weights="B"),
            )
            if match is not None
        ]
        if filters:
            return await conn.fetch(
                f"SELECT {_BRIEF} FROM briefs WHERE {_LIVE_MATCH} ORDER BY id",
                " & ".join(filters),
            )
        if "\x00" in title + what_happened:
            return []  # PostgreSQL text cannot hold NUL, so no stored brief says this
        return await conn.fetch(
            f"SELECT {_BRIEF} FROM briefs WHERE {visible()}"
            " AND btrim(title) = ? AND btrim(what_happened) = ? ORDER BY id",
            title.strip(),
            what_happened.strip(),
        )
