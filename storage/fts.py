"""Turn anything a user types into a safe FTS5 MATCH expression (pure, no database)."""

from __future__ import annotations

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
