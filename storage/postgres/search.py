"""What a brief's `search` column holds, and the texts its snippets come from (pure).

Weights mirror the SQLite backend's bm25 column weights (title 10, tags 5, what happened 4,
other sections 2, body 1) as closely as PostgreSQL's four weights allow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from storage.fts import build_tsvector, lexemes

#: Summary sections weighted C, in column order.
_SECTIONS = ("who_was_involved", "when_and_where", "key_quote", "impact")

#: Columns a snippet may come from, in the order the SQLite backend's index lists them.
SNIPPET_COLUMNS = (
    "title",
    "what_happened",
    "who_was_involved",
    "when_and_where",
    "key_quote",
    "impact",
    "body",
    "tags",
)


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
