"""Turn publisher text (or JSON) into `BriefContent`, and `BriefContent` back into text.

The format is docs/brief-format.md. Where it leaves room for doubt, this module decides:

- Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only. A leading byte-order mark, whitespace at line
  ends and blank lines around each section and the article are dropped; everything else
  (curly quotes, dashes, emoji, any script, inner newlines, indentation) is kept verbatim.
  Text with a NUL character or lone surrogates is rejected as not UTF-8 text.
- A line is a label line when, after optional spaces, Markdown ``*``/``_`` and emoji, it
  starts with a label (case-insensitive, ``&`` or ``and``) that ends at a word boundary and
  is set off from its text in one of three ways:

  1. a marker: a section emoji (or a close variant: ❔ 👥 📌 🗨 🗯), bold or italics closed
     right after the label, or a separator (``:``, ``–``, ``—``, or ``-`` before a space);
  2. the label in capitals, then spaces or nothing: ``IMPACT Two lanes close``;
  3. the label in any case, then a tab or two or more spaces, then text:
     ``impact   Roads closed.``, ``who was involved<TAB>The council``.

  Anything else is text, wherever it stands: a label word in lower or mixed case followed
  by exactly one space is how sentences begin (``Impact of the vote was…``, ``When and where
  it happens is unclear``), and such a label alone on its line reads as an article
  subheading. Spacing decides because it is what tells the two apart in practice: prose
  puts one space after a word, aligned newsroom copy a run of them. ("Spaces" are any
  Unicode white space; lines never end in any.) Whether a line is a label depends on that
  line alone.
- Labels are recognised only in the summary region, never in the article. The summary
  starts at the first label line (after the optional title line; blank and separator lines
  before it are skipped, any other text there is an error).
- With a separator line (``---``, ``***``, ``___``, also spaced like ``* * *``) after the
  first label, the summary is everything up to the first one: every label line before it is
  a section (out of order or repeated is an error) and the last section runs up to it.
  Consequence: a brief with no separator after its summary whose article contains such a
  rule has the article's opening absorbed by its last section; adding a ``---`` line after
  the summary fixes it. The format cannot tell the two apart, and this way everything
  `format_brief` writes (it always writes the separator) reads back unchanged.
- Without a separator, the last section present is the first IMPACT (always the last
  section), or else the last label line in the text; this is the lookahead that lets a
  brief without IMPACT work. Its text is its own line only and the article starts on the
  next non-blank line, so ``IMPACT: …`` or ``Impact: …`` further down, after IMPACT, is
  article text. If that next line is itself a label line, or the last section's line is
  empty while text follows it, the brief is rejected rather than silently misread. Without
  IMPACT and without a separator, a marked label deep in the article (``Impact: …``) is
  read as a section: that ambiguity is inherent, and a ``---`` line resolves it.
- Sections must appear in the documented order; a repeated or out-of-order label in the
  summary is an error naming both lines. An empty optional section is simply absent.
- An explicit title is kept as written (the renderer cuts it); only the fallback title, the
  first sentence of WHAT HAPPENED, is cut to Discord's 256-character embed title.
- Strip patterns are searched (``re.search``) in each line, from the end of the article
  backwards, and stop at the first line that matches none; blank lines there go too.
- The title line is ``# Title`` (one to six ``#``) or ``TITLE: Title`` in any case, with
  optional bold or italics around ``TITLE``; it must be the first non-blank line.
- The topics line is a label line like the sections' (``🏷️TOPICS: sport, local news``; the
  label ``TOPICS`` or ``TAGS``, the emoji 🏷 or 🔖), split at commas and semicolons and
  cleaned by `storage.topics.clean_topics`. It goes after the title line, before the first
  section. Found in the summary (where it would silently end a section) or right after its
  last section (where it would start the article), it is an error naming where it belongs;
  in the article it is text. A brief without one states no topics (a replacement file then
  keeps the brief's, see `bot.brief.drafts.merge_upload`); an empty one states none.
- `format_brief` always writes a separator after the summary, so its output reads back
  unchanged, multi-line last section included, as long as no line inside a section
  (possible only in briefs built from JSON) itself reads as a label or a separator. It
  writes the topics line only for a brief with topics, and the title line only for a title
  of the brief's own: a derived one (`bot.brief.text.has_derived_title`) is derived again.
- JSON items are numbered from 1 in error messages; text fields are stored as given, and a
  missing or blank ``title`` falls back like a text brief's (so a missing WHAT HAPPENED is
  reported as ``what_happened``, not as the title it would have given).
- JSON keys are those of `BriefContent`, plus `Brief`'s own (``id``, ``created_at``, …), all
  read from the models; an item with any of Brief's own keys is an export and validated as a
  `Brief`. Any other key is refused, naming it and the nearest known key (`difflib`, ignoring
  case) or, when none is near, the known fields. Each error is one line.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple, NoReturn

from pydantic import ValidationError

from bot.brief.text import derived_title, has_derived_title, truncate
from bot.errors import UserFacingError
from storage.models import SECTIONS, Brief, BriefContent
from storage.topics import clean_topics, join_topics, split_topics

__all__ = [
    "DEFAULT_MAX_CHARS",
    "NO_WHAT_HAPPENED",
    "BriefParseError",
    "briefs_from_json",
    "decode_text",
    "format_brief",
    "is_separator",
    "parse_brief",
    "parse_brief_json",
]

#: The largest brief accepted, in characters, unless a caller (BRIEF_MAX_CHARS) says otherwise.
DEFAULT_MAX_CHARS = 100_000
_ORDER = {section.field: index for index, section in enumerate(SECTIONS)}
_BY_FIELD = {section.field: section for section in SECTIONS}
_LAST_FIELD = SECTIONS[-1].field
#: The error for a brief without WHAT HAPPENED (an empty form's too).
NO_WHAT_HAPPENED = (
    f"no {SECTIONS[0].emoji}{SECTIONS[0].label} section found — every brief needs one"
)
#: The field a topics line fills, its label and emoji as `format_brief` writes them.
_TOPICS = "tags"
TOPICS_LABEL = "TOPICS"
TOPICS_EMOJI = "🏷️"
_TOPICS_PLACE = f"the {TOPICS_LABEL} line goes before the first section (after the title line)"
#: Names people give the JSON field `tags`, which the unknown-key error points to.
_KEY_HINTS = {"topics": "tags", "topic": "tags"}
_TEXT_FIELDS = ("title", *(section.field for section in SECTIONS), "body")
#: The keys a JSON brief may carry, read from the models (fields, and the computed fields
#: `model_dump` writes) so that `python -m bot export` output always imports back. Any of
#: Brief's own fields (its identity: id, created_at, …) makes an item an exported `Brief`.
_CONTENT_KEYS = (*BriefContent.model_fields, *BriefContent.model_computed_fields)
_EXPORT_KEYS = frozenset((*Brief.model_fields, *Brief.model_computed_fields))
_IDENTITY_KEYS = frozenset(Brief.model_fields).difference(BriefContent.model_fields)

#: Emoji accepted as a label marker: the format's own and the look-alikes publishers use.
_SECTION_EMOJI = frozenset("❓❔👤👥📍📌💬🗨🗯🎯🏷🔖")
#: Invisible parts of emoji sequences: variation selectors, zero-width joiner, keycap.
_EMOJI_JOINERS = frozenset("\ufe0e\ufe0f\u200d\u20e3")
_DECORATION = frozenset("*_")

_LABEL = re.compile(
    r"(?:(?P<what_happened>what\s+happened)"
    r"|(?P<who_was_involved>who\s+was\s+involved)"
    r"|(?P<when_and_where>when(?:\s*&(?:amp;)?\s*|\s+and\s+)where)"
    r"|(?P<key_quote>key\s+quote)"
    r"|(?P<impact>impact)"
    r"|(?P<tags>topics|tags))"
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


class BriefParseError(UserFacingError):
    """One error type for every invalid brief: `message` says what, `line` (1-based) where."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        """Keep the message and line apart so callers can show or highlight either."""
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the keyword-only line, which the default reduction would lose."""
        return (_rebuild_error, (self.message, self.line))


