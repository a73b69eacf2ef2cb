"""Who counts as a publisher: listed users, listed roles, the application's owner; nobody else."""

from __future__ import annotations

import discord
import pytest

from bot.config import Settings


@pytest.fixture
def place(simcord_env):
    guild = simcord_env.create_guild(name="Newsroom")
    return simcord_env, guild, guild.create_text_channel("news")


async def opens_form(member, channel) -> bool:
    """Run `/brief add`: True if the form opened, False if refused (with the reason)."""
    result = await member.slash(channel, "brief add")
    if result.modal is not None:
        return True
    assert result.ephemeral
    assert "Only publishers" in result.response.content
    return False


async def test_listed_user_is_a_publisher(place, settings: Settings):
    env, guild, channel = place
    alice = guild.add_member(env.create_user("alice"))
    assert not await opens_form(alice, channel)

    settings.admin_user_ids.append(alice.id)

    assert await opens_form(alice, channel)


async def test_member_with_listed_role_is_a_publisher(place, settings: Settings):
    env, guild, channel = place
    editors = guild.create_role("Editors")
    bob = guild.add_member(env.create_user("bob"), roles=[editors])
    other = guild.add_member(env.create_user("other"))
    settings.admin_role_ids.append(editors.id)

    assert await opens_form(bob, channel)
    assert not await opens_form(other, channel)


async def test_application_owner_is_a_publisher(place):
    env, guild, channel = place
    owner = guild.add_member(env.create_user("owner"))
    assert not await opens_form(owner, channel)

    env.bot.owner_id = owner.id

    assert await opens_form(owner, channel)


@pytest.mark.parametrize(
    "permissions",
    [discord.Permissions(manage_guild=True), discord.Permissions(manage_messages=True)],
)
async def test_server_managers_are_not_publishers(place, permissions: discord.Permissions):
    env, guild, channel = place
    managers = guild.create_role("Managers", permissions=permissions)
    carol = guild.add_member(env.create_user("carol"), roles=[managers])

    assert not await opens_form(carol, channel)


async def test_lookups_stay_open_to_everyone(place):
    env, guild, channel = place
    dan = guild.add_member(env.create_user("dan"))

    result = await dan.slash(channel, "brief latest")

    assert "Only publishers" not in result.response.content
