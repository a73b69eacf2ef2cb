"""Tests for bot.parsing: the brief text format, its inverse, JSON import and file dispatch."""

from __future__ import annotations

import contextlib
import json
import pickle
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.brief.files import load_briefs
from bot.brief.parsing import BriefParseError, format_brief, parse_brief, parse_brief_json
from bot.errors import UserFacingError
from storage.models import SECTIONS, Brief, BriefContent
from tests.helpers import EXAMPLES, fixture

TEXT_FIELDS = ("title", *(section.field for section in SECTIONS), "body")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def text_fields(content: BriefContent) -> dict[str, Any]:
    return {field: getattr(content, field) for field in TEXT_FIELDS}


def example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


# --- the shared examples ------------------------------------------------------------------


def test_comet_example() -> None:
    brief = parse_brief(example("comet-weekend.txt"))
    assert brief.title == "A bright comet returns this weekend"
    assert brief.what_happened == (
        "A comet last seen from Earth about 6,000 years ago will be bright enough to see "
        "without a telescope this weekend."
    )
    assert brief.who_was_involved == (
        "Astronomers at the Northfield Observatory, who first measured its unexpected brightening."
    )
    assert brief.when_and_where is not None
    assert brief.when_and_where.startswith("Saturday and Sunday, just after sunset")
    assert brief.key_quote == (
        "“Find a dark spot, look west, and give your eyes ten minutes,” said Dr. Amal Reyes."
    )
    assert brief.impact == (
        "Observatories are extending their opening hours and expect record numbers of visitors."
    )
    assert brief.body.startswith("The comet brightened much faster than models predicted")
    assert brief.body.endswith(
        "After this weekend the comet will fade quickly as it moves away from the Sun."
    )
    assert brief.body.count("\n\n") == 2
    assert "---" not in brief.body


def test_harbor_example_without_title_or_separator() -> None:
    brief = parse_brief(example("harbor-bike-lanes.txt"))
    assert brief.title == (
        "The Harbor City council approved a plan to build 14 km of protected bike lanes "
        "across the downtown core."
    )
    assert brief.what_happened == brief.title
    assert brief.who_was_involved == (
        "Mayor Lena Ortiz, the council's transport committee, the regional cyclists' union "
        "and the Main Street business association."
    )
    assert brief.key_quote is not None
    assert brief.key_quote.startswith("“Streets belong to everyone")
    assert brief.impact == (
        "Two car lanes on Main Street will close during construction, and the city expects "
        "cycling trips downtown to double within three years."
    )
    assert brief.body.startswith("The vote, 7 to 2, ends a two-year debate")
    assert brief.body.endswith("Its full cost is estimated at 38 million.")
    assert brief.body.count("\n\n") == 3


@pytest.mark.parametrize("name", ["comet-weekend.txt", "harbor-bike-lanes.txt"])
def test_examples_round_trip_and_accept_bytes(name: str) -> None:
    text = example(name)
    brief = parse_brief(text)
    assert parse_brief(text.encode("utf-8")) == brief
    assert parse_brief(format_brief(brief)) == brief
    assert load_briefs(text.encode("utf-8"), name) == [brief]


# --- valid fixtures -----------------------------------------------------------------------

VALID: dict[str, dict[str, Any]] = {
    "emoji-variants.txt": {
        "title": "Ferry service resumes after storm",
        "what_happened": "Ferries between the mainland and Gull Island are running again "
        "after a three-day storm.",
        "who_was_involved": "The Island Ferry Company and the coast guard.",
        "when_and_where": "From 6 a.m. on Friday, at both harbours.",
        "key_quote": "“We are running extra boats until the backlog clears,” a spokesperson said.",
        "impact": "About 2,000 stranded travellers can get home this weekend.",
        "body": "The storm closed the route on Tuesday.",
    },
    "no-emoji-separators.txt": {
        "title": "The library will open on Sundays from next month.",
        "who_was_involved": "The city library board and the staff union.",
        "when_and_where": "All five branches, starting 1 June.",
        "key_quote": "“Sunday is when families have time,” said the head librarian.",
        "impact": "Weekend opening hours rise from 8 to 14.",
        "body": "The board voted unanimously on Monday.",
    },
    "bold-italic-labels.txt": {
        "what_happened": "A new bridge opened over the Rhyne river.",
        "who_was_involved": "The regional transport authority.",
        "when_and_where": "Rhyne Crossing, on Saturday morning.",
        "key_quote": "“It took eleven years,” said the chief engineer.",
        "impact": "Commutes between the two towns shrink by 25 minutes.",
        "body": "The bridge carries two lanes and a cycle path.",
    },
    "crlf-bom-trailing-spaces.txt": {
        "title": "Water main repaired",
        "what_happened": "A burst water main on Elm Street has been repaired.",
        "who_was_involved": "City water crews.",
        "impact": None,
        "body": "Water pressure is back to normal.\n\n"
        "Residents should run their taps for a minute.",
    },
    "cr-only.txt": {
        "title": "Night market returns",
        "what_happened": "The riverside night market is back for the summer.",
        "who_was_involved": None,
        "when_and_where": "Every Friday, Riverside Park.",
        "body": "Sixty stalls have signed up.",
    },
    "blank-lines-title-line.txt": {
        "title": "School lunches go free",
        "what_happened": "All primary school pupils will get free lunches from September.",
        "who_was_involved": "The education ministry.",
        "when_and_where": None,
        "key_quote": None,
        "impact": "Families save about 400 a year per child.",
        "body": "The scheme costs 90 million a year.",
    },
    "missing-optional-sections.txt": {
        "title": "Heavy snow closed the mountain pass on Monday.",
        "what_happened": "Heavy snow closed the mountain pass on Monday. "
        "Crews expect to reopen it by Wednesday.",
        "who_was_involved": None,
        "when_and_where": None,
        "key_quote": "“Do not attempt the pass without chains,” police said.",
        "impact": None,
        "body": "Impact of the closure on deliveries is still unclear.\n\n"
        "IMPACT-free detours are signposted in the valley.",
    },
    "long-article-multiline.txt": {
        "title": "Harbour dredging plan approved",
        "what_happened": "The port authority approved a plan to deepen the harbour channel.\n"
        "The work starts in spring.\n\nIt will take two years.",
        "who_was_involved": "The port authority board,\n    the fishing cooperative,\n"
        "    and two environmental groups.",
        "impact": "Larger ships can dock.\nFishing zones move during the works.",
        "body": "The channel will be deepened from 9 to 13 metres.\n\n"
        "Environmental groups asked for seasonal pauses to protect spawning grounds. "
        "The board agreed to stop work in May and June.\n\n"
        "    Indented quote paragraph stays indented.\n\n"
        "***\n\n"
        "A later section of the article, after a scene break.\n\n"
        "Subscribe to our newsletter for more harbour news!\n\n"
        "Comment below and share this story.",
    },
    "scripts-and-quotes.txt": {
        "title": "東京で桜が満開 🌸",
        "what_happened": "東京の桜が平年より5日早く満開になった。",
        "who_was_involved": "気象庁 — and “Hanami” fans in Ueno Park.",
        "when_and_where": "الحديقة المركزية، طوكيو — on Sunday.",
        "key_quote": "‘It’s the earliest we’ve seen,’ said a forecaster. 🌸🌸",
        "impact": "Parks expect 🚶\u200d♀️ crowds of 1.5 million.",
        "body": "السلام عليكم — “curly” quotes and ‘single’ ones stay as written…\n\n"
        "满开的樱花。👨\u200d👩\u200d👧",
    },
    "lowercase-labels.txt": {
        "title": "City budget passes",
        "what_happened": "The city council passed its budget for next year.",
        "who_was_involved": "all nine council members.",
        "when_and_where": None,
        "key_quote": "“A careful budget for careful times,” the treasurer said.",
        "impact": "property taxes stay flat.",
        "body": "Parks get 3% more money.",
    },
    "lowercase-space-separated.txt": {
        "title": "The council closed Bridge Street for repairs.",
        "what_happened": "The council closed Bridge Street for repairs.",
        "who_was_involved": "The council and the city's road crews.\n"
        "Impact of the closure on bus routes is still being studied.",
        "when_and_where": "Bridge Street, from Monday, for three weeks.",
        "key_quote": "“We will work nights to finish early,” the road chief said.",
        "impact": "Roads closed.",
        "body": "When and where the detours run is signposted.\n\n"
        "impact of the works on shops will be reviewed in a month.",
    },
    "scene-break.txt": {
        "impact": "The street gets its first evening venue in a decade.",
        "body": "The building closed in 2009.\n\nVolunteers spent two years restoring it.\n\n"
        "* * *\n\nTickets go on sale next week.",
    },
    "multiline-last-section.txt": {
        "title": "The regional rail timetable changes on Sunday.",
        "impact": "- Trains every 15 minutes at peak times\n- Last train leaves at 00:40",
        "body": "The changes follow a year of consultation.",
    },
}


