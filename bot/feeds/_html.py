"""Item HTML as plain text: what a brief's article keeps of a feed item's content.

Paragraphs stay paragraphs (a blank line between), list items become "- item" lines, a link
keeps its address ("text (url)"), `<br>` is a new line; scripts, styles, embedded frames and
every image (tracking pixels among them) are dropped, entities decoded, white space collapsed.
Parsing is lexbor's (selectolax), and the walk below is a loop, not a recursion, so no
nesting depth can break it. Lexbor's tree building takes time that grows with the square of
the nesting depth (a thousand unclosed `<div>`s), so only the first MAX_TAGS tags are read: no
real article comes near it, and a hostile one costs a few hundredths of a second.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

#: Elements whose whole content is dropped: code, styling, embedded documents and media.
DROPPED = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template", "img",
        "picture", "svg", "math", "canvas", "audio", "video", "map", "head", "title",
        "form", "button", "select", "textarea", "input",
    }
)  # fmt: skip
#: Elements that stand apart from the text around them: each starts and ends a paragraph.
BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav",
        "blockquote", "pre", "figure", "figcaption", "address", "h1", "h2", "h3", "h4", "h5",
        "h6", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr",
        "caption", "hr", "details", "summary", "center",
    }
)  # fmt: skip
#: Table cells: side by side on one line.
CELLS = frozenset({"td", "th"})
LINK_SCHEMES = frozenset({"http", "https"})
#: Most tags (counted as "<") read from one piece of HTML; the rest is left out.
MAX_TAGS = 5_000
#: Characters of HTML read per character of text wanted (`limit`): markup's share of a page.
HTML_PER_TEXT = 4

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_SPACES = re.compile(r"[^\S\n]+")


class _Link(NamedTuple):
    """A link being read: its address, and where its text starts (blocks, then parts)."""

    address: str | None
    blocks: int
    start: int


class _Text:
    """The text being built: finished blocks, and the line of inline text still open."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, bool]] = []  # (text, is a list item)
        self.parts: list[str] = []
        self.item = False
        #: Characters added so far: a bound on the text's length (the walk stops past a limit).
        self.size = 0

    def add(self, text: str) -> None:
        """Add inline text; its white space (newlines too) counts as one space."""
        part = _SPACES.sub(" ", text.replace("\n", " "))
        self.parts.append(part)
        self.size += len(part)

    def line_break(self) -> None:
        self.parts.append("\n")

    def close_block(self, *, next_item: bool = False) -> None:
        """End the open line of text as a block; the next one is a list item or not."""
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append((f"- {text}" if self.item else text, self.item))
        self.parts = []
        self.item = next_item

    def result(self) -> str:
        self.close_block()
        out: list[str] = []
        previous_item = False
        for text, item in self.blocks:
            if out:
                out.append("\n" if item and previous_item else "\n\n")
            out.append(text)
            previous_item = item
        return "".join(out)


def html_to_text(html: str, *, base: str | None = None, limit: int | None = None) -> str:
    """Return the text a reader sees in an item's HTML, paragraphs and list items kept.

    `base` resolves relative link addresses (left out when it cannot); `limit` stops the walk
    once that many characters of text are held (the caller cuts the rest at a word).
    """
    if limit is not None:
        html = html[: (limit + 1) * HTML_PER_TEXT]
    html = _first_tags(html)
    if not html.strip():
        return ""
    tree = LexborHTMLParser(html)
    body = tree.body
    if body is None:
        return ""
    text = _Text()
    # Each entry: a node to enter, or (on the way back up) an element to close.
    stack: list[tuple[LexborNode, bool]] = [(body, False)]
    links: list[_Link] = []
    while stack:
        node, closing = stack.pop()
        if closing:
            _close(node, text, links)
            continue
        if node.is_text_node:
            text.add(node.text_content or "")
            if limit is not None and text.size > limit:
                break
            continue
        if not node.is_element_node:
            continue  # comments, doctypes
        tag = node.tag or ""
        if tag in DROPPED:
            continue
        _open(node, tag, text, links, base)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    return text.result()


def _open(node: LexborNode, tag: str, text: _Text, links: list[_Link], base: str | None) -> None:
    """Act on entering an element: start a block or list item, mark a link's start."""
    if tag == "br":
        text.line_break()
    elif tag == "li":
        text.close_block(next_item=True)
    elif tag in BLOCKS:
        text.close_block()
    elif tag in CELLS:
        text.add(" ")
    elif tag == "a":
        links.append(
            _Link(_address(node.attributes.get("href"), base), len(text.blocks), len(text.parts))
        )


def _close(node: LexborNode, text: _Text, links: list[_Link]) -> None:
    """Act on leaving an element: end its block, or give a link its address."""
    tag = node.tag or ""
    if tag in BLOCKS or tag == "li":
        text.close_block()
    elif tag == "a" and links:
        address, blocks, start = links.pop()
        if address is None:
            return
        if len(text.blocks) != blocks:  # the link held paragraphs: its address follows them
            text.add(f" ({address})")
            return
        shown = " ".join("".join(text.parts[start:]).split())
        if not shown:
            text.add(f" {address}")
        elif shown.rstrip("/") != address.rstrip("/"):
            text.add(f" ({address})")


def _first_tags(html: str) -> str:
    """Return the HTML up to its MAX_TAGS-th tag (the whole of it when it has fewer)."""
    at = -1
    for _ in range(MAX_TAGS):
        at = html.find("<", at + 1)
        if at < 0:
            return html
    return html[:at]


def _address(href: str | None, base: str | None) -> str | None:
    """Return a link's absolute http(s) address, or None when it has none worth showing."""
    if not href or not href.strip():
        return None
    href = href.strip()
    try:
        absolute = urljoin(base, href) if base else href
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES or any(char.isspace() for char in absolute):
        return None
    return absolute


def first_paragraph(text: str) -> str:
    """Return the first paragraph of text (up to its first blank line), stripped."""
    return _PARAGRAPH_BREAK.split(text.strip(), maxsplit=1)[0].strip()


def rest_paragraphs(text: str) -> str:
    """Return the text after its first paragraph (what `first_paragraph` leaves), stripped."""
    parts = _PARAGRAPH_BREAK.split(text.strip(), maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
