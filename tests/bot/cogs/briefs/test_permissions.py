"""Who counts as a publisher: listed users, listed roles, the application's owner; nobody else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest
import simcord

from bot.config import Settings
from tests.helpers import (
    brief_count,
    buttons,
    click_crafted,
    example_bytes,
    preview_by_form,
    publish_by_form,
)


@dataclass(frozen=True)
class Place:
    """A server with #news and nobody in it yet."""

    env: simcord.Env
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle


@pytest.fixture
def place(simcord_env: simcord.Env) -> Place:
    guild = simcord_env.create_guild(name="Newsroom")
    return Place(simcord_env, guild, guild.create_text_channel("news"))


async def opens_form(member, channel) -> bool:
    """Run `/brief add`: True if the form opened, False if refused (with the reason)."""
    result = await member.slash(channel, "brief add")
    if result.modal is not None:
        return True
    assert result.ephemeral
    assert "Only publishers" in result.response.content
    return False


async def test_listed_user_is_a_publisher(place, settings: Settings):
    alice = place.guild.add_member(place.env.create_user("alice"))
    assert not await opens_form(alice, place.channel)

    settings.admin_user_ids.append(alice.id)

    assert await opens_form(alice, place.channel)


async def test_member_with_listed_role_is_a_publisher(place, settings: Settings):
    editors = place.guild.create_role("Editors")
    bob = place.guild.add_member(place.env.create_user("bob"), roles=[editors])
    other = place.guild.add_member(place.env.create_user("other"))
    settings.admin_role_ids.append(editors.id)

    assert await opens_form(bob, place.channel)
    assert not await opens_form(other, place.channel)


async def test_application_owner_is_a_publisher(place):
    owner = place.guild.add_member(place.env.create_user("owner"))
    assert not await opens_form(owner, place.channel)

    place.env.bot.owner_id = owner.id

    assert await opens_form(owner, place.channel)


@pytest.mark.parametrize(
    "permissions",
    [discord.Permissions(manage_guild=True), discord.Permissions(manage_messages=True)],
)
async def test_server_managers_are_not_publishers(place, permissions: discord.Permissions):
    managers = place.guild.create_role("Managers", permissions=permissions)
    carol = place.guild.add_member(place.env.create_user("carol"), roles=[managers])

    assert not await opens_form(carol, place.channel)


async def test_lookups_stay_open_to_everyone(place):
    dan = place.guild.add_member(place.env.create_user("dan"))

    result = await dan.slash(place.channel, "brief latest")

    assert "Only publishers" not in result.response.content


# --- refusals in the `/brief` commands and their buttons -------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("brief add", {}),
        ("brief add", {"file": ("comet.txt", example_bytes())}),
        ("brief edit", {"brief": "1"}),
        ("brief delete", {"brief": "1"}),
        ("brief history", {"brief": "1"}),
    ],
)
@pytest.mark.parametrize("who", ["bob", "carol"])
async def test_non_publishers_are_refused(world, command: str, options: dict[str, Any], who: str):
    await publish_by_form(world.alice, world.channel)
    actor = {"bob": world.bob, "carol": world.carol}[who]

    result = await actor.slash(world.channel, command, **options)

    assert result.modal is None
    assert result.ephemeral
    assert "Only publishers" in result.response.content
    assert await brief_count(world.env) == 1
    assert len(await world.env.bot.storage.briefs.history(1)) == 1


async def test_crafted_publish_button_is_refused(world):
    preview = await preview_by_form(world.alice, world.channel)
    custom_id = buttons(preview.response)["Publish"]

    for outsider in (world.bob, world.carol):
        refused = await click_crafted(world.env, outsider, world.channel, custom_id)
        assert refused.ephemeral
        assert "Only publishers" in refused.response.content
        forced = await click_crafted(
            world.env, outsider, world.channel, custom_id.replace("publish", "force")
        )
        assert "Only publishers" in forced.response.content
    assert await brief_count(world.env) == 0

    await world.alice.click(preview.response.message, label="Publish")
    assert await brief_count(world.env) == 1


async def test_another_publishers_draft_is_refused(world):
    dave = world.env.guild.add_member(world.env.create_user("dave"))
    world.env.bot.settings.admin_user_ids.append(dave.id)
    preview = await preview_by_form(world.alice, world.channel)

    refused = await click_crafted(
        world.env, dave, world.channel, buttons(preview.response)["Publish"]
    )

    assert "another publisher" in refused.response.content
    assert await brief_count(world.env) == 0


async def test_crafted_delete_button_is_refused(world):
    await publish_by_form(world.alice, world.channel)

    for outsider in (world.bob, world.carol):
        refused = await click_crafted(world.env, outsider, world.channel, "brief:delete:confirm:1")
        assert refused.ephemeral
        assert "Only publishers" in refused.response.content
    assert await brief_count(world.env) == 1
    assert [e.action for e in await world.env.bot.storage.briefs.history(1)] == ["add"]


async def test_publisher_rights_are_rechecked_on_click(world, settings: Settings):
    preview = await preview_by_form(world.alice, world.channel)
    settings.admin_user_ids.remove(world.alice.id)

    refused = await world.alice.click(preview.response.message, label="Publish")

    assert "Only publishers" in refused.response.content
    assert await brief_count(world.env) == 0