@pytest.mark.parametrize(("name", "expected"), VALID.items(), ids=list(VALID))
def test_valid_fixture(name: str, expected: dict[str, Any]) -> None:
    brief = parse_brief(fixture(name))
    assert {field: getattr(brief, field) for field in expected} == expected
    assert load_briefs(fixture(name), name) == [brief]
    assert parse_brief(format_brief(brief)) == brief


def test_strip_patterns_remove_trailing_boilerplate_only() -> None:
    patterns = [r"(?i)^subscribe\b", r"(?i)comment below"]
    brief = parse_brief(fixture("long-article-multiline.txt"), strip_patterns=patterns)
    assert brief.body.endswith("***\n\nA later section of the article, after a scene break.")
    text = (
        "❓WHAT HAPPENED: x\n---\nSubscribe now, in the middle.\n\nThe article.\n\n"
        "Subscribe today!\n\n\nSubscribe again!\n"
    )
    assert parse_brief(text, strip_patterns=patterns).body == (
        "Subscribe now, in the middle.\n\nThe article."
    )
    assert parse_brief(text).body.endswith("Subscribe again!")
    everything = parse_brief("❓WHAT HAPPENED: x\n---\nSubscribe\n", strip_patterns=patterns)
    assert everything.body == ""


def test_invalid_strip_pattern_is_a_parse_error() -> None:
    with pytest.raises(BriefParseError, match="not a valid regular expression"):
        parse_brief("❓WHAT HAPPENED: x", strip_patterns=["(unclosed"])


# --- invalid fixtures ---------------------------------------------------------------------

INVALID: dict[str, tuple[str, int | None]] = {
    "empty.txt": ("the brief is empty", None),
    "no-what-happened.txt": ("no ❓WHAT HAPPENED section found — every brief needs one", None),
    "empty-what-happened.txt": ("the WHAT HAPPENED section is empty", 1),
    "duplicate-label.txt": ("the WHO WAS INVOLVED section appears twice (first on line 3)", 4),
    "out-of-order.txt": ("the WHO WAS INVOLVED section must come before IMPACT (line 2)", 3),
    "text-before-sections.txt": ("unexpected text before the first section", 1),
    "empty-last-section.txt": ("the IMPACT section is empty — write its text on the label's", 2),
    "latin1.txt": ("the brief is not UTF-8 text", None),
    "utf16.txt": ("the brief is not UTF-8 text", None),
}


@pytest.mark.parametrize(("name", "expected"), INVALID.items(), ids=list(INVALID))
def test_invalid_fixture(name: str, expected: tuple[str, int | None]) -> None:
    message, line = expected
    with pytest.raises(BriefParseError) as caught:
        parse_brief(fixture(name))
    assert caught.value.message.startswith(message)
    assert caught.value.line == line
    assert str(caught.value) == (f"line {line}: " if line else "") + caught.value.message


def test_oversized_fixture_names_the_limit() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief(fixture("oversized.txt"), max_chars=1_000)
    assert caught.value.message == "the brief is 2,676 characters long; the limit is 1,000"
    assert parse_brief(fixture("oversized.txt"), max_chars=2_676).what_happened == "A long one."


def test_default_size_limit() -> None:
    head = "❓WHAT HAPPENED: x\n---\n"
    fits = head + "a" * (100_000 - len(head))
    assert len(parse_brief(fits).body) == 100_000 - len(head)
    with pytest.raises(BriefParseError, match="the limit is 100,000"):
        parse_brief(fits + "a")


def test_size_counts_characters_after_line_endings_are_normalised() -> None:
    text = "❓WHAT HAPPENED: x\r\n" * 3
    with pytest.raises(BriefParseError, match="appears twice"):
        parse_brief(text, max_chars=len(text) - 3)


def test_surrogates_are_not_utf8() -> None:
    with pytest.raises(BriefParseError, match="not UTF-8 text"):
        parse_brief("❓WHAT HAPPENED: \ud800")


@pytest.mark.parametrize(
    "line",
    [
        " " * 99_000 + "x",
        "title" + " " * 99_000 + "y",
        "**title" + "\t" * 99_000 + "y",
        "#" + " " * 99_000 + "x",
        "- " * 49_000 + "x",
        "what" + " " * 99_000 + "happened",
        "❓WHAT HAPPENED: a\nwhen" + " " * 49_000 + "and" + " " * 49_000 + "x",
        "❓" * 99_000,
    ],
)
def test_pathological_lines_stay_fast(line: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(BriefParseError):
        parse_brief(line)
    assert time.perf_counter() - started < 2


def test_error_is_user_facing_and_pickles() -> None:
    error = BriefParseError("the brief is empty", line=3)
    assert isinstance(error, UserFacingError)
    assert str(error) == "line 3: the brief is empty"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.line, str(copy)) == (error.message, 3, str(error))
    assert str(BriefParseError("plain")) == "plain"


# --- the ambiguous cases, settled ---------------------------------------------------------


def test_article_sentences_starting_with_a_label_word_stay_in_the_article() -> None:
    brief = parse_brief(
        "❓WHAT HAPPENED: The vote passed.\n"
        "🎯IMPACT: Taxes rise.\n"
        "Impact of the vote was felt at once.\n\n"
        "IMPACT: even a real-looking label after IMPACT is article text.\n"
        "What happened next surprised everyone.\n"
    )
    assert brief.impact == "Taxes rise."
    assert brief.body.startswith("Impact of the vote was felt at once.\n\nIMPACT: even")


