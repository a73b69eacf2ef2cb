"""The `/autopost` command group, the periodic sweep and the listeners that wake delivery.

Delivery itself lives in `_delivery` (its docstring states the publisher contract) and the rules
it applies in `_policy`. On PostgreSQL, the database also announces briefs stored by any process
(LISTEN/NOTIFY), so a brief published through one shard's process reaches the other shards'
servers at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.autopost._copies import CopyKeeper
from bot.cogs.autopost._delivery import AutoPoster
from bot.cogs.autopost._policy import log_text, missing_permissions, status_text
from bot.errors import UserFacingError
from bot.ui.replies import send_ephemeral
from storage.models import Brief

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.cogs.autopost")

#: Lines `/autopost log` shows (each at most a few hundred characters: within 2,000).
LOG_LINES = 10
#: How long shutdown waits for a delivery pass in flight before cancelling it.
SHUTDOWN_GRACE_SECONDS = 10.0


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AutoPost(
    commands.GroupCog,
    group_name="autopost",
    group_description="Post new briefs to a channel of this server automatically",
):
    """Server managers choose where new briefs are posted; the bot delivers them."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.poster = AutoPoster(bot)
        self.copies = CopyKeeper(bot, self.poster.pacer)
        self.sweep.change_interval(seconds=bot.settings.autopost_interval_seconds)

    async def cog_load(self) -> None:
        """Start the periodic sweep with the cog."""
        self.sweep.start()

    async def cog_unload(self) -> None:
        """Stop sweeping; let a delivery pass in flight finish (bounded) so it records its posts."""
        self.sweep.stop()
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                await self.poster.drain()
                await self.copies.drain()
        except TimeoutError:
            log.warning("autopost still delivering at shutdown; cancelling it")
        self.sweep.cancel()

    async def interaction_check(self, interaction: discord.Interaction[discord.Client], /) -> bool:
        """Enforce Manage Server at run time: servers can override default permissions."""
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @tasks.loop(seconds=60)
    async def sweep(self) -> None:
        """Deliver what no event delivered yet, then bring posted copies up to date."""
        await self._listen()
        await self.poster.run()
        await self.copies.run()

    async def _listen(self) -> None:
        """Hear of briefs other processes store (PostgreSQL), re-listening after a drop."""
        try:
            await self.bot.storage.listen_published(self._stored_elsewhere)
        except Exception as error:
            log.warning(
                "cannot listen for briefs stored by other processes; the sweep will find them",
                extra={"error": f"{type(error).__name__}: {error}"},
            )

    def _stored_elsewhere(self, brief_id: int) -> None:
        """A process (this one included) committed new briefs: deliver now, not at the sweep."""
        if not self.bot.is_closed():
            self.bot.dispatch("briefs_stored", brief_id)

    @commands.Cog.listener()
    async def on_briefs_stored(self, brief_id: int) -> None:
        """Deliver briefs announced by the database, e.g. published through another shard."""
        log.info("autopost woken by the database", extra={"brief": brief_id})
        await self.poster.run()
        await self.copies.run()

    @sweep.before_loop
    async def _before_sweep(self) -> None:
        await self.bot.wait_until_ready()

    @commands.Cog.listener()
    async def on_brief_published(self, brief: Brief) -> None:
        """Deliver a newly stored brief now rather than at the next sweep (then publish the
        announcement posts to following servers, apart from delivery)."""
        log.info("autopost woken", extra={"brief": brief.id})
        await self.poster.run()
        await self.copies.run()

    @commands.Cog.listener()
    async def on_brief_edited(self, brief: Brief) -> None:
        """An edit reaches every posted copy, and may make a refused post acceptable."""
        log.info("autopost woken by an edit", extra={"brief": brief.id})
        await self.poster.run()
        await self.copies.run()

    @commands.Cog.listener()
    async def on_brief_deleted(self, brief_id: int) -> None:
        """A retraction replaces every posted copy of the brief."""
        log.info("autopost woken by a retraction", extra={"brief": brief_id})
        await self.copies.run()

    @app_commands.command(name="channel", description="Post every new brief in this channel")
    @app_commands.describe(
        channel="A text or announcement channel",
        crosspost="In an announcement channel, also publish each post to following servers",
    )
    async def channel(
        self, interaction: Interaction, channel: discord.TextChannel, crosspost: bool = False
    ) -> None:
        assert interaction.guild is not None
        missing = missing_permissions(channel.permissions_for(interaction.guild.me))
        if missing:
            raise UserFacingError(
                f"I can't post in {channel.mention} yet: I need {', '.join(missing)} there. "
                "Grant them and run this again."
            )
        if crosspost and not channel.is_news():
            raise UserFacingError(
                f"{channel.mention} is not an announcement channel, so posts there can't be "
                "published. Pick an announcement channel or leave `crosspost` off."
            )
        settings = await self.bot.storage.guilds.set_channel(
            interaction.guild.id, channel.id, crosspost=crosspost
        )
        log.info(
            "autopost configured",
            extra={"guild": settings.guild_id, "channel": channel.id, "crosspost": crosspost},
        )
        published = " and published to following servers" if crosspost else ""
        await send_ephemeral(
            interaction,
            f"Done: briefs published from now on will be posted in {channel.mention}{published}. "
            "Earlier briefs are not posted.",
        )

    @app_commands.command(name="off", description="Stop posting new briefs in this server")
    async def off(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        settings = await self.bot.storage.guilds.get(interaction.guild.id)
        if settings is None or settings.channel_id is None:
            await send_ephemeral(interaction, "Auto-posting is already off.")
            return
        await self.bot.storage.guilds.disable(interaction.guild.id)
        log.info("autopost disabled", extra={"guild": interaction.guild.id})
        await send_ephemeral(
            interaction,
            f"Auto-posting to <#{settings.channel_id}> is off. Turn it back on with "
            "`/autopost channel`.",
        )

    @app_commands.command(name="status", description="Show where new briefs are posted, and how")
    async def status(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        settings = await self.bot.storage.guilds.get(interaction.guild.id)
        pending = await self.poster.pending_count(settings) if settings is not None else 0
        post_log = self.bot.storage.post_log
        rejected = await post_log.rejected(interaction.guild.id)
        behind = await post_log.copies_behind(interaction.guild.id)
        text = status_text(
            settings,
            pending=pending,
            next_check=self.sweep.next_iteration,
            rejected=rejected,
            behind=behind,
        )
        await send_ephemeral(interaction, text)

    @app_commands.command(name="test", description="Post the latest brief in the channel now")
    async def test(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        settings = await self.bot.storage.guilds.get(interaction.guild.id)
        if settings is None or settings.channel_id is None:
            raise UserFacingError("Auto-posting is off: choose a channel with `/autopost channel`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_ephemeral(interaction, await self.poster.post_latest(settings))

    @app_commands.command(name="log", description="Show the latest deliveries, updates, failures")
    async def log_(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        events = await self.bot.storage.post_log.recent(interaction.guild.id, limit=LOG_LINES)
        await send_ephemeral(interaction, log_text(events))

    @app_commands.command(name="mention", description="Mention a role with each new brief")
    @app_commands.describe(role="The role to mention; leave empty to stop mentioning")
    async def mention(self, interaction: Interaction, role: discord.Role | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        if role is not None and role.is_default():
            raise UserFacingError("Pick a specific role: auto-posts never mention @everyone.")
        settings = await self.bot.storage.guilds.set_mention(guild.id, role.id if role else None)
        log.info(
            "autopost mention set", extra={"guild": guild.id, "role": role.id if role else None}
        )
        notes: list[str] = []
        if role is None:
            reply = "Auto-posts will not mention anyone."
        else:
            reply = f"Auto-posts will mention {role.mention}."
            if not role.mentionable and not guild.me.guild_permissions.mention_everyone:
                notes.append(
                    f"{role.mention} is not mentionable and I lack Mention @everyone, "
                    "so the mention won't notify anyone until one of those changes."
                )
        if settings.channel_id is None:
            notes.append("Auto-posting is off: choose a channel with `/autopost channel`.")
        await send_ephemeral(interaction, "\n".join([reply, *notes]))


async def setup(bot: BriefBot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AutoPost(bot))
