"""The brief form's content: a brief split across five text inputs, and read back by the parser.

The add form asks for a title apart; the edit form carries the title as the summary's first
line (`# Title`, as a brief file writes it) and asks instead for an optional correction note,
since a form holds five inputs at most. A title derived from WHAT HAPPENED is not written in
either: left blank, it is derived again from what the form then says. The topics ride in the
summary's input too, as the `🏷️TOPICS: …` line a brief file has (after the title line), so
the parser reads them alike.

The sections input is read as a file would be: a whole brief pasted there (summary, then the
article) is read whole, and a `---` line in it ends the summary.

Pure: the Discord modal that shows these inputs is `bot.cogs.briefs._form`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.brief.parsing import (
    DEFAULT_MAX_CHARS,
    NO_WHAT_HAPPENED,
    BriefParseError,
    format_brief,
    is_separator,
    parse_brief,
)
from bot.brief.text import has_derived_title
from bot.errors import UserFacingError
from bot.limits import EMBED_TITLE, TEXT_INPUT_VALUE
from storage.links import link_problem
from storage.models import CORRECTION_CHARS, LINK_LIMITS, SECTIONS, BriefContent

#: A whole brief pasted into the sections input while the article input holds one too.
ARTICLE_TWICE = (
    "The summary sections hold an article too (the lines after the last section). Leave the "
    "Full article box empty to use it, or move it there. If those lines belong to the last "
    "section, put a `---` line after them."
)


@dataclass(frozen=True)
class BriefForm:
    """What the form's inputs hold, as text."""

    sections: str
    title: str = ""
    article: str = ""
    source_url: str = ""
    image_url: str = ""
    #: The edit form's correction note (blank: none).
    note: str = ""


def form_from_content(
    content: BriefContent, *, edit: bool = False, note: str | None = None
) -> BriefForm | None:
    """Split a brief across the form's inputs; None when a part is too long for its input.

    For the edit form (`edit`), the title leads the sections as a `# Title` line. The summary's
    `---` line stays only where it is needed: after a last section of several lines, which
    read alone would end at its first.
    """
    derived = has_derived_title(content)
    shown = content.model_copy(update={"body": "", "release_at": None})  # not in the form
    summary = format_brief(shown).rstrip("\n").split("\n")
    if not (edit or derived):
        summary = summary[1:]
    last = next(
        (text for section in reversed(SECTIONS) if (text := content.section(section.field))),
        "",
    )
    if "\n" not in last.strip():
        summary = summary[:-1]
    form = BriefForm(
        title="" if edit or derived else content.title,
        sections="\n".join(summary),
        article=content.body,
        source_url=content.source_url or "",
        image_url=content.image_url or "",
        note=note or "",
    )
    fits = (
        len(form.title) <= EMBED_TITLE
        and "\n" not in form.title
        and len(form.note) <= CORRECTION_CHARS
        and len(form.sections) <= TEXT_INPUT_VALUE
        and len(form.article) <= TEXT_INPUT_VALUE
        and len(form.source_url) <= LINK_LIMITS["source_url"]
        and len(form.image_url) <= LINK_LIMITS["image_url"]
    )
    return form if fits else None


def form_text(form: BriefForm) -> str:
    """Write what was typed into the form as a brief file (`/brief add file:` reads it)."""
    title = " ".join(form.title.split())
    parts = [f"# {title}"] if title else []
    parts.append(_brief_text(form.sections, form.article))
    return "\n".join(parts).rstrip("\n") + "\n"


def content_from_form(
    form: BriefForm, *, strip_patterns: Sequence[str] = (), max_chars: int = DEFAULT_MAX_CHARS
) -> BriefContent:
    """Parse the form as brief text, so it meets the very rules a pasted or uploaded brief does.

    The sections input is read first as a file would be; an article found there is the
    brief's article, unless the article input holds one too (then the publisher says which).
    """
    sections, article = form.sections.strip(), form.article.strip()
    try:
        if not sections:
            raise BriefParseError(NO_WHAT_HAPPENED)
        content = parse_brief(sections, strip_patterns=strip_patterns, max_chars=max_chars)
        if content.body and article:
            raise UserFacingError(ARTICLE_TWICE)
        if article:
            text = _brief_text(sections, article)
            content = parse_brief(text, strip_patterns=strip_patterns, max_chars=max_chars)
    except BriefParseError as error:
        raise UserFacingError(f"The summary sections have a problem: {error}.") from error
    fields = content.model_dump()
    if form.title.strip():
        fields["title"] = form.title.strip()
    fields["source_url"] = _url(form.source_url, "source_url")
    fields["image_url"] = _url(form.image_url, "image_url")
    return BriefContent.model_validate(fields)


def _brief_text(sections: str, article: str) -> str:
    """Join the sections and article inputs as one brief file, a `---` line between them."""
    sections, article = sections.strip(), article.strip()
    if not article:
        return sections
    if is_separator(sections.rsplit("\n", 1)[-1]):
        return f"{sections}\n{article}"
    return f"{sections}\n---\n{article}"


def _url(value: str, name: str) -> str | None:
    """Accept a blank, or a link by the rule every brief's links meet (storage.links)."""
    text = value.strip()
    if not text:
        return None
    problem = link_problem(text, limit=LINK_LIMITS[name])
    if problem is not None:
        label = "source URL" if name == "source_url" else "image URL"
        raise UserFacingError(
            f"The {label} {problem}. Give a full web link such as `https://example.com/story`."
        )
    return text


def form_note(form: BriefForm) -> str | None:
    """Return the correction note typed into an edit form (None when left blank)."""
    return form.note.strip() or None
