"""Plain-text rules shared by parsing, pages and rendering: cutting text, where sentences end.

Also a brief's title where it has none of its own: the first sentence of WHAT HAPPENED,
derived afresh from it, so a correction to WHAT HAPPENED corrects the title too.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.limits import EMBED_TITLE
from storage.models import BriefContent

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


#: Punctuation that reads badly right before an ellipsis: "the plan,…" becomes "the plan…".
_DANGLING = ",;:–—-/&"


class Headline(NamedTuple):
    """What a brief shows at its head: a title (None: none worth showing) and the text under it."""

    title: str | None
    text: str


def derived_title(what_happened: str) -> str:
    """Return the title of a brief that states none: WHAT HAPPENED's first sentence, cut to fit."""
    return truncate(first_sentence(what_happened), EMBED_TITLE)


def has_derived_title(content: BriefContent) -> bool:
    """Say whether a brief's title is the one derived from WHAT HAPPENED (none of its own).

    Stored titles are not flagged: a title that says exactly what the derived one says is it.
    """
    return content.title == derived_title(content.what_happened)


def shorten_title(title: str, limit: int) -> str:
    """Put a title on one line of at most `limit` characters, cut at a word with `…`."""
    line = " ".join(title.split())
    if len(line) <= limit:
        return line
    cut = truncate(line, limit)
    head = cut.removesuffix(ELLIPSIS).rstrip(_DANGLING).rstrip()
    return head + ELLIPSIS if head else cut


def display_title(brief: BriefContent, limit: int) -> str:
    """Return a brief's title as lists, search, thread names and notifications show it.

    Its own title or the derived one alike, on one line and cut at a word with `…`.
    """
    return shorten_title(brief.title, limit)


def headline(brief: BriefContent) -> Headline:
    """Split a brief's head into title and text so no sentence shows twice.

    A brief with its own title shows it over WHAT HAPPENED. A derived title is WHAT
    HAPPENED's first sentence: it shows as the title with the rest beneath, or, when it had
    to be cut, the title is left out and WHAT HAPPENED shows whole.
    """
    what = brief.what_happened.strip()
    if not has_derived_title(brief):
        return Headline(brief.title, what)
    lead = first_sentence(what)
    if brief.title != lead:
        return Headline(None, what)
    return Headline(lead, what[len(lead) :].strip())
