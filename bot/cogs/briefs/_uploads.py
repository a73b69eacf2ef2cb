"""Read one brief from a file attached to a command, refusing anything that is not one."""

from __future__ import annotations

import discord

from bot.brief.files import check_upload, display_name, parse_upload
from bot.config import Settings
from bot.errors import UserFacingError
from storage.models import BriefContent


async def read_upload(attachment: discord.Attachment, settings: Settings) -> BriefContent:
    """Check (before downloading), download and parse an attached brief file."""
    check_upload(attachment.filename, attachment.size, max_bytes=settings.upload_max_bytes)
    try:
        data = await attachment.read()
    except (discord.HTTPException, discord.NotFound) as error:
        raise UserFacingError(
            f"I could not download {display_name(attachment.filename)}; please attach it again."
        ) from error
    return parse_upload(
        data,
        attachment.filename,
        strip_patterns=settings.brief_strip_patterns,
        max_chars=settings.brief_max_chars,
        max_bytes=settings.upload_max_bytes,
    )