def _rebuild_error(message: str, line: int | None) -> BriefParseError:
    """Recreate a pickled BriefParseError."""
    return BriefParseError(message, line=line)


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
    index = _skip_filler(lines, index)
    topics_line = _match_label(lines[index], index) if index < len(lines) else None
    if topics_line is not None and topics_line.field == _TOPICS:
        index = _skip_filler(lines, index + 1)
    else:
        topics_line = None
    if index >= len(lines) or _match_section(lines[index], index) is None:
        _no_summary(lines, index, topics_line)
    summary, summary_end, article_start = _summary(lines, index)
    _check_no_topics_line(lines, index, summary_end, topics_line)
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
    if topics_line is not None:
        fields[_TOPICS] = _topics(topics_line)
    try:
        return BriefContent.model_validate(fields)
    except ValidationError as exc:
        raise BriefParseError(_describe(exc)) from exc


def format_brief(content: BriefContent) -> str:
    """Write a brief as canonical text, the form `parse_brief` reads back unchanged.

    A derived title is left out, so the text, edited and read back, derives it afresh.
    """
    title = re.sub(r"\s*[\r\n]+\s*", " ", content.title.strip())
    parts = [] if has_derived_title(content) else [f"# {title}"]
    if content.tags:
        parts.append(f"{TOPICS_EMOJI}{TOPICS_LABEL}: {join_topics(content.tags)}")
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


