"""Turn publisher text (or JSON) into `BriefContent`, and `BriefContent` back into text.

One module per format (`_text_format`, `_json_format`) over what they share (`_common`).
The format itself is specified once, in docs/brief-format.md.
"""

from bot.brief.parsing._common import (
    DEFAULT_MAX_CHARS,
    NO_WHAT_HAPPENED,
    RELEASE_EMOJI,
    RELEASE_LABEL,
    TOPICS_EMOJI,
    TOPICS_LABEL,
    BriefParseError,
    decode_text,
)
from bot.brief.parsing._json_format import briefs_from_json, parse_brief_json
from bot.brief.parsing._text_format import format_brief, is_separator, parse_brief

__all__ = [
    "DEFAULT_MAX_CHARS",
    "NO_WHAT_HAPPENED",
    "RELEASE_EMOJI",
    "RELEASE_LABEL",
    "TOPICS_EMOJI",
    "TOPICS_LABEL",
    "BriefParseError",
    "briefs_from_json",
    "decode_text",
    "format_brief",
    "is_separator",
    "parse_brief",
    "parse_brief_json",
]
