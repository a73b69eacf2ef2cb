"""Plain-text helpers shared by parsing and rendering: cutting text to a limit."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"'”’»)\]]*(?=\s|$)")


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
    match = _SENTENCE_END.search(stripped)
    sentence = stripped[: match.end()] if match else stripped
    return sentence.split("\n", 1)[0].strip()
