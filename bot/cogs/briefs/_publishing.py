"""Adding and editing briefs: form or file → preview → Publish/Save, Edit or Cancel.

Nothing is stored until the publisher presses Publish (or Save); the draft waits in the bot's
DraftStore under a random token that the preview's buttons carry in their custom_ids.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Self, cast

import discord

from bot.brief.drafts import EXPIRED, Draft, carry_hidden, merge_upload
from bot.brief.form import form_from_content
from bot.brief.pages import paginate
from bot.brief.parsing import format_brief
from bot.brief.text import truncate
from bot.cogs.briefs._form import open_form
from bot.cogs.briefs._lookup import resolve_brief
from bot.cogs.briefs._scheduling import read_when, when_text
from bot.cogs.briefs._uploads import read_upload
from bot.errors import NotFoundError, PermissionDeniedError, UserFacingError
from bot.publishers import WriterOnly, is_publisher
from bot.ui import components, embeds
from bot.ui.components import DRAFT, DraftAction, PersistentItem
from bot.ui.replies import text_file
from storage.errors import LibraryUnreachableError, StaleEditError
from storage.models import Brief, BriefContent, utcnow
from storage.publishing import User, source_named

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

#: A store the library did not answer: refused before its commit, or never confirmed.
NOT_STORED = (
    "The library can't be reached right now, so nothing was stored. Your draft is kept: "
    "press **{verb}** again in a minute."
)
UNCONFIRMED = (
    "The library can't be reached right now, and it did not confirm storing your brief. "
    "Your draft is kept: press **{verb}** again in a minute, and I'll check whether it was "
    "stored before storing it."
)
NOT_YOURS = "This preview belongs to another publisher. Run `/brief add` to make your own."
CANCELLED = "Cancelled: nothing was stored."


# --- starting a draft ----------------------------------------------------------------------


async def start_add(
    interaction: Interaction, file: discord.Attachment | None, release: str | None = None
) -> None:
    """`/brief add`: open the form, or read the attached file, then preview. A `release` time
    (read in the newsroom's zone, refused before anything is typed if unclear) holds the
    brief until then; it wins over a file's own release line."""
    release_at = None if release is None else read_when(interaction.client, release)
    if file is None:
        preview = partial(_preview_held, release_at)
        await open_form(interaction, "Add a brief", "add", preview, prefill=None)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    content = await read_upload(file, interaction.client.settings)
    if release_at is not None:
        content = content.model_copy(update={"release_at": release_at})
    await _preview_new(None, interaction, content, None)


async def _preview_held(
    release_at: datetime | None, interaction: Interaction, content: BriefContent, note: str | None
) -> None:
    """Preview a new brief from the form, held until `release_at` if one was given."""
    if release_at is not None:
        content = content.model_copy(update={"release_at": release_at})
    await _preview_new(None, interaction, content, note)


async def start_edit(
    interaction: Interaction, ref: str, file: discord.Attachment | None, note: str | None
) -> None:
    """`/brief edit`: open the form filled with the brief, or read a replacement file.

    A correction `note` (the file's option, or the form's last input) is shown with the brief
    once saved, and every copy posted in servers is updated to the new version.
    """
    original = await resolve_brief(interaction.client, ref, held=True)
    if not await is_publisher(interaction):
        own_draft_check(interaction, original)
    note = note.strip() if note and note.strip() else None
    if file is not None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        upload = await read_upload(file, interaction.client.settings)
        await _preview_new(original, interaction, merge_upload(original, upload), note)
        return
    form = form_from_content(original, edit=True, note=note)
    if form is None:
        await interaction.response.send_message(
            f"Brief #{original.id} is too long for the edit form (4,000 characters per part). "
            f"Edit it by file instead: change the attached text and run "
            f"`/brief edit brief:{original.id} file:<your file>`.",
            file=brief_file(original),
            ephemeral=True,
        )
        return
    await open_form(
        interaction,
        f"Edit brief #{original.id}",
        f"edit:{original.id}",
        partial(_preview_edit_form, original),
        prefill=form,
    )


def own_draft_check(interaction: Interaction, brief: Brief) -> None:
    """Refuse a contributor anything but their own draft in review."""
    if brief.review is None or brief.created_by != interaction.user.id:
        raise PermissionDeniedError(
            "Contributors edit their own drafts in review only (`/brief drafts`); an editor "
            "changes published briefs."
        )


def brief_file(brief: Brief) -> discord.File:
    """Return a brief's current text as a file to edit and upload again."""
    return text_file(format_brief(brief), f"brief-{brief.id}.md")


async def _preview_edit_form(
    original: Brief, interaction: Interaction, content: BriefContent, note: str | None
) -> None:
    """Preview an edit made in the form, keeping what the form does not show."""
    await _preview_new(original, interaction, carry_hidden(original, content), note)


async def _preview_new(
    base: Brief | None, interaction: Interaction, content: BriefContent, note: str | None
) -> None:
    """Keep a fresh draft and answer with its preview, visible to the publisher only."""
    for_review = not await is_publisher(interaction)
    draft = Draft(
        owner_id=interaction.user.id, content=content, base=base, note=note, for_review=for_review
    )
    token = interaction.client.drafts.put(draft)
    text, embed, view = await preview_message(interaction.client, draft, token)
    if interaction.response.is_done():
        await interaction.followup.send(text, embed=embed, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(text, embed=embed, view=view, ephemeral=True)


# --- the preview ---------------------------------------------------------------------------


async def preview_message(
    bot: BriefBot, draft: Draft, token: str
) -> tuple[str, discord.Embed, discord.ui.View]:
    """Return the preview: what members will see, a duplicate warning if any, and buttons."""
    content = draft.content
    duplicate = await bot.storage.briefs.find_duplicate(
        content.title, content.what_happened, exclude_id=draft.brief_id
    )
    in_review = draft.base is not None and draft.base.review is not None
    held = in_review or (content.release_at is not None and content.release_at > utcnow())
    verb = "Save" if draft.is_edit else "Schedule" if held else "Publish"
    if draft.for_review:
        verb = "Resubmit" if draft.is_edit else "Submit for review"
    if draft.is_edit:
        lines = [f"**Preview of your changes to brief #{draft.brief_id}** (only you see this)."]
    else:
        lines = ["**Preview** (only you see this): members will see the summary below."]
    lines.append(_article_note(content.body))
    if draft.for_review:
        lines.append(
            "📝 **An editor reviews it before members see it:** you can follow it, revise it"
            " or withdraw it with `/brief drafts`."
        )
    elif in_review:
        lines.append("📝 It stays a draft in review: nobody but editors and its author sees it.")
    if held and content.release_at is not None:
        lines.append(
            f"⏰ **Held until {when_text(content.release_at)}:** only publishers see it until"
            " then; it then goes out as a new brief."
        )
    elif content.release_at is not None and not draft.is_edit:
        lines.append("⏰ Its release time has passed: it is published at once.")
    if draft.note is not None and not held:
        lines.append("✏️ Your correction note will show with the brief, as below.")
    if draft.is_edit and not held:
        lines.append("Every copy already posted in servers will be updated to this version.")
    for note in embeds.left_out(content):
        lines.append(f"⚠️ **Left out of what members see:** {note}.")
    if duplicate is not None:
        lines.append(
            f"⚠️ **Possible duplicate:** brief #{duplicate.id} "
            f"“{truncate(duplicate.title, 100)}” has the same title and WHAT HAPPENED. "
            f"Press **{verb} anyway** only if this is a different story."
        )
    lines.append(f"Nothing is stored until you press **{verb}**; this preview lasts 15 minutes.")
    view = components.preview_view(token, verb=verb, duplicate=duplicate is not None)
    correction = None if held else draft.note
    return "\n".join(lines), embeds.summary_embed(content, correction=correction), view


def _article_note(body: str) -> str:
    """Say how the article will read behind More."""
    if not body.strip():
        return "There is no full article, so **More** will say so."
    pages = len(paginate(body))
    paged = f", {pages} pages" if pages > 1 else ""
    return f"The full article ({len(body):,} characters{paged}) opens with **More**."


# --- the preview's buttons -----------------------------------------------------------------


class DraftButton(WriterOnly, PersistentItem[discord.ui.Button[Any]], id_format=DRAFT):
    """Publish/Save, Edit, Cancel or Reload under a preview; the token names the draft."""

    def __init__(self, token: str, action: DraftAction) -> None:
        super().__init__(components.draft_button(token, action, action))
        self.token = token
        self.action: DraftAction = action

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from the action and token in its custom_id."""
        return cls(match["token"], cast(DraftAction, match["action"]))

    async def run(self, interaction: Interaction) -> None:
        """Do the button's action on the draft it names."""
        draft = _own_draft(interaction, self.token)
        if self.action == "cancel":
            interaction.client.drafts.pop(self.token)
            await interaction.response.edit_message(content=CANCELLED, embed=None, view=None)
        elif self.action == "edit":
            await _reopen_form(interaction, self.token, draft)
        elif self.action == "reload":
            await _reload(interaction, self.token, draft)
        else:
            await _store(interaction, self.token, draft, force=self.action == "force")


def _own_draft(interaction: Interaction, token: str) -> Draft:
    """Return the live draft behind a button, if it is the clicker's."""
    draft = interaction.client.drafts.get(token)
    if draft is None:
        raise UserFacingError(EXPIRED)
    if draft.owner_id != interaction.user.id:
        raise PermissionDeniedError(NOT_YOURS)
    return draft


async def _reopen_form(interaction: Interaction, token: str, draft: Draft) -> None:
    """Open the form on the draft; its submission replaces the draft and the preview in place."""
    form = form_from_content(draft.content, edit=draft.is_edit, note=draft.note)
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
    await open_form(interaction, title, kind, partial(_revise, token), prefill=form)


async def _reload(interaction: Interaction, token: str, draft: Draft) -> None:
    """After a refused save: base the draft on the brief as it is now and open it in the form."""
    assert draft.brief_id is not None
    current = await interaction.client.storage.briefs.get(draft.brief_id)
    if current is None:
        raise NotFoundError(f"Brief #{draft.brief_id} was removed meanwhile.")
    form = form_from_content(current, edit=True, note=draft.note)
    if form is None:
        await interaction.response.send_message(
            f"Brief #{current.id} is too long for the edit form. Its current text is attached: "
            f"change it and run `/brief edit brief:{current.id} file:<your file>`.",
            file=brief_file(current),
            ephemeral=True,
        )
        return
    interaction.client.drafts.put(replace(draft, base=current, content=current.content()), token)
    await open_form(
        interaction,
        f"Edit brief #{current.id}",
        f"edit:{current.id}",
        partial(_revise, token),
        prefill=form,
    )


async def _revise(
    token: str, interaction: Interaction, content: BriefContent, note: str | None
) -> None:
    """Replace a draft's content with the re-submitted form and refresh its preview."""
    draft = _own_draft(interaction, token)
    draft = replace(draft, content=carry_hidden(draft.content, content), note=note)
    interaction.client.drafts.put(draft, token)
    text, embed, view = await preview_message(interaction.client, draft, token)
    await interaction.response.edit_message(content=text, embed=embed, view=view)


async def _store(interaction: Interaction, token: str, draft: Draft, *, force: bool) -> None:
    """Publish or save the draft, unless it turned out to duplicate a brief and was not forced.

    The draft stays until the store is confirmed: if the library stops answering, the next
    press tries again, first checking whether an unconfirmed store went through after all.
    """
    bot = interaction.client
    with bot.drafts.storing(token):
        brief = await _stored_already(interaction, draft)
        if brief is None:
            content = draft.content
            if not force and await bot.storage.briefs.find_duplicate(
                content.title, content.what_happened, exclude_id=draft.brief_id
            ):
                text, embed, view = await preview_message(bot, draft, token)
                await interaction.response.edit_message(content=text, embed=embed, view=view)
                return
            try:
                brief = await _write(interaction, token, draft)
            except StaleEditError as stale:
                await _refuse_stale(interaction, token, draft, stale)
                return
        bot.drafts.pop(token)
    if brief is None:
        raise NotFoundError(f"Brief #{draft.brief_id} was removed meanwhile, so nothing was saved.")
    if brief.review is not None:
        done = (
            f"📝 {'Resubmitted' if draft.is_edit else 'Submitted'} draft #{brief.id} for review."
            " Editors see it now; `/brief drafts` shows where it stands."
            if draft.for_review
            else f"✅ Saved draft #{brief.id}; it stays in review."
        )
    elif brief.release_at is not None:
        done = (
            f"✅ {'Saved' if draft.is_edit else 'Scheduled as'} brief #{brief.id}: held until"
            f" {when_text(brief.release_at)}. Only publishers see it until then"
            " (`/brief scheduled`)."
        )
    elif draft.is_edit:
        done = f"✅ Saved a new version of brief #{brief.id}; its posted copies are being updated."
    else:
        done = (
            f"✅ Published as brief #{brief.id}. Anyone can open it with `/brief show {brief.id}`."
        )
    await interaction.response.edit_message(
        content=done, embed=embeds.summary_embed(brief), view=None
    )


async def _stored_already(interaction: Interaction, draft: Draft) -> Brief | None:
    """Return the brief an unconfirmed earlier press stored, if it did."""
    if draft.unconfirmed is None:
        return None
    try:
        return await interaction.client.storage.briefs.find_stored(
            draft.content,
            since=draft.unconfirmed,
            brief_id=draft.brief_id,
            created_by=interaction.user.id,
        )
    except LibraryUnreachableError as error:
        verb = "Save" if draft.is_edit else "Publish"
        raise UserFacingError(UNCONFIRMED.format(verb=verb)) from error


async def _write(interaction: Interaction, token: str, draft: Draft) -> Brief | None:
    """Store the draft; when the library stops answering, say whether anything was stored and
    keep the draft, marked when its store went unconfirmed."""
    publisher, started = interaction.client.storage.publisher, utcnow()
    by = User(interaction.user.id)
    try:
        if not await is_publisher(interaction):  # a contributor: whatever button it was
            return await _submit(interaction, draft)
        if draft.base is None:
            return await publisher.publish(draft.content, by=by)
        return await publisher.correct(
            draft.base.id, draft.content, by=by, base=draft.base, note=draft.note
        )
    except LibraryUnreachableError as error:
        verb = "Save" if draft.is_edit else "Publish"
        if error.stored is False:
            raise UserFacingError(NOT_STORED.format(verb=verb)) from error
        unconfirmed = draft.unconfirmed or started
        interaction.client.drafts.put(replace(draft, unconfirmed=unconfirmed), token)
        raise UserFacingError(UNCONFIRMED.format(verb=verb)) from error


async def _submit(interaction: Interaction, draft: Draft) -> Brief | None:
    """Store a contributor's draft for review: a new one submitted, or their own draft
    revised and sent to the editors again. Nothing a contributor stores is published."""
    publisher = interaction.client.storage.publisher
    by = User(interaction.user.id)
    if draft.base is None:
        return await publisher.submit(draft.content, by=by)
    own_draft_check(interaction, draft.base)
    revised = await publisher.correct(draft.base.id, draft.content, by=by, base=draft.base)
    if revised is None:
        return None
    return await publisher.resubmit(revised.id, by=by)


async def _refuse_stale(
    interaction: Interaction, token: str, draft: Draft, stale: StaleEditError
) -> None:
    """Say who changed the brief since the edit began; keep the publisher's version safe."""
    if stale.changed_by is not None:
        who = f"<@{stale.changed_by}>"
    else:
        who = source_named(stale.changed_via).label
    when = (
        f" at {discord.utils.format_dt(stale.changed_at, 'f')}"
        f" ({discord.utils.format_dt(stale.changed_at, 'R')})"
        if stale.changed_at is not None
        else ""
    )
    await interaction.response.edit_message(
        content=(
            f"⚠️ **Not saved:** brief #{stale.brief_id} was changed by {who}{when} since you "
            "opened it, and saving would overwrite that change. Your version is attached, so "
            "nothing you wrote is lost. Press **Reload** to edit the brief as it is now."
        ),
        embed=None,
        view=components.stale_view(token),
        attachments=[text_file(format_brief(draft.content), f"brief-{stale.brief_id}-yours.md")],
    )
