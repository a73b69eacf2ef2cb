"""Telling the newsroom: a feed started failing, was paused (with a Resume button), recovered.

The notice goes to NEWSROOM_CHANNEL_ID by REST, so whichever bot process polled the feed can
send it, whatever shards it serves. Without the setting, notices are only logged, and
`/feed status` shows the same.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.brief.text import truncate
from bot.cogs.feeds._texts import notice_text, status_embed
from bot.errors import NotFoundError
from bot.feeds import FeedNotice, Notice
from bot.limits import MESSAGE_CONTENT
from bot.publishers import PublisherOnly
from bot.ui.components import IdFormat, PersistentItem, message_view

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.feeds")

RESUME = IdFormat("feed:resume:{name}", name="[a-z0-9][a-z0-9_-]{0,31}")


class ResumeButton(PublisherOnly, PersistentItem[discord.ui.Button[Any]], id_format=RESUME):
    """Resume a paused feed from the newsroom's notice (publishers only, after restarts too)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Resume",
                style=discord.ButtonStyle.primary,
                custom_id=RESUME.format(name=name),
            )
        )
        self.name = name

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """Rebuild the button from the feed name in its custom_id."""
        return cls(match["name"])

    async def run(self, interaction: Interaction) -> None:
        """Resume the feed and show its status in place of the notice's button."""
        feed = await interaction.client.storage.feeds.resume(self.name)
        if feed is None:
            raise NotFoundError(f"There is no feed named {self.name} any more.")
        log.info("feed resumed", extra={"feed": self.name, "user": interaction.user.id})
        await interaction.response.edit_message(
            content=f"▶️ Feed **{self.name}** resumed by {interaction.user.mention}; "
            "it is fetched within a minute.",
            embed=status_embed(feed),
            view=None,
        )


async def tell_newsroom(bot: BriefBot, notice: FeedNotice) -> None:
    """Send a feed notice to the newsroom channel (a paused feed's with a Resume button)."""
    log.warning(
        f"feed {notice.kind}",
        extra={"feed": notice.feed.source, "url": notice.feed.url, "error": notice.error},
    )
    channel_id = bot.settings.newsroom_channel_id
    if channel_id is None:
        return
    view = message_view(ResumeButton(notice.feed.source)) if notice.kind is Notice.PAUSED else None
    channel = bot.get_partial_messageable(channel_id)
    try:
        await channel.send(
            truncate(notice_text(notice.kind, notice.feed, notice.error), MESSAGE_CONTENT),
            view=view or discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as error:
        log.warning(
            "newsroom notice not sent",
            extra={"channel": channel_id, "feed": notice.feed.source, "error": str(error)},
        )
