"""What both formats share: the error they raise, the size limit, text decoding, the names of
the topics and release lines, and what a release time without its offset is told.

The format is docs/brief-format.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.brief.text import truncate
from bot.errors import UserFacingError
from storage.models import SECTIONS

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
TOPICS_FIELD = "topics"
TOPICS_LABEL = "TOPICS"
TOPICS_EMOJI = "🏷️"
#: The field a release line fills, its label and emoji as `format_brief` writes them.
RELEASE_FIELD = "release_at"
RELEASE_LABEL = "RELEASE"
RELEASE_EMOJI = "🕘"
#: The offset a release time's example shows: any would do, the point is that there is one.
_EXAMPLE_OFFSET = "+01:00"
#: A release time that names a time of day (not just a date): ISO's `T`, or a space.
_HAS_CLOCK = re.compile(r"[Tt\s]")


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


def describe(exc: ValidationError, *, derived: Sequence[str] = ()) -> str:
    """Turn pydantic's first error into one line naming the field.

    Errors on `derived` fields (filled in from another field) come last: the other field's
    error is the real one.
    """
    errors = exc.errors()
    error = next((e for e in errors if not (e["loc"] and e["loc"][0] in derived)), errors[0])
    field = ".".join(str(part) for part in error["loc"]) or "brief"
    message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
    return f'field "{field}": {message[:1].lower()}{message[1:]}'


def needs_offset(said: str, moment: datetime) -> str:
    """Say that the release time `said` (read as the naive `moment`) lacks its UTC offset,
    with `said` as it would be with one: a newsroom's 09:00 read as UTC breaks an embargo."""
    quoted = truncate(" ".join(said.split()), 60)
    if not _HAS_CLOCK.search(said.strip()):
        example = f"{moment.date().isoformat()}T09:00{_EXAMPLE_OFFSET}"
        return f'the release time "{quoted}" needs a time of day and its UTC offset, e.g. {example}'
    spec = "seconds" if moment.second or moment.microsecond else "minutes"
    example = moment.isoformat(timespec=spec) + _EXAMPLE_OFFSET
    return f'the release time "{quoted}" needs its UTC offset, e.g. {example}'