def test_label_needs_a_marker_unless_in_capitals() -> None:
    brief = parse_brief(
        "WHAT HAPPENED The vote passed.\n"
        "Impact of the vote on the budget is unclear.\n"
        "Impact's size is unknown.\n"
        "IMPACT Taxes rise.\n"
    )
    assert brief.what_happened == (
        "The vote passed.\nImpact of the vote on the budget is unclear.\nImpact's size is unknown."
    )
    assert brief.impact == "Taxes rise."


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("impact   Roads closed.", "impact"),
        ("impact  Roads closed.", "impact"),
        ("impact\tRoads closed.", "impact"),
        ("Impact \t Roads closed.", "impact"),
        ("iMPACT   Roads closed.", "impact"),
        ("IMPACT Roads closed.", "impact"),
        ("  impact   Roads closed.", "impact"),
        ("impact\u00a0\u00a0Roads closed.", "impact"),
        ("who was involved   Roads closed.", "who_was_involved"),
        ("Who Was Involved\tRoads closed.", "who_was_involved"),
        ("who  was   involved   Roads closed.", "who_was_involved"),
        ("when and where   Roads closed.", "when_and_where"),
        ("When & Where   Roads closed.", "when_and_where"),
        ("when&where\tRoads closed.", "when_and_where"),
        ("key quote   Roads closed.", "key_quote"),
        ("Key Quote - Roads closed.", "key_quote"),
        ("Key quote — Roads closed.", "key_quote"),
        ("key quote: Roads closed.", "key_quote"),
        ("*Key Quote*   Roads closed.", "key_quote"),
    ],
)
def test_spaces_only_separator(line: str, field: str) -> None:
    # Capitals need one space; any other case a tab or two or more spaces (see the format doc).
    for tail in ("\n---\nArticle.", "\n\nArticle.", ""):
        brief = parse_brief(f"what happened   The vote passed.\n{line}{tail}")
        assert brief.what_happened == "The vote passed."
        assert brief.section(field) == "Roads closed."


@pytest.mark.parametrize(
    "line",
    [
        "Impact of the vote was felt at once.",
        "impact of the vote was felt at once.",
        "When and where the vote happens is unclear.",
        "when & where it happens is unclear.",
        "Key quote of the day: none.",
        "Who was involved is unclear.",
        "Impact",
        "key quote",
        "Impact's size is unknown.",
        "Impact-free detours exist.",
    ],
)
def test_label_words_with_one_space_stay_prose_in_the_summary(line: str) -> None:
    # A continuation line of WHO WAS INVOLVED: a label here would split or reorder sections.
    text = f"❓WHAT HAPPENED: a\nwho was involved   The council\n{line}\n🎯IMPACT: b\n---\nc"
    brief = parse_brief(text)
    assert brief.who_was_involved == f"The council\n{line}"
    assert (brief.when_and_where, brief.key_quote, brief.impact) == (None, None, "b")


def test_a_run_of_spaces_after_a_label_word_is_a_label_even_in_prose() -> None:
    # The price of the rule: a double space typed after a label word starts a section.
    brief = parse_brief("WHAT HAPPENED: a\nThe council.\nImpact  of the vote.\n\nArticle.")
    assert (brief.what_happened, brief.impact, brief.body) == (
        "a\nThe council.",
        "of the vote.",
        "Article.",
    )


def test_spaces_only_labels_in_the_article_are_article_text() -> None:
    after_rule = parse_brief("what happened   a\n---\nimpact   Roads closed.\n")
    assert (after_rule.impact, after_rule.body) == (None, "impact   Roads closed.")
    text = "what happened   a\nimpact   b\nArticle.\nkey quote   c\nimpact   d\n"
    after_impact = parse_brief(text)
    assert (after_impact.key_quote, after_impact.impact) == (None, "b")
    assert after_impact.body == "Article.\nkey quote   c\nimpact   d"
    with pytest.raises(BriefParseError, match="KEY QUOTE section must come before IMPACT"):
        parse_brief(text.replace("Article.\n", ""))


def test_a_lower_case_subheading_is_not_a_label() -> None:
    # No separator and no IMPACT: the whole text is searched for labels, subheadings included.
    text = "❓WHAT HAPPENED: a\n💬KEY QUOTE: q\nFirst paragraph.\n\nImpact\n\nMore.\n"
    brief = parse_brief(text)
    assert (brief.key_quote, brief.impact) == ("q", None)
    assert brief.body == "First paragraph.\n\nImpact\n\nMore."


def test_lower_case_label_with_one_space_is_not_the_first_section() -> None:
    with pytest.raises(BriefParseError, match="no ❓WHAT HAPPENED section"):
        parse_brief("what happened The vote passed.\nimpact Roads closed.")


def test_labels_after_the_separator_are_article_text() -> None:
    brief = parse_brief("❓WHAT HAPPENED: a\n---\n👤WHO WAS INVOLVED: b\n")
    assert brief.who_was_involved is None
    assert brief.body == "👤WHO WAS INVOLVED: b"


def test_without_impact_or_separator_a_marked_label_in_the_article_is_ambiguous() -> None:
    text = "❓WHAT HAPPENED: a\n💬KEY QUOTE: “q”\nArticle.\n\nImpact: read as the section.\n"
    brief = parse_brief(text)
    assert brief.key_quote == "“q”\nArticle."
    assert brief.impact == "read as the section."
    fixed = parse_brief(text.replace("“q”\n", "“q”\n---\n"))
    assert fixed.impact is None
    assert fixed.body == "Article.\n\nImpact: read as the section."


def test_separator_lets_the_last_section_span_lines() -> None:
    brief = parse_brief("❓WHAT HAPPENED: a\n🎯IMPACT:\n\nb\nc\n\nd\n\n---\nbody\n")
    assert (brief.impact, brief.body) == ("b\nc\n\nd", "body")


def test_without_a_summary_separator_a_rule_in_the_article_ends_the_summary() -> None:
    text = "❓WHAT HAPPENED: a\n🎯IMPACT: b\nc\n\nd\n***\ne\n"
    assert (parse_brief(text).impact, parse_brief(text).body) == ("b\nc\n\nd", "e")
    fixed = parse_brief(text.replace("b\n", "b\n---\n"))
    assert (fixed.impact, fixed.body) == ("b", "c\n\nd\n***\ne")


def test_empty_optional_section_is_absent() -> None:
    brief = parse_brief("❓WHAT HAPPENED: a\n👤WHO WAS INVOLVED:\n📍WHEN & WHERE: here\n")
    assert brief.who_was_involved is None
    assert brief.when_and_where == "here"
    assert parse_brief("❓WHAT HAPPENED: a\n🎯IMPACT:\n---\nbody").impact is None
    assert parse_brief("❓WHAT HAPPENED: a\n🎯IMPACT:").impact is None


def test_what_happened_may_start_on_the_next_line_when_sections_follow() -> None:
    brief = parse_brief("❓ WHAT HAPPENED:\n  The vote passed.\n👤 WHO WAS INVOLVED: all")
    assert brief.what_happened == "The vote passed."


