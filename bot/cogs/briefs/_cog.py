"""The `/brief` command group: declarations only; the private siblings do the work."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.briefs import _lookup, _publishing, _review, _scheduling
from bot.cogs.briefs._deletion import DeleteButton, confirm_delete
from bot.cogs.briefs._form import answer_expired_form
from bot.cogs.briefs._history import show_history
from bot.limits import CHOICE_VALUE, TEXT_INPUT_VALUE
from bot.publishers import is_publisher, publisher_only, writer_only
from storage.models import CORRECTION_CHARS
from storage.publishing import Announcement, Change

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.briefs")
#: The name of the tasks that bring review cards up to date after an announcement.
CARDS_TASK = "review cards"

#: The persistent components this feature sends (and answers, after restarts too).
ITEMS = (*_lookup.ITEMS, _publishing.DraftButton, DeleteButton, _review.ReviewButton)
#: Seconds between sweeps that bring review cards up to date (announcements do it at once).
CARDS_EVERY = 60.0
BRIEF_OPTION = "Start typing a title, or a brief number"
TOPIC_OPTION = "Only briefs with this topic (start typing to see the topics)"


class BriefCommands(
    commands.GroupCog, group_name="brief", group_description="Read the news briefs"
):
    """Members look briefs up; publishers manage them."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.cards = _review.CardKeeper(bot)
        self._card_tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        """Answer this feature's buttons and menus by custom_id, after restarts too, and
        release held briefs when due (those due while the bot was down at once)."""
        self.bot.add_persistent_items(*ITEMS)
        self.release.start()
        await self.bot.storage.announcements.subscribe(self._heard)
        self.card_sweep.start()

    async def cog_unload(self) -> None:
        """Stop answering them, and stop releasing (a release in flight is one transaction:
        cut short, it is done again by the next look, here or in another process)."""
        self.bot.remove_persistent_items(*ITEMS)
        self.release.cancel()
        self.card_sweep.cancel()
        self.bot.storage.announcements.unsubscribe(self._heard)
        for task in list(self._card_tasks):
            task.cancel()

    def _heard(self, announcement: Announcement) -> None:
        """Bring review cards up to date when a draft moved (from any process)."""
        if announcement.change is not Change.REVIEWED or not self.bot.is_ready():
            return
        task = asyncio.get_running_loop().create_task(self.cards.run(), name=CARDS_TASK)
        self._card_tasks.add(task)
        task.add_done_callback(self._card_tasks.discard)

    @tasks.loop(seconds=CARDS_EVERY)
    async def card_sweep(self) -> None:
        """Post or update any review card an announcement did not (another process's write
        on SQLite, a restart)."""
        await self.cards.run()

    @card_sweep.before_loop
    async def _before_card_sweep(self) -> None:
        await self.bot.wait_until_ready()

    @tasks.loop(seconds=_scheduling.RELEASE_EVERY)
    async def release(self) -> None:
        """Release the held briefs that are due; a failure is logged and the next look goes on."""
        try:
            await _scheduling.release_on_time(self.bot)
        except Exception:
            log.exception("releasing held briefs failed; trying again in a few seconds")

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Answer a form that no longer lives, giving back what the publisher typed."""
        await answer_expired_form(interaction)

    @app_commands.command(name="latest", description="Show the newest brief (or a few)")
    @app_commands.describe(count="How many of the newest briefs to show (1–5)")
    async def latest(
        self, interaction: Interaction, count: app_commands.Range[int, 1, 5] = 1
    ) -> None:
        await _lookup.latest(interaction, count)

    @app_commands.command(name="show", description="Show one brief")
    @app_commands.describe(brief=BRIEF_OPTION)
    async def show(self, interaction: Interaction, brief: str) -> None:
        await _lookup.show(interaction, brief)

    @app_commands.command(name="add", description="Add a brief (publishers and contributors)")
    @app_commands.describe(
        file=f"A .txt, .md or .json brief file (for articles over {TEXT_INPUT_VALUE:,} chars)",
        release="Hold it until then: tomorrow 09:00, 2026-12-08 09:00, in 2 hours",
    )
    @writer_only()
    async def add(
        self,
        interaction: Interaction,
        file: discord.Attachment | None = None,
        release: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await _publishing.start_add(interaction, file, release)

    @app_commands.command(
        name="edit", description="Edit a brief (publishers; contributors: drafts)"
    )
    @app_commands.describe(
        brief=BRIEF_OPTION,
        file="A replacement .txt, .md or .json brief file (for long articles)",
        note="A correction note shown with the brief (with file; the form has its own field)",
    )
    @writer_only()
    async def edit(
        self,
        interaction: Interaction,
        brief: str,
        file: discord.Attachment | None = None,
        note: app_commands.Range[str, 1, CORRECTION_CHARS] | None = None,
    ) -> None:
        await _publishing.start_edit(interaction, brief, file, note)

    @app_commands.command(name="delete", description="Retract a brief (publishers only)")
    @app_commands.describe(
        brief=BRIEF_OPTION, reason="Why it is retracted, shown on every posted copy (optional)"
    )
    @publisher_only()
    async def delete(
        self,
        interaction: Interaction,
        brief: str,
        reason: app_commands.Range[str, 1, CORRECTION_CHARS] | None = None,
    ) -> None:
        await confirm_delete(interaction, brief, reason)

    @app_commands.command(name="history", description="Who changed a brief, and when (publishers)")
    @app_commands.describe(brief=BRIEF_OPTION)
    @publisher_only()
    async def history(self, interaction: Interaction, brief: str) -> None:
        await show_history(interaction, brief)

    @show.autocomplete("brief")
    async def _brief_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _lookup.suggest(self.bot, current)

    @history.autocomplete("brief")
    @delete.autocomplete("brief")
    @edit.autocomplete("brief")
    async def _publisher_brief_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not await is_publisher(interaction):  # nothing held; a contributor's own drafts
            return await _review.suggest_own_drafts(self.bot, interaction.user.id)
        return await _lookup.suggest_for_publishers(self.bot, current)

    @app_commands.command(
        name="schedule", description="Reschedule, release or withdraw a held brief"
    )
    @app_commands.describe(
        brief="A brief waiting for release (start typing)",
        when="A time (tomorrow 09:00, 2026-12-08 09:00, in 2 hours), now, or cancel",
    )
    @publisher_only()
    async def schedule(
        self,
        interaction: Interaction,
        brief: str,
        when: app_commands.Range[str, 1, 100],
    ) -> None:
        await _scheduling.schedule(interaction, brief, when)

    @schedule.autocomplete("brief")
    async def _held_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _scheduling.suggest_held(self.bot, current)

    @schedule.autocomplete("when")
    async def _when_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _scheduling.suggest_when(current)

    @app_commands.command(name="drafts", description="Drafts in review (yours, or all for editors)")
    @writer_only()
    async def drafts(self, interaction: Interaction) -> None:
        await _review.drafts(interaction)

    @app_commands.command(name="withdraw", description="Withdraw a draft of yours from review")
    @app_commands.describe(draft="The draft's number (see /brief drafts)")
    @writer_only()
    async def withdraw(
        self, interaction: Interaction, draft: app_commands.Range[str, 1, 20]
    ) -> None:
        await _review.withdraw(interaction, draft)

    @app_commands.command(name="scheduled", description="Briefs waiting for release (publishers)")
    @publisher_only()
    async def scheduled(self, interaction: Interaction) -> None:
        await _scheduling.scheduled(interaction)

    @app_commands.command(name="search", description="Search all briefs (or one topic's)")
    @app_commands.describe(query="Words to look for", topic=TOPIC_OPTION)
    async def search(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, 200],
        topic: app_commands.Range[str, 1, CHOICE_VALUE] | None = None,
    ) -> None:
        await _lookup.search(interaction, query, topic)

    @app_commands.command(
        name="list", description="Browse all briefs (or one topic's), newest first"
    )
    @app_commands.describe(topic=TOPIC_OPTION)
    async def list_(
        self,
        interaction: Interaction,
        topic: app_commands.Range[str, 1, CHOICE_VALUE] | None = None,
    ) -> None:
        await _lookup.browse(interaction, topic)

    @list_.autocomplete("topic")
    @search.autocomplete("topic")
    async def _topic_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _lookup.suggest_topics(self.bot, current)

    @app_commands.command(name="topics", description="The topics briefs have, and how many each")
    async def topics(self, interaction: Interaction) -> None:
        await _lookup.topics(interaction)


async def setup(bot: BriefBot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(BriefCommands(bot))
