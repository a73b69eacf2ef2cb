"""`/brief history`: who changed a brief and when, from the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.brief.text import truncate
from bot.cogs.briefs._lookup import resolve_brief
from bot.errors import NotFoundError
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE
from bot.ui.embeds import BRIEF_COLOUR
from storage.models import AuditEntry, brief_number
from storage.publishing import User, actor_of

if TYPE_CHECKING:
    from bot.app import Interaction

ACTIONS = {
    "add": "Added",
    "edit": "Edited",
    "delete": "Deleted",
    "import": "Imported",
    "schedule": "Scheduled",
    "release": "Released",
    "cancel": "Withdrawn before release",
    "submit": "Submitted for review",
    "request_changes": "Changes requested",
    "approve": "Approved",
    "reject": "Rejected",
    "withdraw": "Withdrawn by its author",
}
#: What an entry's note is, by action (a time for scheduling: shown in the reader's zone).
NOTES = {
    "delete": "reason",
    "cancel": "reason",
    "reject": "reason",
    "request_changes": "asked",
    "schedule": "for",
    "release": "due",
}
#: How much of a correction note or delete reason one history line shows.
NOTE_CHARS = 200


async def show_history(interaction: Interaction, ref: str) -> None:
    """Answer the publisher with the brief's changes, oldest first (deleted briefs included)."""
    briefs = interaction.client.storage.briefs
    brief_id = brief_number(ref)
    if brief_id is None:
        brief_id = (await resolve_brief(interaction.client, ref, held=True)).id
    entries = await briefs.history(brief_id)
    if not entries:
        raise NotFoundError(f"There is no brief #{brief_id}, so it has no history.")
    removed = await briefs.get(brief_id, held=True) is None
    await interaction.response.send_message(
        embed=history_embed(brief_id, entries, removed=removed), ephemeral=True
    )


def history_embed(brief_id: int, entries: Sequence[AuditEntry], *, removed: bool) -> discord.Embed:
    """Render audit entries as one line each: action, who (mention text) and when."""
    title = str(entries[-1].snapshot.get("title") or "")
    lines = [_line(entry) for entry in entries]
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        if size + len(line) + 1 > EMBED_DESCRIPTION - 40:
            kept.append(f"…and {len(lines) - len(kept)} earlier changes")
            break
        kept.append(line)
        size += len(line) + 1
    embed = discord.Embed(
        title=truncate(f"History of brief #{brief_id} · {title}", EMBED_TITLE),
        description="\n".join(reversed(kept)),
        colour=BRIEF_COLOUR,
    )
    if removed:
        embed.set_footer(text="Removed: lookups no longer find this brief.")
    return embed


def _line(entry: AuditEntry) -> str:
    actor = actor_of(entry)
    who = f"<@{actor.id}>" if isinstance(actor, User) else actor.label
    when = discord.utils.format_dt(entry.at, "f")
    ago = discord.utils.format_dt(entry.at, "R")
    line = f"**{ACTIONS.get(entry.action, entry.action)}** by {who} · {when} ({ago})"
    if entry.note and entry.action in ("schedule", "release"):
        line += f" · {NOTES[entry.action]} {_time_note(entry.note)}"
    elif entry.note:
        label = NOTES.get(entry.action, "correction")
        line += f" · {label}: “{truncate(' '.join(entry.note.split()), NOTE_CHARS)}”"
    return line


def _time_note(note: str) -> str:
    """Show a scheduling entry's time (ISO 8601 as stored) in the reader's zone."""
    try:
        return discord.utils.format_dt(datetime.fromisoformat(note), "f")
    except ValueError:  # not a time: shown as written
        return f"“{truncate(note, NOTE_CHARS)}”"
