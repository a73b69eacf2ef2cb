"""Adding and editing briefs: form or file → preview → Publish/Save, Edit or Cancel.

Nothing is stored until the publisher presses Publish (or Save); the draft waits in the
cog's DraftStore under a random token that the preview's buttons carry in their custom_ids.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import discord

from bot.brief.drafts import DRAFT_TTL_SECONDS, EXPIRED, TOKEN_HEX, Draft, DraftStore
from bot.brief.pages import paginate
from bot.brief.parsing import format_brief
from bot.brief.text import truncate
from bot.cogs.briefs._form import (
    FORM_PREFIX,
    BriefForm,
    BriefModal,
    OnBrief,
    form_from_content,
    form_from_submission,
    form_text,
)
from bot.cogs.briefs._lookup import resolve_brief
from bot.cogs.briefs._permissions import PublisherItem
from bot.cogs.briefs._uploads import read_upload
from bot.errors import NotFoundError, PermissionDeniedError, UserFacingError
from bot.ui import embeds as render
from bot.ui.components import bot_of
from bot.ui.replies import send_ephemeral
from storage.errors import StaleEditError
from storage.models import Brief, BriefContent

if TYPE_CHECKING:
    from bot.app import BriefBot

Interaction = discord.Interaction[Any]
Action = Literal["publish", "force", "edit", "cancel", "reload"]

#: The name the `/brief` cog registers under; components find the draft store through it.
COG_NAME = "Briefs"

NOT_YOURS = "This preview belongs to another publisher. Run `/brief add` to make your own."
CANCELLED = "Cancelled: nothing was stored."
FORM_EXPIRED = (
    "This form expired (forms last 15 minutes and do not survive a restart of the bot), so "
    "nothing was stored. What you typed is attached: attach it to {command} to go on."
)


class HasDrafts(Protocol):
    """What the components need from the cog: its draft store."""

    drafts: DraftStore


def drafts_of(interaction: Interaction) -> DraftStore:
    """Return the draft store kept by the `/brief` cog."""
    cog = bot_of(interaction).get_cog(COG_NAME)
    if cog is None:
        raise UserFacingError(EXPIRED)
    return cast(HasDrafts, cog).drafts


# --- starting a draft ----------------------------------------------------------------------


async def start_add(
    interaction: Interaction, store: DraftStore, file: discord.Attachment | None
) -> None:
    """`/brief add`: open the form, or read the attached file, then preview."""
    if file is None:
        await interaction.response.send_modal(
            _modal("Add a brief", "add", store, partial(_preview_new, store, None), prefill=None)
        )
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    content = await read_upload(file, bot_of(interaction).settings)
    await _preview_new(store, None, interaction, content)


async def start_edit(
    interaction: Interaction, store: DraftStore, ref: str, file: discord.Attachment | None
) -> None:
    """`/brief edit`: open the form filled with the brief, or read a replacement file."""
    bot = bot_of(interaction)
    original = await resolve_brief(bot, ref)
    if file is not None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        upload = await read_upload(file, bot.settings)
        await _preview_new(store, original, interaction, merge_upload(original, upload))
        return
    form = form_from_content(original)
    if form is None:
        await interaction.response.send_message(
            f"Brief #{original.id} is too long for the edit form (4,000 characters per part). "
            f"Edit it by file instead: change the attached text and run "
            f"`/brief edit brief:{original.id} file:<your file>`.",
            file=brief_file(original),
            ephemeral=True,
        )
        return
    on_brief: OnBrief = partial(_preview_edit_form, store, original)
    await interaction.response.send_modal(
        _modal(f"Edit brief #{original.id}", f"edit:{original.id}", store, on_brief, prefill=form)
    )


def brief_file(brief: Brief) -> discord.File:
    """Return a brief's current text as a file to edit and upload again."""
    data = format_brief(brief).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=f"brief-{brief.id}.md")


