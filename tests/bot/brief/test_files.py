"""Brief files: what is refused before or while reading, and how bytes are told JSON or text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from bot.brief.files import load_briefs, read_file
from bot.brief.parsing import BriefParseError, parse_brief_json
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