@pytest.mark.parametrize(
    "line",
    [
        "❓WHAT HAPPENED: x",
        "❓\ufe0f WHAT HAPPENED: x",
        "❓   what happened — x",
        "What Happened – x",
        "what happened- x",
        "WHAT   HAPPENED x",
        "**❓ WHAT HAPPENED:** x",
        "❓ **What happened**: x",
        "*What happened:* x",
        "__WHAT HAPPENED__ x",
        "❔What happened x",
        "  ❓WHAT HAPPENED:x",
    ],
)
def test_label_decoration_variants(line: str) -> None:
    assert parse_brief(line).what_happened == "x"


@pytest.mark.parametrize(
    "line",
    [
        "📍WHEN & WHERE: x",
        "WHEN&WHERE: x",
        "When and where: x",
        "when &amp; where: x",
        "**📍 When and Where** — x",
    ],
)
def test_when_and_where_spellings(line: str) -> None:
    assert parse_brief(f"❓WHAT HAPPENED: a\n{line}").when_and_where == "x"


@pytest.mark.parametrize(
    "line", ["What happened x", "What happenedx: y", "What happened's x", "WHAT HAPPENED-x"]
)
def test_not_a_label(line: str) -> None:
    with pytest.raises(BriefParseError, match="no ❓WHAT HAPPENED section"):
        parse_brief(line)


def test_bold_text_after_the_label_is_kept() -> None:
    assert parse_brief("❓WHAT HAPPENED: **big** news").what_happened == "**big** news"
    assert parse_brief("**❓WHAT HAPPENED:** **big** news").what_happened == "**big** news"


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("# A title", "A title"),
        ("## A title", "A title"),
        ("TITLE: A title", "A title"),
        ("title:A title", "A title"),
        ("**Title:** A title", "A title"),
        ("**TITLE**: A title", "A title"),
        ("**TITLE: A title**", "A title"),
        ("# # hash in title", "# hash in title"),
    ],
)
def test_title_lines(first_line: str, title: str) -> None:
    assert parse_brief(f"\n{first_line}\n❓WHAT HAPPENED: x").title == title


def test_empty_title_line_is_an_error() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief("\nTITLE:  \n❓WHAT HAPPENED: x")
    assert (caught.value.message, caught.value.line) == ("the title line is empty", 2)


def test_explicit_long_title_is_kept_but_fallback_is_cut() -> None:
    long = "word " * 100
    assert parse_brief(f"# {long}\n❓WHAT HAPPENED: x").title == long.strip()
    fallback = parse_brief(f"❓WHAT HAPPENED: {long}").title
    assert len(fallback) <= 256
    assert fallback.endswith("…")


def test_title_fallback_is_the_first_sentence() -> None:
    brief = parse_brief("❓WHAT HAPPENED: “It works!” she said. Then more.")
    assert brief.title == "“It works!”"


def test_rule_after_title_is_allowed() -> None:
    brief = parse_brief("# T\n---\n❓WHAT HAPPENED: x\n---\nbody")
    assert (brief.title, brief.body) == ("T", "body")


# --- format_brief -------------------------------------------------------------------------


def test_format_brief_is_canonical() -> None:
    content = BriefContent(
        title="T",
        what_happened="a",
        when_and_where="b\nc",
        impact="d",
        body="p1\n\np2",
        topics=["x"],
    )
    assert format_brief(content) == (
        "# T\n🏷️TOPICS: x\n❓WHAT HAPPENED: a\n📍WHEN & WHERE: b\nc\n🎯IMPACT: d\n---\np1\n\np2\n"
    )
    assert format_brief(BriefContent(title="T", what_happened="a")) == (
        "# T\n❓WHAT HAPPENED: a\n---\n"
    )
    assert text_fields(parse_brief(format_brief(content))) == text_fields(content)
    held = content.model_copy(update={"release_at": datetime(2026, 12, 8, 8, tzinfo=UTC)})
    assert format_brief(held) == (
        "# T\n🏷️TOPICS: x\n🕘RELEASE: 2026-12-08T08:00:00+00:00\n❓WHAT HAPPENED: a\n"
        "📍WHEN & WHERE: b\nc\n🎯IMPACT: d\n---\np1\n\np2\n"
    )
    assert parse_brief(format_brief(held)) == held


def test_format_brief_keeps_a_multi_line_title_on_one_line() -> None:
    content = BriefContent(title="two\nlines", what_happened="a")
    assert parse_brief(format_brief(content)).title == "two lines"


# --- JSON ---------------------------------------------------------------------------------


def test_json_one_object() -> None:
    (brief,) = parse_brief_json(fixture("one.json"))
    assert type(brief) is BriefContent
    assert brief.title == "Ferry service resumes"
    assert brief.topics == ["transport", "weather"]
    assert brief.published_at == datetime(2026, 3, 6, 7, 30, tzinfo=UTC)
    assert brief.body == "The storm closed the route on Tuesday.\n\nExtra boats run until Sunday."


def test_json_list_and_title_fallback() -> None:
    first, second = parse_brief_json(fixture("list.json").decode("utf-8"))
    assert first.impact == "Families save about 400 a year."
    assert second.title == "The night market is back."
    assert second.when_and_where == "Riverside Park, every Friday."


def test_json_export_re_imports_as_brief() -> None:
    (brief,) = parse_brief_json(fixture("export.json"))
    assert isinstance(brief, Brief)
    assert (brief.id, brief.created_by) == (7, 1234)
    assert brief.created_at == datetime(2026, 11, 26, 9, tzinfo=UTC)
    stored = Brief(
        id=3,
        created_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        title="Café “quotes”",
        what_happened="x",
        impact="y",
        body="p1\n\np2",
        topics=["a"],
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    exported = json.dumps([stored.model_dump(mode="json")], ensure_ascii=False)
    assert parse_brief_json(exported) == [stored]
    assert load_briefs(exported.encode("utf-8"), "export.json") == [stored]


def test_json_bad_field_names_item_and_field() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(fixture("bad-field.json"))
    assert caught.value.message == 'item 2: field "what_happened": must not be empty'


def test_json_bad_date_names_the_field() -> None:
    with pytest.raises(BriefParseError, match=r'^field "published_at": input should be'):
        parse_brief_json(fixture("bad-date.json"))


def test_json_missing_field() -> None:
    with pytest.raises(BriefParseError, match=r'^item 1: field "what_happened": field required$'):
        parse_brief_json('[{"title": "x"}]')


def test_json_missing_what_happened_in_a_list_names_it_not_the_title() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(fixture("missing-what-happened.json"))
    assert str(caught.value) == 'item 3: field "what_happened": field required'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"body": "x"}', 'field "what_happened": field required'),
        ('{"title": null, "body": "x"}', 'field "what_happened": field required'),
        ('{"title": " ", "what_happened": " "}', 'field "what_happened": must not be empty'),
        ('{"what_happened": ""}', 'field "what_happened": string should have at least 1'),
        ('{"what_happened": null}', 'field "what_happened": input should be a valid string'),
        ('{"what_happened": ["x"]}', 'field "what_happened": input should be a valid string'),
        ('{"title": 5}', 'field "title": input should be a valid string'),
        ('{"title": "t", "what_happened": "x", "topics": "a"}', 'field "topics": input should be'),
        ('{"what_happened": "x", "topics": ["a", 2]}', 'field "topics.1": input should be'),
        ('{"what_happened": "x", "tags": ["a", 2]}', 'field "tags.1": input should be'),
    ],
)
def test_json_errors_name_the_real_field(data: str, message: str) -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(data)
    assert str(caught.value).startswith(message)
    with pytest.raises(BriefParseError, match=rf"^item 2: {re.escape(message)}"):
        parse_brief_json(f'[{{"what_happened": "fine"}}, {data}]')