def carry_hidden(source: BriefContent, content: BriefContent) -> BriefContent:
    """Keep the fields the form does not show (tags, publication date) from the source."""
    return content.model_copy(update={"tags": source.tags, "published_at": source.published_at})


def merge_upload(original: Brief, upload: BriefContent) -> BriefContent:
    """Let a replacement file change what it states and keep what it leaves out.

    A text brief cannot state links, tags or a publication date, so those stay as they were.
    """
    kept = {
        name: getattr(original, name)
        for name in ("source_url", "image_url", "published_at")
        if getattr(upload, name) is None
    }
    if not upload.tags:
        kept["tags"] = original.tags
    return upload.model_copy(update=kept)


def _modal(
    title: str, kind: str, store: DraftStore, on_brief: OnBrief, *, prefill: BriefForm | None
) -> BriefModal:
    """Build the form; it lives as long as a draft would."""
    return BriefModal(
        title=title,
        kind=kind,
        on_brief=on_brief,
        prefill=prefill,
        timeout=DRAFT_TTL_SECONDS,
        receipts=store.forms,
    )


async def answer_expired_form(interaction: Interaction, store: DraftStore) -> None:
    """Answer a submission of an add/edit form that no longer lives, returning what was typed.

    discord.py drops such a submission silently, and Discord then shows "interaction failed"
    with the publisher's text gone.
    """
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(FORM_PREFIX) or store.forms.taken(interaction.id):
        return
    kind = custom_id.removeprefix(FORM_PREFIX).split(":")
    if kind[0] == "edit" and len(kind) > 1 and kind[1].isdecimal():
        command, filename = f"`/brief edit brief:{kind[1]} file:`", f"brief-{kind[1]}-edit.md"
    else:
        command, filename = "`/brief add file:`", "new-brief.md"
    form = form_from_submission(data)
    links = [
        f"{name}: `{truncate(value.strip(), 600)}`"
        for name, value in (("Source URL", form.source_url), ("Image URL", form.image_url))
        if value.strip()
    ]
    text = "\n".join([FORM_EXPIRED.format(command=command), *links])
    attachment = discord.File(io.BytesIO(form_text(form).encode("utf-8")), filename=filename)
    await send_ephemeral(interaction, text, file=attachment)


async def _preview_edit_form(
    store: DraftStore, original: Brief, interaction: Interaction, content: BriefContent
) -> None:
    """Preview an edit made in the form, keeping what the form does not show."""
    await _preview_new(store, original, interaction, carry_hidden(original, content))


