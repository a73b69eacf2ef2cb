"""The brief form's content: a brief split across five text inputs, and read back by the parser.

The add form asks for a title apart; the edit form carries the title as the summary's first
line (`# Title`, as a brief file writes it) and asks instead for an optional correction note,
since a form holds five inputs at most. The topics ride in the summary's input too, as the
`🏷️TOPICS: …` line a brief file has (after the title line), so the parser reads them alike.

Pure: the Discord modal that shows these inputs is `bot.cogs.briefs._form`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.brief.parsing import DEFAULT_MAX_CHARS, BriefParseError, format_brief, parse_brief
from bot.errors import UserFacingError
from bot.limits import EMBED_TITLE, TEXT_INPUT_VALUE
from storage.links import link_problem
from storage.models import CORRECTION_CHARS, LINK_LIMITS, BriefContent


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

    For the edit form (`edit`), the title leads the sections as a `# Title` line.
    """
    summary = format_brief(content.model_copy(update={"body": ""})).rstrip("\n").split("\n")
    form = BriefForm(
        title="" if edit else content.title,
        sections="\n".join(summary[:-1] if edit else summary[1:-1]),
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
    parts += [form.sections.strip(), "---", form.article.strip()]
    return "\n".join(parts).rstrip("\n") + "\n"


def content_from_form(
    form: BriefForm, *, strip_patterns: Sequence[str] = (), max_chars: int = DEFAULT_MAX_CHARS
) -> BriefContent:
    """Parse the form as brief text, so it meets the very rules a pasted or uploaded brief does."""
    text = f"{form.sections.strip()}\n---\n{form.article.strip()}"
    try:
        content = parse_brief(text, strip_patterns=strip_patterns, max_chars=max_chars)
    except BriefParseError as error:
        raise UserFacingError(f"The summary sections have a problem: {error}.") from error
    fields = content.model_dump()
    if form.title.strip():
        fields["title"] = form.title.strip()
    fields["source_url"] = _url(form.source_url, "source_url")
    fields["image_url"] = _url(form.image_url, "image_url")
    return BriefContent.model_validate(fields)


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
