"""The `/autopost` commands as server members use them: who may, what they check, what they say."""

from __future__ import annotations

from dataclasses import dataclass

import discord
import pytest
import simcord
from simcord import SetupError
from simcord.backend.models import Overwrite
from simcord.enums import OverwriteType

from tests.helpers import autopost


@dataclass(frozen=True)
class Server:
    """A server with #news, a manager (Manage Server) and a plain member."""

    env: simcord.Env
    guild: simcord.GuildHandle
    news: simcord.ChannelHandle
    manager: simcord.MemberActor
    member: simcord.MemberActor


@pytest.fixture
def server(simcord_env: simcord.Env) -> Server:
    guild = simcord_env.create_guild(name="Newsroom")
    news = guild.create_text_channel("news")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    manager = guild.add_member(simcord_env.create_user("manager"), roles=[managers])
    member = guild.add_member(simcord_env.create_user("member"))
    return Server(simcord_env, guild, news, manager, member)


def autopost_command_id(env) -> int:
    command = env.backend.find_command("autopost", None)
    assert command is not None
    return int(command["id"])


async def test_command_is_hidden_from_members_without_manage_server(server):
    with pytest.raises(SetupError, match="default-member-permissions"):
        await server.member.slash(server.news, "autopost status")


async def test_member_let_in_by_a_server_override_is_still_refused(server):
    server.guild.set_command_permissions(autopost_command_id(server.env), {server.member: True})

    result = await server.member.slash(server.news, "autopost channel", channel=server.news)

    assert result.ephemeral
    assert "Manage Server" in result.response.content
    assert (await server.env.bot.storage.subscriptions.first(server.guild.id)) is None


async def test_configure_replies_no_backlog_and_status_shows_the_setup(server):
    result = await server.manager.slash(server.news, "autopost channel", channel=server.news)
    status = await server.manager.slash(server.news, "autopost status")

    assert result.ephemeral
    assert server.news.mention in result.response.content
    assert "from now on" in result.response.content
    text = status.response.content
    assert status.ephemeral
    assert f"<#{server.news.id}>" in text
    assert "**on**" in text
    assert "**Last post:** never" in text
    assert "**Next check:** <t:" in text
    assert "**Waiting to post:** 0" in text
    assert "**Mentions:** nobody" in text


async def test_status_before_any_setup_says_off(server):
    result = await server.manager.slash(server.news, "autopost status")
    assert "**off**" in result.response.content


async def test_configure_names_the_permissions_the_bot_lacks(server):
    locked = server.guild.create_text_channel("locked")
    deny = discord.Permissions(embed_links=True, send_messages=True)
    server.env.backend.set_overwrite(
        locked.id,
        Overwrite(
            target_id=server.env.bot.user.id, type=OverwriteType.MEMBER, allow=0, deny=deny.value
        ),
    )
    await server.env.settle()

    result = await server.manager.slash(server.news, "autopost channel", channel=locked)

    assert result.ephemeral
    assert "Send Messages, Embed Links" in result.response.content
    assert (await server.env.bot.storage.subscriptions.first(server.guild.id)) is None


async def test_crosspost_needs_an_announcement_channel(server):
    result = await server.manager.slash(
        server.news, "autopost channel", channel=server.news, crosspost=True
    )

    assert result.ephemeral
    assert "announcement channel" in result.response.content
    assert (await server.env.bot.storage.subscriptions.first(server.guild.id)) is None


async def test_mention_refuses_everyone_and_can_be_cleared(server):
    readers = server.guild.create_role("Readers", mentionable=True)
    await server.manager.slash(server.news, "autopost channel", channel=server.news)

    everyone = await server.manager.slash(
        server.news, "autopost mention", role=server.guild.default_role
    )
    chosen = await server.manager.slash(server.news, "autopost mention", role=readers)
    shown = await server.manager.slash(server.news, "autopost status")
    cleared = await server.manager.slash(server.news, "autopost mention")

    assert "@everyone" in everyone.response.content
    assert readers.mention in chosen.response.content
    assert readers.mention in shown.response.content
    assert "not mention anyone" in cleared.response.content
    settings = await server.env.bot.storage.subscriptions.first(server.guild.id)
    assert settings is not None
    assert settings.mention_role_id is None


async def test_mention_before_a_channel_says_posting_is_off(server):
    readers = server.guild.create_role("Readers", mentionable=True)

    result = await server.manager.slash(server.news, "autopost mention", role=readers)

    assert readers.mention in result.response.content
    assert "/autopost channel" in result.response.content
    assert "not mentionable" not in result.response.content


async def test_off_when_never_configured_is_friendly(server):
    result = await server.manager.slash(server.news, "autopost off")
    assert "already off" in result.response.content


async def test_unloading_the_cog_stops_the_sweep(server):
    cog = autopost(server.env.bot)
    assert cog.sweep.is_running()

    await server.env.bot.unload_extension("bot.cogs.autopost")
    await server.env.settle()

    assert not cog.sweep.is_running()
