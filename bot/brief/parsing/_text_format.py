"""The text format: read a publisher's brief, and write one back that reads the same.

The rules, down to the cases where the format leaves room for doubt, are
docs/brief-format.md ("Fine points"); this module follows them and does not restate them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple, NoReturn

from pydantic import ValidationError

from bot.brief.parsing._common import (
    DEFAULT_MAX_CHARS,
    NO_WHAT_HAPPENED,
    RELEASE_EMOJI,
    RELEASE_FIELD,
    RELEASE_LABEL,
    TOPICS_EMOJI,
    TOPICS_FIELD,
    TOPICS_LABEL,
    BriefParseError,
    decode_text,
    describe,
    needs_offset,
)
from bot.brief.text import derived_title, has_derived_title, truncate
from storage.models import SECTIONS, BriefContent
from storage.topics import clean_topics, join_topics, split_topics

_ORDER = {section.field: index for index, section in enumerate(SECTIONS)}
_BY_FIELD = {section.field: section for section in SECTIONS}
_LAST_FIELD = SECTIONS[-1].field
#: The lines that may come between the title line and the first section, in either order,
#: each at most once: their fields and labels.
_HEAD_LABELS = {TOPICS_FIELD: TOPICS_LABEL, RELEASE_FIELD: RELEASE_LABEL}
#: What a release time that cannot be read, or lacks its offset, is told to do instead.
_RELEASE_EXAMPLE = "2026-12-08T09:00+01:00"
_RELEASE_OPTION = "(or give the time with /brief add's release option)"

#: Emoji accepted as a label marker: the format's own and the look-alikes publishers use
#: (every clock face, U+1F550 to U+1F567, and the alarm clock for the release line).
_CLOCKS = "".join(chr(code) for code in range(0x1F550, 0x1F568)) + "⏰"
_SECTION_EMOJI = frozenset("❓❔👤👥📍📌💬🗨🗯🎯🏷🔖" + _CLOCKS)
#: Invisible parts of emoji sequences: variation selectors, zero-width joiner, keycap.
_EMOJI_JOINERS = frozenset("\ufe0e\ufe0f\u200d\u20e3")
_DECORATION = frozenset("*_")

_LABEL = re.compile(
    r"(?:(?P<what_happened>what\s+happened)"
    r"|(?P<who_was_involved>who\s+was\s+involved)"
    r"|(?P<when_and_where>when(?:\s*&(?:amp;)?\s*|\s+and\s+)where)"
    r"|(?P<key_quote>key\s+quote)"
    r"|(?P<impact>impact)"
    r"|(?P<topics>topics|tags)"
    r"|(?P<release_at>release|embargo))"
    r"(?![^\W_])",
    re.IGNORECASE,
)
_LABEL_SEPARATOR = re.compile(r"\s*(?::|[–—]|-(?=[\s*_]|$))")
_CLOSING_DECORATION = re.compile(r"\s*[*_]{1,3}")
#: The spaces-only separator that sets off a bare label in lower or mixed case: a tab, or
#: two or more spaces (prose puts exactly one space after a word).
_WIDE_GAP = re.compile(r"\t|\s\s")
_RULE = re.compile(r"\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})")
_HEADING = re.compile(r"#{1,6}\s+(?P<title>\S.*)")
_TITLE_LINE = re.compile(
    r"(?P<open>[*_]{0,3})\s*title(?:(?P=open))?\s*:\s*(?:(?P=open))?(?P<title>.*)",
    re.IGNORECASE,
)


class _Label(NamedTuple):
    """A recognised label line: which section, its line index, and the text after the label."""

    field: str
    at: int
    rest: str


# --- text ---------------------------------------------------------------------------------


def parse_brief(
    text: str | bytes,
    *,
    strip_patterns: Sequence[str] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
) -> BriefContent:
    """Parse one brief in the text format, raising BriefParseError for anything invalid."""
    patterns = _compile_patterns(tuple(strip_patterns))
    source = _normalise(decode_text(text, "the brief"))
    if len(source) > max_chars:
        raise BriefParseError(
            f"the brief is {len(source):,} characters long; the limit is {max_chars:,}"
        )
    lines = [line.rstrip() for line in source.split("\n")]
    if not any(lines):
        raise BriefParseError("the brief is empty")

    index = _skip_blank(lines, 0)
    title = _title(lines[index], index)
    if title is not None:
        index += 1
    index, head = _head(lines, _skip_filler(lines, index))
    if index >= len(lines) or _match_section(lines[index], index) is None:
        _no_summary(lines, index, head)
    summary, summary_end, article_start = _summary(lines, index, head)
    _check_no_head_line(lines, index, summary_end, head)
    sections = _section_texts(lines, summary, summary_end)
    last = summary[-1]
    ended_by_rule = summary_end < len(lines) and _RULE.fullmatch(lines[summary_end]) is not None
    if not ended_by_rule and not sections[last.field] and article_start < len(lines):
        raise BriefParseError(
            f"the {_BY_FIELD[last.field].label} section is empty — write its text on the "
            "label's line, or put a --- line between the summary and the article",
            line=last.at + 1,
        )
    what = sections.get("what_happened")
    if what is None:
        raise BriefParseError(NO_WHAT_HAPPENED)
    if not what:
        what_line = next(label.at for label in summary if label.field == "what_happened")
        raise BriefParseError("the WHAT HAPPENED section is empty", line=what_line + 1)

    body = _article(lines[article_start:], patterns)
    fields: dict[str, Any] = {field: value or None for field, value in sections.items()}
    fields["title"] = title if title is not None else derived_title(what)
    fields["body"] = body
    if TOPICS_FIELD in head:
        fields[TOPICS_FIELD] = _topics(head[TOPICS_FIELD])
    if RELEASE_FIELD in head:
        fields[RELEASE_FIELD] = _release(head[RELEASE_FIELD])
    try:
        return BriefContent.model_validate(fields)
    except ValidationError as exc:
        raise BriefParseError(describe(exc)) from exc


def format_brief(content: BriefContent) -> str:
    """Write a brief as canonical text, the form `parse_brief` reads back unchanged.

    A derived title is left out, so the text, edited and read back, derives it afresh. A
    release time is written in UTC.
    """
    title = re.sub(r"\s*[\r\n]+\s*", " ", content.title.strip())
    parts = [] if has_derived_title(content) else [f"# {title}"]
    if content.topics:
        parts.append(f"{TOPICS_EMOJI}{TOPICS_LABEL}: {join_topics(content.topics)}")
    if content.release_at is not None:
        release = content.release_at.astimezone(UTC).isoformat()
        parts.append(f"{RELEASE_EMOJI}{RELEASE_LABEL}: {release}")
    for section in SECTIONS:
        text = content.section(section.field)
        if text:
            parts.append(f"{section.emoji}{section.label}: {text}")
    parts.append("---")
    if content.body:
        parts.append(content.body)
    return "\n".join(parts) + "\n"


def is_separator(line: str) -> bool:
    """Tell whether a line is a separator (`---`, `***`, `___`), which ends a summary."""
    return _RULE.fullmatch(line.rstrip()) is not None


def _normalise(text: str) -> str:
    """Use `\\n` for every line ending, whichever system the text came from."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@lru_cache(maxsize=32)