def test_json_unknown_key_names_the_closest_known_one() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(fixture("unknown-key.json"))
    assert str(caught.value) == 'item 2: unknown field "sorce_url" (did you mean "source_url"?)'
    assert caught.value.line is None


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("what_hapened", "what_happened"),
        ("What Happened", "what_happened"),
        ("WHAT_HAPPENED", "what_happened"),
        ("Title", "title"),
        ("tag", "topics"),
        ("topic", "topics"),
        ("image", "image_url"),
        ("publishedAt", "published_at"),
        ("create_at", "created_at"),
        ("ID", "id"),
    ],
)
def test_json_unknown_keys_are_refused_before_other_errors(key: str, closest: str) -> None:
    # Even with WHAT HAPPENED missing: a misspelling is the likelier cause, so it is named first.
    data = json.dumps({"body": "x", key: "y"})
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(data)
    assert str(caught.value) == (
        f"unknown field {json.dumps(key)} (did you mean {json.dumps(closest)}?)"
    )


def test_json_unknown_key_with_nothing_close_lists_the_fields() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json('{"what_happened": "x", "xyzzy": 1}')
    assert str(caught.value) == (
        'unknown field "xyzzy" (known fields: ' + ", ".join(BriefContent.model_fields) + ")"
    )


@pytest.mark.parametrize("key", ["line\nbreak", 'quote"d', "k" * 5_000, "nul\u0000"])
def test_json_unknown_key_stays_one_short_line(key: str) -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(json.dumps([{"what_happened": "x", key: 1}]))
    message = str(caught.value)
    assert message.startswith("item 1: unknown field ")
    assert "\n" not in message
    assert "\x00" not in message
    assert len(message) < 300


def test_json_every_field_the_models_define_is_known() -> None:
    # Read from the models, so a field added to Brief (and so to every export) imports back.
    problems = {}
    for key in Brief.model_fields:
        try:
            parse_brief_json(json.dumps({"title": "t", "what_happened": "x", key: None}))
        except BriefParseError as error:
            problems[key] = error.message
    assert problems
    assert all(message.startswith('field "') for message in problems.values()), problems


def test_json_identity_makes_an_export_and_names_what_it_lacks() -> None:
    with pytest.raises(BriefParseError, match=r'^field "created_at": field required$'):
        parse_brief_json('{"id": 3, "what_happened": "x"}')
    with pytest.raises(BriefParseError, match=r'^item 1: field "id": field required$'):
        parse_brief_json('[{"created_at": "2026-01-01T00:00:00Z", "what_happened": "x"}]')
    with pytest.raises(BriefParseError, match=r'^field "id": input should be a valid integer'):
        parse_brief_json(
            '{"id": "seven", "created_at": "2026-01-01T00:00:00Z", "what_happened": "x"}'
        )
    exported = {"id": 3, "created_at": "2026-01-01T00:00:00Z", "body": "no summary"}
    with pytest.raises(BriefParseError, match=r'^field "what_happened": field required$'):
        parse_brief_json(json.dumps(exported))


def test_json_full_export_with_every_field_set_imports_back() -> None:
    stored = Brief(
        id=9,
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
        created_by=42,
        title="T",
        what_happened="x",
        who_was_involved="w",
        when_and_where="p",
        key_quote="q",
        impact="i",
        body="b",
        source_url="https://example.com/a",
        image_url="https://example.com/a.png",
        topics=["t"],
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    dumped = stored.model_dump(mode="json")
    assert set(dumped) >= set(Brief.model_fields)
    assert parse_brief_json(json.dumps([dumped, dumped])) == [stored, stored]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"title": "a\\u0000b", "what_happened": "x"}', 'field "title": contains a NUL'),
        (
            '[{"title": "t", "what_happened": "x", "topics": ["ok", "b\\u0000d"]}]',
            'item 1: field "topics"',
        ),
    ],
)
def test_json_nul_character_is_refused(data: str, message: str) -> None:
    # JSON can spell NUL as \u0000; no database stores it as text everywhere (PostgreSQL can't).
    with pytest.raises(BriefParseError, match=re.escape(message)):
        parse_brief_json(data)


def test_json_syntax_error_has_a_line() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(fixture("not-json.json"))
    assert caught.value.line == 2
    assert caught.value.message.startswith("the file is not valid JSON")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[]", "the JSON list holds no briefs"),
        ("42", "the JSON must be one brief object or a list of brief objects"),
        ('[{"title": "a", "what_happened": "b"}, "x"]', "item 2: expected a brief object"),
        ("[" * 100_000, "the file is not valid JSON"),
        ('{"title": "t", "what_happened": "' + "x" * 50 + '"}', "the brief is 51 characters"),
    ],
)
def test_json_shape_errors(data: str, message: str) -> None:
    with pytest.raises(BriefParseError, match=re.escape(message)):
        parse_brief_json(data, max_chars=50)


# --- properties ---------------------------------------------------------------------------

LINE_CHARS = st.characters(codec="utf-8", exclude_characters="\x00\r\n")
SAFE_LINE = re.compile(r"(?i)happened|involved|where|quote|impact|title|topics|release|embargo")


def _is_plain(line: str) -> bool:
    """Tell whether a line can sit inside a section without being read as a label or rule."""
    stripped = line.strip()
    return not SAFE_LINE.search(line) and not (stripped and set(stripped) <= set("-*_ \t"))


plain_lines = st.text(LINE_CHARS, max_size=30).map(str.rstrip).filter(_is_plain)


@st.composite
def section_texts(draw: st.DrawFn, *, allow_blank_lines: bool) -> str:
    first = draw(plain_lines.map(str.strip).filter(bool))
    rest = draw(st.lists(plain_lines, max_size=3))
    if not allow_blank_lines:
        rest = [line for line in rest if line]
    return "\n".join([first, *rest]).strip()


@st.composite
def brief_contents(draw: st.DrawFn) -> BriefContent:
    present = [SECTIONS[0].field] + [
        section.field for section in SECTIONS[1:] if draw(st.booleans())
    ]
    fields: dict[str, Any] = {}
    for field in present:
        fields[field] = draw(section_texts(allow_blank_lines=field != present[-1]))
    body_lines = draw(st.lists(st.text(LINE_CHARS, max_size=30), max_size=6))
    body = "\n".join(line.rstrip() for line in body_lines).rstrip().lstrip("\n")
    title = draw(st.text(LINE_CHARS, min_size=1, max_size=40).map(str.strip).filter(bool))
    release_at = draw(st.none() | release_times)
    return BriefContent(title=title, body=body, release_at=release_at, **fields)


#: Release times in any offset, within the years every backend holds in UTC.
release_times = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=1)), timezone(-timedelta(hours=9, minutes=30))]
    ),
)


@FAST
@given(brief_contents())
def test_format_then_parse_reproduces_the_content(content: BriefContent) -> None:
    again = parse_brief(format_brief(content))
    assert text_fields(again) == text_fields(content)
    assert again.release_at == content.release_at
    assert again.release_at is None or again.release_at.tzinfo is UTC


