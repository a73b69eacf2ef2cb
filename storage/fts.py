"""Turn anything a user types into safe full-text queries, and text into indexed words (pure).

SQLite gets FTS5 MATCH expressions; PostgreSQL gets tsvector/tsquery input built here from the
same `words`, so both backends find the same briefs.
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence

from storage.interface import SNIPPET_CLOSE, SNIPPET_ELLIPSIS, SNIPPET_OPEN, SNIPPET_TOKENS

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


def build_match_query(text: str, *, prefix: bool = False) -> str | None:
    """Return an FTS5 query matching every word of `text` (implicit AND), or None if none.

    Each word becomes an FTS5 string, so operators, column filters and stray quotes in the
    input are just text. With `prefix`, the last word also matches words it begins.
    """
    tokens = words(text)
    if not tokens:
        return None
    phrases = ['"' + token.replace('"', '""') + '"' for token in tokens]
    if prefix:
        phrases[-1] += "*"
    return " ".join(phrases)


def fold(word: str) -> str:
    """Return a word as both backends index it: accents removed, case folded."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare).casefold()


def fingerprint(text: str) -> str:
    """What the text says, ignoring case, accents, spacing and punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    found = words(bare, limit=2**63 - 1)
    return " ".join(w.casefold() for w in found) if found else text.strip().casefold()


# --- PostgreSQL text search: the same words, tokenised here so both backends agree ---------

#: Highest word position a PostgreSQL tsvector records (later words share it).
MAX_POSITION = 16_383
#: Most positions PostgreSQL keeps for one word of a tsvector.
MAX_POSITIONS = 256
#: Most bytes of distinct words one tsvector holds (PostgreSQL refuses more than 1 MiB).
MAX_VECTOR_BYTES = 1_000_000
#: tsvector/tsquery weights, most important first.
WEIGHTS = "ABCD"

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


def _quote(item: str) -> str:
    """Quote a lexeme for tsvector/tsquery input, which then takes it verbatim."""
    if "'" in item or "\\" in item:
        item = item.replace("\\", "\\\\").replace("'", "''")
    return f"'{item}'"


def _check_weights(weights: str) -> None:
    if any(weight not in WEIGHTS for weight in weights):
        raise ValueError(f"tsvector weights are A, B, C or D, not {weights!r}")


@functools.cache
def _labels(weight: str) -> tuple[str, ...]:
    """Return every position's tsvector label with this weight ("1A", "2A", ...), made once."""
    return tuple(f"{position}{weight}" for position in range(MAX_POSITION + 1))


def build_tsvector(groups: Iterable[tuple[str, Iterable[str]]]) -> str:
    """Return tsvector input text for lexemes grouped by weight, positions counted across groups.

    Quoted lexemes make PostgreSQL take each word as given (its own parser and dictionaries
    depend on the server's locale). PostgreSQL's limits are kept here: positions stop at
    MAX_POSITION, a word keeps its first MAX_POSITIONS of them, and words beyond
    MAX_VECTOR_BYTES are left out rather than refused.
    """
    entries: dict[str, list[str]] = {}
    size = position = 0
    last = str(MAX_POSITION)
    for weight, found in groups:
        if len(weight) != 1:
            raise ValueError(f"one weight per group, not {weight!r}")
        _check_weights(weight)
        labels = _labels(weight)
        for item in found:
            if position < MAX_POSITION:
                position += 1
            entry = entries.get(item)
            if entry is None:
                cost = len(item.encode())
                if size + cost <= MAX_VECTOR_BYTES:
                    size += cost
                    entries[item] = [labels[position]]
            elif len(entry) < MAX_POSITIONS and not (
                position == MAX_POSITION and entry[-1][:-1] == last
            ):
                entry.append(labels[position])
    return " ".join(f"{_quote(item)}:{','.join(entry)}" for item, entry in entries.items())


def build_tsquery(text: str, *, prefix: bool = False, weights: str = "") -> str | None:
    """Return tsquery input text matching every word of `text` (AND), or None if none.

    Each word becomes a quoted lexeme, so operators in the input are just text; `weights`
    (e.g. "A") restricts matches to those parts of a tsvector. With `prefix`, the last word
    also matches words it begins. Cast the result with `::tsquery`, never `to_tsquery`.
    """
    _check_weights(weights)
    found = [item for item in (lexeme(word) for word in words(text)) if item]
    if not found:
        return None
    terms = [_quote(item) + (f":{weights}" if weights else "") for item in found]
    if prefix:
        terms[-1] = f"{_quote(found[-1])}:*{weights}"
    return " & ".join(terms)


def snippet(texts: Sequence[str | None], query: str, *, tokens: int = SNIPPET_TOKENS) -> str | None:
    """Return about `tokens` words around the best match of `query`'s words, highlighted.

    Like FTS5's snippet(): the window holding the most different query words wins (the
    first of equals, fields taken in order), centred on its matches; each matching word is
    wrapped in SNIPPET_OPEN/SNIPPET_CLOSE and SNIPPET_ELLIPSIS marks cut text; the rest is
    the field's text verbatim. None when no field holds a query word.
    """
    wanted = {item for item in (lexeme(word) for word in words(query)) if item}
    if not wanted or tokens <= 0:
        return None
    best: tuple[int, str, list[tuple[int, int]], list[int], int] | None = None
    for text in texts:
        if not text:
            continue
        spans = word_spans(text)
        keys = [lexeme(unicodedata.normalize("NFC", text[s:e])[:MAX_TOKEN_CHARS]) for s, e in spans]
        hits = [index for index, key in enumerate(keys) if key in wanted]
        for number, first in enumerate(hits):
            inside = hits[number : bisect.bisect_left(hits, first + tokens, lo=number)]
            seen = {keys[index] for index in inside}
            score = 1000 * len(seen) + len(inside) - len(seen)
            if best is None or score > best[0]:
                start = first - (tokens - (inside[-1] - first)) // 2
                start = max(min(start, len(spans) - tokens), 0)
                best = (score, text, spans, hits, start)
    if best is None:
        return None
    _, text, spans, hits, start = best
    end = min(start + tokens, len(spans))
    marked = set(hits)
    parts = [SNIPPET_ELLIPSIS] if start > 0 else []
    cursor = spans[start][0] if start > 0 else 0
    for index in range(start, end):
        begin, finish = spans[index]
        word = text[begin:finish]
        parts += [
            text[cursor:begin],
            SNIPPET_OPEN + word + SNIPPET_CLOSE if index in marked else word,
        ]
        cursor = finish
    parts.append(text[cursor:] if end == len(spans) else SNIPPET_ELLIPSIS)
    return "".join(parts)
