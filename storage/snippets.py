"""Search snippets built in Python: the matched words in context, highlighted (pure).

The SQLite backend has FTS5's snippet(); PostgreSQL's ts_headline depends on the server's
parser and locale, so the PostgreSQL backend uses this, which reads words as `storage.search` does.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence

from storage.base import SNIPPET_CLOSE, SNIPPET_ELLIPSIS, SNIPPET_OPEN, SNIPPET_TOKENS
from storage.search import MAX_TOKEN_CHARS, lexeme, word_spans, words


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
        if text.isascii():  # the common case: a lexeme is the lower-cased word
            lower = text.lower()
            keys = [lower[s:e][:MAX_TOKEN_CHARS] for s, e in spans]
        else:
            keys = [
                lexeme(unicodedata.normalize("NFC", text[s:e])[:MAX_TOKEN_CHARS]) for s, e in spans
            ]
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
