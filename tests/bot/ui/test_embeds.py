"""Embeds from briefs: the shared examples exactly, and every Discord limit for any brief."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import limits
from bot.brief.pages import paginate
from bot.brief.parsing import parse_brief
from bot.brief.text import display_title, headline
from bot.ui.components import list_view
from bot.ui.embeds import (
    BRIEF_COLOUR,
    LIST_TITLE_CHARS,
    NO_ARTICLE,
    NO_TOPICS,
    TOPICS,
    article_embed,
    embed_size,
    format_date,
    list_embed,
    search_results_embed,
    summary_embed,
    topics_embed,
)
from storage.links import EMBED_URL, shown_link
from storage.models import STORED, Brief, BriefContent, SearchHit
from storage.topics import MAX_TOPICS, TOPIC_MAX_CHARS, TopicCount
from tests.helpers import EXAMPLES, ROOT

PUBLISHED = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

COMET = BriefContent(
    title="A bright comet returns this weekend",
    what_happened=(
        "A comet last seen from Earth about 6,000 years ago will be bright enough to see "
        "without a telescope this weekend."
    ),
    who_was_involved=(
        "Astronomers at the Northfield Observatory, who first measured its unexpected brightening."
    ),
    when_and_where=(
        "Saturday and Sunday, just after sunset, low in the western sky across the northern "
        "hemisphere."
    ),
    key_quote="“Find a dark spot, look west, and give your eyes ten minutes,” said Dr. Amal Reyes.",
    impact="Observatories are extending their opening hours and expect record numbers of visitors.",
    body=(
        "The comet brightened much faster than models predicted as it passed the Sun last month, "
        "and it has kept a long, faint tail.\n\n"
        "Binoculars will show the tail clearly. City lights make the comet harder to see, so "
        "astronomers recommend driving at least twenty minutes out of town.\n\n"
        "After this weekend the comet will fade quickly as it moves away from the Sun."
    ),
)

HARBOR = BriefContent(
    title=(
        "The Harbor City council approved a plan to build 14 km of protected bike lanes across "
        "the downtown core."
    ),
    what_happened=(
        "The Harbor City council approved a plan to build 14 km of protected bike lanes across "
        "the downtown core."
    ),
    who_was_involved=(
        "Mayor Lena Ortiz, the council's transport committee, the regional cyclists' union and "
        "the Main Street business association."
    ),
    when_and_where=(
        "Harbor City Hall, at Tuesday evening's council session; construction runs from March to "
        "October next year."
    ),
    key_quote=(
        "“Streets belong to everyone who uses them, not only to those who drive,” said Mayor "
        "Ortiz after the vote."
    ),
    impact=(
        "Two car lanes on Main Street will close during construction, and the city expects "
        "cycling trips downtown to double within three years."
    ),
    body=(
        "The vote, 7 to 2, ends a two-year debate over how to redesign the downtown corridor, "
        "where traffic injuries have risen for four years in a row.\n\n"
        "Under the plan, concrete barriers will separate cyclists from car traffic on six "
        "streets, and twelve intersections will get dedicated signals for bikes.\n\n"
        "Shop owners on Main Street had asked the council to delay construction until after the "
        "holiday season. The council agreed to pause work between mid-November and early "
        "January.\n\n"
        "The project is funded by a regional transport grant and a share of the city's parking "
        "revenue. Its full cost is estimated at 38 million."
    ),
)

FIELD_NAMES = ["👤 WHO WAS INVOLVED", "📍 WHEN & WHERE", "💬 KEY QUOTE", "🎯 IMPACT"]


def stored(content: BriefContent, brief_id: int = 42, **changes: Any) -> Brief:
    data = content.model_dump() | {"id": brief_id, "created_at": CREATED} | changes
    return Brief.model_validate(data)


def assert_within_limits(embed: discord.Embed) -> dict[str, Any]:
    """Check every embed limit Discord enforces; return the payload for further checks."""
    data: dict[str, Any] = dict(embed.to_dict())
    assert len(data.get("title", "")) <= limits.EMBED_TITLE
    assert len(data.get("description", "")) <= limits.EMBED_DESCRIPTION
    fields = data.get("fields", [])
    assert len(fields) <= limits.EMBED_FIELDS
    for field in fields:
        assert field["name"].strip()
        assert field["value"].strip()
        assert len(field["name"]) <= limits.EMBED_FIELD_NAME
        assert len(field["value"]) <= limits.EMBED_FIELD_VALUE
    assert len(data.get("footer", {}).get("text", "")) <= limits.EMBED_FOOTER
    assert len(data.get("author", {}).get("name", "")) <= limits.EMBED_AUTHOR_NAME
    assert embed_size(embed) == len(embed)
    assert embed_size(embed) <= limits.EMBEDS_TOTAL
    for link in (data.get("url"), data.get("image", {}).get("url")):
        assert link is None or shown_link(link, limit=EMBED_URL) == link
    return data


def assert_verbatim_or_cut(shown: str, original: str) -> None:
    """Publisher text is shown as written, or cut short with an ellipsis."""
    original = original.strip()
    if shown != original:
        assert shown.endswith("…")
        assert len(shown) <= len(original)
        assert original.startswith(shown[:-1])


# --- the shared examples, exactly -------------------------------------------------------


def test_comet_summary_exactly() -> None:
    brief = stored(COMET, published_at=PUBLISHED)
    embed = summary_embed(brief)
    data = assert_within_limits(embed)
    assert data["title"] == "A bright comet returns this weekend"
    assert data["description"] == COMET.what_happened
    assert [(f["name"], f["value"], f["inline"]) for f in data["fields"]] == [
        ("👤 WHO WAS INVOLVED", COMET.who_was_involved, False),
        ("📍 WHEN & WHERE", COMET.when_and_where, False),
        ("💬 KEY QUOTE", COMET.key_quote, False),
        ("🎯 IMPACT", COMET.impact, False),
    ]
    assert data["footer"] == {"text": "Brief #42 · Published 25 Nov 2026"}
    assert embed.timestamp == PUBLISHED
    assert embed.colour == BRIEF_COLOUR
    assert embed.url is None
    assert embed.image.url is None


def test_harbor_summary_exactly() -> None:
    embed = summary_embed(stored(HARBOR, brief_id=7))
    data = assert_within_limits(embed)
    # Untitled: WHAT HAPPENED's one sentence is the title, shown once (no description).
    assert data["title"] == (
        "The Harbor City council approved a plan to build 14 km of protected bike lanes across "
        "the downtown core."
    )
    assert "description" not in data
    assert [f["name"] for f in data["fields"]] == FIELD_NAMES
    assert [f["value"] for f in data["fields"]] == [
        HARBOR.who_was_involved,
        HARBOR.when_and_where,
        HARBOR.key_quote,
        HARBOR.impact,
    ]
    # Not published at a set time: the date it was stored stands in.
    assert data["footer"] == {"text": "Brief #7 · Published 26 Nov 2026"}
    assert embed.timestamp == CREATED


@pytest.mark.parametrize(
    ("name", "content"), [("comet-weekend", COMET), ("harbor-bike-lanes", HARBOR)]
)
def test_parsed_examples_render_like_the_hand_built_ones(name: str, content: BriefContent) -> None:
    parsed = parse_brief((EXAMPLES / f"{name}.txt").read_text(encoding="utf-8"))
    assert summary_embed(parsed).to_dict() == summary_embed(content).to_dict()
    assert paginate(parsed.body) == paginate(content.body)


SAMPLES = sorted([*EXAMPLES.glob("*.txt"), *(ROOT / "docs" / "examples").glob("*.txt")])


def sentences(text: str) -> list[str]:
    """The sentences of some text, as whole words, for finding one shown twice."""
    return [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_show_no_sentence_twice(path: Path) -> None:
    brief = stored(parse_brief(path.read_text(encoding="utf-8")))
    data = assert_within_limits(summary_embed(brief))
    shown = [data.get("title", ""), data.get("description", "")]
    shown += [field["value"] for field in data["fields"]]
    said = [sentence for part in shown for sentence in sentences(part)]
    assert len(said) == len(set(said))
    assert " ".join(brief.what_happened.split()) in " ".join(shown[:2])  # all of it, once


def test_the_format_sample_without_a_title_is_read_as_one_sentence_once() -> None:
    untitled = (ROOT / "docs" / "examples" / "01-harbor-bike-lanes.txt").read_text("utf-8")
    assert not untitled.startswith("#")
    data = summary_embed(stored(parse_brief(untitled))).to_dict()
    assert data["title"] == HARBOR.what_happened
    assert "description" not in data


def test_an_untitled_brief_shows_its_first_sentence_as_title_and_the_rest_beneath() -> None:
    brief = parse_brief(
        "❓WHAT HAPPENED: The ferry is back. It runs hourly.\n🎯IMPACT: Fewer cars."
    )
    data = assert_within_limits(summary_embed(brief))
    assert (data["title"], data["description"]) == ("The ferry is back.", "It runs hourly.")
    # The article page has no WHAT HAPPENED, so it names the brief by its title.
    assert article_embed(brief, ["page"], 0).title == "The ferry is back."


def test_an_untitled_brief_whose_first_sentence_is_too_long_shows_it_once_untitled() -> None:
    what = "The council " + "met again and " * 30 + "voted. Then it closed."
    brief = parse_brief(f"❓WHAT HAPPENED: {what}")
    assert brief.title.endswith("…")  # the derived title lists and search show
    data = assert_within_limits(summary_embed(brief))
    assert "title" not in data
    assert data["description"] == what


def test_a_title_of_its_own_shows_over_the_whole_of_what_happened() -> None:
    brief = parse_brief("# Ferry back\n❓WHAT HAPPENED: The ferry is back. It runs hourly.")
    data = summary_embed(brief).to_dict()
    assert (data["title"], data["description"]) == ("Ferry back", brief.what_happened)


def assert_cut_at_a_word(shown: str, original: str, limit: int) -> None:
    """Shown whole, or cut within `limit` at the end of a word, with an ellipsis."""
    original = " ".join(original.split())
    assert len(shown) <= limit
    if shown != original:
        assert shown.endswith("…")
        head = shown.removesuffix("…")
        assert original.startswith(head)
        assert original[len(head)] in " ,;:"  # the next word (or its punctuation) was cut


LONG_LEAD = (
    "A comet last seen from Earth about 6,000 years ago, when the first cities were being "
    "built along the great rivers of the world, will be bright enough to see without a "
    "telescope from every continent this weekend, astronomers said on Thursday."
)


def test_list_and_search_rows_cut_a_long_derived_title_at_a_word() -> None:
    brief = stored(parse_brief(f"❓WHAT HAPPENED: {LONG_LEAD}"), published_at=PUBLISHED)
    assert brief.title == LONG_LEAD
    line = list_embed([brief], page=0, pages=1, total=1).description
    assert line is not None
    name = line.split("**")[1]
    assert_cut_at_a_word(name, LONG_LEAD, LIST_TITLE_CHARS)
    hit = SearchHit(
        brief_id=42, title=brief.title, snippet="", rank=1, published_at=None, created_at=CREATED
    )
    found = search_results_embed("comet", [hit], page=0, pages=1, total=1).description
    assert found is not None
    assert found.split("**")[1] == name
    assert display_title(brief, LIST_TITLE_CHARS) == name


@pytest.mark.parametrize("limit", [20, 45, 77, 100, 150])
def test_display_title_cuts_at_a_word_with_an_ellipsis(limit: int) -> None:
    brief = parse_brief(f"❓WHAT HAPPENED: {LONG_LEAD}")
    shown = display_title(brief, limit)
    assert_cut_at_a_word(shown, LONG_LEAD, limit)
    assert not shown.removesuffix("…").endswith((",", " "))


def test_display_title_is_one_line() -> None:
    brief = BriefContent(title="Ferry\nback  today", what_happened="x")
    assert display_title(brief, 100) == "Ferry back today"
    assert display_title(brief, 12) == "Ferry back…"


def test_the_opener_under_a_list_shows_each_brief_once_cut_at_a_word() -> None:
    untitled = stored(parse_brief(f"❓WHAT HAPPENED: {LONG_LEAD} It fades next week."), 9)
    titled = stored(COMET, 42)
    rows = [(b.id, b.title, headline(b).text) for b in (untitled, titled)]
    (select,) = [
        item for item in list_view(rows, page=0, pages=1).children if hasattr(item, "options")
    ]
    first, second = select.options
    assert first.label.startswith("#9 · ")
    assert_cut_at_a_word(first.label.removeprefix("#9 · "), LONG_LEAD, 100 - len("#9 · "))
    assert first.description == "It fades next week."  # the rest, not the lead again
    assert second.label == "#42 · A bright comet returns this weekend"
    assert second.description is not None
    assert COMET.what_happened.startswith(second.description.removesuffix("…"))


def test_comet_article_exactly() -> None:
    brief = stored(COMET)
    pages = paginate(brief.body)
    assert pages == [COMET.body]
    data = assert_within_limits(article_embed(brief, pages, 0))
    assert data["title"] == COMET.title
    assert data["description"] == COMET.body
    assert data["footer"] == {"text": "Brief #42 · page 1/1"}


# --- summary details ----------------------------------------------------------------------


def test_preview_footer_and_timestamp() -> None:
    embed = summary_embed(COMET)
    assert embed.footer.text == "Preview · not yet published"
    assert embed.timestamp is None
    published = COMET.model_copy(update={"published_at": PUBLISHED})
    assert summary_embed(published).timestamp == PUBLISHED


def test_explicit_id_for_content() -> None:
    assert summary_embed(COMET, brief_id=9).footer.text == "Brief #9"
    published = COMET.model_copy(update={"published_at": datetime(2026, 3, 3, tzinfo=UTC)})
    assert summary_embed(published, brief_id=9).footer.text == "Brief #9 · Published 3 Mar 2026"


def test_published_date_is_the_publishers_own_day() -> None:
    late = datetime(2026, 11, 25, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    footer = summary_embed(stored(COMET, published_at=late)).footer.text
    assert footer == "Brief #42 · Published 25 Nov 2026"
    assert format_date(datetime(2026, 1, 5)) == "5 Jan 2026"


def test_missing_sections_are_absent() -> None:
    only = BriefContent(title="T", what_happened="Something happened.", key_quote="  ")
    embed = summary_embed(only)
    assert embed.fields == []
    some = BriefContent(title="T", what_happened="W", when_and_where="Here", impact="Big")
    assert [f.name for f in summary_embed(some).fields] == ["📍 WHEN & WHERE", "🎯 IMPACT"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/story?id=1", "https://example.com/story?id=1"),
        ("HTTP://example.com", "HTTP://example.com"),
        ("javascript:alert(1)", None),
        ("ftp://example.com/a", None),
        ("https://", None),
        ("https://exa mple.com", None),
        (" https://example.com", None),
        ("example.com", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_only_http_urls_are_linked(url: str | None, expected: str | None) -> None:
    assert shown_link(url, limit=EMBED_URL) == expected
    content = COMET.model_copy(update={"source_url": url, "image_url": url})
    embed = summary_embed(content)
    assert embed.url == expected
    assert embed.image.url == expected
    assert article_embed(content, ["page"], 0).url == expected


def test_text_is_verbatim_markdown_and_mentions_included() -> None:
    text = "**Breaking:** @everyone <@123> _said_ `x` > quote"
    embed = summary_embed(BriefContent(title=f"{text}!", what_happened=text, impact=text))
    assert embed.title == f"{text}!"
    assert embed.description == text
    assert embed.fields[0].value == text


def test_oversized_brief_is_shrunk_to_the_total_with_ellipses() -> None:
    long = "word " * 3000
    content = BriefContent(
        title="t " * 500,
        what_happened=long,
        who_was_involved=long,
        when_and_where=long,
        key_quote=long,
        impact=long,
    )
    embed = summary_embed(content, brief_id=1)
    data = assert_within_limits(embed)
    assert len(data["title"]) <= limits.EMBED_TITLE
    assert data["title"].endswith("…")
    assert data["description"].endswith("…")
    assert all(f["value"].endswith("…") for f in data["fields"])
    assert embed_size(embed) > limits.EMBEDS_TOTAL - 200  # shrunk only as far as needed


def test_spaceless_section_is_cut_hard() -> None:
    content = BriefContent(title="x" * 1000, what_happened="y" * 10_000, impact="z" * 5000)
    data = assert_within_limits(summary_embed(content))
    assert data["title"] == "x" * (limits.EMBED_TITLE - 1) + "…"
    assert data["fields"][0]["value"] == "z" * (limits.EMBED_FIELD_VALUE - 1) + "…"


# --- article ------------------------------------------------------------------------------


def test_article_page_footer_and_clamping() -> None:
    pages = ["one", "two", "three", "four", "five", "six", "seven"]
    brief = stored(COMET)
    embed = article_embed(brief, pages, 1)
    assert embed.description == "two"
    assert embed.footer.text == "Brief #42 · page 2/7"
    assert article_embed(brief, pages, 99).footer.text == "Brief #42 · page 7/7"
    assert article_embed(brief, pages, -3).description == "one"
    assert article_embed(COMET, pages, 0).footer.text == "Preview · page 1/7"


def test_no_article() -> None:
    embed = article_embed(stored(COMET, body=""), [], 0)
    assert embed.description == NO_ARTICLE
    assert embed.footer.text == "Brief #42"
    assert embed.title == COMET.title


# --- list and search ----------------------------------------------------------------------


def test_list_lines() -> None:
    briefs = [stored(COMET, brief_id=42, published_at=PUBLISHED), stored(HARBOR, brief_id=7)]
    data = assert_within_limits(list_embed(briefs, page=0, pages=3, total=23))
    assert data["description"].splitlines() == [
        "`#42` **A bright comet returns this weekend** · 25 Nov 2026",
        f"`#7` **{HARBOR.title}** · 26 Nov 2026",
    ]
    assert data["footer"]["text"] == "Page 1/3 · 23 briefs"


def test_empty_list_and_search() -> None:
    assert list_embed([], page=0, pages=1, total=0).description
    assert search_results_embed("comet", [], page=0, pages=1, total=0).description


def test_search_lines() -> None:
    hit = SearchHit(
        brief_id=42,
        title="A bright comet\nreturns",
        snippet="…a [comet] last seen\nabout 6,000 years ago…",
        rank=1.5,
        published_at=None,
        created_at=CREATED,
    )
    data = assert_within_limits(search_results_embed("comet", [hit], page=1, pages=2, total=6))
    assert data["title"] == "🔎 Results for “comet”"
    assert data["description"] == (
        "`#42` **A bright comet returns** · 26 Nov 2026\n"
        "…a [comet] last seen about 6,000 years ago…"
    )
    assert data["footer"]["text"] == "Page 2/2 · 6 results"


# --- generated worst cases ----------------------------------------------------------------

TOKENS = st.sampled_from(
    [
        "word",
        " ",
        " ",
        "\n",
        "\n\n",
        "é",
        "e\u0301\u0301",
        "中文字",
        "。",
        "👍🏽",
        "👩\u200d👩\u200d👧",
        "**",
        "@everyone",
        "<@1234567890>",
        ".",
        "y" * 40,
    ]
)
HEADS = st.sampled_from(["A", "中", "👍", "é", "@here", "*"])


def text_of(max_size: int) -> st.SearchStrategy[str]:
    """Text of up to max_size chars, cheap to generate even when huge; never blank."""
    return st.builds(
        lambda head, unit, size: head + (unit * (size // len(unit) + 1))[:size],
        HEADS,
        st.lists(TOKENS, min_size=1, max_size=12).map("".join),
        st.integers(min_value=0, max_value=max_size),
    )


OPTIONAL = st.one_of(st.none(), text_of(100_000))
#: Links as stored before the link rule, too: renderers must leave out what Discord refuses.
URLS = st.sampled_from(
    [
        None,
        "https://example.com/a.png",
        "javascript:x",
        "not a url",
        "https://example.com/a b",
        "https://example.com/" + "a" * 600,
        "https://example.com/" + "a" * 3000,
    ]
)


def stored_content(**fields: Any) -> BriefContent:
    """Content as read back from the database: checked when stored, by the rules of then."""
    return BriefContent.model_validate(fields, context=STORED)


CONTENTS = st.builds(
    stored_content,
    title=text_of(1000),
    what_happened=text_of(100_000),
    who_was_involved=OPTIONAL,
    when_and_where=OPTIONAL,
    key_quote=OPTIONAL,
    impact=OPTIONAL,
    body=st.one_of(st.just(""), text_of(100_000)),
    source_url=URLS,
    image_url=URLS,
    #: As stored before the topic rules, too: any number, any length.
    topics=st.lists(st.one_of(text_of(60), st.sampled_from(["", " ", "\n"])), max_size=30),
    published_at=st.one_of(st.none(), st.just(PUBLISHED)),
)

WORST = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@given(content=CONTENTS, brief_id=st.one_of(st.none(), st.integers(1, 2**63 - 1)))
@WORST
def test_summary_within_limits_for_any_brief(content: BriefContent, brief_id: int | None) -> None:
    embed = summary_embed(content, brief_id=brief_id)
    data = assert_within_limits(embed)
    title, text = headline(content)
    if title is None:
        assert "title" not in data
    else:
        assert_verbatim_or_cut(data["title"], title)
    if text.strip():
        assert_verbatim_or_cut(data["description"], text)
    else:
        assert "description" not in data
    present = [
        (name, content.section(field))
        for name, field in zip(
            FIELD_NAMES, ["who_was_involved", "when_and_where", "key_quote", "impact"], strict=True
        )
        if content.section(field) is not None
    ]
    topics = [tag for tag in content.topics if tag.strip()]
    names = [name for name, _ in present] + ([TOPICS] if topics else [])
    assert [f["name"] for f in data.get("fields", [])] == names
    for field, (_, original) in zip(data.get("fields", []), present, strict=False):
        assert original is not None
        assert_verbatim_or_cut(field["value"], original)


@given(content=CONTENTS)
@WORST
def test_every_article_page_within_limits(content: BriefContent) -> None:
    brief = Brief.model_validate(
        content.model_dump() | {"id": 5, "created_at": CREATED}, context=STORED
    )
    pages = paginate(brief.body)
    for index in range(max(len(pages), 1)):
        data = assert_within_limits(article_embed(brief, pages, index))
        if pages:
            assert data["description"] == pages[index]
            assert data["footer"]["text"] == f"Brief #5 · page {index + 1}/{len(pages)}"


def test_article_embed_survives_oversized_pages() -> None:
    pages = ["x" * 10_000, "word " * 3000, " \n "]
    for index in range(len(pages)):
        assert_within_limits(
            article_embed(COMET.model_copy(update={"title": "t" * 999}), pages, index)
        )


BRIEFS = st.lists(
    st.builds(
        lambda content, brief_id: Brief.model_validate(
            content.model_dump() | {"id": brief_id, "created_at": CREATED}, context=STORED
        ),
        st.builds(BriefContent, title=text_of(1000), what_happened=text_of(10)),
        st.integers(1, 2**63 - 1),
    ),
    max_size=40,
)


@given(briefs=BRIEFS)
@WORST
def test_list_within_limits(briefs: list[Brief]) -> None:
    data = assert_within_limits(list_embed(briefs, page=0, pages=1, total=len(briefs)))
    description = data["description"]
    shown = [brief for brief in briefs if f"`#{brief.id}`" in description]
    if len(shown) < len(briefs):
        assert description.endswith(f"…and {len(briefs) - len(shown)} more")


HITS = st.lists(
    st.builds(
        SearchHit,
        brief_id=st.integers(1, 2**63 - 1),
        title=text_of(1000),
        snippet=st.one_of(st.just(""), text_of(5000)),
        rank=st.floats(allow_nan=False),
        published_at=st.one_of(st.none(), st.just(PUBLISHED)),
        created_at=st.just(CREATED),
    ),
    min_size=25,
    max_size=60,
)


@given(query=text_of(1000), hits=HITS)
@WORST
def test_search_within_limits(query: str, hits: list[SearchHit]) -> None:
    data = assert_within_limits(search_results_embed(query, hits, page=3, pages=99, total=10_000))
    assert data["footer"]["text"] == "Page 4/99 · 10,000 results"


# --- topics -------------------------------------------------------------------------------


def test_summary_shows_the_topics_last() -> None:
    brief = stored(COMET.model_copy(update={"topics": ["space", "local_news", "*stars*"]}))
    embed = summary_embed(brief, correction="An earlier version gave the wrong day.")
    assert [field.name for field in embed.fields][-2:] == ["✏️ Correction", TOPICS]
    assert embed.fields[-1].value == "space · local\\_news · \\*stars\\*"
    assert embed.fields[-1].inline is False


def test_summary_without_topics_has_no_topics_field() -> None:
    assert TOPICS not in [field.name for field in summary_embed(stored(COMET)).fields]


def test_most_topics_fit_beside_the_longest_brief() -> None:
    tags = [f"{n:02d}" + "t" * (TOPIC_MAX_CHARS - 2) for n in range(MAX_TOPICS)]
    huge = "word " * 20_000
    content = BriefContent(
        title="t" * 256,
        what_happened=huge,
        who_was_involved=huge,
        when_and_where=huge,
        key_quote=huge,
        impact=huge,
        topics=tags,
    )
    data = assert_within_limits(summary_embed(content, correction="c" * 500))
    assert data["fields"][-1]["name"] == TOPICS
    assert data["fields"][-1]["value"].startswith("00tttt")


def test_list_and_search_of_one_topic_say_so() -> None:
    listed = list_embed([], page=0, pages=1, total=0, topic="local news")
    assert listed.title == "📚 Briefs · 🏷️ local news"
    found = search_results_embed("comet", [], page=0, pages=1, total=0, topic="space")
    assert found.title == "🔎 Results for “comet” in 🏷️ space"


def test_topics_page_lists_names_and_counts() -> None:
    topics = [TopicCount("sport", "sport", 12, ("sport",)), TopicCount("Ça va", "ça va", 1, ())]
    embed = topics_embed(topics, page=0, pages=2, total=30)
    assert embed.description == "**sport** · 12 briefs\n**Ça va** · 1 brief"
    assert embed.footer.text == "Page 1/2 · 30 topics"
    assert topics_embed([], page=0, pages=1, total=0).description == NO_TOPICS


@given(
    topics=st.lists(
        st.builds(
            lambda name, n: TopicCount(name, name, n, (name,)),
            text_of(TOPIC_MAX_CHARS),
            st.integers(1, 10**9),
        ),
        max_size=25,
    )
)
@WORST
def test_topics_page_within_limits(topics: list[TopicCount]) -> None:
    assert_within_limits(topics_embed(topics, page=0, pages=1, total=len(topics)))
