"""Deleting (retracting) a brief: an ephemeral confirmation whose buttons carry the brief's id.

A reason given with `/brief delete` waits in the database (bot_state) under a token the buttons
carry, so the confirmation works after a restart too, and is shown on every posted copy.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any, Self, cast

import discord

from bot.brief.drafts import TOKEN_HEX
from bot.cogs.briefs._lookup import resolve_brief
from bot.cogs.briefs._permissions import PublisherOnly
from bot.ui import components, embeds
from bot.ui.components import DELETE, DeleteChoice, PersistentItem

if TYPE_CHECKING:
    from bot.app import Interaction

#: The bot_state key a pending delete's reason is kept under.
REASON_KEY = "delete_reason:{token}"


async def confirm_delete(interaction: Interaction, ref: str, reason: str | None) -> None:
    """`/brief delete`: show the brief and ask for confirmation; nothing changes yet."""
    brief = await resolve_brief(interaction.client, ref)
    token = None
    if reason is not None and reason.strip():
        token = secrets.token_hex(TOKEN_HEX // 2)
        await interaction.client.storage.state.set(REASON_KEY.format(token=token), reason.strip())
    await interaction.response.send_message(
        f"Delete brief #{brief.id}? Lookups will no longer find it, and every copy posted in "
        "servers is replaced by a short **Retracted** notice"
        + (" with your reason" if token else "")
        + ". Its history is kept.",
        embed=embeds.summary_embed(brief),
        view=components.delete_view(brief.id, token),
        ephemeral=True,
    )


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
        if self.choice == "cancel":
            text = f"Kept brief #{self.brief_id}; nothing changed."
        elif await bot.storage.briefs.delete(
            self.brief_id, actor_id=interaction.user.id, reason=reason
        ):
            text = f"🗑️ Deleted brief #{self.brief_id}; its posted copies now say it was retracted."
            bot.dispatch("brief_deleted", self.brief_id)
        else:
            text = f"Brief #{self.brief_id} was already removed; nothing changed."
        await interaction.response.edit_message(content=text, embed=None, view=None)
