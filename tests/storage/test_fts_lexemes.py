"""PostgreSQL's text search input, built in Python: lexemes, tsvector, tsquery, snippets."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.fts import (
    MAX_POSITION,
    MAX_POSITIONS,
    MAX_TOKEN_CHARS,
    MAX_TOKENS,
    MAX_VECTOR_BYTES,
    build_tsquery,
    build_tsvector,
    fold,
    lexemes,
    snippet,
    word_spans,
    words,
)

from .test_fts import any_text

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


# --- tsquery ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("comet", {}, "'comet'"),
        ("Comet  sighting!", {}, "'comet' & 'sighting'"),
        ('"quoted" AND (NOT x', {}, "'quoted' & 'and' & 'not' & 'x'"),
        ("a & b | !c <-> d:*", {}, "'a' & 'b' & 'c' & 'd'"),
        ("comet lis", {"prefix": True}, "'comet' & 'lis':*"),
        ("élec", {"prefix": True, "weights": "A"}, "'elec':*A"),
        ("cafe owners", {"weights": "AB"}, "'cafe':AB & 'owners':AB"),
    ],
)
def test_tsquery_quotes_every_word(text: str, options: dict[str, object], expected: str) -> None:
    assert build_tsquery(text, **options) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   ", "!!! ??? ---", "'\\:*&|!()", "\u200b", "_"])
def test_nothing_searchable_gives_no_tsquery(text: str) -> None:
    assert build_tsquery(text) is None
    assert build_tsquery(text, prefix=True, weights="A") is None


def test_tsquery_word_count_is_capped() -> None:
    query = build_tsquery(" ".join(f"w{i}" for i in range(1000)))
    assert query is not None
    assert query.count(" & ") == MAX_TOKENS - 1


def test_unknown_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="weights"):
        build_tsquery("comet", weights="E")
    with pytest.raises(ValueError, match="weight"):
        build_tsvector([("AB", ["comet"])])


# --- tsvector --------------------------------------------------------------------------


def test_tsvector_counts_positions_across_weighted_groups() -> None:
    vector = build_tsvector([("A", ["volcano", "erupts"]), ("B", ["the", "volcano"]), ("D", [])])
    assert vector == "'volcano':1A,4B 'erupts':2A 'the':3B"
    assert build_tsvector([]) == ""


def test_tsvector_quotes_quotes_and_backslashes() -> None:
    assert build_tsvector([("D", ["it's", "a\\b"])]) == "'it''s':1D 'a\\\\b':2D"


def test_tsvector_keeps_postgres_limits() -> None:
    many = build_tsvector([("A", ["x"] * (MAX_POSITIONS + 50))])
    assert many.count(",") == MAX_POSITIONS - 1
    late = build_tsvector([("A", ["a"]), ("D", ["w"] * MAX_POSITION + ["late", "late"])])
    assert f"'late':{MAX_POSITION}D" in late.split()
    huge = [f"{i:0>60}" for i in range(MAX_VECTOR_BYTES // 60 + 100)]
    kept = build_tsvector([("D", huge)]).split()
    assert sum(len(entry.split("'")[1]) for entry in kept) <= MAX_VECTOR_BYTES
    assert len(kept) < len(huge)


# --- snippets --------------------------------------------------------------------------


def test_snippet_centres_on_the_matches() -> None:
    what = " ".join(["filler"] * 30 + ["Café", "owners", "cheered"] + ["x"] * 30)
    found = snippet(["Budget passes", what], "cafe owners")
    assert found == "…filler filler filler filler filler «Café» «owners» cheered x x x x…"


def test_snippet_keeps_short_fields_whole_and_verbatim() -> None:
    assert snippet(["They saw the lighthouse."], "LIGHTHOUSE") == "They saw the «lighthouse»."
    assert snippet(['"Quoted", he said — end'], "quoted") == '"«Quoted»", he said — end'


def test_snippet_prefers_the_field_with_more_query_words() -> None:
    texts = ["Cafe news", "Cafe owners cheered", None, "owners"]
    assert snippet(texts, "cafe owners") == "«Cafe» «owners» cheered"
    assert snippet(texts, "news") == "Cafe «news»"


def test_snippet_of_tags_shows_their_text() -> None:
    assert snippet(["Title", '["science", "space"]'], "space") == '["science", "«space»"]'


def test_snippet_without_a_match_is_none() -> None:
    assert snippet(["Budget passes"], "volcano") is None
    assert snippet(["Budget passes"], "!!!") is None
    assert snippet([None, ""], "budget") is None


@given(texts=st.lists(any_text, max_size=4), query=any_text)
def test_snippet_never_raises_and_highlights_query_words(texts: list[str], query: str) -> None:
    found = snippet(texts, query, tokens=5)
    if found is not None and not any("«" in text or "»" in text for text in texts):
        assert "«" in found
        assert found.count("«") == found.count("»")
