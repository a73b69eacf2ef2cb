"""The brief form: five inputs composed into brief text and read by the real parser."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import discord

from bot.brief.drafts import FormReceipts
from bot.brief.parsing import BriefParseError, format_brief, parse_brief
from bot.cogs.briefs._permissions import require_publisher
from bot.config import Settings
from bot.errors import UserFacingError
from bot.limits import EMBED_TITLE, TEXT_INPUT_VALUE
from bot.ui.replies import report_error
from storage.links import link_problem
from storage.models import LINK_LIMITS, BriefContent

SECTIONS_PLACEHOLDER = (
    "❓ WHAT HAPPENED: …\n👤 WHO WAS INVOLVED: …\n📍 WHEN & WHERE: …\n💬 KEY QUOTE: …"
)
ARTICLE_PLACEHOLDER = (
    "Up to 4,000 characters. Longer? Cancel and run /brief add file:<.txt/.md/.json>"
)

#: The inputs' custom_ids, for tests and for reading a submitted form.
FIELD_IDS = {
    name: f"brief-form:{name}"
    for name in ("title", "sections", "article", "source_url", "image_url")
}
#: Every add/edit form's own custom_id starts with this (then `add:` or `edit:<id>:`, a token).
FORM_PREFIX = "brief:form:"

OnBrief = Callable[[discord.Interaction[Any], BriefContent], Awaitable[None]]


@dataclass(frozen=True)
class BriefForm:
    """What the form's inputs hold, as text."""

    sections: str
    title: str = ""
    article: str = ""
    source_url: str = ""
    image_url: str = ""


def form_from_content(content: BriefContent) -> BriefForm | None:
    """Split a brief across the form's inputs; None when a part is too long for its input."""
    summary = format_brief(content.model_copy(update={"body": ""})).rstrip("\n").split("\n")
    form = BriefForm(
        title=content.title,
        sections="\n".join(summary[1:-1]),
        article=content.body,
        source_url=content.source_url or "",
        image_url=content.image_url or "",
    )
    fits = (
        len(form.title) <= EMBED_TITLE
        and "\n" not in form.title
        and len(form.sections) <= TEXT_INPUT_VALUE
        and len(form.article) <= TEXT_INPUT_VALUE
        and len(form.source_url) <= LINK_LIMITS["source_url"]
        and len(form.image_url) <= LINK_LIMITS["image_url"]
    )
    return form if fits else None


def form_from_submission(data: Mapping[str, Any]) -> BriefForm:
    """Read what was typed into a submitted form from the raw interaction data."""
    values: dict[str, str] = {}

    def walk(components: Any) -> None:
        for component in components or ():
            if isinstance(component, dict):
                custom_id, value = component.get("custom_id"), component.get("value")
                if isinstance(custom_id, str) and isinstance(value, str):
                    values[custom_id] = value
                walk(component.get("components"))
                walk([component["component"]] if "component" in component else ())

    walk(data.get("components"))
    typed = {name: values.get(custom_id, "") for name, custom_id in FIELD_IDS.items()}
    return BriefForm(**typed)


def form_text(form: BriefForm) -> str:
    """Write what was typed into the form as a brief file (`/brief add file:` reads it)."""
    title = " ".join(form.title.split())
    parts = [f"# {title}"] if title else []
    parts += [form.sections.strip(), "---", form.article.strip()]
    return "\n".join(parts).rstrip("\n") + "\n"


def content_from_form(form: BriefForm, settings: Settings) -> BriefContent:
    """Parse the form as brief text, so it meets the very rules a pasted or uploaded brief does."""
    text = f"{form.sections.strip()}\n---\n{form.article.strip()}"
    try:
        content = parse_brief(
            text, strip_patterns=settings.brief_strip_patterns, max_chars=settings.brief_max_chars
        )
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


class BriefModal(discord.ui.Modal):
    """The add/edit form; re-checks the submitter is a publisher before anything else.

    `kind` (`add`, or `edit:<id>`) goes into the form's custom_id, so a submission the form
    no longer takes (it timed out, or the bot restarted) can still be answered helpfully.
    """

    def __init__(
        self,
        *,
        title: str,
        kind: str,
        on_brief: OnBrief,
        prefill: BriefForm | None,
        timeout: float,
        receipts: FormReceipts,
    ) -> None:
        super().__init__(
            title=title,
            timeout=timeout,
            custom_id=f"{FORM_PREFIX}{kind}:{secrets.token_hex(8)}",
        )
        self._on_brief = on_brief
        self._receipts = receipts
        form = prefill or BriefForm(sections="")
        self.brief_title: discord.ui.TextInput[BriefModal] = discord.ui.TextInput(
            custom_id=FIELD_IDS["title"],
            label="Title (blank: from WHAT HAPPENED)",
            default=form.title or None,
            required=False,
            max_length=EMBED_TITLE,
        )
        self.sections: discord.ui.TextInput[BriefModal] = discord.ui.TextInput(
            custom_id=FIELD_IDS["sections"],
            label="Summary sections, with their labels",
            style=discord.TextStyle.paragraph,
            placeholder=SECTIONS_PLACEHOLDER,
            default=form.sections or None,
            max_length=TEXT_INPUT_VALUE,
        )
        self.article: discord.ui.TextInput[BriefModal] = discord.ui.TextInput(
            custom_id=FIELD_IDS["article"],
            label="Full article",
            style=discord.TextStyle.paragraph,
            placeholder=ARTICLE_PLACEHOLDER,
            default=form.article or None,
            required=False,
            max_length=TEXT_INPUT_VALUE,
        )
        self.source_url: discord.ui.TextInput[BriefModal] = discord.ui.TextInput(
            custom_id=FIELD_IDS["source_url"],
            label="Source URL (optional)",
            placeholder="https://…",
            default=form.source_url or None,
            required=False,
            max_length=LINK_LIMITS["source_url"],
        )
        self.image_url: discord.ui.TextInput[BriefModal] = discord.ui.TextInput(
            custom_id=FIELD_IDS["image_url"],
            label="Image URL (optional)",
            placeholder="https://….png",
            default=form.image_url or None,
            required=False,
            max_length=LINK_LIMITS["image_url"],
        )
        # Five inputs: Discord's maximum (bot.limits.MODAL_INPUTS).
        for text_input in (
            self.brief_title,
            self.sections,
            self.article,
            self.source_url,
            self.image_url,
        ):
            self.add_item(text_input)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Mark the submission as answered by this live form (before anything can wait)."""
        self._receipts.take(interaction.id)
        return True

    def form(self) -> BriefForm:
        """Return what the publisher typed."""
        return BriefForm(
            title=self.brief_title.value,
            sections=self.sections.value,
            article=self.article.value,
            source_url=self.source_url.value,
            image_url=self.image_url.value,
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Parse the form and hand the brief on (to a preview)."""
        await require_publisher(interaction)
        settings: Settings = interaction.client.settings
        await self._on_brief(interaction, content_from_form(self.form(), settings))

    # discord.py's Modal narrows View.on_error (no item argument); mypy flags that narrowing.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """Answer with what was wrong instead of "interaction failed"."""
        await report_error(interaction, error)
