"""The brief form reads back exactly what it was filled with, through the real parser."""

from __future__ import annotations

import pytest

from bot.brief.form import BriefForm, content_from_form, form_from_content
from bot.brief.parsing import parse_brief
from bot.errors import UserFacingError
from storage.models import BriefContent
from tests.helpers import EXAMPLES


@pytest.mark.parametrize("name", ["comet-weekend.txt", "harbor-bike-lanes.txt"])
def test_examples_round_trip_through_the_form(name: str):
    content = parse_brief((EXAMPLES / name).read_text(encoding="utf-8"))
    form = form_from_content(content)
    assert form is not None
    assert content_from_form(form) == content


def test_multi_line_sections_and_links_round_trip():
    content = BriefContent(
        title="Two lines",
        what_happened="First line.\nSecond line.",
        impact="Impact one.\nImpact two.",
        body="Para one.\n\nPara two.",
        source_url="https://example.com/a",
        image_url="https://example.com/a.png",
    )
    form = form_from_content(content)
    assert form is not None
    assert content_from_form(form) == content


def test_too_long_for_the_form_is_none():
    content = BriefContent(title="Long", what_happened="x", body="word " * 1_000)
    assert form_from_content(content) is None


def test_blank_title_is_derived_from_what_happened():
    form = BriefForm(sections="WHAT HAPPENED: Rain fell. Then it stopped.")
    assert content_from_form(form).title == "Rain fell."


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (BriefForm(sections="   "), "WHAT HAPPENED"),
        (BriefForm(sections="IMPACT: none"), "WHAT HAPPENED"),
        (BriefForm(sections="WHAT HAPPENED: x", source_url="javascript:alert(1)"), "source URL"),
    ],
)
def test_bad_forms_name_the_problem(form: BriefForm, expected: str):
    with pytest.raises(UserFacingError, match=expected):
        content_from_form(form)


# --- topics -------------------------------------------------------------------------------

TAGGED = BriefContent(
    title="Ferry back",
    what_happened="The ferry runs.",
    impact="Queues shorten.",
    tags=["transport", "local news"],
)


def test_topics_lead_the_add_forms_sections_and_read_back():
    form = form_from_content(TAGGED)
    assert form is not None
    assert form.sections.split("\n")[0] == "🏷️TOPICS: transport, local news"
    assert content_from_form(form) == TAGGED


def test_topics_follow_the_title_in_the_edit_form_and_read_back():
    form = form_from_content(TAGGED, edit=True)
    assert form is not None
    assert form.sections.split("\n")[:3] == [
        "# Ferry back",
        "🏷️TOPICS: transport, local news",
        "❓WHAT HAPPENED: The ferry runs.",
    ]
    assert content_from_form(form) == TAGGED


def test_topics_typed_into_the_form_are_cleaned():
    form = BriefForm(sections="topics: Sport;  sport ; Local  News\nWHAT HAPPENED: Rain.")
    assert content_from_form(form).tags == ["Sport", "Local News"]


def test_a_bad_topic_in_the_form_names_the_line():
    form = BriefForm(sections=f"WHAT HAPPENED: Rain.\nTOPICS: {'x' * 41}")
    with pytest.raises(UserFacingError, match="line 2: the TOPICS line goes before"):
        content_from_form(form)
    form = BriefForm(sections=f"TOPICS: {'x' * 41}\nWHAT HAPPENED: Rain.")
    with pytest.raises(UserFacingError, match="line 1: in the TOPICS line, topic"):
        content_from_form(form)
