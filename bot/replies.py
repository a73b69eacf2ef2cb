"""Answer an interaction whether or not it was answered already; turn errors into replies."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Something went wrong on our side. The team has been told; please try again."


async def send_ephemeral(
    interaction: discord.Interaction[Any], content: str, **kwargs: Any
) -> None:
    """Send a message only the user sees: as the response, or as a followup once answered."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def describe_check_failure(error: app_commands.AppCommandError) -> str:
    """Word a failed app-command check or conversion for the user."""
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, app_commands.TransformerError):
        return f"I could not understand {error.value!r}."
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    return "You can't use this command here."


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user what went wrong: our own message for expected failures, a generic one else."""
    original = getattr(error, "original", None) or getattr(error, "__cause__", None)
    if isinstance(error, UserFacingError):
        message = str(error)
    elif isinstance(original, UserFacingError):
        message = str(original)
    elif isinstance(error, app_commands.CheckFailure | app_commands.TransformerError):
        message = describe_check_failure(error)
    else:
        command = interaction.command.qualified_name if interaction.command else None
        log.error(
            "interaction failed command=%s guild=%s user=%s",
            command,
            interaction.guild_id,
            interaction.user.id,
            exc_info=error,
        )
        message = GENERIC_FAILURE
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not report an error to user=%s", interaction.user.id, exc_info=True)
