"""The brief form reads back exactly what it was filled with, through the real parser."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.brief.form import (
    ARTICLE_TWICE,
    BriefForm,
    content_from_form,
    form_from_content,
    form_text,
)
from bot.brief.parsing import format_brief, parse_brief
from bot.brief.text import has_derived_title
from bot.errors import UserFacingError
from storage.models import BriefContent
from tests.helpers import EXAMPLES, ROOT


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
    topics=["transport", "local news"],
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
    assert content_from_form(form).topics == ["Sport", "Local News"]


def test_a_bad_topic_in_the_form_names_the_line():
    form = BriefForm(sections=f"WHAT HAPPENED: Rain.\nTOPICS: {'x' * 41}")
    with pytest.raises(UserFacingError, match="line 2: the TOPICS line goes before"):
        content_from_form(form)
    form = BriefForm(sections=f"TOPICS: {'x' * 41}\nWHAT HAPPENED: Rain.")
    with pytest.raises(UserFacingError, match="line 1: in the TOPICS line, topic"):
        content_from_form(form)


# --- untitled briefs and whole briefs pasted --------------------------------------------

SAMPLES = sorted([*EXAMPLES.glob("*.txt"), *(ROOT / "docs" / "examples").glob("*.txt")])


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_a_whole_brief_pasted_into_the_sections_reads_as_the_file(path: Path):
    text = path.read_text(encoding="utf-8")
    pasted = BriefForm(sections=text)
    assert content_from_form(pasted) == parse_brief(text)
    # The file an expired form hands back reads the same too.
    assert parse_brief(form_text(pasted)) == parse_brief(text)


def test_a_pasted_article_goes_through_the_strip_patterns_as_a_files_does():
    text = "WHAT HAPPENED: Rain.\nIMPACT: Floods.\nIt rained all day.\n\nSubscribe now!"
    patterns = [r"^Subscribe"]
    content = content_from_form(BriefForm(sections=text), strip_patterns=patterns)
    assert content == parse_brief(text, strip_patterns=patterns)
    assert (content.impact, content.body) == ("Floods.", "It rained all day.")


def test_an_article_both_pasted_and_in_the_article_box_is_refused():
    form = BriefForm(sections="WHAT HAPPENED: Rain.\nIMPACT: Floods.\nArticle.", article="More.")
    with pytest.raises(UserFacingError) as caught:
        content_from_form(form)
    assert str(caught.value) == ARTICLE_TWICE


def test_sections_ended_by_a_rule_take_the_article_box():
    form = BriefForm(
        sections="WHAT HAPPENED: Rain.\nIMPACT: Floods.\nRoads shut.\n---", article="A."
    )
    content = content_from_form(form)
    assert (content.impact, content.body) == ("Floods.\nRoads shut.", "A.")
    assert parse_brief(form_text(form)) == content


@pytest.mark.parametrize("body", ["", "Para one.\n\nPara two."])
def test_a_multi_line_last_section_keeps_its_rule_in_the_form(body: str):
    content = BriefContent(
        title="Rail", what_happened="Trains change.", impact="- Faster\n- Later", body=body
    )
    for edit in (False, True):
        form = form_from_content(content, edit=edit)
        assert form is not None
        assert form.sections.endswith("🎯IMPACT: - Faster\n- Later\n---")
        assert content_from_form(form) == content


def test_a_one_line_last_section_needs_no_rule_in_the_form():
    form = form_from_content(TAGGED)
    assert form is not None
    assert "---" not in form.sections


UNTITLED = parse_brief(
    "❓WHAT HAPPENED: The ferry runs every ten minutes. Boats are new.\n🎯IMPACT: Less waiting."
)


def test_an_untitled_brief_has_its_title_derived():
    assert UNTITLED.title == "The ferry runs every ten minutes."
    assert has_derived_title(UNTITLED)
    assert not has_derived_title(TAGGED)


@pytest.mark.parametrize("edit", [False, True])
def test_the_form_never_writes_a_derived_title(edit: bool):
    form = form_from_content(UNTITLED, edit=edit)
    assert form is not None
    assert form.title == ""
    assert form.sections.startswith("❓WHAT HAPPENED: The ferry runs")
    assert content_from_form(form) == UNTITLED


@pytest.mark.parametrize("edit", [False, True])
def test_a_correction_to_what_happened_corrects_the_derived_title(edit: bool):
    form = form_from_content(UNTITLED, edit=edit)
    assert form is not None
    corrected = replace(form, sections=form.sections.replace("ten", "fifteen"))
    content = content_from_form(corrected)
    assert content.title == "The ferry runs every fifteen minutes."
    assert has_derived_title(content)


def test_a_title_of_its_own_stays_through_a_correction():
    form = form_from_content(TAGGED, edit=True)
    assert form is not None
    corrected = replace(form, sections=form.sections.replace("runs", "sails"))
    assert content_from_form(corrected).title == "Ferry back"


def test_a_brief_file_of_an_untitled_brief_has_no_title_line():
    text = format_brief(UNTITLED)
    assert not text.startswith("#")
    assert parse_brief(text.replace("ten", "five")).title == "The ferry runs every five minutes."