def _compile_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Compile strip patterns once per setting, naming the one that is not a valid regex."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise BriefParseError(
                f"the strip pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
    return tuple(compiled)


def _skip_filler(lines: Sequence[str], index: int) -> int:
    """Return the index of the first line at or after index that is neither blank nor a rule."""
    while index < len(lines) and (not lines[index] or _RULE.fullmatch(lines[index])):
        index += 1
    return index


def _skip_blank(lines: Sequence[str], index: int) -> int:
    """Return the index of the first non-blank line at or after index (or len(lines))."""
    while index < len(lines) and not lines[index]:
        index += 1
    return index


def _display(field: str) -> str:
    """Return a section's label with its emoji, as users see it in the format."""
    section = _BY_FIELD[field]
    return f"{section.emoji}{section.label}"


def _title(line: str, index: int) -> str | None:
    """Return the title if this line is a `# Title` or `TITLE: Title` line."""
    line = line.lstrip()
    heading = _HEADING.fullmatch(line)
    if heading:
        return heading.group("title").strip()
    titled = _TITLE_LINE.fullmatch(line)
    if not titled:
        return None
    title = titled.group("title").strip()
    opening = titled.group("open")
    if opening and title.endswith(opening):
        title = title[: -len(opening)].rstrip()
    if not title:
        raise BriefParseError("the title line is empty", line=index + 1)
    return title


