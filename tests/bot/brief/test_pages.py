"""Article pagination: pages fit, nothing is lost or reordered, breaks fall where readers expect."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.brief.pages import DEFAULT_PAGE_LIMIT, paginate


def visible(text: str) -> str:
    """Every non-whitespace character, in order."""
    return "".join(text.split())


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def assert_pages_valid(body: str, pages: list[str], limit: int) -> None:
    assert visible("\n\n".join(pages)) == visible(body)
    for page in pages:
        assert 0 < len(page) <= limit
        assert page == page.strip()


TOKENS = st.sampled_from(
    [
        "word",
        "Harbor",
        "é",
        "e\u0301",
        "中文",
        "。",
        "👍🏽",
        "👩\u200d👩\u200d👧",
        ".",
        "!",
        "?",
        "”",
        "@everyone",
        "**bold**",
        " ",
        " ",
        " ",
        "\n",
        "\n\n",
        "\n \n",
        "x" * 50,
    ]
)
BODIES = st.lists(TOKENS, max_size=400).map("".join)


@given(body=BODIES, limit=st.integers(min_value=1, max_value=300))
@settings(deadline=None)
def test_pages_fit_and_keep_every_character_in_order(body: str, limit: int) -> None:
    pages = paginate(body, limit=limit)
    assert_pages_valid(body, pages, limit)


@given(body=BODIES, limit=st.integers(min_value=20, max_value=300))
@settings(deadline=None)
def test_paragraphs_that_fit_stay_whole(body: str, limit: int) -> None:
    pages = paginate(body, limit=limit)
    for paragraph in paragraphs(body):
        if len(paragraph) <= limit:
            assert sum(paragraph in page for page in pages) >= 1


@given(
    unit=st.lists(TOKENS, min_size=1, max_size=30).map("".join),
    size=st.integers(min_value=1, max_value=100_000),
)
@settings(deadline=None, max_examples=30)
def test_huge_bodies(unit: str, size: int) -> None:
    body = (unit * (size // len(unit) + 1))[:size]
    pages = paginate(body)
    assert_pages_valid(body, pages, DEFAULT_PAGE_LIMIT)


def test_empty_body_has_no_pages() -> None:
    assert paginate("") == []
    assert paginate(" \n\n\t\r\n ") == []


def test_short_paragraphs_share_a_page() -> None:
    assert paginate("One.\n\nTwo.\n\n\n\nThree.") == ["One.\n\nTwo.\n\nThree."]


def test_crlf_and_surrounding_whitespace() -> None:
    assert paginate("\r\n  First line\r\nsame paragraph.\r\n\r\nSecond.  \r\n") == [
        "First line\nsame paragraph.\n\nSecond."
    ]


def test_a_paragraph_that_does_not_fit_the_rest_of_a_page_starts_a_new_one() -> None:
    first = "a" * 60
    second = "b " * 30
    assert paginate(f"{first}\n\n{second}", limit=100) == [first, second.strip()]


def test_long_paragraph_splits_between_sentences() -> None:
    sentences = [f"Sentence number {n} says something short." for n in range(40)]
    body = " ".join(sentences)
    pages = paginate(body, limit=200)
    assert len(pages) > 1
    assert_pages_valid(body, pages, 200)
    for page in pages:
        assert page.endswith(".")
    for sentence in sentences:
        assert any(sentence in page for page in pages)


def test_sentence_ends_after_closing_quote() -> None:
    body = "“Look west,” she said. “Give it ten minutes.” Then go home."
    assert paginate(body, limit=30) == [
        "“Look west,” she said.",
        "“Give it ten minutes.”",
        "Then go home.",
    ]


def test_cjk_sentences_split_without_spaces() -> None:
    body = "彗星が戻ってきた。" * 10
    pages = paginate(body, limit=20)
    assert_pages_valid(body, pages, 20)
    assert all(page.endswith("。") for page in pages)


def test_long_sentence_splits_between_words() -> None:
    body = " ".join(f"w{n:03d}" for n in range(300))
    pages = paginate(body, limit=50)
    assert_pages_valid(body, pages, 50)
    words = set(body.split())
    for page in pages:
        assert set(page.split()) <= words


def test_single_hundred_kilobyte_line() -> None:
    body = "x" * 100_000
    pages = paginate(body)
    assert "".join(pages) == body
    assert [len(page) for page in pages[:-1]] == [DEFAULT_PAGE_LIMIT] * (len(pages) - 1)

    words = ("lorem ipsum dolor " * 6000)[:100_000]
    pages = paginate(words)
    assert_pages_valid(words, pages, DEFAULT_PAGE_LIMIT)
    assert all(len(page) > DEFAULT_PAGE_LIMIT - 10 for page in pages[:-1])


def test_hard_split_keeps_combining_marks_with_their_letter() -> None:
    body = "e\u0301" * 20
    pages = paginate(body, limit=7)
    assert "".join(pages) == body
    assert all(not page.startswith("\u0301") for page in pages)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit"):
        paginate("text", limit=0)
