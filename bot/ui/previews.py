"""What the bot would post for a brief, as Discord payloads: `preview` and the API's dry run."""

from __future__ import annotations

from typing import Any

import discord

from bot.brief.pages import paginate
from bot.ui import embeds
from bot.ui.components import article_view, summary_view
from storage.models import Brief, BriefContent

#: Components of an unsaved brief carry this id until publishing gives it a real one.
UNSAVED_ID = 0


def preview_payload(content: BriefContent) -> dict[str, Any]:
    """Return the brief JSON, the summary message and every article page, as the bot sends them.

    A stored brief (from an export) shows its id; an unsaved one is labelled a preview.
    Must run inside an event loop: discord.py views need one.
    """
    brief_id = content.id if isinstance(content, Brief) else UNSAVED_ID
    pages = paginate(content.body)
    article_pages = []
    for index in range(max(len(pages), 1)):
        embed = embeds.article_embed(content, pages, index)
        view = article_view(brief_id, len(pages), index)
        article_pages.append(
            {"embeds": [embed.to_dict()], "components": view.to_components() if view else []}
        )
    return {
        "brief": content.model_dump(mode="json"),
        "summary": {
            "embeds": [embeds.summary_embed(content).to_dict()],
            "components": summary_view(brief_id, content.source_url).to_components(),
        },
        "article_pages": article_pages,
    }


def as_sent(payload: dict[str, Any]) -> dict[str, Any]:
    """Return a preview's messages as auto-posting sends them: pinging no one (brief text is
    publishers' copy; a subscription's role mention is its own, not the brief's)."""
    quiet = discord.AllowedMentions.none().to_dict()
    return {
        **payload,
        "summary": {**payload["summary"], "allowed_mentions": quiet},
        "article_pages": [{**page, "allowed_mentions": quiet} for page in payload["article_pages"]],
    }