def _assert_stable(text: str | bytes) -> None:
    """Parse, or fail only with a BriefParseError; what parses must survive format → parse."""
    error: BriefParseError | None = None
    try:
        brief = parse_brief(text, strip_patterns=[r"^\s*$", "(?i)subscribe"])
    except BriefParseError as caught:
        error = caught
    if error is not None:
        assert error.message
        assert "\n" not in str(error)
        assert error.line is None or error.line >= 1
        return
    again = parse_brief(format_brief(brief))
    assert again == brief
    assert format_brief(again) == format_brief(brief)


@FAST
@given(st.text())
def test_any_text_parses_or_raises_brief_parse_error(text: str) -> None:
    _assert_stable(text)


@FAST
@given(st.binary())
def test_any_bytes_parse_or_raise_brief_parse_error(data: bytes) -> None:
    _assert_stable(data)
    with contextlib.suppress(BriefParseError):
        load_briefs(data, "upload.txt")


EMOJI = ["", "❓", "❔", "👤", "📍", "📌", "💬", "🗨\ufe0f", "🎯", "🎯\ufe0f", "🔥"]
SEPARATORS = [":", " :", " -", " –", "—", " — ", "", " ", "-"]
DECORATIONS = ["", "**", "*", "__", "_"]
SPELLINGS = {
    "when_and_where": ["WHEN & WHERE", "when and where", "When&Where", "WHEN &amp; WHERE"],
}


@st.composite
def label_lines(draw: st.DrawFn) -> str:
    section = draw(st.sampled_from(SECTIONS))
    label = draw(st.sampled_from(SPELLINGS.get(section.field, [section.label])))
    label = draw(st.sampled_from([label, label.lower(), label.title()]))
    emoji = draw(st.sampled_from(EMOJI))
    decoration = draw(st.sampled_from(DECORATIONS))
    separator = draw(st.sampled_from(SEPARATORS))
    gap = draw(st.sampled_from(["", " ", "  "]))
    text = draw(st.text(LINE_CHARS, max_size=20))
    if draw(st.booleans()):
        return f"{decoration}{emoji}{gap}{label}{separator}{decoration} {text}"
    return f"{emoji}{gap}{decoration}{label}{decoration}{separator} {text}"


any_line = st.one_of(
    label_lines(),
    st.text(LINE_CHARS, max_size=30),
    st.sampled_from(["", "", "---", "***", "___", "# Title", "TITLE: t", "**Title:** t", "  "]),
    st.sampled_from(
        ["Impact of the vote", "IMPACT-free", "Subscribe now", "“quote”", "東京 مرحبا"]
    ),
    st.sampled_from(
        [
            "🕘RELEASE: 2026-12-08T09:00+01:00",
            "Embargo: 2026-12-08 09:00Z",
            "⏰ release - 2026-12-08 09:00",
            "RELEASE:",
            "Release of the hostages",
            "🏷️TOPICS: a, b",
        ]
    ),
)


@st.composite
def semi_valid_briefs(draw: st.DrawFn) -> str | bytes:
    lines = draw(st.lists(any_line, max_size=14))
    if draw(st.booleans()):
        lines.insert(0, "❓WHAT HAPPENED: " + draw(st.text(LINE_CHARS, max_size=20)))
    trailing = draw(st.sampled_from(["", " ", "\t", "  "]))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(line + trailing for line in lines)
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode("utf-8") if draw(st.booleans()) else text


@FAST
@given(semi_valid_briefs())
def test_semi_valid_briefs_parse_or_raise_and_are_stable(text: str | bytes) -> None:
    _assert_stable(text)


JSON_KEYS = st.sampled_from([*Brief.model_fields, "sorce_url", "Title", "x", "", "what happened"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=6,
)
json_items = st.dictionaries(JSON_KEYS | st.text(max_size=10), json_values, max_size=6)


@FAST
@given(st.one_of(json_items, st.lists(json_items | json_values, max_size=4)))
def test_any_json_parses_or_raises_one_line_naming_the_item(raw: object) -> None:
    error: BriefParseError | None = None
    try:
        parse_brief_json(json.dumps(raw))
    except BriefParseError as caught:
        error = caught
    if error is not None:
        assert error.message
        assert "\n" not in str(error)
        assert not (isinstance(raw, list) and raw) or re.match(r"item \d+: ", str(error))


# --- topics -------------------------------------------------------------------------------

SUMMARY = "❓WHAT HAPPENED: The ferry runs again.\n🎯IMPACT: Queues shorten.\n---\nThe article."


@pytest.mark.parametrize(
    "line",
    [
        "🏷️TOPICS: transport, local news",
        "🏷 TOPICS: transport, local news",
        "🏷️ Topics - transport; local news",
        "**🏷️ TOPICS:** transport, local news",
        "topics: transport ,  local   news ,",
        "Tags: transport, local news",
        "🔖 TAGS: transport; local news",
        "TOPICS transport, local news",
        "topics\ttransport, local news",
    ],
)
def test_a_topics_line_after_the_title_gives_the_topics(line: str) -> None:
    brief = parse_brief(f"# Ferry back\n{line}\n{SUMMARY}")
    assert brief.topics == ["transport", "local news"]
    assert (brief.title, brief.what_happened, brief.body) == (
        "Ferry back",
        "The ferry runs again.",
        "The article.",
    )


def test_the_topics_line_may_lead_without_a_title_and_between_blank_lines() -> None:
    brief = parse_brief(f"\n🏷️TOPICS: transport\n\n---\n\n{SUMMARY}")
    assert brief.topics == ["transport"]
    assert brief.title == "The ferry runs again."


def test_topics_repeated_by_key_are_kept_once_as_first_written() -> None:
    brief = parse_brief(f"TOPICS: Local News, local  news, LOCAL NEWS; Sport, sport\n{SUMMARY}")
    assert brief.topics == ["Local News", "Sport"]


def test_no_topics_line_leaves_the_topics_unstated() -> None:
    brief = parse_brief(SUMMARY)
    assert brief.topics == []
    assert "topics" not in brief.model_fields_set


def test_an_empty_topics_line_states_no_topics() -> None:
    brief = parse_brief(f"# T\n🏷️TOPICS:\n{SUMMARY}")
    assert brief.topics == []
    assert "topics" in brief.model_fields_set


def test_format_brief_writes_the_topics_line_and_reads_it_back() -> None:
    content = BriefContent(
        title="Ferry back", what_happened="x", impact="y", topics=["transport", "Ça va", "C++"]
    )
    text = format_brief(content)
    assert text.split("\n")[:2] == ["# Ferry back", "🏷️TOPICS: transport, Ça va, C++"]
    assert parse_brief(text) == content


TOPIC_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00,;"), max_size=45
)


