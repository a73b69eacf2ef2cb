"""Review before publishing: the review cards editors act on, `/brief drafts` and
`/brief withdraw` (docs/review.md).

A draft (a contributor's brief, or one from a source that requires review) is stored and
invisible to members; its card, in REVIEW_CHANNEL_ID (else the newsroom channel), shows it
as members will see it, who wrote it, and Approve, Edit, Request changes and Reject. Cards
follow their draft from storage (`CardKeeper`): whichever process or command moved it, an
announcement or the next sweep brings the card up to date in place, after restarts too.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Self, cast

import discord
from discord import app_commands

from bot.brief.text import truncate
from bot.cogs.briefs._publishing import start_edit
from bot.errors import NotFoundError, PermissionDeniedError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, EMBED_DESCRIPTION, MESSAGE_CONTENT
from bot.publishers import PublisherOnly, is_publisher
from bot.ui import components, embeds
from bot.ui.components import REVIEW, PersistentItem, ReviewAction
from bot.ui.replies import report_error, send_ephemeral
from storage.base import content_key
from storage.models import CORRECTION_CHARS, Brief, brief_number
from storage.publishing import User, actor_of
from storage.reviewing import ReviewCard

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.briefs")

#: Drafts `/brief drafts` lists (the oldest first); the rest are counted.
DRAFTS_SHOWN = 20
#: How a draft that left review is shown on its card for good, by its last audit action.
ENDED = {
    "approve": "✅ **Approved** by {who}: published.",
    "reject": "❌ **Rejected** by {who}{why}.",
    "withdraw": "↩️ **Withdrawn** by its author.",
    "delete": "❌ **Rejected** by {who}{why}.",
}
#: The custom_id of the note a review's modal asks for.
NOTE_INPUT = "brief-review:note"
OWN_BRIEF = "The four-eyes rule is on: another editor must approve a brief you wrote."


def review_channel(bot: BriefBot) -> int | None:
    """Return where review cards go: REVIEW_CHANNEL_ID, else the newsroom channel."""
    return bot.settings.review_channel_id or bot.settings.newsroom_channel_id


def author_text(brief: Brief, source: str | None) -> str:
    """Say who wrote a draft: a mention (shown as a name, pinging nobody) or its source."""
    if brief.created_by is not None:
        return f"<@{brief.created_by}>"
    return f"the source **{source}**" if source else "the command line"


async def card_message(bot: BriefBot, brief_id: int) -> tuple[str, str, discord.Embed | None, bool]:
    """Return what a draft's card says now: (what it shows, its text, the summary, final)."""
    briefs = bot.storage.briefs
    brief = await briefs.get(brief_id, held=True)
    history = await briefs.history(brief_id)
    first = history[0] if history else None
    source = None if first is None else first.source
    if brief is not None and brief.review is not None:
        state = (
            "📝 **Waiting for review**"
            if brief.review == "submitted"
            else f"✏️ **Changes requested:** “{truncate(brief.review_note or '', 300)}”"
        )
        text = f"Draft #{brief.id} by {author_text(brief, source)} · {state}"
        if brief.release_at is not None:
            text += f"\n⏰ To be held until {discord.utils.format_dt(brief.release_at, 'F')}."
        shown = f"{brief.review}:{content_key(brief)}:{brief.review_note}:{brief.release_at}"
        return shown, text, embeds.summary_embed(brief), False
    last = history[-1] if history else None
    action = last.action if last is not None else "withdraw"
    if action == "schedule" or action == "release":  # approved, then held or released
        action = "approve"
    who = "" if last is None else _who(last)
    why = f": “{truncate(last.note, 300)}”" if last is not None and last.note else ""
    ended = ENDED.get(action, ENDED["withdraw"]).format(who=who, why=why)
    title = "" if first is None else str(first.snapshot.get("title") or "")
    text = f"Draft #{brief_id} “{truncate(title, 100)}” · {ended}"
    return f"final:{action}", text, None, True


def _who(entry: Any) -> str:
    actor = actor_of(entry)
    return f"<@{actor.id}>" if isinstance(actor, User) else actor.label


