"""Topics in pure Python: the rules briefs, files, forms, search and delivery share."""

from __future__ import annotations

import pytest

from storage.topics import (
    Match,
    TopicCount,
    clean_topics,
    join_topics,
    matches,
    matching,
    split_topics,
    tally,
    topic_key,
)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("sport\u200b", "sport"),  # zero-width space, pasted along
        ("\ufeffspo\u00adrt\u2060", "sport"),  # byte order mark, soft hyphen, word joiner
        ("local\u00a0news", "local news"),  # no-break space
        ("local\u3000\u202f news", "local news"),  # ideographic and narrow spaces
        ("ＳＰＯＲＴ", "sport"),  # fullwidth letters
        ("\ufb01nance", "finance"),  # the fi ligature
        ("e\u0301conomie", "économie"),  # e and a combining acute accent
        ("ÉCONOMIE", "économie"),
        ("Straße", "strasse"),
        ("❤\ufe0f", "❤"),  # an emoji's variation selector
        ("\u200b\u3164", ""),  # nothing that shows
    ],
)
def test_a_topic_key_is_what_people_see(typed: str, key: str) -> None:
    assert topic_key(typed) == key


def test_what_shows_as_a_topic_matches_it() -> None:
    assert matches(["sport\u200b"], ["sport"], Match.ANY)
    assert matches(["ｓｐｏｒｔ", "local\u00a0news"], ["Sport", "LOCAL NEWS"], Match.ALL)
    assert not matches(["e\u0301conomie"], ["Économie"], Match.NONE)
    assert not matches(["sports"], ["sport\u200b"], Match.ANY)


def test_a_topic_of_invisible_characters_is_blank_and_spellings_are_one_topic() -> None:
    assert clean_topics(["\u200b", "\u3164 ", "sport", "SPORT\u200b", "ｓｐｏｒｔ"]) == ["sport"]
    assert tally([("sport", 2), ("sport\u200b", 1), ("ＳＰＯＲＴ", 1), ("\u200b", 4)]) == [
        TopicCount("sport", "sport", 4, ("sport", "sport\u200b", "ＳＰＯＲＴ"))
    ]


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
