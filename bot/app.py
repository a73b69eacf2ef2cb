"""The bot: one factory builds it from settings; it owns the database and registers features."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.ui.replies import report_error, send_ephemeral
from storage.backends import open_storage, redact
from storage.base import Shards
from storage.briefs import Briefs
from storage.guilds import Guilds, PostLog
from storage.library import Storage
from storage.state import State

log = logging.getLogger(__name__)

#: Every custom_id of ours starts with this, so foreign or forged ones are recognisable.
CUSTOM_ID_PREFIX = "brief:"
STALE_COMPONENT = "This button no longer works. Run the command again to get a fresh one."


class BriefTree(app_commands.CommandTree["BriefBot"]):
    """Command tree that turns expected failures into ephemeral replies in one place."""

    async def on_error(
        self, interaction: discord.Interaction[BriefBot], error: app_commands.AppCommandError
    ) -> None:
        """Answer the user instead of letting the error surface as "interaction failed"."""
        await report_error(interaction, error)


class BriefBot(commands.AutoShardedBot):
    """briefbot: owns the database and the repositories built on it; runs one or many shards.

    SHARD_COUNT unset: as many shards as Discord recommends, all in this process. Set it (and
    SHARD_IDS) to split one bot over several processes sharing one PostgreSQL database.
    """

    db: Storage
    briefs: Briefs
    guild_settings: Guilds
    post_log: PostLog
    state: State

    def __init__(self, settings: Settings) -> None:
        # briefbot never joins voice: don't warn at every start that voice libraries are absent.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        # discord.py reads shard_ids from options: absent means every shard of shard_count.
        shards: dict[str, Any] = {"shard_ids": settings.shard_ids} if settings.shard_ids else {}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=BriefTree,
            help_command=None,
            shard_count=settings.shard_count,
            **shards,
        )
        self.settings = settings
        self._component_templates: list[re.Pattern[str]] = []

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        """Register persistent components, remembering their patterns for `on_interaction`."""
        super().add_dynamic_items(*items)
        self._component_templates.extend(item.__discord_ui_compiled_template__ for item in items)

    async def on_interaction(self, interaction: discord.Interaction[BriefBot]) -> None:
        """Answer clicks on our components whose custom_id no longer (or never) matched one."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if custom_id.startswith(CUSTOM_ID_PREFIX) and not any(
            pattern.fullmatch(custom_id) for pattern in self._component_templates
        ):
            log.warning("unknown component custom_id=%r user=%s", custom_id, interaction.user.id)
            await send_ephemeral(interaction, STALE_COMPONENT)

    async def setup_hook(self) -> None:
        """Prepare everything, then sync commands if they changed since the last sync."""
        await self.prepare()
        await sync_commands_if_changed(self)

    async def prepare(self) -> None:
        """Open the database and register components and cogs: all that needs no Discord."""
        from bot.cogs import EXTENSIONS
        from bot.ui.components import DYNAMIC_ITEMS

        self.db = await open_storage(self.settings.database)
        log.info("database opened", extra={"url": redact(self.db.url)})
        self.briefs = self.db.briefs
        self.guild_settings = self.db.guilds
        self.post_log = self.db.post_log
        self.state = self.db.state
        self.add_dynamic_items(*DYNAMIC_ITEMS)
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
        if set(self.shard_ids) >= set(range(count)):
            return None
        return Shards(count, tuple(sorted(self.shard_ids)))

    async def close(self) -> None:
        """Stop Discord work first, then close the database cleanly."""
        try:
            await super().close()
        finally:
            db = getattr(self, "db", None)
            if db is not None:
                await db.close()


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
    if await bot.state.get(key) == digest:
        log.info("commands unchanged scope=%s; not syncing", key)
        return False
    await bot.tree.sync(guild=guild)
    await bot.state.set(key, digest)
    log.info("commands synced scope=%s", key)
    return True


def create_bot(settings: Settings) -> BriefBot:
    """Build the real bot; the only way the bot is constructed, in production and in tests."""
    return BriefBot(settings)
