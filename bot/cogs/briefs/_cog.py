"""The `/brief` command group: declarations only; the work lives in bot.lookup, bot.publishing,
bot.deletion and bot.history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.brief.drafts import DraftStore
from bot.cogs.briefs import _lookup as lookup
from bot.cogs.briefs import _publishing as publishing
from bot.cogs.briefs._deletion import DeleteButton, confirm_delete
from bot.cogs.briefs._history import show_history
from bot.cogs.briefs._permissions import publisher_only
from bot.cogs.briefs._publishing import DraftButton

if TYPE_CHECKING:
    from bot.app import BriefBot

Interaction = discord.Interaction["BriefBot"]


class Briefs(
    commands.GroupCog,
    name=publishing.COG_NAME,
    group_name="brief",
    group_description="Read the news briefs",
):
    """Members look briefs up; publishers manage them."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        #: Unpublished previews, by token; forgotten after 15 minutes or a restart.
        self.drafts = DraftStore()

    async def cog_load(self) -> None:
        """Route the publishers' buttons by custom_id, so they are answered after restarts too."""
        self.bot.add_dynamic_items(DraftButton, DeleteButton)

    async def cog_unload(self) -> None:
        """Stop routing the buttons and forget pending drafts."""
        self.bot.remove_dynamic_items(DraftButton, DeleteButton)
        self.drafts.clear()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Answer a form that no longer lives, giving back what the publisher typed."""
        await publishing.answer_expired_form(interaction, self.drafts)

    @app_commands.command(name="latest", description="Show the newest brief (or a few)")
    @app_commands.describe(count="How many of the newest briefs to show (1–5)")
    async def latest(
        self, interaction: Interaction, count: app_commands.Range[int, 1, 5] = 1
    ) -> None:
        await lookup.latest(interaction, count)

    @app_commands.command(name="show", description="Show one brief")
    @app_commands.describe(brief="Start typing a title, or a brief number")
    async def show(self, interaction: Interaction, brief: str) -> None:
        await lookup.show(interaction, brief)

    @app_commands.command(name="add", description="Add a brief (publishers only)")
    @app_commands.describe(file="A .txt, .md or .json brief file (for articles over 4,000 chars)")
    @publisher_only()
    async def add(self, interaction: Interaction, file: discord.Attachment | None = None) -> None:
        await publishing.start_add(interaction, self.drafts, file)

    @app_commands.command(name="edit", description="Edit a brief (publishers only)")
    @app_commands.describe(
        brief="Start typing a title, or a brief number",
        file="A replacement .txt, .md or .json brief file (for long articles)",
    )
    @publisher_only()
    async def edit(
        self, interaction: Interaction, brief: str, file: discord.Attachment | None = None
    ) -> None:
        await publishing.start_edit(interaction, self.drafts, brief, file)

    @app_commands.command(name="delete", description="Delete a brief (publishers only)")
    @app_commands.describe(brief="Start typing a title, or a brief number")
    @publisher_only()
    async def delete(self, interaction: Interaction, brief: str) -> None:
        await confirm_delete(interaction, brief)

    @app_commands.command(name="history", description="Who changed a brief, and when (publishers)")
    @app_commands.describe(brief="Start typing a title, or a brief number")
    @publisher_only()
    async def history(self, interaction: Interaction, brief: str) -> None:
        await show_history(interaction, brief)

    @history.autocomplete("brief")
    @delete.autocomplete("brief")
    @edit.autocomplete("brief")
    @show.autocomplete("brief")
    async def _brief_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await lookup.suggest(self.bot, current)

    @app_commands.command(name="search", description="Search all briefs")
    @app_commands.describe(query="Words to look for")
    async def search(
        self, interaction: Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        await lookup.search(interaction, query)

    @app_commands.command(name="list", description="Browse all briefs, newest first")
    async def list_(self, interaction: Interaction) -> None:
        await lookup.browse(interaction)


async def setup(bot: BriefBot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(Briefs(bot))
