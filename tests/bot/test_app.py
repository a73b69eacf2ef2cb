"""The bot's start-up: command sync only when the tree changed, to the dev server when set."""

from __future__ import annotations

import discord
import simcord

from bot.app import create_bot
from bot.config import Settings
from tests.helpers import Restart


def command_syncs(env: simcord.Env) -> list[str]:
    return [r.path for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_first_start_syncs_globally_and_a_restart_does_not(
    simcord_env: simcord.Env, restart: Restart
) -> None:
    assert len(command_syncs(simcord_env)) == 1
    assert "/guilds/" not in command_syncs(simcord_env)[0]

    await restart()

    assert len(command_syncs(simcord_env)) == 1


async def test_a_changed_command_tree_syncs_again(
    simcord_env: simcord.Env, settings: Settings, bots: list
) -> None:
    bot = create_bot(settings)
    bots.append(bot)

    @bot.tree.command(name="ping", description="A command the first start did not have")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    await simcord_env.restart_bot(bot)

    assert len(command_syncs(simcord_env)) == 2


async def test_dev_guild_gets_commands_instantly(
    simcord_env: simcord.Env, settings: Settings, bots: list
) -> None:
    guild = simcord_env.create_guild(name="Dev")
    channel = guild.create_text_channel("testing")
    dev = guild.add_member(simcord_env.create_user("dev"))
    settings.dev_guild_id = guild.id
    bot = create_bot(settings)
    bots.append(bot)

    await simcord_env.restart_bot(bot)

    assert command_syncs(simcord_env)[-1].endswith(f"/guilds/{guild.id}/commands")
    assert "brief latest" in dev.available_commands(channel)