@FAST
@given(st.lists(TOPIC_TEXT, max_size=12))
def test_any_valid_topics_round_trip_through_the_text_format(topics: list[str]) -> None:
    try:
        content = BriefContent(title="T", what_happened="x", topics=topics)
    except ValueError:
        return  # too many or too long: refused by the model, as by the parser below
    assert parse_brief(format_brief(content)).topics == content.topics


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "❓WHAT HAPPENED: x\nTopics: a\n🎯IMPACT: y\n---\nbody",
            "line 2: the TOPICS line goes before the first section (after the title line)",
        ),
        (
            "❓WHAT HAPPENED: x\n🎯IMPACT: y\n🏷️TOPICS: a\n---\nbody",
            "line 3: the TOPICS line goes before the first section",
        ),
        (
            "❓WHAT HAPPENED: x\n🎯IMPACT: y\n\nTopics: a\nThe article.",
            "line 4: the TOPICS line goes before the first section",
        ),
        (
            "Topics: a\n\nTags: b\n❓WHAT HAPPENED: x",
            "line 3: the TOPICS line appears twice (first on line 1)",
        ),
        (
            "Topics: a\n❓WHAT HAPPENED: x\nTopics: b\n---\nbody",
            "line 3: the TOPICS line appears twice (first on line 1)",
        ),
        (
            "Topics: a\n# Title\n❓WHAT HAPPENED: x",
            "line 2: unexpected text before the first section",
        ),
        (
            f"# T\nTopics: ok, {'x' * 41}\n❓WHAT HAPPENED: x",
            "line 2: in the TOPICS line, topic 'xxxx",
        ),
        (
            "Topics: " + ", ".join(f"t{n}" for n in range(11)) + "\n❓WHAT HAPPENED: x",
            "line 1: in the TOPICS line, at most 10 topics, got 11",
        ),
    ],
)
def test_topics_line_problems_name_the_line(text: str, message: str) -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief(text)
    assert str(caught.value).startswith(message)


def test_a_topics_line_in_the_article_is_article_text() -> None:
    brief = parse_brief("❓WHAT HAPPENED: x\n---\nTopics: how the vote went.\nMore.")
    assert brief.topics == []
    assert brief.body == "Topics: how the vote went.\nMore."


def test_a_sentence_starting_with_topics_is_not_a_label() -> None:
    brief = parse_brief("❓WHAT HAPPENED: x\nTopics of the day were many.\n🎯IMPACT: y")
    assert brief.what_happened == "x\nTopics of the day were many."


def test_json_still_reads_the_topics_old_name_and_writes_the_new_one() -> None:
    (brief,) = parse_brief_json('{"what_happened": "x", "tags": ["Sport", "sport"]}')
    assert brief.topics == ["Sport"]
    assert "topics" in brief.model_fields_set
    dumped = brief.model_dump(mode="json")
    assert "tags" not in dumped
    assert parse_brief_json(json.dumps(dumped)) == [brief]


def test_json_topics_follow_the_same_rules() -> None:
    (brief,) = parse_brief_json('{"what_happened": "x", "topics": [" Sport ", "sport", "a  b"]}')
    assert brief.topics == ["Sport", "a b"]
    assert parse_brief_json('{"what_happened": "x"}')[0].model_fields_set == {
        "what_happened",
        "title",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            '{"what_happened": "x", "topics": ["a"], "tags": []}',
            'field "brief": "topics" and "tags" both given; "tags" is the old name of "topics"',
        ),
        (
            '{"what_happened": "x", "Topic": ["a"]}',
            'unknown field "Topic" (did you mean "topics"?)',
        ),
        (
            '{"what_happened": "x", "topics": ["a, b"]}',
            "field \"topics\": topic 'a, b' holds a comma",
        ),
        ('{"what_happened": "x", "tags": ["a, b"]}', "field \"tags\": topic 'a, b' holds a comma"),
        ('{"what_happened": "x", "topics": ["' + "y" * 41 + '"]}', 'field "topics": topic \'yyy'),
        (
            '{"what_happened": "x", "topics": [' + ", ".join(f'"t{n}"' for n in range(11)) + "]}",
            'field "topics": at most 10 topics, got 11',
        ),
    ],
)
def test_json_topic_problems_name_the_field(data: str, message: str) -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(data)
    assert str(caught.value).startswith(message)


# --- release time -------------------------------------------------------------------------

HELD_UNTIL = datetime(2026, 12, 8, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("🕘RELEASE: 2026-12-08T09:00+01:00", HELD_UNTIL),
        ("🕘 RELEASE: 2026-12-08T09:00:00+01:00", HELD_UNTIL),
        ("Release: 2026-12-08 08:00Z", HELD_UNTIL),
        ("**🕘 RELEASE:** 2026-12-08T08:00:00+00:00", HELD_UNTIL),
        ("RELEASE 2026-12-08T03:00-05:00", HELD_UNTIL),
        ("release\t2026-12-08t08:00z", HELD_UNTIL),
        ("⏰ Embargo – 2026-12-08T09:00+0100", HELD_UNTIL),
        (
            "🕧EMBARGO: 2026-12-08T08:00:30.250000Z",
            HELD_UNTIL.replace(second=30, microsecond=250_000),
        ),
        ("🕘\ufe0f RELEASE:   2026-12-08    09:00+01:00  ", HELD_UNTIL),
    ],
)
def test_a_release_line_gives_the_release_time_in_utc(line: str, expected: datetime) -> None:
    brief = parse_brief(f"# Ferry back\n{line}\n{SUMMARY}")
    assert brief.release_at == expected
    assert brief.release_at is not None
    assert brief.release_at.tzinfo is UTC
    assert (brief.title, brief.what_happened, brief.body) == (
        "Ferry back",
        "The ferry runs again.",
        "The article.",
    )


@pytest.mark.parametrize(
    "head",
    [
        "🏷️TOPICS: transport\n🕘RELEASE: 2026-12-08T09:00+01:00",
        "🕘RELEASE: 2026-12-08T09:00+01:00\n🏷️TOPICS: transport",
        "\n🕘RELEASE: 2026-12-08T09:00+01:00\n\n---\nTags: transport\n\n",
    ],
)
def test_topics_and_release_lines_come_in_either_order(head: str) -> None:
    brief = parse_brief(f"{head}\n{SUMMARY}")
    assert (brief.topics, brief.release_at) == (["transport"], HELD_UNTIL)
    assert brief.title == "The ferry runs again."


def test_no_release_line_leaves_the_release_time_unstated() -> None:
    brief = parse_brief(f"# T\n🏷️TOPICS: a\n{SUMMARY}")
    assert brief.release_at is None
    assert "release_at" not in brief.model_fields_set


@pytest.mark.parametrize("line", ["🕘RELEASE:", "Release:   ", "**EMBARGO:**"])
def test_an_empty_release_line_states_no_release_time(line: str) -> None:
    brief = parse_brief(f"# T\n{line}\n{SUMMARY}")
    assert brief.release_at is None
    assert "release_at" in brief.model_fields_set


def test_a_release_line_reads_back_unchanged_in_utc() -> None:
    content = BriefContent(
        title="Ferry back",
        what_happened="x",
        impact="y",
        topics=["transport"],
        release_at=datetime(2026, 12, 8, 9, tzinfo=timezone(timedelta(hours=1))),
    )
    text = format_brief(content)
    assert text.split("\n")[:3] == [
        "# Ferry back",
        "🏷️TOPICS: transport",
        "🕘RELEASE: 2026-12-08T08:00:00+00:00",
    ]
    assert parse_brief(text) == content
    assert format_brief(parse_brief(text)) == text
    untitled = content.model_copy(update={"title": "x", "topics": []})
    assert format_brief(untitled).startswith("🕘RELEASE: 2026-12-08T08:00:00+00:00\n❓WHAT")
    assert parse_brief(format_brief(untitled)) == untitled


