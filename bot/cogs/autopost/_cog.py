"""The `/autopost` command group, the periodic sweep and the listeners that wake delivery.

Delivery itself lives in `_delivery` and the rules it applies in `_policy`; `_waking` starts
work on each change storage's publishing announces (on PostgreSQL, from any process, by
LISTEN/NOTIFY), so a brief published through one shard's process reaches the other shards'
servers at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.brief.text import truncate
from bot.cogs.autopost._copies import CopyKeeper
from bot.cogs.autopost._delivery import AutoPoster
from bot.cogs.autopost._subscribing import (
    EVERY_TOPIC,
    Destination,
    DestinationChannel,
    added_text,
    check_destination,
    check_role,
    choice_name,
    parse_topics,
    topic_choices,
)
from bot.cogs.autopost._texts import log_text, overview_text, status_text
from bot.cogs.autopost._waking import Waker
from bot.cogs.autopost._why import why_text
from bot.errors import UserFacingError
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from bot.ui import components
from bot.ui.replies import send_ephemeral
from storage.errors import AmbiguousSubscriptionError, SubscriptionLimitError
from storage.models import Subscription, SubscriptionOptions, brief_number
from storage.topics import Match

if TYPE_CHECKING:
    from bot.app import BriefBot, Interaction

log = logging.getLogger("bot.cogs.autopost")

#: What `/autopost channel` and `mention` say to a server with several subscriptions.
SEVERAL = (
    "This server has several subscriptions, so I can't tell which one you mean: use "
    "`/autopost edit` for one of them (see `/autopost list`)"
)
#: How a subscription's topics select briefs, as `match` offers it.
MATCH_CHOICES = [
    app_commands.Choice(name="any of the topics", value=Match.ANY.value),
    app_commands.Choice(name="all of the topics", value=Match.ALL.value),
    app_commands.Choice(name="none of the topics", value=Match.NONE.value),
]
#: Lines `/autopost log` shows (each at most a few hundred characters: within 2,000).
LOG_LINES = 10
#: How long shutdown waits for a delivery pass in flight before cancelling it.
SHUTDOWN_GRACE_SECONDS = 10.0


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
        self.poster = AutoPoster(bot)
        self.copies = CopyKeeper(bot, self.poster.pacer)
        self.waker = Waker(bot, lambda deliver: self._work(deliver=deliver))
        self.sweep.change_interval(seconds=bot.settings.autopost_interval_seconds)
        #: Set at shutdown: no new work starts. `_idle` is set while no work is under way.
        self._closing = False
        self._working = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def cog_load(self) -> None:
        """Start the periodic sweep with the cog, and hear of every publish, edit and
        retraction storage announces."""
        await self.waker.listen()
        self.sweep.start()

    async def cog_unload(self) -> None:
        """Start no more work; let the work in flight finish (bounded) so it records its posts,
        and only then cancel the sweep, between its rounds (never inside a query)."""
        self._closing = True
        self.waker.stop()
        self.sweep.stop()
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                await self._idle.wait()
                await self.poster.drain()
                await self.copies.drain()
        except TimeoutError:
            log.warning("autopost still delivering at shutdown; cancelling it")
        self.sweep.cancel()

    async def _work(self, *, deliver: bool = True) -> None:
        """Deliver what is pending (unless `deliver` is False), then bring posted copies up to
        date; nothing once shutting down."""
        if self._closing:
            return
        self._working += 1
        self._idle.clear()
        try:
            if deliver:
                await self.poster.run()
            if not self._closing:
                await self.copies.run()
        finally:
            self._working -= 1
            if not self._working:
                self._idle.set()

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
        await self._work()

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
        guild = interaction.guild
        assert guild is not None
        assert isinstance(interaction.user, discord.Member)
        check_role(mention, interaction.user, channel)
        options = SubscriptionOptions(
            channel_id=channel.id,
            topics=parse_topics(topics) or [],
            match=Match(match.value) if match else Match.ANY,
            mention_role_id=mention.id if mention else None,
            mention_set_by=interaction.user.id if mention else None,
            silent=silent,
            thread=thread or isinstance(channel, discord.ForumChannel),
            daily_cap=daily_cap,
            crosspost=crosspost,
        )
        options = check_destination(channel, guild.me, options, tag)
        try:
            subscription = await self.bot.storage.subscriptions.add(guild.id, options)
        except SubscriptionLimitError as error:
            raise UserFacingError(
                f"I can't add another: {error}. Remove one with `/autopost remove` first."
            ) from None
        log.info(
            "autopost subscribed",
            extra={"guild": guild.id, "subscription": subscription.id, "channel": channel.id},
        )
        await send_ephemeral(interaction, added_text(subscription, channel))

    @app_commands.command(name="list", description="List this server's auto-post subscriptions")
    async def list_(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        subscriptions = await self.bot.storage.subscriptions.of_guild(interaction.guild.id)
        pending = [await self.poster.pending_count(sub) for sub in subscriptions]
        await send_ephemeral(interaction, overview_text(subscriptions, pending))

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
        guild = interaction.guild
        assert guild is not None
        assert isinstance(interaction.user, discord.Member)
        current = await self._subscription(guild.id, subscription)
        changes: dict[str, object] = {
            "channel_id": channel.id if channel else None,
            "topics": parse_topics(topics),
            "match": Match(match.value) if match else None,
            "silent": silent,
            "thread": thread,
            "crosspost": crosspost,
        }
        values = current.model_dump(include=set(SubscriptionOptions.model_fields))
        values |= {name: value for name, value in changes.items() if value is not None}
        if mention is not None:
            values["mention_role_id"] = mention.id
            values["mention_set_by"] = interaction.user.id
        elif no_mention:
            values["mention_role_id"] = values["mention_set_by"] = None
        if daily_cap is not None:
            values["daily_cap"] = daily_cap or None
        target = channel or guild.get_channel(current.channel_id)
        if isinstance(target, discord.ForumChannel):
            values["thread"] = True
        options = SubscriptionOptions.model_validate(values)
        if isinstance(target, discord.TextChannel | discord.ForumChannel):
            check_role(mention, interaction.user, target)
            options = check_destination(target, guild.me, options, tag)
        else:
            raise UserFacingError(
                f"<#{current.channel_id}> is gone or out of my reach: pick a `channel`."
            )
        edited = await self.bot.storage.subscriptions.edit(current.id, options)
        if edited is None:
            raise UserFacingError(f"Subscription #{subscription} was removed meanwhile.")
        log.info(
            "autopost subscription edited", extra={"guild": guild.id, "subscription": edited.id}
        )
        await send_ephemeral(interaction, added_text(edited, target))

    @app_commands.command(name="remove", description="Remove one of this server's subscriptions")
    @app_commands.describe(subscription="The subscription to remove (see /autopost list)")
    async def remove(self, interaction: Interaction, subscription: int) -> None:
        guild = interaction.guild
        assert guild is not None
        current = await self._subscription(guild.id, subscription)
        await self.bot.storage.subscriptions.remove(guild.id, current.id)
        log.info("autopost unsubscribed", extra={"guild": guild.id, "subscription": current.id})
        await send_ephemeral(
            interaction,
            f"Removed subscription #{current.id}: nothing more is posted in "
            f"<#{current.channel_id}> for it. Posts already made stay, and are still corrected.",
        )

    @edit.autocomplete("subscription")
    @remove.autocomplete("subscription")
    async def _subscription_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild is None:
            return []
        typed = current.strip().lstrip("#").casefold()
        choices: list[app_commands.Choice[int]] = []
        for sub in await self.bot.storage.subscriptions.of_guild(interaction.guild.id):
            channel = interaction.guild.get_channel(sub.channel_id)
            name = choice_name(sub, channel.name if channel else None)
            if typed in name.casefold():
                choices.append(app_commands.Choice(name=name, value=sub.id))
        return choices[:25]

    @add.autocomplete("topics")
    @edit.autocomplete("topics")
    async def _topics_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return topic_choices(await self.bot.storage.briefs.topics(), current)

    async def _subscription(self, guild_id: int, subscription_id: int) -> Subscription:
        found = await self.bot.storage.subscriptions.get(subscription_id)
        if found is None or found.guild_id != guild_id:
            raise UserFacingError(
                f"This server has no subscription #{subscription_id}: see `/autopost list`."
            )
        return found

    # --- the server's one subscription: the simple commands ---------------------------

    @app_commands.command(name="channel", description="Post every new brief in this channel")
    @app_commands.describe(
        channel="A text or announcement channel",
        crosspost="In an announcement channel, also publish each post to following servers",
    )
    async def channel(
        self, interaction: Interaction, channel: discord.TextChannel, crosspost: bool = False
    ) -> None:
        assert interaction.guild is not None
        check_destination(
            channel,
            interaction.guild.me,
            SubscriptionOptions(channel_id=channel.id, crosspost=crosspost),
        )
        try:
            subscription = await self.bot.storage.subscriptions.set_channel(
                interaction.guild.id, channel.id, crosspost=crosspost
            )
        except AmbiguousSubscriptionError as error:
            raise UserFacingError(f"{SEVERAL} ({error}).") from None
        log.info(
            "autopost configured",
            extra={
                "guild": subscription.guild_id,
                "subscription": subscription.id,
                "channel": channel.id,
                "crosspost": crosspost,
            },
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
        subscriptions = await self.bot.storage.subscriptions.of_guild(interaction.guild.id)
        if not subscriptions:
            await send_ephemeral(interaction, "Auto-posting is already off.")
            return
        await self.bot.storage.subscriptions.remove_all(interaction.guild.id)
        log.info("autopost disabled", extra={"guild": interaction.guild.id})
        where = ", ".join(dict.fromkeys(f"<#{sub.channel_id}>" for sub in subscriptions))
        await send_ephemeral(
            interaction,
            f"Auto-posting to {where} is off. Turn it back on with `/autopost channel` or "
            "`/autopost add`.",
        )

    @app_commands.command(name="status", description="Show where new briefs are posted, and how")
    @app_commands.describe(subscription="One subscription in full (default: all of them)")
    async def status(self, interaction: Interaction, subscription: int | None = None) -> None:
        assert interaction.guild is not None
        if subscription is not None:
            chosen: list[Subscription] = [
                await self._subscription(interaction.guild.id, subscription)
            ]
        else:
            chosen = await self.bot.storage.subscriptions.of_guild(interaction.guild.id)
        if len(chosen) > 1:
            pending = [await self.poster.pending_count(sub) for sub in chosen]
            await send_ephemeral(interaction, overview_text(chosen, pending))
            return
        sub = chosen[0] if chosen else None
        post_log = self.bot.storage.post_log
        text = status_text(
            sub,
            pending=await self.poster.pending_count(sub) if sub else 0,
            next_check=self.sweep.next_iteration,
            rejected=await post_log.rejected(sub.channel_id) if sub else (),
            behind=await post_log.copies_behind(interaction.guild.id),
            window=await self.poster.cap_window(sub) if sub else None,
        )
        await send_ephemeral(interaction, text)

    @app_commands.command(name="test", description="Post the latest brief in the channel now")
    @app_commands.describe(subscription="The subscription to test (default: the first)")
    async def test(self, interaction: Interaction, subscription: int | None = None) -> None:
        assert interaction.guild is not None
        if subscription is not None:
            sub: Subscription | None = await self._subscription(interaction.guild.id, subscription)
        else:
            sub = await self.bot.storage.subscriptions.first(interaction.guild.id)
        if sub is None:  # an answer, not a refusal: there is nothing to test
            await send_ephemeral(
                interaction, "Auto-posting is off: choose a channel with `/autopost channel`."
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_ephemeral(interaction, await self.poster.post_latest(sub))

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
        guild = interaction.guild
        assert guild is not None
        if subscription is not None:
            chosen = [await self._subscription(guild.id, subscription)]
        else:
            chosen = await self.bot.storage.subscriptions.of_guild(guild.id)
        trace = await self.bot.storage.post_log.trace(guild.id, await self._brief_id(brief))
        if trace is None:
            raise UserFacingError(f"There is no brief #{brief.strip().lstrip('#')}.")
        standings = [await self.poster.standing(sub, trace) for sub in chosen]
        text = why_text(trace, standings, next_check=self.sweep.next_iteration)
        await send_ephemeral(interaction, text)

    async def _brief_id(self, ref: str) -> int:
        """Read a brief reference: a number (a retracted brief's too), else the best live
        title match."""
        number = brief_number(ref)
        if number is not None:
            return number
        hits = await self.bot.storage.briefs.search(ref, limit=1)
        if not hits:
            raise UserFacingError(
                f"I couldn't find a brief matching “{truncate(ref, 100)}”: pick one from the "
                "suggestions, or give its number."
            )
        return hits[0].brief_id

    @why.autocomplete("brief")
    async def _brief_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        rows = await self.bot.storage.briefs.suggest(current, limit=AUTOCOMPLETE_CHOICES)
        return [
            app_commands.Choice(
                name=components.brief_label(brief_id, title, CHOICE_NAME), value=str(brief_id)
            )
            for brief_id, title in rows
        ]

    why.autocomplete("subscription")(_subscription_autocomplete)

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
        assert isinstance(interaction.user, discord.Member)
        current = await self.bot.storage.subscriptions.first(guild.id)
        check_role(
            role, interaction.user, guild.get_channel(current.channel_id) if current else None
        )
        try:
            subscription = await self.bot.storage.subscriptions.set_mention(
                guild.id, role.id if role else None, set_by=interaction.user.id
            )
        except AmbiguousSubscriptionError as error:
            raise UserFacingError(f"{SEVERAL} ({error}).") from None
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
        if subscription is None:
            notes.append("Auto-posting is off: choose a channel with `/autopost channel`.")
        await send_ephemeral(interaction, "\n".join([reply, *notes]))


async def setup(bot: BriefBot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AutoPost(bot))
