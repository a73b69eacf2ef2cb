"""Who may publish (and run feeds): checked by the bot on every interaction, never left to
Discord's UI alone. Shared by the features: /brief, /feed and their buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

from bot.errors import PermissionDeniedError

if TYPE_CHECKING:
    from bot.app import Interaction

T = TypeVar("T")

NOT_A_PUBLISHER = (
    "Only publishers can add, edit or delete briefs, or see their history. "
    "Ask the bot's owner to add you (or one of your roles) to the publishers."
)


class NotPublisher(app_commands.CheckFailure):
    """An app command was refused because the user is not a publisher."""

    def __init__(self) -> None:
        super().__init__(NOT_A_PUBLISHER)


async def is_publisher(interaction: Interaction) -> bool:
    """Return whether the user may change briefs: the app's owner(s), listed users, listed roles.

    Manage Server alone is not enough: server managers run their own server's auto-post only.
    """
    bot = interaction.client
    user = interaction.user
    settings = bot.settings
    if user.id in settings.admin_user_ids:
        return True
    if isinstance(user, discord.Member) and settings.admin_role_ids:
        allowed = set(settings.admin_role_ids)
        if any(role.id in allowed for role in user.roles):
            return True
    return await bot.is_owner(user)


NOT_A_WRITER = (
    "Only publishers and contributors can write briefs. "
    "Ask the bot's owner to add you (or one of your roles) to the contributors."
)


async def is_contributor(interaction: Interaction) -> bool:
    """Return whether the user is a contributor: listed by id or by role. A contributor
    writes briefs for review (docs/review.md); a publisher who is also listed publishes."""
    settings = interaction.client.settings
    user = interaction.user
    if user.id in settings.contributor_user_ids:
        return True
    if isinstance(user, discord.Member) and settings.contributor_role_ids:
        allowed = set(settings.contributor_role_ids)
        return any(role.id in allowed for role in user.roles)
    return False


async def is_writer(interaction: Interaction) -> bool:
    """Return whether the user may write briefs: a publisher or a contributor."""
    return await is_publisher(interaction) or await is_contributor(interaction)


def writer_only() -> Callable[[T], T]:
    """App-command check: publishers and contributors only; others get a clear refusal."""

    async def predicate(interaction: Interaction) -> bool:
        if await is_writer(interaction):
            return True
        raise NotWriter

    return app_commands.check(predicate)


class NotWriter(app_commands.CheckFailure):
    """An app command was refused because the user is neither publisher nor contributor."""

    def __init__(self) -> None:
        super().__init__(NOT_A_WRITER)


async def require_writer(interaction: Interaction) -> None:
    """Refuse a form or click from anyone but a publisher or contributor."""
    if not await is_writer(interaction):
        raise PermissionDeniedError(NOT_A_WRITER)


class WriterOnly:
    """Mixin for a persistent item: publishers and contributors only, rechecked per click
    (what the click may then do depends on which they are)."""

    async def guard(self, interaction: Interaction) -> None:
        """Refuse anyone else."""
        await require_writer(interaction)


async def require_publisher(interaction: Interaction) -> None:
    """Refuse a component or modal callback from a non-publisher (custom_ids can be forged)."""
    if not await is_publisher(interaction):
        raise PermissionDeniedError(NOT_A_PUBLISHER)


def publisher_only() -> Callable[[T], T]:
    """App-command check: only publishers may run the command; others get a clear refusal."""

    async def predicate(interaction: Interaction) -> bool:
        if await is_publisher(interaction):
            return True
        raise NotPublisher

    return app_commands.check(predicate)


class PublisherOnly:
    """Mixin for a persistent item: only publishers may click it, rechecked on every click.

    A custom_id is only a string: anyone could send one.
    """

    async def guard(self, interaction: Interaction) -> None:
        """Refuse a non-publisher."""
        await require_publisher(interaction)
