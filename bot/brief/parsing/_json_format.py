"""The JSON format: one brief object or a list of them, exports included.

Its keys and errors are docs/brief-format.md ("JSON", and "Fine points").
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from bot.brief.parsing._common import (
    DEFAULT_MAX_CHARS,
    RELEASE_FIELD,
    BriefParseError,
    decode_text,
    describe,
    needs_offset,
)
from bot.brief.text import derived_title, truncate
from storage.models import OLD_TOPICS_KEY, SECTIONS, Brief, BriefContent

#: Names people give the JSON field `topics`, which the unknown-key error points to.
_KEY_HINTS = {"topic": "topics", "tag": "topics"}
_TEXT_FIELDS = ("title", *(section.field for section in SECTIONS), "body")
#: The keys a JSON brief may carry, read from the models (fields, and the computed fields
#: `model_dump` writes) so that `python -m bot export` output always imports back. Any of
#: Brief's own fields (its identity: id, created_at, …) makes an item an exported `Brief`.
#: The topics' old name is read too (old files and exports), though no longer suggested.
_CONTENT_KEYS = (*BriefContent.model_fields, *BriefContent.model_computed_fields)
_EXPORT_KEYS = frozenset((*Brief.model_fields, *Brief.model_computed_fields))
_READ_KEYS = _EXPORT_KEYS | {OLD_TOPICS_KEY}
_IDENTITY_KEYS = frozenset(Brief.model_fields).difference(BriefContent.model_fields)
#: Reads a time as the models do, keeping whether it had an offset (they take none as UTC).
_TIME = TypeAdapter(datetime)


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
    unknown = next((key for key in item if key not in _READ_KEYS), None)
    if unknown is not None:
        raise BriefParseError(f"{where}unknown field {_quote(unknown)} ({_closest(unknown)})")
    for key, value in item.items():
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise BriefParseError(f'{where}field "{key}": contains a NUL character (\\u0000)')
    _check_release(item.get(RELEASE_FIELD), where)
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
        raise BriefParseError(where + describe(exc, derived=derived)) from None


def _check_release(value: object, where: str) -> None:
    """Refuse a release time written without its offset (a newsroom's 09:00 read as UTC would
    break its embargo); one that is no time at all the model refuses, naming the field."""
    if not isinstance(value, str):
        return
    try:
        moment = _TIME.validate_python(value)
    except ValidationError:
        return
    if moment.utcoffset() is None:
        raise BriefParseError(f'{where}field "{RELEASE_FIELD}": {needs_offset(value, moment)}')


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
