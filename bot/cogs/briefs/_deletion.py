"""Deleting a brief: an ephemeral confirmation whose buttons carry the brief's id."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self, cast

import discord

from bot.cogs.briefs._lookup import resolve_brief
from bot.cogs.briefs._permissions import PublisherOnly
from bot.ui import components, embeds
from bot.ui.components import DELETE, DeleteChoice, PersistentItem

if TYPE_CHECKING:
    from bot.app import Interaction


async def confirm_delete(interaction: Interaction, ref: str) -> None:
    """`/brief delete`: show the brief and ask for confirmation; nothing changes yet."""
    brief = await resolve_brief(interaction.client, ref)
    await interaction.response.send_message(
        f"Delete brief #{brief.id}? Lookups will no longer find it and the **More** button on "
        "its posts will say it was removed. Its history is kept.",
        embed=embeds.summary_embed(brief),
        view=components.delete_view(brief.id),
        ephemeral=True,
    )


class DeleteButton(PublisherOnly, PersistentItem[discord.ui.Button[Any]], id_format=DELETE):
    """Delete or Cancel under a delete question; re-checks the clicker on every click."""

    def __init__(self, brief_id: int, choice: DeleteChoice) -> None:
        super().__init__(components.delete_button(brief_id, choice))
        self.brief_id = brief_id
        self.choice: DeleteChoice = choice

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from the choice and id in its custom_id."""
        return cls(int(match["id"]), cast(DeleteChoice, match["choice"]))

    async def run(self, interaction: Interaction) -> None:
        """Soft-delete the brief (recording who), or leave it be."""
        briefs = interaction.client.storage.briefs
        if self.choice == "cancel":
            text = f"Kept brief #{self.brief_id}; nothing changed."
        elif await briefs.delete(self.brief_id, actor_id=interaction.user.id):
            text = f"🗑️ Deleted brief #{self.brief_id}."
        else:
            text = f"Brief #{self.brief_id} was already removed; nothing changed."
        await interaction.response.edit_message(content=text, embed=None, view=None)