def decode_text(data: str | bytes, name: str) -> str:
    """Return the data as text without a BOM, rejecting bytes that are not UTF-8 text."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BriefParseError(f"{name} is not UTF-8 text") from None
    else:
        text = data
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BriefParseError(f"{name} is not UTF-8 text") from None
    if "\x00" in text:
        raise BriefParseError(f"{name} is not UTF-8 text (it contains NUL bytes)")
    return text.removeprefix("\ufeff")


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
    """Recognise a label line, conservatively: see the module docstring for the rules."""
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
    """Recognise a section's label line (a topics line is not one)."""
    label = _match_label(line, index)
    return None if label is None or label.field == _TOPICS else label


def _topics(label: _Label) -> list[str]:
    """Read a topics line's topics by the rule every brief's topics meet."""
    try:
        return clean_topics(split_topics(label.rest))
    except ValueError as error:
        raise BriefParseError(f"in the {TOPICS_LABEL} line, {error}", line=label.at + 1) from None


def _check_no_topics_line(
    lines: Sequence[str], start: int, end: int, topics_line: _Label | None
) -> None:
    """Refuse a topics line inside the summary, where it would end up in a section's text."""
    for index in range(start, end):
        label = _match_label(lines[index], index)
        if label is not None and label.field == _TOPICS:
            _misplaced_topics(label, topics_line)


def _misplaced_topics(label: _Label, topics_line: _Label | None) -> NoReturn:
    """Raise the error for a topics line found after the first section."""
    if topics_line is not None:
        raise BriefParseError(
            f"the {TOPICS_LABEL} line appears twice (first on line {topics_line.at + 1})",
            line=label.at + 1,
        )
    raise BriefParseError(_TOPICS_PLACE, line=label.at + 1)


def _no_summary(lines: Sequence[str], index: int, topics_line: _Label | None) -> NoReturn:
    """Raise the most useful error for a brief whose summary does not start where expected."""
    has_what = any(
        (label := _match_label(line, i)) is not None and label.field == "what_happened"
        for i, line in enumerate(lines)
    )
    if index >= len(lines) or not has_what:
        raise BriefParseError(NO_WHAT_HAPPENED)
    label = _match_label(lines[index], index)
    if label is not None and label.field == _TOPICS:
        _misplaced_topics(label, topics_line)
    raise BriefParseError(
        "unexpected text before the first section — a brief starts with an optional "
        f"title line (`# Title` or `TITLE: Title`), an optional {TOPICS_LABEL} line, then "
        f"{_display('what_happened')}",
        line=index + 1,
    )


