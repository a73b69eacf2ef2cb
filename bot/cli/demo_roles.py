"""The demo's own command: `/demo-role` switches the visitor between an editor (a publisher)
and a contributor, so the whole review loop (docs/review.md) runs on the demo's page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.app import BriefBot

#: The demo's own command: the visitor switches between an editor and a contributor.
ROLE_COMMAND = "demo-role"
#: Who the visitor may be in the demo.
DemoRole = Literal["editor", "contributor"]


def role_command(bot: BriefBot) -> Any:
    """Return `/demo-role as:<editor|contributor>`: who the visitor is, from now on, to the
    bot's publishers and contributors (docs/review.md). Only in the demo's server."""
    from discord import app_commands

    @app_commands.command(name=ROLE_COMMAND, description="Demo: act as an editor or a contributor")
    @app_commands.rename(role="as")
    @app_commands.describe(role="Who you are to the bot from now on")
    async def switch(interaction: Any, role: DemoRole) -> None:
        user_id = interaction.user.id
        settings = bot.settings
        editors = [i for i in settings.admin_user_ids if i != user_id]
        writers = [i for i in settings.contributor_user_ids if i != user_id]
        if role == "contributor":
            writers.append(user_id)
            said = (
                "You are a **contributor** now: `/brief add` submits a draft for review, whose"
                " card appears here. Switch back with `/demo-role as:editor` to approve it."
            )
        else:
            editors.append(user_id)
            said = "You are an **editor** (a publisher) again: approve drafts on their cards."
        settings.admin_user_ids, settings.contributor_user_ids = editors, writers
        await interaction.response.send_message(said, ephemeral=True)

    return switch
