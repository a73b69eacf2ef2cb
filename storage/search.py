"""Turn anything a user types into safe full-text queries, and text into indexed words (pure).

Both backends build their queries from the same `words` (FTS5 MATCH expressions in
storage/sqlite/search.py, tsquery input in storage/postgres/search.py), so both find the same
briefs.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

#: Most words a query keeps; more only slows the search without narrowing it usefully.
MAX_TOKENS = 16

#: Most characters a kept word keeps; nothing indexed is longer than this in practice.
MAX_TOKEN_CHARS = 64


def _is_word_char(char: str) -> bool:
    """Letters and digits, plus combining marks so words in scripts like Devanagari stay whole."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def words(text: str, *, limit: int = MAX_TOKENS) -> list[str]:
    """Return up to `limit` searchable words from free text, in order.

    Underscore and all punctuation (FTS5 operators included) separate words; a run of
    combining marks alone is not a word.
    """
    found: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFC", text) + " ":
        if _is_word_char(char):
            current.append(char)
            continue
        if any(c.isalnum() for c in current):
            found.append("".join(current[:MAX_TOKEN_CHARS]))
            if len(found) == limit:
                break
        current = []
    return found


def normalize_query(text: str) -> str:
    """Return the words a search will use, space-separated ("" when nothing is searchable)."""
    return " ".join(words(text))


def _without_marks(text: str) -> str:
    """Decompose the text (NFKD) and drop the combining marks: "é" becomes "e"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(word: str) -> str:
    """Return a word as both backends index it: accents removed, case folded."""
    return unicodedata.normalize("NFC", _without_marks(word)).casefold()


def fingerprint(text: str) -> str:
    """What the text says, ignoring case, accents, spacing and punctuation."""
    found = words(_without_marks(text), limit=2**63 - 1)
    return " ".join(w.casefold() for w in found) if found else text.strip().casefold()


# --- indexed words: the same for both backends --------------------------------------------

#: Words of ASCII text, before and after lowercasing (there are no marks to consider).
_ASCII_SPAN = re.compile(r"[A-Za-z0-9]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
#: First code point beyond the Basic Multilingual Plane, and a search for any of them.
_ASTRAL_START = 0x10000
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@functools.cache
def _run_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compile runs of `words`' characters: letters, digits, marks (and "_", split later).

    The first pattern knows only the Basic Multilingual Plane's marks, which a regex checks
    fast; the second adds the rest, for texts that have characters beyond it. Listing every
    mark costs ~0.2 s, once.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    basic = "".join(_char_range(*pair) for pair in ranges if pair[0] < _ASTRAL_START)
    astral = "".join(_char_range(*pair) for pair in ranges if pair[0] >= _ASTRAL_START)
    return re.compile(rf"[\w{basic}]+"), re.compile(rf"[\w{basic}{astral}]+")


def _char_range(start: int, end: int) -> str:
    first, last = re.escape(chr(start)), re.escape(chr(end))
    return first if start == end else f"{first}-{last}"


def word_spans(text: str) -> list[tuple[int, int]]:
    """Return where each word of `text` starts and ends (as `words` splits, without NFC).

    A word is a run of letters, digits and combining marks holding a letter or a digit.
    """
    if text.isascii():  # the common case: no marks, and no table of them to build
        return [match.span() for match in _ASCII_SPAN.finditer(text)]
    basic, every = _run_patterns()
    spans: list[tuple[int, int]] = []
    for match in (every if _ASTRAL.search(text) else basic).finditer(text):
        run, (start, end) = match[0], match.span()
        if run.isalnum():  # the common case: no underscore, no mark
            spans.append((start, end))
            continue
        for piece in run.split("_"):
            if any(char.isalnum() for char in piece):
                spans.append((start, start + len(piece)))
            start += len(piece) + 1
    return spans


def lexeme(word: str) -> str:
    """Return a word as the PostgreSQL backend indexes it: `fold`ed, at most 64 characters."""
    return (word.lower() if word.isascii() else _folded(word))[:MAX_TOKEN_CHARS]


@functools.lru_cache(maxsize=65_536)
def _folded(word: str) -> str:
    """Remember folded words: most texts repeat their words, and folding is slow in Python."""
    return fold(word)


def lexemes(text: str | None) -> list[str]:
    """Return every word of `text` (no limit on their number) as `lexeme`s, in order."""
    if not text:
        return []
    if text.isascii():  # the common case: NFC changes nothing and folding is lower()
        return [word[:MAX_TOKEN_CHARS] for word in _ASCII_WORD.findall(text.lower())]
    normal = unicodedata.normalize("NFC", text)
    found = (lexeme(normal[start:end][:MAX_TOKEN_CHARS]) for start, end in word_spans(normal))
    return [item for item in found if item]
