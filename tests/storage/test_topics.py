"""Topics in pure Python: the rules briefs, files, forms, search and delivery share."""

from __future__ import annotations

import pytest

from storage.topics import (
    TopicCount,
    clean_topics,
    join_topics,
    matching,
    split_topics,
    tally,
)


@pytest.mark.parametrize("topic", ["a, b", "a;b", "sport,"])
def test_a_topic_cannot_hold_a_separator(topic: str) -> None:
    with pytest.raises(ValueError, match="comma or semicolon"):
        clean_topics([topic])


@pytest.mark.parametrize("topics", [[], ["sport"], ["Local News", "Ça va", "C++", "a: b", "🚀"]])
def test_joined_topics_split_back(topics: list[str]) -> None:
    assert clean_topics(split_topics(join_topics(topics))) == topics


def test_tally_groups_spellings_by_key_most_used_first() -> None:
    topics = tally(
        [("Sport", 2), ("sport", 5), ("weather", 7), ("local  news", 1), ("Local News", 1), ("", 3)]
    )
    assert topics == [
        TopicCount("sport", "sport", 7, ("Sport", "sport")),
        TopicCount("weather", "weather", 7, ("weather",)),
        TopicCount("Local News", "local news", 2, ("Local News", "local  news")),
    ]


def test_matching_holds_what_was_typed_by_key_starts_first() -> None:
    topics = tally([("local news", 9), ("news", 3), ("newsletters", 5), ("sport", 8)])
    assert [t.name for t in matching(topics, "  NEWS")] == ["newsletters", "news", "local news"]
    assert [t.name for t in matching(topics, "")] == ["local news", "sport", "newsletters", "news"]
    assert matching(topics, "cricket") == []