async def _preview_new(
    store: DraftStore, base: Brief | None, interaction: Interaction, content: BriefContent
) -> None:
    """Keep a fresh draft and answer with its preview, visible to the publisher only."""
    draft = Draft(owner_id=interaction.user.id, content=content, base=base)
    token = store.put(draft)
    text, embed, view = await preview_message(bot_of(interaction), draft, token)
    if interaction.response.is_done():
        await interaction.followup.send(text, embed=embed, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(text, embed=embed, view=view, ephemeral=True)


# --- the preview ---------------------------------------------------------------------------


async def preview_message(
    bot: BriefBot, draft: Draft, token: str, *, force: bool = False
) -> tuple[str, discord.Embed, discord.ui.View]:
    """Return the preview: what members will see, a duplicate warning if any, and buttons."""
    content = draft.content
    duplicate = await bot.briefs.find_duplicate(
        content.title, content.what_happened, exclude_id=draft.brief_id
    )
    verb = "Save" if draft.is_edit else "Publish"
    if draft.is_edit:
        lines = [f"**Preview of your changes to brief #{draft.brief_id}** (only you see this)."]
    else:
        lines = ["**Preview** (only you see this): members will see the summary below."]
    lines.append(_article_note(content.body))
    for note in render.left_out(content):
        lines.append(f"⚠️ **Left out of what members see:** {note}.")
    if duplicate is not None and not force:
        lines.append(
            f"⚠️ **Possible duplicate:** brief #{duplicate.id} "
            f"“{truncate(duplicate.title, 100)}” has the same title and WHAT HAPPENED. "
            f"Press **{verb} anyway** only if this is a different story."
        )
    lines.append(f"Nothing is stored until you press **{verb}**; this preview lasts 15 minutes.")
    view = discord.ui.View(timeout=None)
    if duplicate is not None and not force:
        view.add_item(DraftButton(token, "force", label=f"{verb} anyway"))
    else:
        view.add_item(DraftButton(token, "publish", label=verb))
    view.add_item(DraftButton(token, "edit", label="Edit"))
    view.add_item(DraftButton(token, "cancel", label="Cancel"))
    return "\n".join(lines), render.summary_embed(content), view


def _article_note(body: str) -> str:
    """Say how the article will read behind More."""
    if not body.strip():
        return "There is no full article, so **More** will say so."
    pages = len(paginate(body))
    paged = f", {pages} pages" if pages > 1 else ""
    return f"The full article ({len(body):,} characters{paged}) opens with **More**."


# --- the preview's buttons -----------------------------------------------------------------

_STYLES: dict[str, discord.ButtonStyle] = {
    "publish": discord.ButtonStyle.success,
    "force": discord.ButtonStyle.danger,
    "edit": discord.ButtonStyle.secondary,
    "cancel": discord.ButtonStyle.secondary,
    "reload": discord.ButtonStyle.primary,
}


class DraftButton(
    PublisherItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"brief:draft:(?P<action>publish|force|edit|cancel|reload):(?P<token>[0-9a-f]{{{TOKEN_HEX}}})",
):
    """Publish/Save, Edit or Cancel under a preview; routed by custom_id even after a restart."""

    def __init__(self, token: str, action: Action, *, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=_STYLES[action],
                custom_id=f"brief:draft:{action}:{token}",
            )
        )
        self.token = token
        self.action: Action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DraftButton:
        """Rebuild the button from the action and token in its custom_id."""
        return cls(
            match["token"], cast(Action, match["action"]), label=getattr(item, "label", None) or ""
        )

    async def run(self, interaction: Interaction) -> None:
        """Do the button's action on the draft it names."""
        store = drafts_of(interaction)
        draft = _own_draft(interaction, store, self.token)
        if self.action == "cancel":
            store.pop(self.token)
            await interaction.response.edit_message(content=CANCELLED, embed=None, view=None)
        elif self.action == "edit":
            await _reopen_form(interaction, store, self.token, draft)
        elif self.action == "reload":
            await _reload(interaction, store, self.token, draft)
        else:
            await _store(interaction, store, self.token, draft, force=self.action == "force")


async def _refuse_stale(
    interaction: Interaction, token: str, draft: Draft, stale: StaleEditError
) -> None:
    """Say who changed the brief since the edit began; keep the publisher's version safe."""
    who = f"<@{stale.changed_by}>" if stale.changed_by is not None else "the command line"
    when = (
        f" at {discord.utils.format_dt(stale.changed_at, 'f')}"
        f" ({discord.utils.format_dt(stale.changed_at, 'R')})"
        if stale.changed_at is not None
        else ""
    )
    view = discord.ui.View(timeout=None)
    view.add_item(DraftButton(token, "reload", label="Reload"))
    view.add_item(DraftButton(token, "cancel", label="Cancel"))
    version = format_brief(draft.content).encode("utf-8")
    await interaction.response.edit_message(
        content=(
            f"⚠️ **Not saved:** brief #{stale.brief_id} was changed by {who}{when} since you "
            "opened it, and saving would overwrite that change. Your version is attached, so "
            "nothing you wrote is lost. Press **Reload** to edit the brief as it is now."
        ),
        embed=None,
        view=view,
        attachments=[
            discord.File(io.BytesIO(version), filename=f"brief-{stale.brief_id}-yours.md")
        ],
    )


def _own_draft(interaction: Interaction, store: DraftStore, token: str) -> Draft:
    """Return the live draft behind a button, if it is the clicker's."""
    draft = store.get(token)
    if draft is None:
        raise UserFacingError(EXPIRED)
    if draft.owner_id != interaction.user.id:
        raise PermissionDeniedError(NOT_YOURS)
    return draft


