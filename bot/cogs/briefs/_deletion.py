"""Deleting a brief: an ephemeral confirmation whose buttons carry the brief's id."""

from __future__ import annotations

import re
from typing import Any, Literal, cast

import discord

from bot.cogs.briefs._lookup import resolve_brief
from bot.cogs.briefs._permissions import PublisherItem
from bot.ui import embeds as render
from bot.ui.components import bot_of

Interaction = discord.Interaction[Any]
Choice = Literal["confirm", "cancel"]


async def confirm_delete(interaction: Interaction, ref: str) -> None:
    """`/brief delete`: show the brief and ask for confirmation; nothing changes yet."""
    brief = await resolve_brief(bot_of(interaction), ref)
    view = discord.ui.View(timeout=None)
    view.add_item(DeleteButton(brief.id, "confirm"))
    view.add_item(DeleteButton(brief.id, "cancel"))
    await interaction.response.send_message(
        f"Delete brief #{brief.id}? Lookups will no longer find it and the **More** button on "
        "its posts will say it was removed. Its history is kept.",
        embed=render.summary_embed(brief),
        view=view,
        ephemeral=True,
    )


class DeleteButton(
    PublisherItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"brief:delete:(?P<choice>confirm|cancel):(?P<id>[0-9]{1,19})",
):
    """Confirm or Cancel under a delete question; re-checks the clicker on every click."""

    def __init__(self, brief_id: int, choice: Choice) -> None:
        confirm = choice == "confirm"
        super().__init__(
            discord.ui.Button(
                label="Delete" if confirm else "Cancel",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"brief:delete:{choice}:{brief_id}",
            )
        )
        self.brief_id = brief_id
        self.choice: Choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DeleteButton:
        """Rebuild the button from the choice and id in its custom_id."""
        return cls(int(match["id"]), cast(Choice, match["choice"]))

    async def run(self, interaction: Interaction) -> None:
        """Soft-delete the brief (recording who), or leave it be."""
        if self.choice == "cancel":
            text = f"Kept brief #{self.brief_id}; nothing changed."
        elif await bot_of(interaction).briefs.delete(self.brief_id, actor_id=interaction.user.id):
            text = f"🗑️ Deleted brief #{self.brief_id}."
            bot_of(interaction).dispatch("brief_deleted", self.brief_id)
        else:
            text = f"Brief #{self.brief_id} was already removed; nothing changed."
        await interaction.response.edit_message(content=text, embed=None, view=None)
