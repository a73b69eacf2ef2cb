"""Answer an interaction whether or not it was answered already; turn errors into replies.

Every helper takes any client's interaction (`Interaction` is covariant in its client): they
only answer, never look anything up.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError
from storage.errors import LibraryUnreachableError

log = logging.getLogger("bot.replies")

AnyInteraction = discord.Interaction[discord.Client]

GENERIC_FAILURE = "Something went wrong on our side. The team has been told; please try again."
#: The database stopped answering before anything was committed, or after a commit was sent.
UNREACHABLE = (
    "The library can't be reached right now, so nothing was changed. Please try again in a minute."
)
UNREACHABLE_UNSURE = (
    "The library can't be reached right now, and it did not confirm your change: it may or "
    "may not have been stored. Please check in a minute before trying again."
)


def unreachable_message(error: LibraryUnreachableError) -> str:
    """Say that the library can't be reached, and whether anything was stored."""
    return UNREACHABLE if error.stored is False else UNREACHABLE_UNSURE


async def send_ephemeral(interaction: AnyInteraction, content: str, **kwargs: Any) -> None:
    """Send a message only the user sees: as the response, or as a followup once answered."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def text_file(text: str, filename: str) -> discord.File:
    """Return text as a UTF-8 file to attach (a brief to edit, or what a publisher typed)."""
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=filename)


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


#: Failures we word for the user: our refusals, failed checks, and a library out of reach
#: (storage logs an outage once, when it starts).
_EXPECTED = (UserFacingError, app_commands.CheckFailure, LibraryUnreachableError)


def is_expected_failure(error: BaseException) -> bool:
    """Tell a failure we word for the user from a real failure."""
    original = getattr(error, "original", None) or error.__cause__ or error
    return isinstance(error, _EXPECTED) or isinstance(
        original, (*_EXPECTED, app_commands.TransformerError)
    )


def user_message(error: BaseException) -> str | None:
    """Return what to tell the user about an expected failure (None for a real failure)."""
    if not is_expected_failure(error):
        return None
    original = getattr(error, "original", None) or error.__cause__ or error
    for candidate in (error, original):
        if isinstance(candidate, UserFacingError):
            return str(candidate)
        if isinstance(candidate, LibraryUnreachableError):
            return unreachable_message(candidate)
    for candidate in (error, original):
        if isinstance(candidate, app_commands.AppCommandError):
            return describe_check_failure(candidate)
    return None


async def report_error(interaction: AnyInteraction, error: BaseException) -> None:
    """Tell the user what went wrong: our own message for expected failures, a generic one else."""
    message = user_message(error)
    if message is None:
        command = interaction.command.qualified_name if interaction.command else None
        log.error(
            "interaction failed",
            extra={"command": command, "guild": interaction.guild_id, "user": interaction.user.id},
            exc_info=error,
        )
        message = GENERIC_FAILURE
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not report an error", extra={"user": interaction.user.id}, exc_info=True)
