"""Split a brief's full article into pages that each fit one embed description."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

from bot.brief.text import SENTENCE_BREAK

#: Page size: below the embed description's limit (bot.limits.EMBED_DESCRIPTION), so a page
#: reads as one screen.
DEFAULT_PAGE_LIMIT = 3500

PARAGRAPH_SEPARATOR = "\n\n"

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")
# Characters that belong to the character before them: a hard cut must not land on one.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")

_Spans = Callable[[str], Iterator[tuple[int, int]]]


def paginate(body: str, *, limit: int = DEFAULT_PAGE_LIMIT) -> list[str]:
    """Split an article into pages of at most `limit` characters, breaking as gently as possible.

    Paragraphs stay whole when they fit and are packed several to a page; a paragraph too
    long for a page breaks between sentences, a sentence between words, a word anywhere.
    Only whitespace is ever dropped or changed, so the text reads the same in order.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    pages: list[str] = []
    page = ""
    for separator, piece in _pieces(body, limit):
        if not page:
            page = piece
        elif len(page) + len(separator) + len(piece) <= limit:
            page += separator + piece
        else:
            pages.append(page)
            page = piece
    if page:
        pages.append(page)
    return pages


def _pieces(body: str, limit: int) -> Iterator[tuple[str, str]]:
    """Yield (separator before it, piece) for every unbreakable piece of at most `limit` chars."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= limit:
            yield PARAGRAPH_SEPARATOR, paragraph
            continue
        first = True
        for sentence_separator, sentence in _split(paragraph, _sentences):
            separator = PARAGRAPH_SEPARATOR if first else sentence_separator
            first = False
            if len(sentence) <= limit:
                yield separator, sentence
                continue
            for word_separator, word in _split(sentence, _words):
                if word_separator:
                    separator = word_separator
                for chunk in _hard_split(word, limit):
                    yield separator, chunk
                    separator = ""


def _split(text: str, spans: _Spans) -> Iterator[tuple[str, str]]:
    """Yield (whitespace before it, part) for the parts `spans` finds in `text`."""
    end = 0
    for start, stop in spans(text):
        part = text[start:stop]
        if part:
            yield text[end:start], part
        end = stop


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """Spans of sentences: each ends after its punctuation; the whitespace after it is left out."""
    start = 0
    for match in SENTENCE_BREAK.finditer(text):
        yield start, match.start("space")
        start = match.end()
    if start < len(text):
        yield start, len(text)


def _words(text: str) -> Iterator[tuple[int, int]]:
    """Spans of whitespace-separated words."""
    for match in _WORD.finditer(text):
        yield match.span()


def _hard_split(word: str, limit: int) -> Iterator[str]:
    """Cut a word into chunks of at most `limit` chars, not splitting off combining marks."""
    start = 0
    while len(word) - start > limit:
        cut = start + limit
        while cut > start + 1 and _attaches(word[cut - 1], word[cut]):
            cut -= 1
        if cut == start + 1 and _attaches(word[cut - 1], word[cut]):
            cut = start + limit
        yield word[start:cut]
        start = cut
    yield word[start:]


def _attaches(before: str, char: str) -> bool:
    """Whether `char` belongs with `before` (combining mark, joiner, variation selector)."""
    return (
        char in _JOINERS
        or before == "\u200d"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or unicodedata.combining(char) != 0
        or unicodedata.category(char) in {"Mn", "Me"}
    )