class CardKeeper:
    """Posts a card for every draft and keeps it up to date in place."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    async def run(self) -> None:
        """Bring every card that may be behind up to date; never raises."""
        channel_id = review_channel(self.bot)
        if channel_id is None:
            return
        try:
            for brief_id in await self.bot.storage.review_cards.work():
                await self.keep(brief_id, channel_id)
        except Exception:
            log.exception("review cards not brought up to date; the next sweep tries again")

    async def keep(self, brief_id: int, channel_id: int) -> None:
        """Post a draft's card, or edit it to what the draft now is."""
        cards = self.bot.storage.review_cards
        card = await cards.get(brief_id)
        shown, text, embed, final = await card_message(self.bot, brief_id)
        if card is not None and card.shown == shown:
            return
        view = None if final else components.review_view(brief_id)
        content = truncate(text, MESSAGE_CONTENT)
        if card is None:
            if final:  # never carded, already over: nothing to show
                return
            message = await self.bot.get_partial_messageable(channel_id).send(
                content,
                embed=embed or discord.utils.MISSING,
                view=view or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await cards.record(ReviewCard(brief_id, channel_id, message.id, shown, final))
            return
        partial = self.bot.get_partial_messageable(card.channel_id).get_partial_message(
            card.message_id
        )
        try:
            await partial.edit(content=content, embed=embed, view=view)
        except discord.NotFound:
            await cards.forget(brief_id)  # deleted by someone: posted again next time
            return
        await cards.record(ReviewCard(brief_id, card.channel_id, card.message_id, shown, final))


class ReviewButton(PublisherOnly, PersistentItem[discord.ui.Button[Any]], id_format=REVIEW):
    """Approve, Edit, Request changes or Reject on a review card (editors only, rechecked
    on every click, after restarts too)."""

    def __init__(self, brief_id: int, action: ReviewAction) -> None:
        super().__init__(
            discord.ui.Button(label=action, custom_id=REVIEW.format(action=action, id=brief_id))
        )
        self.brief_id = brief_id
        self.action: ReviewAction = action

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from the action and draft number in its custom_id."""
        return cls(int(match["id"]), cast(ReviewAction, match["action"]))

    async def run(self, interaction: Interaction) -> None:
        """Do what the editor chose to the draft."""
        bot = interaction.client
        brief = await bot.storage.briefs.get(self.brief_id, held=True)
        if brief is None or brief.review is None:
            await refresh(bot, self.brief_id)
            raise NotFoundError(f"Draft #{self.brief_id} is no longer waiting for review.")
        if self.action == "approve":
            await approve(interaction, brief)
        elif self.action == "edit":  # the editor changes it first, as with /brief edit
            await start_edit(interaction, str(brief.id), None, None)
        else:
            await interaction.response.send_modal(NoteModal(self.brief_id, self.action))


async def approve(interaction: Interaction, brief: Brief) -> None:
    """Publish a draft (or hold it until its release time), once, whoever presses too."""
    bot = interaction.client
    if bot.settings.review_four_eyes and brief.created_by == interaction.user.id:
        raise PermissionDeniedError(OWN_BRIEF)
    approved = await bot.storage.publisher.approve(brief.id, by=User(interaction.user.id))
    if approved is None:
        raise NotFoundError(f"Draft #{brief.id} was already approved, rejected or withdrawn.")
    await refresh(bot, brief.id)
    held = approved.release_at is not None
    await send_ephemeral(
        interaction,
        f"Approved brief #{brief.id}: "
        + ("held until its release time." if held else "published, and posted where subscribed."),
    )


async def refresh(bot: BriefBot, brief_id: int) -> None:
    """Bring one draft's card up to date now (the keeper does it for any missed)."""
    channel_id = review_channel(bot)
    if channel_id is not None:
        try:
            await CardKeeper(bot).keep(brief_id, channel_id)
        except discord.HTTPException as error:
            log.warning("review card not updated", extra={"brief": brief_id, "error": str(error)})


class NoteModal(discord.ui.Modal):
    """What the editor asks to change, or why the draft is rejected."""

    def __init__(self, brief_id: int, action: ReviewAction) -> None:
        changes = action == "changes"
        super().__init__(
            title=f"{'Request changes to' if changes else 'Reject'} draft #{brief_id}",
            timeout=15 * 60,
        )
        self.brief_id = brief_id
        self.changes = changes
        self.note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
            label="What to change" if changes else "Why (the author sees it)",
            custom_id=NOTE_INPUT,
            style=discord.TextStyle.paragraph,
            max_length=CORRECTION_CHARS,
            required=changes,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: Interaction) -> None:  # type: ignore[override]
        """Send the draft back to its author, or turn it down, and tell the author."""
        if not await is_publisher(interaction):
            raise PermissionDeniedError("Only editors review drafts.")
        bot = interaction.client
        note = self.note.value.strip() or None
        by = User(interaction.user.id)
        brief = await bot.storage.briefs.get(self.brief_id, held=True)
        if self.changes and note is not None:
            sent = await bot.storage.publisher.request_changes(self.brief_id, note, by=by)
            done = sent is not None
            said = f"Sent draft #{self.brief_id} back to its author."
        else:
            done = await bot.storage.publisher.reject(self.brief_id, by=by, reason=note)
            said = f"Rejected draft #{self.brief_id}."
        if not done:
            raise NotFoundError(f"Draft #{self.brief_id} is no longer waiting for review.")
        await refresh(bot, self.brief_id)
        await send_ephemeral(interaction, said)
        if brief is not None:
            await tell_author(bot, brief, note, changes=self.changes)

    async def on_error(self, interaction: Interaction, error: Exception) -> None:  # type: ignore[override]
        await report_error(interaction, error)