async def _reopen_form(
    interaction: Interaction, store: DraftStore, token: str, draft: Draft
) -> None:
    """Open the form on the draft; its submission replaces the draft and the preview in place."""
    form = form_from_content(draft.content)
    if form is None:
        again = (
            f"`/brief edit brief:{draft.brief_id} file:`" if draft.is_edit else "`/brief add file:`"
        )
        raise UserFacingError(
            "This draft is too long for the form (4,000 characters per part): "
            f"correct your file and attach it again with {again}."
        )
    title = f"Edit brief #{draft.brief_id}" if draft.is_edit else "Edit the draft"
    kind = f"edit:{draft.brief_id}" if draft.is_edit else "add"
    await interaction.response.send_modal(
        _modal(title, kind, store, partial(_revise, store, token), prefill=form)
    )


async def _reload(interaction: Interaction, store: DraftStore, token: str, draft: Draft) -> None:
    """After a refused save: base the draft on the brief as it is now and open it in the form."""
    assert draft.brief_id is not None
    current = await bot_of(interaction).briefs.get(draft.brief_id)
    if current is None:
        raise NotFoundError(f"Brief #{draft.brief_id} was removed meanwhile.")
    form = form_from_content(current)
    if form is None:
        await interaction.response.send_message(
            f"Brief #{current.id} is too long for the edit form. Its current text is attached: "
            f"change it and run `/brief edit brief:{current.id} file:<your file>`.",
            file=brief_file(current),
            ephemeral=True,
        )
        return
    store.put(replace(draft, base=current, content=current.content()), token)
    await interaction.response.send_modal(
        _modal(
            f"Edit brief #{current.id}",
            f"edit:{current.id}",
            store,
            partial(_revise, store, token),
            prefill=form,
        )
    )


async def _revise(
    store: DraftStore, token: str, interaction: Interaction, content: BriefContent
) -> None:
    """Replace a draft's content with the re-submitted form and refresh its preview."""
    draft = _own_draft(interaction, store, token)
    draft = replace(draft, content=carry_hidden(draft.content, content))
    store.put(draft, token)
    text, embed, view = await preview_message(bot_of(interaction), draft, token)
    await interaction.response.edit_message(content=text, embed=embed, view=view)


async def _store(
    interaction: Interaction, store: DraftStore, token: str, draft: Draft, *, force: bool
) -> None:
    """Publish or save the draft, unless it turned out to duplicate a brief and was not forced."""
    bot = bot_of(interaction)
    content = draft.content
    if not force and await bot.briefs.find_duplicate(
        content.title, content.what_happened, exclude_id=draft.brief_id
    ):
        text, embed, view = await preview_message(bot, draft, token)
        await interaction.response.edit_message(content=text, embed=embed, view=view)
        return
    if store.pop(token) is None:
        raise UserFacingError(EXPIRED)
    try:
        if draft.base is None:
            brief: Brief | None = await bot.briefs.add(content, created_by=interaction.user.id)
        else:
            brief = await bot.briefs.update(
                draft.base.id, content, actor_id=interaction.user.id, base=draft.base
            )
    except StaleEditError as stale:
        store.put(draft, token)
        await _refuse_stale(interaction, token, draft, stale)
        return
    except Exception:
        store.put(draft, token)
        raise
    if brief is None:
        raise NotFoundError(f"Brief #{draft.brief_id} was removed meanwhile, so nothing was saved.")
    if draft.is_edit:
        done, event = f"✅ Saved a new version of brief #{brief.id}.", "brief_edited"
    else:
        done = (
            f"✅ Published as brief #{brief.id}. Anyone can open it with `/brief show {brief.id}`."
        )
        event = "brief_published"
    await interaction.response.edit_message(
        content=done, embed=render.summary_embed(brief), view=None
    )
    bot.dispatch(event, brief)
