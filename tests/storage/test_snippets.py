"""Snippets built in Python: matched words in context, highlighted, the text kept verbatim."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage.snippets import snippet
from tests.storage.sqlite.test_search import any_text

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
