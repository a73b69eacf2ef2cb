"""The rules every brief meets on the way in: links Discord can show, ids and dates in range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from storage.links import EMBED_URL, LINK_BUTTON_URL, as_uri, link_problem, shown_link
from storage.models import (
    MAX_BRIEF_ID,
    MAX_IMPORTED_ID,
    STORED,
    Brief,
    BriefContent,
    brief_number,
)

from .conftest import make_content

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def link_of(length: int) -> str:
    """An https link of exactly `length` characters."""
    head = "https://example.com/"
    return head + "a" * (length - len(head))


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("https://example.com/story", None),
        ("http://example.com/a?b=c#d", None),
        ("https://example.com/a b", "spaces"),
        ("https://example.com/\u200b", "invisible"),
        ("ftp://example.com/x", "https://"),
        ("javascript:alert(1)", "https://"),
        ("example.com/story", "https://"),
        ("https://", "host"),
        ("https://example.com:99999/", "valid web address"),
        ("https://example.com/100%", "stray %"),
        ("https://user:secret@example.com/", "password"),
        ("https://example.com\\evil", "backslash"),
    ],
)
def test_link_rule(link: str, problem: str | None) -> None:
    found = link_problem(link, limit=LINK_BUTTON_URL)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_link_length_counts_what_discord_receives() -> None:
    assert link_problem(link_of(LINK_BUTTON_URL), limit=LINK_BUTTON_URL) is None
    assert "512" in (link_problem(link_of(LINK_BUTTON_URL + 1), limit=LINK_BUTTON_URL) or "")
    assert link_problem(link_of(EMBED_URL), limit=EMBED_URL) is None
    assert link_problem(link_of(EMBED_URL + 1), limit=EMBED_URL) is not None
    # Each "é" is sent as %C3%A9: 300 of them are 1,800 characters, beyond a button's 512.
    accented = "https://example.com/" + "é" * 300
    assert len(accented) < LINK_BUTTON_URL
    assert link_problem(accented, limit=LINK_BUTTON_URL) is not None


def test_international_links_are_sent_in_their_uri_form() -> None:
    assert as_uri("https://bücher.example/straße?q=ä") == (
        "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A4"
    )
    assert shown_link("https://Example.com/A%20B", limit=EMBED_URL) == "https://Example.com/A%20B"
    assert shown_link("https://example.com/a b", limit=EMBED_URL) is None
    assert shown_link(None, limit=EMBED_URL) is None


def test_new_content_with_a_link_discord_cannot_show_is_refused() -> None:
    with pytest.raises(ValidationError, match="source_url"):
        make_content(source_url=link_of(LINK_BUTTON_URL + 1))
    with pytest.raises(ValidationError, match="image_url"):
        make_content(image_url=link_of(EMBED_URL + 1))
    with pytest.raises(ValidationError, match="source_url"):
        make_content(source_url="https://example.com/a story")
    assert make_content(image_url=link_of(EMBED_URL)).image_url == link_of(EMBED_URL)


def test_a_stored_brief_with_an_old_bad_link_still_loads() -> None:
    fields = {
        **make_content().model_dump(),
        "source_url": link_of(1000),
        "id": 1,
        "created_at": NOW,
    }
    brief = Brief.model_validate(fields, context=STORED)
    assert brief.source_url == link_of(1000)
    assert brief.content().source_url == link_of(1000)


@pytest.mark.parametrize("brief_id", [0, -1, MAX_IMPORTED_ID + 1, MAX_BRIEF_ID, 2**64])
def test_an_id_from_outside_must_leave_room_for_the_next(brief_id: int) -> None:
    with pytest.raises(ValidationError, match="id"):
        Brief(**make_content().model_dump(), id=brief_id, created_at=NOW)


def test_stored_ids_may_use_the_whole_range() -> None:
    fields = {**make_content().model_dump(), "id": MAX_BRIEF_ID, "created_at": NOW}
    assert Brief.model_validate(fields, context=STORED).id == MAX_BRIEF_ID
    with pytest.raises(ValidationError):
        Brief.model_validate({**fields, "id": MAX_BRIEF_ID + 1}, context=STORED)


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_dates_whose_utc_form_falls_outside_years_1_to_9999_are_refused(when: datetime) -> None:
    with pytest.raises(ValidationError, match="years 1 and 9999"):
        make_content(published_at=when)
    with pytest.raises(ValidationError, match="years 1 and 9999"):
        Brief(**make_content().model_dump(), id=1, created_at=when)


def test_the_extreme_dates_that_fit_are_kept() -> None:
    first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert make_content(published_at=first).published_at == first
    assert make_content(published_at=last).published_at == last


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        ("#42", 42),
        (" # 7 ", 7),
        ("0", None),
        (str(MAX_BRIEF_ID), MAX_BRIEF_ID),
        (str(MAX_BRIEF_ID + 1), None),
        ("9" * 5000, None),  # beyond what int() parses: answered, not raised
        ("4²", None),
        ("", None),
        ("-3", None),
    ],
)
def test_brief_number_reads_any_text(text: str, number: int | None) -> None:
    assert brief_number(text) == number


def test_content_fields_are_what_the_form_and_files_hold() -> None:
    assert "updated_at" not in BriefContent.model_fields
    assert {"id", "created_at", "created_by", "updated_at"} <= set(Brief.model_fields)


def test_a_retraction_reason_needs_its_date() -> None:
    fields = {**make_content().model_dump(), "id": 3, "created_at": NOW}
    with pytest.raises(ValidationError, match='"retraction" needs "retracted_at"'):
        Brief.model_validate({**fields, "retraction": "The story was false."})
    retracted = Brief.model_validate({**fields, "retracted_at": "2026-11-26T08:00:00+01:00"})
    assert retracted.retracted_at == datetime(2026, 11, 26, 7, tzinfo=UTC)
    assert retracted.retraction is None  # retracted without a reason given
