"""The bot: built from settings, it owns its storage and drafts and loads the features by name."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.brief.drafts import DraftStore
from bot.config import Settings
from bot.metrics import BotMetrics
from bot.ui.components import CUSTOM_ID_PREFIX, IdFormat, PersistentItem
from bot.ui.replies import report_error, send_ephemeral
from storage.backends import open_storage, redact
from storage.base import Shards
from storage.library import Storage
from storage.sql import ANSWER_TIMEOUT

log = logging.getLogger("bot.app")

#: Longest rate-limit wait a request may sit out before it raises discord.RateLimited.
MAX_RATELIMIT_WAIT = 30.0

#: The features, one extension each (a package under bot/cogs with a `setup`).
EXTENSIONS: tuple[str, ...] = ("bot.cogs.briefs", "bot.cogs.autopost", "bot.cogs.feeds")
STALE_COMPONENT = "This button no longer works. Run the command again to get a fresh one."

#: The interaction every feature handles: its client is this bot.
Interaction = discord.Interaction["BriefBot"]


class BriefTree(app_commands.CommandTree["BriefBot"]):
    """Command tree that turns expected failures into ephemeral replies in one place."""

    async def on_error(self, interaction: Interaction, error: app_commands.AppCommandError) -> None:
        """Answer the user instead of letting the error surface as "interaction failed"."""
        await report_error(interaction, error)


class BriefBot(commands.AutoShardedBot):
    """briefbot: owns its storage and the drafts behind previews; runs one or many shards.

    SHARD_COUNT unset: as many shards as Discord recommends, all in this process. Set it (and
    SHARD_IDS) to split one bot over several processes sharing one PostgreSQL database.
    """

    def __init__(self, settings: Settings, *, storage: Storage | None = None) -> None:
        # briefbot never joins voice: don't warn at every start that voice libraries are absent.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        # discord.py reads shard_ids from options: absent means every shard of shard_count.
        shards: dict[str, Any] = {"shard_ids": settings.shard_ids} if settings.shard_ids else {}
        metrics = BotMetrics()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            # A longer rate limit (a channel's crosspost limit can be an hour) raises
            # discord.RateLimited instead of holding the request, and whatever awaits it.
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            tree_cls=BriefTree,
            help_command=None,
            shard_count=settings.shard_count,
            http_trace=metrics.http_trace(),
            **shards,
        )
        self.settings = settings
        #: What the bot's work tells Prometheus (served by the API at /metrics with API_LISTEN).
        self.metrics = metrics
        #: Unpublished previews, by token; forgotten after 15 minutes or a restart.
        self.drafts = DraftStore()
        self._storage = storage
        self._id_formats: set[IdFormat] = set()
        #: Whether answers link to messages on discord.com; off where there is no Discord to
        #: open them in (the demo's simulated one): answers then only name the channel.
        self.message_links = True

    @property
    def storage(self) -> Storage:
        """Return the library: given to the bot, or opened by `prepare` from DATABASE_URL."""
        if self._storage is None:
            raise RuntimeError("the bot's storage opens in setup_hook (or prepare)")
        return self._storage

    def add_persistent_items(self, *items: type[PersistentItem[Any]]) -> None:
        """Answer these components by custom_id from now on, after restarts too."""
        self.add_dynamic_items(*items)
        self._id_formats.update(item.id_format for item in items)

    def remove_persistent_items(self, *items: type[PersistentItem[Any]]) -> None:
        """Stop answering these components (their feature unloads)."""
        self.remove_dynamic_items(*items)
        self._id_formats.difference_update(item.id_format for item in items)

    async def on_interaction(self, interaction: Interaction) -> None:
        """Answer clicks on our components whose custom_id no longer (or never) matched one."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if custom_id.startswith(CUSTOM_ID_PREFIX) and not any(
            id_format.matches(custom_id) for id_format in self._id_formats
        ):
            log.warning("unknown component custom_id=%r user=%s", custom_id, interaction.user.id)
            await send_ephemeral(interaction, STALE_COMPONENT)

    async def setup_hook(self) -> None:
        """Prepare everything, then sync commands if they changed since the last sync."""
        await self.prepare()
        await sync_commands_if_changed(self)

    async def prepare(self) -> None:
        """Open the storage (unless given) and load the features: all that needs no Discord."""
        if self._storage is None:
            self._storage = await open_storage(self.settings.database)
        # A hung database is answered as unreachable, within Discord's 3 s for a first answer.
        await self._storage.db.answer_within(ANSWER_TIMEOUT)
        log.info("database opened", extra={"url": redact(self._storage.url)})
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard as it connects, with how many servers this process now serves."""
        log.info(
            "shard ready",
            extra={"shard": shard_id, "shard_count": self.shard_count, "guilds": len(self.guilds)},
        )

    def served_shards(self) -> Shards | None:
        """Return the shards this process serves, or None when it serves every guild."""
        count = self.shard_count
        if count is None or count <= 1 or self.shard_ids is None:
            return None
        if len({shard for shard in self.shard_ids if 0 <= shard < count}) == count:
            return None  # every shard (checked without building range(count): it may be huge)
        return Shards(count, tuple(sorted(self.shard_ids)))

    async def close(self) -> None:
        """Stop Discord work first, then forget the drafts and close the storage cleanly."""
        try:
            await super().close()
        finally:
            self.drafts.clear()
            if self._storage is not None:
                await self._storage.close()


def command_payload(tree: app_commands.CommandTree[Any], guild: discord.Object | None) -> str:
    """Return the JSON Discord would receive for this scope's commands, canonically ordered."""
    commands_ = tree.get_commands(guild=guild)
    payload = sorted((command.to_dict(tree) for command in commands_), key=lambda c: c["name"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def sync_scope(bot: BriefBot) -> discord.Object | None:
    """Return where commands sync: the development server when set, else everywhere (None)."""
    return discord.Object(bot.settings.dev_guild_id) if bot.settings.dev_guild_id else None


def command_hash(bot: BriefBot) -> tuple[str, str]:
    """Return the state key for this sync scope and the hash of its command payload."""
    guild = sync_scope(bot)
    digest = hashlib.sha256(command_payload(bot.tree, guild).encode()).hexdigest()
    return f"command_hash:{guild.id if guild else 'global'}", digest


async def sync_commands_if_changed(bot: BriefBot) -> bool:
    """Sync to DEV_GUILD_ID (instant) or globally, only when the payload's hash changed."""
    guild = sync_scope(bot)
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    key, digest = command_hash(bot)
    if await bot.storage.state.get(key) == digest:
        log.info("commands unchanged scope=%s; not syncing", key)
        return False
    await bot.tree.sync(guild=guild)
    await bot.storage.state.set(key, digest)
    log.info("commands synced scope=%s", key)
    return True


def create_bot(settings: Settings) -> BriefBot:
    """Build the real bot; the only way the bot is constructed, in production and in tests."""
    return BriefBot(settings)
