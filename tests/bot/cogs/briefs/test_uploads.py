"""Brief files attached to `/brief add`: what is refused, and how clearly."""

from __future__ import annotations

import json

import pytest

from bot.config import Settings
from tests.helpers import (
    brief_count,
    last,
)


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "not a brief file"),
        ("brief.pdf", b"%PDF-1.4", "not a brief file"),
        ("brief.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("brief.txt", "❓ WHAT HAPPENED: café".encode("latin-1", "replace") + b"\xe9\xff", "UTF-8"),
        ("brief.txt", b"Just some notes about the ferry.\nNo labels here.", "WHAT HAPPENED"),
        ("brief.md", "👤 WHO WAS INVOLVED: Someone.\n---\nText.".encode(), "WHAT HAPPENED"),
        ("brief.txt", "❓ WHAT HAPPENED:\n👤 WHO WAS INVOLVED: x".encode(), "empty"),
        ("brief.json", b'{"title": "x", ', "not valid JSON"),
        ("brief.json", b'[{"what_happened": "a"}, {"what_happened": "b"}]', "one brief at a time"),
        ("brief.txt", b"", "empty"),
    ],
)
async def test_bad_files_are_refused_clearly(world, filename: str, data: bytes, expected: str):
    result = await world.alice.slash(world.channel, "brief add", file=(filename, data))

    message = last(result)
    assert message.ephemeral
    assert expected in message.content
    assert filename.split(".")[0] in message.content
    assert message.components == []
    assert await brief_count(world.env) == 0
    assert len(world.env.bot.drafts) == 0


async def test_oversized_file_is_refused(world, settings: Settings):
    settings.upload_max_bytes = 1_000

    result = await world.alice.slash(world.channel, "brief add", file=("big.txt", b"x" * 1_001))

    message = last(result)
    assert message.ephemeral
    assert "1,001 bytes" in message.content
    assert "1,000" in message.content
    assert await brief_count(world.env) == 0


@pytest.mark.parametrize(
    ("field", "link", "expected"),
    [
        ("source_url", "https://x.test/" + "a" * 600, 'field "source_url"'),
        ("image_url", "https://x.test/" + "a" * 2100, 'field "image_url"'),
        ("source_url", "https://x.test/a b", "spaces"),
    ],
)
async def test_a_file_with_a_link_discord_refuses_is_refused(world, field, link, expected):
    brief = {"what_happened": "A thing happened.", field: link}

    result = await world.alice.slash(
        world.channel, "brief add", file=("b.json", json.dumps(brief).encode())
    )

    assert expected in last(result).content
    assert last(result).components == []
    assert await brief_count(world.env) == 0
