"""Topics: the tags a brief carries, and the rule a subscription's topic filter applies.

A topic is shown as the publisher wrote it, and compared by its key: what shows is what
matches, so "World News", "world  news", "WORLD NEWS", "Ｗｏｒｌｄ News" and one pasted with a
zero-width space are one topic. The rules live here, in pure Python, so the model, the form,
files, search, autocomplete and delivery agree, on topics stored before the rule too.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

#: Most topics one brief carries, and the longest topic (a forum tag's name holds 20).
MAX_TOPICS = 10
TOPIC_MAX_CHARS = 40
#: Most topics in one subscription's filter.
MAX_FILTER_TOPICS = 10
#: What separates topics in a typed list, so no topic may hold one (a `Topics:` line reads back).
TOPIC_SEPARATORS = ",;"


class Match(enum.StrEnum):
    """How a subscription's topics select briefs (no topics: every brief)."""

    ANY = "any"  # the brief has at least one of them
    ALL = "all"  # the brief has every one of them
    NONE = "none"  # the brief has none of them


#: Characters that show as nothing besides the format characters (Unicode category Cf): the
#: combining grapheme joiner, variation selectors and the Hangul fillers.
INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def topic_key(topic: str) -> str:
    """Return the form topics are compared by: what people see, not how it was typed.

    Invisible characters dropped, compatibility forms (fullwidth letters, ligatures) and
    combining sequences normalised (NFKC), every kind of space one space, case folded.
    """
    visible = "".join(
        char for char in topic if char not in INVISIBLE and unicodedata.category(char) != "Cf"
    )
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


def clean_topics(topics: Iterable[str], *, most: int = MAX_TOPICS) -> list[str]:
    """Return the topics trimmed, blanks and repeats (by key) dropped, in their order.

    Raises ValueError, naming the problem, for a topic that is too long or too many topics.
    """
    kept: dict[str, str] = {}
    for topic in topics:
        shown = " ".join(topic.split())
        if not topic_key(shown):  # blank, or only characters that show as nothing
            continue
        if len(shown) > TOPIC_MAX_CHARS:
            raise ValueError(
                f"topic {shown[:TOPIC_MAX_CHARS]!r}… is longer than {TOPIC_MAX_CHARS} characters"
            )
        if any(separator in shown for separator in TOPIC_SEPARATORS):
            raise ValueError(f"topic {shown!r} holds a comma or semicolon, which separate topics")
        kept.setdefault(topic_key(shown), shown)
    if len(kept) > most:
        raise ValueError(f"at most {most} topics, got {len(kept)}")
    return list(kept.values())


def split_topics(text: str) -> list[str]:
    """Split a typed list of topics ("sport, local news; weather") into topics."""
    return [part for part in text.replace(";", ",").split(",") if part.strip()]


def join_topics(topics: Iterable[str]) -> str:
    """Write topics as a typed list, the form `split_topics` reads back."""
    return ", ".join(topics)


def matches(tags: Sequence[str], topics: Sequence[str], match: Match) -> bool:
    """Say whether a brief with these tags is selected by a filter of these topics."""
    if not topics:
        return True
    have = {topic_key(tag) for tag in tags}
    wanted = {topic_key(topic) for topic in topics}
    if match is Match.ALL:
        return wanted <= have
    if match is Match.NONE:
        return not wanted & have
    return bool(wanted & have)


class TopicCount(NamedTuple):
    """One topic of the library: how it is shown, its key, and how many live briefs have it."""

    name: str
    key: str
    briefs: int
    #: Every spelling the briefs carry it under ("Sport", "sport"): what a filter looks for.
    spellings: tuple[str, ...]


def tally(counts: Iterable[tuple[str, int]]) -> list[TopicCount]:
    """Group stored tags, each with how many briefs carry it, into topics by key.

    Most used first, then by key; a topic is shown in its most used spelling. A brief carries
    a topic once (`clean_topics`), so the counts of its spellings add up.
    """
    spellings: dict[str, dict[str, int]] = {}
    for tag, briefs in counts:
        key = topic_key(tag)
        if key:
            by_spelling = spellings.setdefault(key, {})
            by_spelling[tag] = by_spelling.get(tag, 0) + briefs
    topics = [
        TopicCount(
            name=" ".join(min(found, key=lambda tag: (-found[tag], tag)).split()),
            key=key,
            briefs=sum(found.values()),
            spellings=tuple(sorted(found)),
        )
        for key, found in spellings.items()
    ]
    return sorted(topics, key=lambda topic: (-topic.briefs, topic.key))


def matching(topics: Iterable[TopicCount], typed: str) -> list[TopicCount]:
    """Return the topics whose key holds what was typed (by key too), those starting with it
    first; each group keeps the order given (the tally's: most used first)."""
    wanted = topic_key(typed)
    found = [topic for topic in topics if wanted in topic.key]
    return sorted(found, key=lambda topic: not topic.key.startswith(wanted))
