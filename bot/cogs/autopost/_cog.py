"""The `/autopost` command group, the periodic sweep and the listeners that wake delivery: only
declared here. `_managing` and `_reporting` do what the commands ask, `_working` runs delivery
(`_delivery`) and copy updates (`_copies`), and `_waking` starts that work on each change
storage's publishing announces (on PostgreSQL, from any process, by LISTEN/NOTIFY), so a brief
published through one shard's process reaches the other shards' servers at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.autopost import _managing, _reporting
from bot.cogs.autopost._subscribing import (
    EVERY_TOPIC,
    Destination,
    DestinationChannel,
    topic_choices,
)
from bot.cogs.autopost._waking import Waker
from bot.cogs.autopost._working import Work
from bot.ui.replies import send_ephemeral
from storage.models import utcnow
from storage.topics import Match

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

#: How a subscription's topics select briefs, as `match` offers it.
MATCH_CHOICES = [
    app_commands.Choice(name="any of the topics", value=Match.ANY.value),
    app_commands.Choice(name="all of the topics", value=Match.ALL.value),
    app_commands.Choice(name="none of the topics", value=Match.NONE.value),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AutoPost(
    commands.GroupCog,
    group_name="autopost",
    group_description="Post new briefs to channels of this server automatically, by topic",
):
    """Server managers choose where new briefs are posted; the bot delivers them."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.work = Work(bot)
        self.poster = self.work.poster
        self.copies = self.work.copies
        self.waker = Waker(bot, lambda deliver: self.work.run(deliver=deliver))
        self.sweep.change_interval(seconds=bot.settings.autopost_interval_seconds)

    async def cog_load(self) -> None:
        """Start the periodic sweep with the cog, and hear of every publish, edit and
        retraction storage announces."""
        await self.waker.listen()
        self.sweep.start()

    async def cog_unload(self) -> None:
        """Start no more work; let the work in flight finish (bounded) so it records its posts,
        and only then cancel the sweep, between its rounds (never inside a query)."""
        self.work.stop()
        self.waker.stop()
        self.sweep.stop()
        await self.work.settle()
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
        """Deliver what no announcement delivered yet, then bring posted copies up to date
        (listening again first, should the database's listener have dropped)."""
        await self.waker.listen()
        await self.work.run()
        self.bot.metrics.swept(utcnow())

    @sweep.before_loop
    async def _before_sweep(self) -> None:
        await self.bot.wait_until_ready()

    # --- subscriptions: many per server ------------------------------------------------

    @app_commands.command(name="add", description="Post new briefs (of some topics) in a channel")
    @app_commands.choices(match=MATCH_CHOICES)
    @app_commands.describe(
        channel="A text, announcement or forum channel",
        topics="Only briefs with these topics, separated by commas (empty: every brief)",
        match="How the topics select briefs (default: any of them)",
        mention="A role to mention with each post",
        silent="Post without notifying anyone",
        thread="Open a discussion thread under each post (forum posts always are threads)",
        daily_cap="At most this many posts a day",
        crosspost="In an announcement channel, also publish each post to following servers",
        tag="In a forum, the tag a post carries when none of its brief's topics names one",
    )
    async def add(
        self,
        interaction: Interaction,
        channel: app_commands.Transform[Destination, DestinationChannel],
        topics: str | None = None,
        match: app_commands.Choice[str] | None = None,
        mention: discord.Role | None = None,
        silent: bool = False,
        thread: bool = False,
        daily_cap: app_commands.Range[int, 1, 1000] | None = None,
        crosspost: bool = False,
        tag: str | None = None,
    ) -> None:
        choices = _managing.Choices(
            topics=topics,
            match=match.value if match else None,
            mention=mention,
            silent=silent,
            thread=thread,
            daily_cap=daily_cap,
            crosspost=crosspost,
            tag=tag,
        )
        await send_ephemeral(interaction, await _managing.add(interaction, channel, choices))

    @app_commands.command(name="list", description="List this server's auto-post subscriptions")
    async def list_(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        subscriptions = await self.bot.storage.subscriptions.of_guild(interaction.guild.id)
        await send_ephemeral(interaction, await _reporting.overview(self.poster, subscriptions))

    @app_commands.command(name="edit", description="Change one of this server's subscriptions")
    @app_commands.choices(match=MATCH_CHOICES)
    @app_commands.describe(
        subscription="The subscription to change (see /autopost list)",
        channel="Post in this channel instead",
        topics=f"Only briefs with these topics, separated by commas; {EVERY_TOPIC} for every brief",
        match="How the topics select briefs",
        mention="A role to mention with each post",
        no_mention="Stop mentioning a role",
        silent="Post without notifying anyone",
        thread="Open a discussion thread under each post",
        daily_cap="At most this many posts a day; 0 for no cap",
        crosspost="In an announcement channel, also publish each post to following servers",
        tag="In a forum, the tag a post carries when none of its brief's topics names one",
    )
    async def edit(
        self,
        interaction: Interaction,
        subscription: int,
        channel: app_commands.Transform[Destination, DestinationChannel] | None = None,
        topics: str | None = None,
        match: app_commands.Choice[str] | None = None,
        mention: discord.Role | None = None,
        no_mention: bool = False,
        silent: bool | None = None,
        thread: bool | None = None,
        daily_cap: app_commands.Range[int, 0, 1000] | None = None,
        crosspost: bool | None = None,
        tag: str | None = None,
    ) -> None:
        choices = _managing.Choices(
            topics=topics,
            match=match.value if match else None,
            mention=mention,
            no_mention=no_mention,
            silent=silent,
            thread=thread,
            daily_cap=daily_cap,
            crosspost=crosspost,
            tag=tag,
        )
        reply = await _managing.edit(interaction, subscription, channel, choices)
        await send_ephemeral(interaction, reply)

    @app_commands.command(name="remove", description="Remove one of this server's subscriptions")
    @app_commands.describe(subscription="The subscription to remove (see /autopost list)")
    async def remove(self, interaction: Interaction, subscription: int) -> None:
        await send_ephemeral(interaction, await _managing.remove(interaction, subscription))

    @edit.autocomplete("subscription")
    @remove.autocomplete("subscription")
    async def _subscription_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await _managing.subscription_choices(interaction, current)

    @add.autocomplete("topics")
    @edit.autocomplete("topics")
    async def _topics_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return topic_choices(await self.bot.storage.briefs.topics(), current)

    # --- the server's one subscription: the simple commands ---------------------------

    @app_commands.command(name="channel", description="Post every new brief in this channel")
    @app_commands.describe(
        channel="A text or announcement channel",
        crosspost="In an announcement channel, also publish each post to following servers",
    )
    async def channel(
        self, interaction: Interaction, channel: discord.TextChannel, crosspost: bool = False
    ) -> None:
        reply = await _managing.set_channel(interaction, channel, crosspost)
        await send_ephemeral(interaction, reply)

    @app_commands.command(name="off", description="Stop posting new briefs in this server")
    async def off(self, interaction: Interaction) -> None:
        await send_ephemeral(interaction, await _managing.turn_off(interaction))

    @app_commands.command(name="status", description="Show where new briefs are posted, and how")
    @app_commands.describe(subscription="One subscription in full (default: all of them)")
    async def status(self, interaction: Interaction, subscription: int | None = None) -> None:
        next_check = self.sweep.next_iteration
        reply = await _reporting.status(interaction, self.poster, subscription, next_check)
        await send_ephemeral(interaction, reply)

    @app_commands.command(name="test", description="Post the latest brief in the channel now")
    @app_commands.describe(subscription="The subscription to test (default: the first)")
    async def test(self, interaction: Interaction, subscription: int | None = None) -> None:
        reply = await _reporting.post_test(interaction, self.poster, subscription)
        await send_ephemeral(interaction, reply)

    status.autocomplete("subscription")(_subscription_autocomplete)
    test.autocomplete("subscription")(_subscription_autocomplete)

    @app_commands.command(name="why", description="Say why a brief was or was not posted here")
    @app_commands.describe(
        brief="The brief: its number, or words of its title",
        subscription="One subscription (default: every one of this server)",
    )
    async def why(
        self, interaction: Interaction, brief: str, subscription: int | None = None
    ) -> None:
        next_check = self.sweep.next_iteration
        reply = await _reporting.why(interaction, self.poster, brief, subscription, next_check)
        await send_ephemeral(interaction, reply)

    @why.autocomplete("brief")
    async def _brief_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _reporting.brief_choices(self.bot, current)

    why.autocomplete("subscription")(_subscription_autocomplete)

    @app_commands.command(name="log", description="Show the latest deliveries, updates, failures")
    async def log_(self, interaction: Interaction) -> None:
        await send_ephemeral(interaction, await _reporting.delivery_log(interaction))

    @app_commands.command(name="mention", description="Mention a role with each new brief")
    @app_commands.describe(role="The role to mention; leave empty to stop mentioning")
    async def mention(self, interaction: Interaction, role: discord.Role | None = None) -> None:
        await send_ephemeral(interaction, await _managing.set_mention(interaction, role))


async def setup(bot: BriefBot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AutoPost(bot))