async def tell_author(bot: BriefBot, brief: Brief, note: str | None, *, changes: bool) -> None:
    """Tell a draft's author by direct message, when they allow it (it is also in
    `/brief drafts`); a closed inbox is no failure."""
    if brief.created_by is None:
        return
    what = "Changes were requested to" if changes else "An editor rejected"
    text = f"{what} your draft #{brief.id} “{truncate(brief.title, 100)}”"
    text += f": “{note}”" if note else "."
    if changes:
        text += " Revise it with `/brief edit`, then submit it again; `/brief drafts` lists yours."
    try:
        user = bot.get_user(brief.created_by) or await bot.fetch_user(brief.created_by)
        await user.send(
            truncate(text, MESSAGE_CONTENT), allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException as error:
        log.info("author not told by DM", extra={"brief": brief.id, "error": str(error)})


async def drafts(interaction: Interaction) -> None:
    """`/brief drafts`: a contributor's own drafts, or (for editors) every draft in review."""
    bot = interaction.client
    editor = await is_publisher(interaction)
    author = None if editor else interaction.user.id
    found = await bot.storage.briefs.drafts(author_id=author, limit=DRAFTS_SHOWN + 1)
    if not found:
        await send_ephemeral(
            interaction,
            "No draft is waiting for review."
            if editor
            else "You have no draft in review. Write one with `/brief add`.",
        )
        return
    lines = [_draft_line(brief) for brief in found[:DRAFTS_SHOWN]]
    if len(found) > DRAFTS_SHOWN:
        lines.append("…and more: the oldest are shown first.")
    embed = discord.Embed(
        title="Drafts in review" if editor else "Your drafts",
        description=truncate("\n".join(lines), EMBED_DESCRIPTION),
        colour=embeds.BRIEF_COLOUR,
    )
    await interaction.response.send_message(embed=embed, ephemeral=True)


def _draft_line(brief: Brief) -> str:
    label = discord.utils.escape_markdown(components.brief_label(brief.id, brief.title, 100))
    if brief.review == "changes":
        note = discord.utils.escape_markdown(truncate(brief.review_note or "", 200))
        return f"✏️ {label} · changes requested: “{note}”"
    return f"📝 {label} · waiting for review"


async def withdraw(interaction: Interaction, ref: str) -> None:
    """`/brief withdraw`: an author takes back a draft of theirs (never published)."""
    brief_id = brief_number(ref)
    bot = interaction.client
    if brief_id is None or not await bot.storage.publisher.withdraw(
        brief_id, by=User(interaction.user.id)
    ):
        raise NotFoundError(
            f"You have no draft in review numbered “{truncate(ref, 20)}”: see `/brief drafts`."
        )
    await refresh(bot, brief_id)
    await send_ephemeral(interaction, f"Withdrew draft #{brief_id}: it will not be published.")


async def suggest_own_drafts(bot: BriefBot, author_id: int) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for a contributor: their own drafts in review (marked 📝)."""
    found = await bot.storage.briefs.drafts(author_id=author_id, limit=AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(
            name=components.brief_label(b.id, f"📝 {b.title}", CHOICE_NAME), value=str(b.id)
        )
        for b in found
    ]
