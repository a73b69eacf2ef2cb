"""tsvector and tsquery input built in Python for the PostgreSQL backend (pure, no server)."""

from __future__ import annotations

import pytest

from storage.postgres.search import (
    MAX_POSITION,
    MAX_POSITIONS,
    MAX_VECTOR_BYTES,
    build_tsquery,
    build_tsvector,
)
from storage.search import MAX_TOKENS

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