@FAST
@given(release_times)
def test_any_release_time_round_trips_through_the_text_format(moment: datetime) -> None:
    content = BriefContent(title="T", what_happened="x", release_at=moment)
    again = parse_brief(format_brief(content))
    assert again.release_at == moment
    assert format_brief(again) == format_brief(content)


OFFSET_HINT = "(or give the time with /brief add's release option)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "# T\n🕘RELEASE: 2026-12-08 09:00\n❓WHAT HAPPENED: x",
            'line 2: the release time "2026-12-08 09:00" needs its UTC offset, '
            f"e.g. 2026-12-08T09:00+01:00 {OFFSET_HINT}",
        ),
        (
            "Release: 2026-12-08T09:00:30\n❓WHAT HAPPENED: x",
            'line 1: the release time "2026-12-08T09:00:30" needs its UTC offset, '
            f"e.g. 2026-12-08T09:00:30+01:00 {OFFSET_HINT}",
        ),
        (
            "# T\nTopics: a\nEMBARGO: 2026-12-08\n❓WHAT HAPPENED: x",
            'line 3: the release time "2026-12-08" needs a time of day and its UTC offset, '
            f"e.g. 2026-12-08T09:00+01:00 {OFFSET_HINT}",
        ),
        (
            "# T\n🕘RELEASE: tomorrow 09:00\n❓WHAT HAPPENED: x",
            'line 2: can\'t read the release time "tomorrow 09:00": write an ISO 8601 date and '
            f"time with its UTC offset, e.g. 2026-12-08T09:00+01:00 {OFFSET_HINT}",
        ),
        (
            "🕘RELEASE: 2026-13-08T09:00+01:00\n❓WHAT HAPPENED: x",
            'line 1: can\'t read the release time "2026-13-08T09:00+01:00"',
        ),
        (
            "🕘RELEASE: 2026-12-08T09:00+24:00\n❓WHAT HAPPENED: x",
            'line 1: can\'t read the release time "2026-12-08T09:00+24:00"',
        ),
        (
            "🕘RELEASE: 0001-01-01T00:30+01:00\n❓WHAT HAPPENED: x",
            'line 1: the release time "0001-01-01T00:30+01:00" falls outside the years 1 to 9999',
        ),
        (
            "❓WHAT HAPPENED: x\nRelease: 2026-12-08T09:00Z\n🎯IMPACT: y\n---\nbody",
            "line 2: the RELEASE line goes before the first section (after the title line)",
        ),
        (
            "❓WHAT HAPPENED: x\n🎯IMPACT: y\n🕘RELEASE: 2026-12-08T09:00Z\n---\nbody",
            "line 3: the RELEASE line goes before the first section",
        ),
        (
            "❓WHAT HAPPENED: x\n🎯IMPACT: y\n\nEmbargo: 2026-12-08T09:00Z\nThe article.",
            "line 4: the RELEASE line goes before the first section",
        ),
        (
            "Release: 2026-12-08T09:00Z\n\nEmbargo: 2026-12-09T09:00Z\n❓WHAT HAPPENED: x",
            "line 3: the RELEASE line appears twice (first on line 1)",
        ),
        (
            "Release: 2026-12-08T09:00Z\nTopics: a\nRELEASE:\n❓WHAT HAPPENED: x",
            "line 3: the RELEASE line appears twice (first on line 1)",
        ),
        (
            "Release: 2026-12-08T09:00Z\n❓WHAT HAPPENED: x\n🕘RELEASE: 2026-12-08T09:00Z\n---\nb",
            "line 3: the RELEASE line appears twice (first on line 1)",
        ),
        (
            "Release: 2026-12-08T09:00Z\n# Title\n❓WHAT HAPPENED: x",
            "line 2: unexpected text before the first section",
        ),
        (
            "Release date: 2026-12-08T09:00Z\n❓WHAT HAPPENED: x",
            "line 1: unexpected text before the first section",
        ),
    ],
)
def test_release_line_problems_name_the_line(text: str, message: str) -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief(text)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_an_unreadable_release_time_is_quoted_short() -> None:
    with pytest.raises(BriefParseError) as caught:
        parse_brief(f"RELEASE: {'soon ' * 100}\n❓WHAT HAPPENED: x")
    assert caught.value.line == 1
    assert len(str(caught.value)) < 250


def test_a_release_line_in_the_article_is_article_text() -> None:
    text = "❓WHAT HAPPENED: x\n---\nRelease: 2026-12-08T09:00Z\nEmbargo lifted at noon."
    brief = parse_brief(text)
    assert brief.release_at is None
    assert brief.body == "Release: 2026-12-08T09:00Z\nEmbargo lifted at noon."


def test_a_sentence_starting_with_release_is_not_a_label() -> None:
    brief = parse_brief("❓WHAT HAPPENED: x\nRelease of the report was delayed.\n🎯IMPACT: y")
    assert brief.what_happened == "x\nRelease of the report was delayed."


def test_json_reads_a_release_time_with_its_offset() -> None:
    (brief,) = parse_brief_json('{"what_happened": "x", "release_at": "2026-12-08T09:00:00+01:00"}')
    assert brief.release_at == HELD_UNTIL
    assert "release_at" in brief.model_fields_set
    (later,) = parse_brief_json('{"what_happened": "x", "release_at": "2026-12-08T08:00:00Z"}')
    assert later.release_at == HELD_UNTIL
    (none,) = parse_brief_json('{"what_happened": "x", "release_at": null}')
    assert none.release_at is None
    assert "release_at" in none.model_fields_set
    (unstated,) = parse_brief_json('{"what_happened": "x"}')
    assert "release_at" not in unstated.model_fields_set


def test_json_export_of_a_held_brief_imports_back() -> None:
    stored = Brief(
        id=4,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        title="T",
        what_happened="x",
        release_at=HELD_UNTIL,
    )
    released = stored.model_copy(update={"release_at": None, "released_at": HELD_UNTIL})
    for brief in (stored, released):
        exported = json.dumps([brief.model_dump(mode="json")])
        assert parse_brief_json(exported) == [brief]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2026-12-08T09:00:00",
            'field "release_at": the release time "2026-12-08T09:00:00" needs its UTC offset, '
            "e.g. 2026-12-08T09:00+01:00",
        ),
        (
            "2026-12-08 09:00",
            'field "release_at": the release time "2026-12-08 09:00" needs its UTC offset',
        ),
        (
            "2026-12-08",
            'field "release_at": the release time "2026-12-08" needs a time of day and its UTC '
            "offset, e.g. 2026-12-08T09:00+01:00",
        ),
        ("tomorrow", 'field "release_at": input should be a valid datetime'),
    ],
)
def test_json_refuses_a_release_time_without_its_offset(value: str, message: str) -> None:
    data = json.dumps({"what_happened": "x", "release_at": value})
    with pytest.raises(BriefParseError) as caught:
        parse_brief_json(data)
    assert str(caught.value).startswith(message)
    with pytest.raises(BriefParseError, match=rf"^item 2: {re.escape(message)}"):
        parse_brief_json(f'[{{"what_happened": "fine"}}, {data}]')