def _is_emoji(char: str) -> bool:
    """Tell whether a character can be part of an emoji or symbol decorating a label."""
    return (
        char in _SECTION_EMOJI
        or char in _EMOJI_JOINERS
        or unicodedata.category(char) in ("So", "Sk")
    )


def _match_label(line: str, index: int) -> _Label | None:
    """Recognise a label line, conservatively: docs/brief-format.md, "Fine points"."""
    pos, has_emoji, decorated = 0, False, False
    while pos < len(line):
        char = line[pos]
        if char in _DECORATION:
            decorated = True
        elif char in _SECTION_EMOJI:
            has_emoji = True
        elif not (char.isspace() or _is_emoji(char)):
            break
        pos += 1
    label = _LABEL.match(line, pos)
    if label is None or label.lastgroup is None:
        return None
    rest = line[label.end() :]
    separated = closed = False
    if separator := _LABEL_SEPARATOR.match(rest):
        separated, rest = True, rest[separator.end() :]
    if decorated and (closing := _CLOSING_DECORATION.match(rest)):
        closed, rest = True, rest[closing.end() :]
        if not separated and (separator := _LABEL_SEPARATOR.match(rest)):
            separated, rest = True, rest[separator.end() :]
    if not (separated or closed) and rest and not rest[0].isspace():
        return None
    marked = has_emoji or separated or closed
    if not (marked or label.group().isupper() or _WIDE_GAP.match(rest)):
        return None
    return _Label(label.lastgroup, index, rest.strip())


def _match_section(line: str, index: int) -> _Label | None:
    """Recognise a section's label line (a topics or release line is not one)."""
    label = _match_label(line, index)
    return None if label is None or label.field in _HEAD_LABELS else label


def _match_head(line: str, index: int) -> _Label | None:
    """Recognise a topics or release line."""
    label = _match_label(line, index)
    return label if label is not None and label.field in _HEAD_LABELS else None


def _head(lines: Sequence[str], index: int) -> tuple[int, dict[str, _Label]]:
    """Read the topics and release lines from `index` on (either order, each at most once):
    return where the summary should start and the lines found, by field."""
    head: dict[str, _Label] = {}
    while index < len(lines):
        label = _match_head(lines[index], index)
        if label is None or label.field in head:
            break
        head[label.field] = label
        index = _skip_filler(lines, index + 1)
    return index, head


def _topics(label: _Label) -> list[str]:
    """Read a topics line's topics by the rule every brief's topics meet."""
    try:
        return clean_topics(split_topics(label.rest))
    except ValueError as error:
        raise BriefParseError(f"in the {TOPICS_LABEL} line, {error}", line=label.at + 1) from None


def _release(label: _Label) -> datetime | None:
    """Read a release line's time: ISO 8601 with its offset, in UTC; an empty line, none."""
    said = " ".join(label.rest.split())
    if not said:
        return None
    line = label.at + 1
    try:
        moment = datetime.fromisoformat(said.upper())
    except ValueError:
        raise BriefParseError(
            f'can\'t read the release time "{truncate(said, 60)}": write an ISO 8601 date and '
            f"time with its UTC offset, e.g. {_RELEASE_EXAMPLE} {_RELEASE_OPTION}",
            line=line,
        ) from None
    if moment.utcoffset() is None:
        raise BriefParseError(f"{needs_offset(said, moment)} {_RELEASE_OPTION}", line=line)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BriefParseError(
            f'the release time "{truncate(said, 60)}" falls outside the years 1 to 9999 in UTC',
            line=line,
        ) from None


def _check_no_head_line(
    lines: Sequence[str], start: int, end: int, head: Mapping[str, _Label]
) -> None:
    """Refuse a topics or release line inside the summary, where it would end up in a
    section's text."""
    for index in range(start, end):
        label = _match_head(lines[index], index)
        if label is not None:
            _misplaced(label, head)