def _summary(lines: Sequence[str], start: int) -> tuple[list[_Label], int, int]:
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
    if follower is not None and follower.field == _TOPICS:
        raise BriefParseError(_TOPICS_PLACE, line=follower.at + 1)
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


def parse_brief_json(
    data: str | bytes, *, max_chars: int = DEFAULT_MAX_CHARS
) -> list[BriefContent]:
    """Parse one brief object or a list of them; exported briefs come back as `Brief`."""
    text = decode_text(data, "the JSON")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BriefParseError(f"the file is not valid JSON: {exc.msg}", line=exc.lineno) from None
    except (ValueError, RecursionError):
        raise BriefParseError("the file is not valid JSON") from None
    return briefs_from_json(raw, max_chars)


def briefs_from_json(raw: object, max_chars: int) -> list[BriefContent]:
    """Validate decoded JSON as briefs, naming the item and field of the first problem."""
    if isinstance(raw, dict):
        items: list[object] = [raw]
    elif isinstance(raw, list):
        items = raw
        if not items:
            raise BriefParseError("the JSON list holds no briefs")
    else:
        raise BriefParseError("the JSON must be one brief object or a list of brief objects")
    numbered = isinstance(raw, list)
    return [_brief_from_json(item, n, numbered, max_chars) for n, item in enumerate(items, 1)]


def _brief_from_json(item: object, number: int, numbered: bool, max_chars: int) -> BriefContent:
    """Validate one JSON object as a BriefContent, or a Brief when it carries its identity."""
    where = f"item {number}: " if numbered else ""
    if not isinstance(item, dict):
        raise BriefParseError(f"{where}expected a brief object, found {_json_type(item)}")
    size = sum(len(value) for key in _TEXT_FIELDS if isinstance(value := item.get(key), str))
    if size > max_chars:
        raise BriefParseError(
            f"{where}the brief is {size:,} characters long; the limit is {max_chars:,}"
        )
    unknown = next((key for key in item if key not in _EXPORT_KEYS), None)
    if unknown is not None:
        raise BriefParseError(f"{where}unknown field {_quote(unknown)} ({_closest(unknown)})")
    for key, value in item.items():
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise BriefParseError(f'{where}field "{key}": contains a NUL character (\\u0000)')
    fields = dict(item)
    title, what = fields.get("title"), fields.get("what_happened")
    untitled = title is None or (isinstance(title, str) and not title.strip())
    if untitled and isinstance(what, str) and what.strip():
        fields["title"] = derived_title(what)
    model = Brief if _IDENTITY_KEYS.intersection(fields) else BriefContent
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        # A missing title is WHAT HAPPENED's first sentence: its error is WHAT HAPPENED's.
        derived = ("title",) if untitled else ()
        raise BriefParseError(where + _describe(exc, derived=derived)) from None


def _quote(key: str) -> str:
    """Quote a key as JSON writes it, cut short: a key may hold anything, newlines included."""
    return json.dumps(truncate(key, 40), ensure_ascii=False)


def _closest(key: str) -> str:
    """Suggest the known key nearest to an unknown one, or list the fields when none is near."""
    by_folded = {known.casefold(): known for known in _EXPORT_KEYS}
    hinted = _KEY_HINTS.get(key.strip().casefold())
    if hinted is not None:
        return f"did you mean {_quote(hinted)}?"
    near = difflib.get_close_matches(key.casefold(), by_folded, n=1)
    if near:
        return f"did you mean {_quote(by_folded[near[0]])}?"
    return "known fields: " + ", ".join(_CONTENT_KEYS)


def _json_type(value: object) -> str:
    """Name a decoded JSON value's type the way JSON does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list"


def _describe(exc: ValidationError, *, derived: Sequence[str] = ()) -> str:
    """Turn pydantic's first error into one line naming the field.

    Errors on `derived` fields (filled in from another field) come last: the other field's
    error is the real one.
    """
    errors = exc.errors()
    error = next((e for e in errors if not (e["loc"] and e["loc"][0] in derived)), errors[0])
    field = ".".join(str(part) for part in error["loc"]) or "brief"
    message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
    return f'field "{field}": {message[:1].lower()}{message[1:]}'
