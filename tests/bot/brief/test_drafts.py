"""Drafts: what an edit keeps from the brief it changes, by form and by replacement file."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.brief.drafts import carry_hidden, merge_upload
from bot.brief.files import parse_upload
from storage.models import Brief, BriefContent

ORIGINAL = Brief(
    id=4,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    title="Ferry back",
    what_happened="The ferry runs.",
    source_url="https://example.com/ferry",
    topics=["transport"],
    published_at=datetime(2026, 1, 1, 8, tzinfo=UTC),
)


def upload(text: str, name: str = "edit.md") -> BriefContent:
    return parse_upload(
        text.encode(), name, strip_patterns=(), max_chars=100_000, max_bytes=256_000
    )


def test_the_form_decides_the_topics_and_keeps_the_publication_date():
    edited = BriefContent(title="Ferry back", what_happened="The ferry runs.", topics=["sea"])
    kept = carry_hidden(ORIGINAL, edited)
    assert kept.topics == ["sea"]
    assert kept.published_at == ORIGINAL.published_at
    assert carry_hidden(ORIGINAL, edited.model_copy(update={"topics": []})).topics == []


def test_a_file_without_a_topics_line_keeps_the_topics():
    merged = merge_upload(ORIGINAL, upload("❓WHAT HAPPENED: The ferry runs late."))
    assert merged.topics == ["transport"]
    assert merged.source_url == ORIGINAL.source_url


def test_a_files_topics_line_replaces_them_and_an_empty_one_removes_them():
    changed = upload("🏷️TOPICS: sea, weather\n❓WHAT HAPPENED: The ferry runs late.")
    assert merge_upload(ORIGINAL, changed).topics == ["sea", "weather"]
    emptied = upload("🏷️TOPICS:\n❓WHAT HAPPENED: The ferry runs late.")
    assert merge_upload(ORIGINAL, emptied).topics == []


def test_json_topics_decide_the_same_way():
    without = upload('{"what_happened": "Late."}', "edit.json")
    assert merge_upload(ORIGINAL, without).topics == ["transport"]
    emptied = upload('{"what_happened": "Late.", "topics": []}', "edit.json")
    assert merge_upload(ORIGINAL, emptied).topics == []
    emptied_by_old_name = upload('{"what_happened": "Late.", "tags": []}', "edit.json")
    assert merge_upload(ORIGINAL, emptied_by_old_name).topics == []
