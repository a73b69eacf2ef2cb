"""Full-text search on SQLite: FTS5 over live briefs, kept in step by triggers (0001, 0005).

briefs_fts indexes every searchable column (ranked by title-weighted bm25); briefs_titles
indexes titles alone with prefix indexes, for autocomplete. Queries are built from the words
storage.search reads, each an FTS5 string, so operators typed by users are just text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from storage.base import (
    SEARCH_CANDIDATES,
    SNIPPET_CLOSE,
    SNIPPET_ELLIPSIS,
    SNIPPET_OPEN,
    SNIPPET_TOKENS,
)
from storage.models import SearchHit
from storage.schema import visible
from storage.search import words
from storage.sql import SQLITE, Connection, Row

# Measured at 100,000 briefs: ranking SEARCH_CANDIDATES = 500 candidates costs ~6.5 ms p50 for
# a common word, 1,000 cost ~12 ms; the floor (~5 ms) is bm25's own pass counting each word's
# documents for its IDF. FTS5 allows at most 64 snippet tokens.

#: bm25 column weights, in briefs_fts column order: a title match outranks a body match.
_WEIGHTS = {
    "title": 10.0,
    "what_happened": 4.0,
    "who_was_involved": 2.0,
    "when_and_where": 2.0,
    "key_quote": 2.0,
    "impact": 2.0,
    "body": 1.0,
    "tags": 5.0,
}
_BM25 = "bm25(briefs_fts, {})".format(", ".join(str(w) for w in _WEIGHTS.values()))
_INDEXES = ("briefs_fts", "briefs_titles")


def build_match_query(text: str, *, prefix: bool = False) -> str | None:
    """Return an FTS5 query matching every word of `text` (implicit AND), or None if none.

    Each word becomes an FTS5 string, so operators, column filters and stray quotes in the
    input are just text. With `prefix`, the last word also matches words it begins.
    """
    tokens = words(text)
    if not tokens:
        return None
    phrases = ['"' + token.replace('"', '""') + '"' for token in tokens]
    if prefix:
        phrases[-1] += "*"
    return " ".join(phrases)


def build_tags_query(tags: Sequence[str]) -> str | None:
    """Return an FTS5 query on the tags column matching briefs that may carry one of `tags`.

    A superset: each tag's words, in order, somewhere in the column; the tags themselves
    decide. None when a tag has no words to look for (nothing narrows the briefs then).
    """
    phrases = []
    for tag in tags:
        found = words(tag, limit=2**31)
        if not found:
            return None
        phrases.append('"' + " ".join(found).replace('"', '""') + '"')
    return f"tags : ({' OR '.join(phrases)})" if phrases else None


#: The tags of the brief a briefs_fts row indexes, checked exactly.
_FTS_ROW_TAGGED = (
    "EXISTS (SELECT 1 FROM briefs AS tagged WHERE tagged.id = briefs_fts.rowid"
    f" AND {SQLITE.holds_any('tagged.tags')})"
)


def _tag_filter(tags: Sequence[str], rowid: str, exact: str) -> tuple[str, list[Any]]:
    """Return the condition that the brief of `rowid` carries one of `tags`, and its args.

    The tags column's index narrows the briefs first; `exact` (the row's tags against the
    list) decides. `+` keeps the rowid from driving the query: FTS5 seeking rows by id one at
    a time is slow.
    """
    match = build_tags_query(tags)
    if match is None:
        return exact, [list(tags)]
    narrowed = f"+{rowid} IN (SELECT rowid FROM briefs_fts WHERE briefs_fts MATCH ?)"
    return f"{narrowed} AND {exact}", [match, list(tags)]


class SqliteSearch:
    """FTS5 queries behind `storage.base.Search`."""

    def columns(self, content: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
        """Return nothing: triggers keep the FTS tables in step with `briefs`."""
        return []

    async def hits(
        self,
        conn: Connection,
        query: str,
        *,
        limit: int,
        offset: int,
        tags: Sequence[str] = (),
    ) -> list[SearchHit]:
        """Rank the newest SEARCH_CANDIDATES matches by bm25; snippets for the page only."""
        match = build_match_query(query)
        if match is None:
            return []
        where, args = _tag_filter(tags, "briefs_fts.rowid", _FTS_ROW_TAGGED) if tags else ("", [])
        # FTS5 walks the doclist newest-first and stops after the window, so bm25 runs on at
        # most SEARCH_CANDIDATES rows, never on every match. The tags narrow the window, not
        # the ranking: bm25 sees the query's words only.
        ranked = await conn.fetch(
            "SELECT rowid, score FROM ("
            f" SELECT rowid, {_BM25} AS score FROM briefs_fts WHERE briefs_fts MATCH ?"
            f"{' AND ' + where if where else ''}"
            " ORDER BY rowid DESC LIMIT ?"
            ") ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
            match,
            *args,
            SEARCH_CANDIDATES,
            limit,
            offset,
        )
        hits: list[SearchHit] = []
        for candidate in ranked:
            # `rowid = ?` lets FTS5 seek straight to the row.
            row = await conn.fetchrow(
                "SELECT b.id, b.title, b.what_happened, b.published_at, b.created_at,"
                " snippet(briefs_fts, -1, ?, ?, ?, ?) AS snippet"
                " FROM briefs_fts JOIN briefs AS b ON b.id = briefs_fts.rowid"
                f" WHERE briefs_fts MATCH ? AND briefs_fts.rowid = ? AND {visible('b')}",
                SNIPPET_OPEN,
                SNIPPET_CLOSE,
                SNIPPET_ELLIPSIS,
                SNIPPET_TOKENS,
                match,
                candidate["rowid"],
            )
            if row is not None:
                hits.append(
                    SearchHit(
                        brief_id=row["id"],
                        title=row["title"],
                        snippet=row["snippet"] or row["what_happened"],
                        rank=-float(candidate["score"]),
                        published_at=row["published_at"],
                        created_at=row["created_at"],
                    )
                )
        return hits

    async def count(
        self, conn: Connection, query: str, *, cap: int, tags: Sequence[str] = ()
    ) -> int:
        """Count matches up to `cap`, without ranking them."""
        match = build_match_query(query)
        if match is None:
            return 0
        where, args = _tag_filter(tags, "briefs_fts.rowid", _FTS_ROW_TAGGED) if tags else ("", [])
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM (SELECT 1 FROM briefs_fts WHERE briefs_fts MATCH ?"
                f"{' AND ' + where if where else ''} LIMIT ?)",
                match,
                *args,
                cap,
            )
        )

    def tagged(self, tags: Sequence[str]) -> tuple[str, list[Any]]:
        """Narrow by the tags column of briefs_fts, then check the tags themselves."""
        return _tag_filter(tags, "briefs.id", SQLITE.holds_any("briefs.tags"))

    async def titles(self, conn: Connection, prefix: str, *, limit: int) -> list[Row] | None:
        """Ask briefs_titles, whose prefix indexes make a short common prefix one read."""
        match = build_match_query(prefix, prefix=True)
        if match is None:
            return None
        return await conn.fetch(
            "SELECT rowid AS id, title FROM briefs_titles WHERE briefs_titles MATCH ?"
            " ORDER BY rowid DESC LIMIT ?",
            match,
            limit,
        )

    async def same_words(self, conn: Connection, title: str, what_happened: str) -> list[Row]:
        """Match the words in the title and what-happened columns (exact text without words)."""
        title_match, what_match = build_match_query(title), build_match_query(what_happened)
        filters = [f"title : ({title_match})"] if title_match else []
        if what_match:
            filters.append(f"what_happened : ({what_match})")
        if not filters:
            return await conn.fetch(
                f"SELECT * FROM briefs WHERE {visible()}"
                " AND trim(title) = ? AND trim(what_happened) = ? ORDER BY id",
                title.strip(),
                what_happened.strip(),
            )
        return await conn.fetch(
            "SELECT b.* FROM briefs_fts JOIN briefs AS b ON b.id = briefs_fts.rowid"
            f" WHERE briefs_fts MATCH ? AND {visible('b')} ORDER BY b.id",
            " AND ".join(filters),
        )

    async def check(self, conn: Connection) -> list[str]:
        """Return what FTS5's own integrity check reports of each index."""
        problems = []
        for index in _INDEXES:
            try:
                await conn.execute(f"INSERT INTO {index} ({index}) VALUES ('integrity-check')")
            except sqlite3.DatabaseError as exc:
                problems.append(f"search index: {exc}")
        return problems
