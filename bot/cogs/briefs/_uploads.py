"""Read one brief from a file attached to a command, refusing anything that is not one."""

from __future__ import annotations

from pathlib import PurePath

import discord

from bot.brief.parsing import BriefParseError, load_briefs
from bot.brief.text import truncate
from bot.config import Settings
from bot.errors import UserFacingError
from storage.models import BriefContent

#: The file types a brief comes in (see docs/brief-format.md).
BRIEF_SUFFIXES = (".txt", ".md", ".json")
#: How much of the file to look at when telling text from binary.
_SNIFF_BYTES = 8192


def display_name(filename: str) -> str:
    """Quote an uploaded file's name safely for a message (no Markdown, bounded length)."""
    cleaned = "".join(ch for ch in filename if ch.isprintable() and ch != "`")
    return f"`{truncate(cleaned, 80) or 'file'}`"


def check_attachment(attachment: discord.Attachment, *, max_bytes: int) -> None:
    """Refuse a wrong file type or an oversized file before downloading it."""
    name = display_name(attachment.filename)
    suffix = PurePath(attachment.filename).suffix.lower()
    if suffix not in BRIEF_SUFFIXES:
        raise UserFacingError(
            f"{name} is not a brief file: attach a `.txt`, `.md` or `.json` file "
            "written in the brief format."
        )
    if attachment.size > max_bytes:
        raise UserFacingError(
            f"{name} is {attachment.size:,} bytes; brief files may be at most {max_bytes:,} bytes."
        )


def parse_upload(data: bytes, filename: str, settings: Settings) -> BriefContent:
    """Parse downloaded bytes as exactly one brief, with a message naming the problem."""
    name = display_name(filename)
    if len(data) > settings.upload_max_bytes:
        raise UserFacingError(
            f"{name} is {len(data):,} bytes; brief files may be at most "
            f"{settings.upload_max_bytes:,} bytes."
        )
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UserFacingError(f"{name} looks like a binary file, not text: save it as UTF-8 text.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserFacingError(
            f"{name} is not UTF-8 text: save it as UTF-8 (plain text) and attach it again."
        ) from None
    try:
        briefs = load_briefs(
            data,
            filename,
            strip_patterns=settings.brief_strip_patterns,
            max_chars=settings.brief_max_chars,
        )
    except BriefParseError as error:
        raise UserFacingError(f"{name} is not a valid brief: {error}.") from error
    if len(briefs) != 1:
        raise UserFacingError(
            f"{name} holds {len(briefs)} briefs; attach one brief at a time "
            "(the `import` command line loads many at once)."
        )
    return _content_only(briefs[0])


async def read_upload(attachment: discord.Attachment, settings: Settings) -> BriefContent:
    """Check, download and parse an attached brief file."""
    check_attachment(attachment, max_bytes=settings.upload_max_bytes)
    try:
        data = await attachment.read()
    except (discord.HTTPException, discord.NotFound) as error:
        raise UserFacingError(
            f"I could not download {display_name(attachment.filename)}; please attach it again."
        ) from error
    return parse_upload(data, attachment.filename, settings)


def _content_only(content: BriefContent) -> BriefContent:
    """Drop an exported brief's identity: an upload is always new content."""
    return BriefContent.model_validate(content.model_dump(include=set(BriefContent.model_fields)))