def _misplaced(label: _Label, head: Mapping[str, _Label]) -> NoReturn:
    """Raise the error for a topics or release line found where it cannot be: a second one,
    or one after the first section."""
    name = _HEAD_LABELS[label.field]
    first = head.get(label.field)
    if first is not None:
        raise BriefParseError(
            f"the {name} line appears twice (first on line {first.at + 1})", line=label.at + 1
        )
    raise BriefParseError(
        f"the {name} line goes before the first section (after the title line)",
        line=label.at + 1,
    )


def _no_summary(lines: Sequence[str], index: int, head: Mapping[str, _Label]) -> NoReturn:
    """Raise the most useful error for a brief whose summary does not start where expected."""
    has_what = any(
        (label := _match_label(line, i)) is not None and label.field == "what_happened"
        for i, line in enumerate(lines)
    )
    if index >= len(lines) or not has_what:
        raise BriefParseError(NO_WHAT_HAPPENED)
    label = _match_head(lines[index], index)
    if label is not None:
        _misplaced(label, head)
    raise BriefParseError(
        "unexpected text before the first section — a brief starts with an optional "
        f"title line (`# Title` or `TITLE: Title`), optional {TOPICS_LABEL} and "
        f"{RELEASE_LABEL} lines, then {_display('what_happened')}",
        line=index + 1,
    )


def _summary(
    lines: Sequence[str], start: int, head: Mapping[str, _Label]
) -> tuple[list[_Label], int, int]:
    """Find the summary's label lines, where the summary ends and where the article starts."""
    rule = next((i for i in range(start + 1, len(lines)) if _RULE.fullmatch(lines[i])), None)
    end = len(lines) if rule is None else rule
    labels = [
        label for i in range(start, end) if (label := _match_section(lines[i], i)) is not None
    ]
    if rule is not None:
        _check_order(labels)
        return labels, rule, rule + 1
    impact = next((n for n, label in enumerate(labels) if label.field == _LAST_FIELD), None)
    if impact is not None:
        labels = labels[: impact + 1]
    article_start = _skip_blank(lines, labels[-1].at + 1)
    follower = (
        _match_label(lines[article_start], article_start) if article_start < len(lines) else None
    )
    if follower is not None and follower.field in _HEAD_LABELS:
        _misplaced(follower, head)
    _check_order(labels if follower is None else [*labels, follower])
    return labels, labels[-1].at + 1, article_start


def _check_order(labels: Sequence[_Label]) -> None:
    """Reject a label that repeats or comes after a later section, naming both lines."""
    first_seen: dict[str, int] = {}
    previous: _Label | None = None
    for label in labels:
        name = _BY_FIELD[label.field].label
        if label.field in first_seen:
            raise BriefParseError(
                f"the {name} section appears twice (first on line {first_seen[label.field] + 1})",
                line=label.at + 1,
            )
        if previous is not None and _ORDER[label.field] < _ORDER[previous.field]:
            raise BriefParseError(
                f"the {name} section must come before {_BY_FIELD[previous.field].label} "
                f"(line {previous.at + 1})",
                line=label.at + 1,
            )
        first_seen[label.field] = label.at
        previous = label


def _section_texts(lines: Sequence[str], labels: Sequence[_Label], end: int) -> dict[str, str]:
    """Collect each section's text: its label line's rest plus the lines up to the next label."""
    texts: dict[str, str] = {}
    for number, label in enumerate(labels):
        stop = labels[number + 1].at if number + 1 < len(labels) else end
        texts[label.field] = "\n".join([label.rest, *lines[label.at + 1 : stop]]).strip()
    return texts


def _article(lines: list[str], patterns: Sequence[re.Pattern[str]]) -> str:
    """Return the article text, with trailing lines matching a strip pattern removed."""
    end = len(lines)
    while True:
        while end and not lines[end - 1]:
            end -= 1
        if end and any(pattern.search(lines[end - 1]) for pattern in patterns):
            end -= 1
            continue
        break
    start = _skip_blank(lines, 0)
    return "\n".join(lines[start:end])


# --- JSON ---------------------------------------------------------------------------------
