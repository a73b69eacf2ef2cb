"""The `/brief` feature's place: a newsroom with a publisher, a member and a server manager."""

from __future__ import annotations

import discord
import pytest
import simcord

from bot.config import Settings
from tests.helpers import World


@pytest.fixture
def world(simcord_env: simcord.Env, settings: Settings) -> World:
    """A server with a publisher (alice), a plain member (bob) and a server manager (carol)."""
    guild = simcord_env.create_guild(name="Newsroom")
    channel = guild.create_text_channel("news")
    alice = guild.add_member(simcord_env.create_user("alice"))
    bob = guild.add_member(simcord_env.create_user("bob"))
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    carol = guild.add_member(simcord_env.create_user("carol"), roles=[managers])
    settings.admin_user_ids.append(alice.id)
    return World(simcord_env, channel, alice, bob, carol)
