"""Item HTML as text: what a brief's article keeps, and what it never does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.feeds._html import HTML_PER_TEXT, MAX_TAGS, first_paragraph, html_to_text, rest_paragraphs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"


def test_article_keeps_paragraphs_lists_links_and_line_breaks() -> None:
    text = html_to_text((FIXTURES / "html_content.html").read_text(), base="https://news.example/a")

    assert text == (
        "Storm & tide\n\n"
        "Winds of 90 km/h are expected — stay inside.\nSchools close at noon.\n\n"
        "What to do:\n\n"
        "- Bring in garden furniture\n"
        "- Charge your phone\n\n"
        "More at the weather service (https://weather.example/storm), https://weather.example/"
        " and local page (https://news.example/local).\n\n"
        "Quotes: “Be safe” — the mayor 🌊"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<p>Hi</p><script>alert('x')</script>",
        "<p>Hi</p><style>p { color: red }</style>",
        "<p>Hi</p><iframe src='https://ads.example'>frame text</iframe>",
        "<p>Hi</p><object data='x.swf'>fallback</object>",
        "<p>Hi</p><noscript>enable javascript</noscript>",
        "<p>Hi<img src='https://t.example/p.gif' width='1' height='1'></p>",
        "<p>Hi<img src='https://cdn.example/photo.jpg' alt='photo'></p>",
        "<p>Hi</p><!-- a comment -->",
    ],
)
def test_code_frames_images_and_comments_are_dropped(html: str) -> None:
    assert html_to_text(html) == "Hi"


def test_entities_are_decoded_and_white_space_collapsed() -> None:
    html = "<p>  Fish &amp;\n\n chips &lt;3 &#8364;5 &eacute;t&eacute; &unknown; </p>"
    assert html_to_text(html) == "Fish & chips <3 €5 été &unknown;"


def test_link_text_that_is_its_address_is_not_repeated() -> None:
    assert html_to_text('<a href="https://a.example/">https://a.example</a>') == (
        "https://a.example"
    )
    assert html_to_text('<a href="https://a.example/x"></a>') == "https://a.example/x"


def test_links_that_are_no_web_address_keep_their_text_only() -> None:
    html = '<a href="javascript:steal()">click</a> <a href="mailto:a@b.example">mail</a> <a>x</a>'
    assert html_to_text(html) == "click mail x"


def test_relative_links_without_a_base_show_no_address() -> None:
    assert html_to_text('<a href="/local">local</a>') == "local"


def test_markdown_and_mentions_are_kept_verbatim() -> None:
    """Escaping is the display layer's job, for every brief alike."""
    assert html_to_text("<p>**bold** @everyone <#123></p>") == "**bold** @everyone <#123>"


def test_plain_text_and_empty_input() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    assert html_to_text("just words") == "just words"


def test_first_and_rest_paragraphs() -> None:
    text = "One line.\nStill one.\n\n  \nTwo.\n\nThree."
    assert first_paragraph(text) == "One line.\nStill one."
    assert rest_paragraphs(text) == "Two.\n\nThree."
    assert first_paragraph("") == ""
    assert rest_paragraphs("Only.") == ""


def test_limit_stops_reading_text() -> None:
    """The walk stops past the limit; the HTML read is bounded by it too (the caller cuts)."""
    text = html_to_text("<p>" + "word " * 100_000 + "</p>", limit=1_000)
    assert 1_000 <= len(text) <= 1_001 * HTML_PER_TEXT
    many = html_to_text("".join(f"<p>{n}</p>" for n in range(10_000)), limit=100)
    assert 100 <= len(many) < 200


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 100_000 + "deep",
        "<ul><li>" * 100_000 + "deep",
        "<p>" + "<b>x</b> " * 200_000 + "</p>",
        "<a" * 300_000,
        "<p>" + "word " * 200_000 + "</p>",
    ],
    ids=["nested-divs", "nested-lists", "many-tags", "unclosed-tags", "one-megabyte"],
)
def test_hostile_html_costs_bounded_time(html: str) -> None:
    """Lexbor's tree building is quadratic in nesting depth: only MAX_TAGS tags are read."""
    started = time.perf_counter()
    html_to_text(html, limit=100_000)
    assert time.perf_counter() - started < 2


def test_text_after_the_tag_bound_is_left_out() -> None:
    html = "<p>x</p>" * MAX_TAGS
    assert html_to_text(html).count("x") == MAX_TAGS // 2
