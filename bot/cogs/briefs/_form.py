"""The add/edit form: a Discord modal of five inputs, whose text the parser reads as a brief."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import discord

from bot.brief.drafts import DRAFT_TTL_SECONDS, FormReceipts
from bot.brief.form import BriefForm, content_from_form, form_note, form_text
from bot.brief.text import truncate
from bot.limits import EMBED_TITLE, TEXT_INPUT_VALUE
from bot.publishers import require_writer
from bot.ui.replies import report_error, send_ephemeral, text_file
from storage.models import CORRECTION_CHARS, LINK_LIMITS, BriefContent

if TYPE_CHECKING:
    from bot.app import Interaction

#: Every add/edit form's own custom_id starts with this (then `add:` or `edit:<id>:`, a token).
FORM_PREFIX = "brief:form:"
#: The inputs' custom_ids, by BriefForm field: for tests and for reading a submitted form.
FIELD_IDS = {field.name: f"brief-form:{field.name}" for field in fields(BriefForm)}

FORM_EXPIRED = (
    "This form expired (forms last 15 minutes and do not survive a restart of the bot), so "
    "nothing was stored. What you typed is attached: attach it to {command} to go on."
)

SECTIONS_PLACEHOLDER = (
    "🏷️ TOPICS: sport, weather (optional)\n"
    "❓ WHAT HAPPENED: …\n👤 WHO WAS INVOLVED: …\n📍 WHEN & WHERE: …"
)
ARTICLE_PLACEHOLDER = (
    f"Up to {TEXT_INPUT_VALUE:,} characters. "
    "Longer? Cancel and run /brief add file:<.txt/.md/.json>"
)

#: What a submitted form hands on: the brief, and the edit form's correction note (or None).
OnBrief = Callable[["Interaction", BriefContent, str | None], Awaitable[None]]


@dataclass(frozen=True)
class _Input:
    """How one BriefForm field is asked for."""

    name: str
    label: str
    max_length: int
    placeholder: str | None = None
    paragraph: bool = False
    required: bool = False


_TITLE = _Input("title", "Title (blank: from WHAT HAPPENED)", EMBED_TITLE)
_SECTIONS = _Input(
    "sections",
    "Topics (optional), sections, or a whole brief",
    TEXT_INPUT_VALUE,
    placeholder=SECTIONS_PLACEHOLDER,
    paragraph=True,
    required=True,
)
_EDITED_SECTIONS = _Input(
    "sections",
    "# Title (optional), topics, then the sections",
    TEXT_INPUT_VALUE,
    placeholder="# Title\n🏷️ TOPICS: sport, weather\n❓ WHAT HAPPENED: …\n👤 WHO WAS INVOLVED: …",
    paragraph=True,
    required=True,
)
_NOTE = _Input(
    "note",
    "Correction note (optional, shown with it)",
    CORRECTION_CHARS,
    placeholder="What was corrected, e.g. “An earlier version gave the wrong date.”",
    paragraph=True,
)
#: Five inputs: Discord's maximum (bot.limits.MODAL_INPUTS), in the order they are shown.
_INPUTS = (
    _TITLE,
    _SECTIONS,
    _Input(
        "article",
        "Full article",
        TEXT_INPUT_VALUE,
        placeholder=ARTICLE_PLACEHOLDER,
        paragraph=True,
    ),
    _Input("source_url", "Source URL (optional)", LINK_LIMITS["source_url"], "https://…"),
    _Input("image_url", "Image URL (optional)", LINK_LIMITS["image_url"], "https://….png"),
)
#: The edit form: the title rides in the sections, making room for the correction note; a
#: title derived from WHAT HAPPENED is not written there, so it stays derived.
_EDIT_INPUTS = (_EDITED_SECTIONS, *_INPUTS[2:], _NOTE)


class BriefModal(discord.ui.Modal):
    """The add/edit form; re-checks the submitter is a publisher before anything else.

    `kind` (`add`, or `edit:<id>`) goes into the form's custom_id, so a submission the form
    no longer takes (it timed out, or the bot restarted) can still be answered helpfully.
    discord.py calls the hooks for any client (`Interaction[Any]`); `on_brief` gets the bot's.
    """

    def __init__(
        self, *, title: str, kind: str, on_brief: OnBrief, prefill: BriefForm | None
    ) -> None:
        super().__init__(
            title=title,
            timeout=DRAFT_TTL_SECONDS,
            custom_id=f"{FORM_PREFIX}{kind}:{secrets.token_hex(8)}",
        )
        self._on_brief = on_brief
        form = prefill or BriefForm(sections="")
        self.inputs: dict[str, discord.ui.TextInput[BriefModal]] = {}
        for spec in _EDIT_INPUTS if kind.startswith("edit") else _INPUTS:
            text_input: discord.ui.TextInput[BriefModal] = discord.ui.TextInput(
                custom_id=FIELD_IDS[spec.name],
                label=spec.label,
                style=discord.TextStyle.paragraph if spec.paragraph else discord.TextStyle.short,
                placeholder=spec.placeholder,
                default=getattr(form, spec.name) or None,
                required=spec.required,
                max_length=spec.max_length,
            )
            self.inputs[spec.name] = text_input
            self.add_item(text_input)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Mark the submission as answered by this live form (before anything can wait)."""
        _receipts(interaction).take(interaction.id)
        return True

    def form(self) -> BriefForm:
        """Return what the publisher typed."""
        return BriefForm(**{name: text_input.value for name, text_input in self.inputs.items()})

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Parse the form and hand the brief on (to a preview)."""
        await require_writer(interaction)  # what they may store is decided when they do
        form = self.form()
        await self._on_brief(interaction, _content(interaction, form), form_note(form))

    # discord.py's Modal narrows View.on_error (no item argument); mypy flags that narrowing.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """Answer with what was wrong instead of "interaction failed"."""
        await report_error(interaction, error)


async def open_form(
    interaction: Interaction, title: str, kind: str, on_brief: OnBrief, *, prefill: BriefForm | None
) -> None:
    """Answer with the form; it lives as long as a draft would."""
    modal = BriefModal(title=title, kind=kind, on_brief=on_brief, prefill=prefill)
    await interaction.response.send_modal(modal)


def _receipts(interaction: Interaction) -> FormReceipts:
    return interaction.client.drafts.forms


def _content(interaction: Interaction, form: BriefForm) -> BriefContent:
    """Parse a submitted form under this bot's settings."""
    settings = interaction.client.settings
    return content_from_form(
        form, strip_patterns=settings.brief_strip_patterns, max_chars=settings.brief_max_chars
    )


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
    return BriefForm(**{name: values.get(custom_id, "") for name, custom_id in FIELD_IDS.items()})


async def answer_expired_form(interaction: Interaction) -> None:
    """Answer a submission of an add/edit form that no longer lives, returning what was typed.

    discord.py drops such a submission silently, and Discord then shows "interaction failed"
    with the publisher's text gone.
    """
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(FORM_PREFIX) or _receipts(interaction).taken(interaction.id):
        return
    kind = custom_id.removeprefix(FORM_PREFIX).split(":")
    if kind[0] == "edit" and len(kind) > 1 and kind[1].isdecimal():
        command, filename = f"`/brief edit brief:{kind[1]} file:`", f"brief-{kind[1]}-edit.md"
    else:
        command, filename = "`/brief add file:`", "new-brief.md"
    form = form_from_submission(data)
    links = [
        f"{name}: `{truncate(' '.join(value.split()), 600)}`"
        for name, value in (
            ("Source URL", form.source_url),
            ("Image URL", form.image_url),
            ("Correction note", form.note),
        )
        if value.strip()
    ]
    text = "\n".join([FORM_EXPIRED.format(command=command), *links])
    await send_ephemeral(interaction, text, file=text_file(form_text(form), filename))
