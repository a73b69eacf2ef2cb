"""Plain-text rules shared by parsing, pages and rendering: cutting text, where sentences end."""

from __future__ import annotations

import re

ELLIPSIS = "…"

#: Quotes and brackets that may close a sentence after its punctuation.
_CLOSERS = "\"'”’»)\\]"
#: Where a title's first sentence ends: `.` `!` `?` (or a CJK full stop) and any closers, before
#: white space or the end. An ellipsis does not end it: "Wait… the comet is back." is one title.
TITLE_SENTENCE_END = re.compile(rf"[.!?。！？][{_CLOSERS}]*(?=\s|$)")
#: Where a long paragraph may break into sentences: also after an ellipsis, and right after a
#: CJK full stop (with its own closers), which needs no space after it. `space` is what follows.
SENTENCE_BREAK = re.compile(rf"(?:[.!?…][{_CLOSERS}]*(?=\s)|[。！？][\"'”’」』)\]]*)(?P<space>\s*)")


def truncate(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters at a word boundary, ending with `…` when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    head = text[: limit - 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if cut >= limit // 2:
        head = head[:cut]
    return head.rstrip() + ELLIPSIS


def first_sentence(text: str) -> str:
    """Return the first sentence of text (up to and including its closing punctuation)."""
    stripped = text.strip()
    match = TITLE_SENTENCE_END.search(stripped)
    sentence = stripped[: match.end()] if match else stripped
    return sentence.split("\n", 1)[0].strip()
