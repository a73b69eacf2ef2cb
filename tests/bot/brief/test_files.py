"""Brief files: what is refused before or while reading, and how bytes are told JSON or text."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.brief.files import load_briefs, parse_upload, read_file
from bot.brief.parsing import BriefParseError, format_brief, parse_brief_json
from bot.errors import UserFacingError
from storage.models import Brief, BriefContent
from tests.helpers import fixture

LIMITS: dict[str, Any] = {"strip_patterns": (), "max_chars": 100_000, "max_bytes": 1_000_000}


@pytest.mark.parametrize("name", ["latin1.txt", "utf16.txt"])
def test_load_names_the_file_that_is_not_utf8(name: str) -> None:
    with pytest.raises(BriefParseError, match=rf"^{re.escape(name)} is not UTF-8 text$"):
        load_briefs(fixture(name), name)


def test_binary_upload_is_not_utf8() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    with pytest.raises(BriefParseError, match=r"^photo\.png is not UTF-8 text$"):
        load_briefs(png, "photo.png")
    with pytest.raises(BriefParseError, match="not UTF-8 text"):
        load_briefs(b"\x00\x00", "brief.txt")


def test_load_sniffs_json_in_text_files_and_falls_back_to_text() -> None:
    data = fixture("one.json")
    assert load_briefs(data, "brief.txt") == parse_brief_json(data)
    assert load_briefs(b"\xef\xbb\xbf" + data, "brief") == parse_brief_json(data)
    with pytest.raises(BriefParseError, match="unexpected text before the first section"):
        load_briefs("[Update]\n❓WHAT HAPPENED: x".encode(), "brief.md")
    with pytest.raises(BriefParseError, match="not valid JSON"):
        load_briefs(fixture("one.json")[:-5], "x.JSON")


def test_load_text_uses_patterns_and_limit() -> None:
    data = "❓WHAT HAPPENED: x\n---\nbody\n\nSubscribe!\n".encode()
    (brief,) = load_briefs(data, "a.txt", strip_patterns=["Subscribe"])
    assert brief.body == "body"
    with pytest.raises(BriefParseError, match="the limit is 10"):
        load_briefs(data, "a.txt", max_chars=10)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_before_it_is_read(device: str) -> None:
    with pytest.raises(BriefParseError, match="not a regular file"):
        read_file(Path(device), **LIMITS)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "brief.txt"
    os.mkfifo(fifo)
    with pytest.raises(BriefParseError, match="not a regular file"):
        read_file(fifo, **LIMITS)


def test_a_folder_is_refused_as_a_file(tmp_path: Path) -> None:
    with pytest.raises(BriefParseError, match="is a folder"):
        read_file(tmp_path, **LIMITS)


def test_reading_stops_past_the_limit_even_when_the_size_says_less() -> None:
    status = Path("/proc/self/status")  # a regular file whose size reads as 0
    assert status.stat().st_size == 0
    with pytest.raises(BriefParseError, match="over the limit of 10 bytes"):
        read_file(status, strip_patterns=(), max_chars=100_000, max_bytes=10)


# --- release times ------------------------------------------------------------------------

HELD_UNTIL = datetime(2026, 12, 8, 8, tzinfo=UTC)


def test_a_text_file_with_a_release_line_is_held_until_then(tmp_path: Path) -> None:
    path = tmp_path / "held.md"
    path.write_text(
        "# Ferry back\n🕘 RELEASE: 2026-12-08T09:00+01:00\n🏷️TOPICS: transport\n"
        "❓WHAT HAPPENED: x\n---\nbody\n",
        encoding="utf-8",
    )
    (brief,) = read_file(path, **LIMITS)
    assert (brief.release_at, brief.topics, brief.body) == (HELD_UNTIL, ["transport"], "body")


def test_a_release_time_without_its_offset_names_the_file_line(tmp_path: Path) -> None:
    path = tmp_path / "held.txt"
    path.write_text("# T\nRELEASE: 2026-12-08 09:00\n❓WHAT HAPPENED: x\n", encoding="utf-8")
    with pytest.raises(BriefParseError) as caught:
        read_file(path, **LIMITS)
    assert caught.value.line == 2
    assert "needs its UTC offset, e.g. 2026-12-08T09:00+01:00" in caught.value.message


def test_json_files_carry_release_at_and_refuse_it_without_an_offset() -> None:
    data = json.dumps({"what_happened": "x", "release_at": "2026-12-08T09:00:00+01:00"})
    (brief,) = load_briefs(data.encode(), "brief.txt")
    assert brief.release_at == HELD_UNTIL
    naive = json.dumps([{"what_happened": "x", "release_at": "2026-12-08T09:00:00"}])
    with pytest.raises(BriefParseError, match=r'^item 1: field "release_at": .* needs its UTC'):
        load_briefs(naive.encode(), "briefs.json")


def test_a_written_held_brief_reads_back_from_its_file() -> None:
    held = BriefContent(title="T", what_happened="x", topics=["a"], release_at=HELD_UNTIL)
    text = format_brief(held)
    assert "\n🕘RELEASE: 2026-12-08T08:00:00+00:00\n" in text
    assert load_briefs(text.encode(), "brief-3.md") == [held]


@pytest.mark.parametrize(
    ("text", "stated", "release_at"),
    [
        ("❓WHAT HAPPENED: x\n", False, None),
        ("🕘RELEASE: 2026-12-08T08:00Z\n❓WHAT HAPPENED: x\n", True, HELD_UNTIL),
        ("🕘RELEASE:\n❓WHAT HAPPENED: x\n", True, None),
    ],
)
def test_an_upload_states_its_release_time_only_with_a_release_line(
    text: str, stated: bool, release_at: datetime | None
) -> None:
    # Unstated, `/brief edit` keeps the brief's release time, as it keeps its topics.
    content = parse_upload(text.encode(), "brief.md", **LIMITS)
    assert ("release_at" in content.model_fields_set) is stated
    assert content.release_at == release_at
    assert "topics" not in content.model_fields_set


def test_an_uploaded_export_keeps_its_release_time_but_not_its_identity() -> None:
    exported = Brief(
        id=3,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        title="T",
        what_happened="x",
        release_at=HELD_UNTIL,
    )
    data = json.dumps(exported.model_dump(mode="json")).encode()
    content = parse_upload(data, "brief-3.json", **LIMITS)
    assert type(content) is BriefContent
    assert content.release_at == HELD_UNTIL
    bare = json.dumps({"what_happened": "x"}).encode()
    assert "release_at" not in parse_upload(bare, "b.json", **LIMITS).model_fields_set


def test_an_upload_with_a_bad_release_line_says_which_line() -> None:
    data = "# T\n🕘RELEASE: 9am\n❓WHAT HAPPENED: x\n".encode()
    with pytest.raises(UserFacingError, match=r"is not a valid brief: line 2: can't read"):
        parse_upload(data, "brief.md", **LIMITS)
