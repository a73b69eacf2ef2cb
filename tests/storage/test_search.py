"""Indexed words (lexemes and word spans): the same words for both backends, and as queries."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given

from storage.search import MAX_TOKEN_CHARS, fold, lexemes, word_spans, words
from tests.storage.sqlite.test_search import any_text

EVERY = 2**62


# --- lexemes and word spans ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Comet  over LISBON!", ["comet", "over", "lisbon"]),
        ("Café déjà-vu", ["cafe", "deja", "vu"]),
        ("snake_case", ["snake", "case"]),
        ("e\u0301te\u0301", ["ete"]),
        ("Straße", ["strasse"]),
        ("日本 हिन्दी", ["日本", fold("हिन्दी")]),
        ("\u0301\u0301 !!!", []),
        ("", []),
        (None, []),
    ],
)
def test_lexemes_are_folded_words(text: str | None, expected: list[str]) -> None:
    assert lexemes(text) == expected


def test_lexemes_keep_every_word_of_a_long_text() -> None:
    text = " ".join(f"w{i}" for i in range(5000))
    assert len(lexemes(text)) == 5000


def test_long_words_are_cut_like_query_words() -> None:
    assert lexemes("x" * 500) == ["x" * MAX_TOKEN_CHARS]
    assert lexemes("ﷺ" * 70) == [fold("ﷺ" * MAX_TOKEN_CHARS)[:MAX_TOKEN_CHARS]]


@given(text=any_text)
def test_lexemes_match_the_query_words(text: str) -> None:
    expected = [fold(word)[:MAX_TOKEN_CHARS] for word in words(text, limit=EVERY)]
    assert lexemes(text) == [item for item in expected if item]


@given(text=any_text)
def test_word_spans_find_the_same_words(text: str) -> None:
    normal = unicodedata.normalize("NFC", text)
    found = [normal[start:end][:MAX_TOKEN_CHARS] for start, end in word_spans(normal)]
    assert found == words(normal, limit=EVERY)
