"""Deleting (retracting) a brief: an ephemeral confirmation whose buttons carry the brief's id.

A reason given with `/brief delete` waits in the database (bot_state) under a token the buttons
carry, so the confirmation works after a restart too, and is shown on every posted copy. An
unanswered question expires (CONFIRM_SECONDS): it says so, and its reason is forgotten.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self, cast

import discord

from bot.brief.drafts import TOKEN_HEX
from bot.cogs.briefs._lookup import resolve_brief
from bot.publishers import PublisherOnly
from bot.ui import components, embeds
from bot.ui.components import DELETE, DeleteChoice, PersistentItem
from storage.publishing import User

if TYPE_CHECKING:
    from bot.app import Interaction

#: The bot_state key a pending delete's reason is kept under.
REASON_KEY = "delete_reason:{token}"
#: How long a delete question waits for an answer: within the interaction token's life, so the
#: question can still be edited to say it lapsed.
CONFIRM_SECONDS = 10 * 60
#: What a lapsed question turns into, and what a late click on it (after a restart) is told.
EXPIRED = "This delete question expired; brief #{id} is unchanged. Ask again with `/brief delete`."


async def confirm_delete(interaction: Interaction, ref: str, reason: str | None) -> None:
    """`/brief delete`: show the brief and ask for confirmation; nothing changes yet."""
    brief = await resolve_brief(interaction.client, ref, held=True)
    token = None
    if reason is not None and reason.strip():
        token = secrets.token_hex(TOKEN_HEX // 2)
        await interaction.client.storage.state.set(REASON_KEY.format(token=token), reason.strip())
    if brief.review is not None:
        question = (
            f"Reject draft #{brief.id}? It is in review; rejected, it is never published, and"
            " nobody but editors and its author saw it. Its history is kept."
        )
    elif brief.release_at is not None:
        question = (
            f"Withdraw brief #{brief.id}? It is waiting for release"
            f" ({discord.utils.format_dt(brief.release_at, 'f')}); withdrawn, it is never"
            " released, and nobody will have seen it. Its history is kept."
        )
    else:
        question = (
            f"Delete brief #{brief.id}? Lookups will no longer find it, and every copy posted"
            " in servers is replaced by a short **Retracted** notice"
            + (" with your reason" if token else "")
            + ". Its history is kept."
        )
    await interaction.response.send_message(
        question,
        embed=embeds.summary_embed(brief),
        view=DeleteQuestion(interaction, brief.id, token),
        ephemeral=True,
    )


class DeleteQuestion(discord.ui.View):
    """The live side of a delete question: it notices an answer, or lapses unanswered.

    The persistent DeleteButton answers the clicks (after restarts too); this view only
    stops once one comes, or else, after CONFIRM_SECONDS, says the question expired.
    """

    def __init__(self, asked: Interaction, brief_id: int, reason: str | None) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.asked = asked
        self.brief_id = brief_id
        self.reason_token = reason
        for item in components.delete_view(brief_id, reason).children:
            self.add_item(item)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Stop waiting once the question is answered; DeleteButton does the answering."""
        self.stop()
        return False

    async def on_timeout(self) -> None:
        """Turn the unanswered question into a note, and forget the reason it kept."""
        bot = self.asked.client
        if self.reason_token is not None:
            await bot.storage.state.take(REASON_KEY.format(token=self.reason_token))
        with contextlib.suppress(discord.HTTPException):
            await self.asked.edit_original_response(
                content=EXPIRED.format(id=self.brief_id), embed=None, view=None
            )


def expired(interaction: Interaction) -> bool:
    """Tell whether a click comes on a question older than CONFIRM_SECONDS (a restart's)."""
    message = interaction.message
    if message is None:
        return False
    return discord.utils.utcnow() - message.created_at > timedelta(seconds=CONFIRM_SECONDS)


class DeleteButton(PublisherOnly, PersistentItem[discord.ui.Button[Any]], id_format=DELETE):
    """Delete or Cancel under a delete question; re-checks the clicker on every click."""

    def __init__(self, brief_id: int, choice: DeleteChoice, reason: str | None = None) -> None:
        super().__init__(components.delete_button(brief_id, choice, reason))
        self.brief_id = brief_id
        self.choice: DeleteChoice = choice
        self.reason_token = reason

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from the choice, id and reason token in its custom_id."""
        token = match["reason"].removeprefix(":") or None
        return cls(int(match["id"]), cast(DeleteChoice, match["choice"]), token)

    async def run(self, interaction: Interaction) -> None:
        """Retract the brief (recording who, and why), or leave it be."""
        bot = interaction.client
        reason = None
        if self.reason_token is not None:
            reason = await bot.storage.state.take(REASON_KEY.format(token=self.reason_token))
        if expired(interaction):
            text = EXPIRED.format(id=self.brief_id)
        elif self.choice == "cancel":
            text = f"Kept brief #{self.brief_id}; nothing changed."
        else:
            text = await self._remove(interaction, reason)
        await interaction.response.edit_message(content=text, embed=None, view=None)

    async def _remove(self, interaction: Interaction, reason: str | None) -> str:
        """Retract the brief (a draft: reject it, so its review card follows); say what was
        done."""
        publisher, by = interaction.client.storage.publisher, User(interaction.user.id)
        brief = await interaction.client.storage.briefs.get(self.brief_id, held=True)
        if brief is not None and brief.review is not None:
            if await publisher.reject(self.brief_id, by=by, reason=reason):
                return f"🗑️ Rejected draft #{self.brief_id}: it will not be published."
        elif brief is not None and await publisher.retract(self.brief_id, by=by, reason=reason):
            if brief.release_at is not None:
                return f"🗑️ Withdrew brief #{self.brief_id}: it will not be released."
            return f"🗑️ Deleted brief #{self.brief_id}; its posted copies now say it was retracted."
        return f"Brief #{self.brief_id} was already removed; nothing changed."
