"""The query builder: whatever a user types becomes a valid FTS5 query or None."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.search import MAX_TOKENS, normalize_query
from storage.sqlite.search import build_match_query

#: Characters that mean something to FTS5 query syntax or SQL, plus invisible ones.
NASTY = [
    *"\"'()*:^-+{}[],.;!?&|\\/%_#@~`<>=",
    *("AND", "OR", "NOT", "NEAR", "NEAR/2", "title"),
    *("\u200b", "\u200d", "\ufeff", "\x00", " ", "\t", "\n"),
    *("\u00e9", "e\u0301", "\u00df", "\u65e5\u672c", "\u0939\u093f\u0928\u094d\u0926\u0940"),
]
nasty_text = st.lists(st.sampled_from(NASTY), max_size=40).map("".join)
punctuation_heavy = st.text(
    alphabet=st.one_of(
        st.characters(categories=("P", "S", "Zs", "Cc", "Cf", "Mn", "Mc")),
        st.sampled_from("aZ9é日ह"),
    )
)
any_text = st.one_of(st.text(), nasty_text, punctuation_heavy)


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t VALUES ('Café NEAR the title', 'AND OR NOT body text')")
    yield conn
    conn.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("comet", '"comet"'),
        ("Comet  sighting!", '"Comet" "sighting"'),
        ('"quoted" AND (NOT x', '"quoted" "AND" "NOT" "x"'),
        ("title:comet", '"title" "comet"'),
        ("-minus ^caret *star", '"minus" "caret" "star"'),
        ("snake_case", '"snake" "case"'),
        ("zero\u200bwidth", '"zero" "width"'),
        ("e\u0301te\u0301", '"été"'),
    ],
)
def test_words_become_quoted_strings(text: str, expected: str) -> None:
    assert build_match_query(text) == expected


def test_prefix_applies_to_last_word() -> None:
    assert build_match_query("comet lis", prefix=True) == '"comet" "lis"*'


@pytest.mark.parametrize("text", ["", "   ", "!!! ??? ---", '"()*:^', "\u200b\u200d", "_"])
def test_nothing_searchable_gives_none(text: str) -> None:
    assert build_match_query(text) is None
    assert build_match_query(text, prefix=True) is None
    assert normalize_query(text) == ""


def test_token_count_is_capped() -> None:
    query = build_match_query(" ".join(f"w{i}" for i in range(1000)))
    assert query is not None
    assert query.count('"') == 2 * MAX_TOKENS


def test_ten_kilobytes_of_text_is_fine(fts: sqlite3.Connection) -> None:
    for text in ("a" * 10_000, "(" * 10_000, "word " * 2_000, '"' * 10_000):
        query = build_match_query(text, prefix=True)
        if query is not None:
            fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()


def test_normalize_query_shows_the_words_searched() -> None:
    assert normalize_query('  "Comet"  AND   (Lisbon ') == "Comet AND Lisbon"


def test_operators_are_searched_as_words(fts: sqlite3.Connection) -> None:
    query = build_match_query("near title")
    assert fts.execute("SELECT count(*) FROM t WHERE t MATCH ?", (query,)).fetchone() == (1,)


@given(text=any_text, prefix=st.booleans())
def test_output_is_always_a_valid_fts5_query(
    fts: sqlite3.Connection, text: str, prefix: bool
) -> None:
    query = build_match_query(text, prefix=prefix)
    if query is None:
        assert normalize_query(text) == ""
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (f"title : ({query})",)).fetchall()
