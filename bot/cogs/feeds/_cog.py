"""The `/feed` command group and the poller it runs: only declared here; `_managing` does what
the commands ask, `_newsroom` tells the newsroom, `bot.feeds` fetches, reads and stores."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.feeds import _managing
from bot.cogs.feeds._newsroom import ResumeButton, tell_newsroom
from bot.feeds import (
    DEFAULT_INTERVAL,
    MAX_INTERVAL,
    MIN_INTERVAL,
    FeedNotice,
    Poller,
    PollReport,
    fetcher_for,
)
from bot.publishers import NotPublisher, is_publisher

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.feeds")

#: Seconds a poll in flight gets to finish when the feature stops.
STOP_GRACE = 5.0
#: Seconds between polls for due feeds (each feed is fetched when it is due, not each time).
POLL_EVERY = 15.0
FEED_OPTION = "A feed's name (start typing)"
MINUTES = (int(MIN_INTERVAL.total_seconds() // 60), int(MAX_INTERVAL.total_seconds() // 60))
DEFAULT_MINUTES = int(DEFAULT_INTERVAL.total_seconds() // 60)


@app_commands.default_permissions(manage_guild=True)
class FeedCommands(
    commands.GroupCog,
    group_name="feed",
    group_description="The RSS, Atom and JSON feeds briefs are read from (publishers only)",
):
    """Publishers add and watch feeds; the poller fetches them when due."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.fetcher = fetcher_for(bot.settings)
        self.poller = Poller(
            bot.storage, self.fetcher, max_chars=bot.settings.brief_max_chars, notify=self._tell
        )
        self._round: asyncio.Future[list[PollReport]] | None = None

    async def _tell(self, notice: FeedNotice) -> None:
        await tell_newsroom(self.bot, notice)

    async def cog_load(self) -> None:
        """Answer the newsroom's Resume buttons, after restarts too, and start polling."""
        self.bot.add_persistent_items(ResumeButton)
        self.poll.start()

    async def cog_unload(self) -> None:
        """Stop polling: a round in flight gets a few seconds to record what it fetched (a
        feed cut short is fetched again once its lease ends); then close the fetcher."""
        self.bot.remove_persistent_items(ResumeButton)
        self.poll.cancel()  # its wait for the next round; a round in flight is shielded
        round_ = self._round
        if round_ is not None and not round_.done():
            try:
                async with asyncio.timeout(STOP_GRACE):
                    await asyncio.shield(round_)
            except TimeoutError:
                round_.cancel()
            except Exception:  # the round logs its own failure
                pass
        await self.fetcher.close()

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        """Publishers only, checked on every use (server settings can show it to anyone)."""
        if await is_publisher(interaction):
            return True
        raise NotPublisher

    @tasks.loop(seconds=POLL_EVERY)
    async def poll(self) -> None:
        """Fetch the feeds that are due; a failure is logged, and the next round goes on. The
        round runs as a task of its own, so stopping the loop never cuts one in half."""
        self._round = round_ = asyncio.ensure_future(self.poller.poll_due())
        try:
            await asyncio.shield(round_)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("feed polling failed; trying again next round")

    @poll.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()  # the newsroom can be told from then on

    @app_commands.command(name="add", description="Read briefs from a feed (RSS, Atom, JSON)")
    @app_commands.describe(
        url="The feed's address (http or https)",
        name="Its source name, as history shows it (default: from its host)",
        interval=f"Minutes between fetches ({MINUTES[0]}–{MINUTES[1]}, default {DEFAULT_MINUTES})",
        topics="Topics given to every item, comma-separated",
        review="Hold its new items as drafts for an editor to approve",
    )
    async def add(
        self,
        interaction: Interaction,
        url: app_commands.Range[str, 1, 2000],
        name: app_commands.Range[str, 1, 32] | None = None,
        interval: app_commands.Range[int, MINUTES[0], MINUTES[1]] = DEFAULT_MINUTES,
        topics: app_commands.Range[str, 1, 500] | None = None,
        review: bool = False,
    ) -> None:
        await _managing.add(self.poller, interaction, url, name, interval, topics, review)

    @app_commands.command(name="test", description="Show what a feed would give; store nothing")
    @app_commands.describe(url="The feed's address (http or https)")
    async def test(self, interaction: Interaction, url: app_commands.Range[str, 1, 2000]) -> None:
        await _managing.test(self.poller, interaction, url)

    @app_commands.command(name="list", description="The feeds, and how each is doing")
    async def list_(self, interaction: Interaction) -> None:
        await _managing.listing(interaction)

    @app_commands.command(name="status", description="A feed's last fetch, result and next fetch")
    @app_commands.describe(feed=FEED_OPTION)
    async def status(self, interaction: Interaction, feed: str) -> None:
        await _managing.status(interaction, feed)

    @app_commands.command(name="pause", description="Stop fetching a feed until resumed")
    @app_commands.describe(feed=FEED_OPTION)
    async def pause(self, interaction: Interaction, feed: str) -> None:
        await _managing.pause(interaction, feed)

    @app_commands.command(name="resume", description="Fetch a paused or failing feed again now")
    @app_commands.describe(feed=FEED_OPTION)
    async def resume(self, interaction: Interaction, feed: str) -> None:
        await _managing.resume(interaction, feed)

    @app_commands.command(name="remove", description="Stop reading a feed (its briefs stay)")
    @app_commands.describe(feed=FEED_OPTION)
    async def remove(self, interaction: Interaction, feed: str) -> None:
        await _managing.remove(interaction, feed)

    @status.autocomplete("feed")
    @pause.autocomplete("feed")
    @resume.autocomplete("feed")
    @remove.autocomplete("feed")
    async def _feed_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = await _managing.suggest(interaction, current)
        return [app_commands.Choice(name=name, value=name) for name in names]


async def setup(bot: BriefBot) -> None:
    """Load the feature."""
    await bot.add_cog(FeedCommands(bot))
