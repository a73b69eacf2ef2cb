"""What `/feed` does: add (after a dry run), list, status, pause, resume, remove, test."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cogs.feeds._texts import added_text, dry_run_text, feed_list, status_embed
from bot.errors import NotFoundError, UserFacingError
from bot.feeds import Poller, UrlRefused, check_url, dry_run, feed_name
from bot.ui.replies import send_ephemeral
from storage.errors import FeedExistsError, SourceExistsError, SourceNameError
from storage.feeds import FeedRecord
from storage.sources import check_name
from storage.topics import split_topics

if TYPE_CHECKING:
    from bot.app import Interaction

log = logging.getLogger("bot.feeds")


async def _feed(interaction: Interaction, name: str) -> FeedRecord:
    feed = await interaction.client.storage.feeds.get(name)
    if feed is None:
        raise NotFoundError(f"There is no feed named `{name}`. `/feed list` shows them.")
    return feed


def _url(interaction: Interaction, url: str) -> str:
    try:
        return check_url(url.strip(), allow_private=interaction.client.settings.feeds_allow_private)
    except UrlRefused as exc:
        raise UserFacingError(f"I can't read feeds from there: {exc}") from None


async def add(
    poller: Poller,
    interaction: Interaction,
    url: str,
    name: str | None,
    interval: int,
    topics: str | None,
    review: bool = False,
) -> None:
    """Read the feed first (a feed that cannot be read is not added), then store it and the
    items it holds now, as backfill: searchable, never posted. With `review`, its later items
    wait as drafts for an editor's approval."""
    url = _url(interaction, url)
    if name is not None:
        try:
            check_name(name)
        except SourceNameError as exc:
            raise UserFacingError(str(exc)) from None
    await interaction.response.defer(ephemeral=True, thinking=True)
    storage = interaction.client.storage
    wanted = split_topics(topics) if topics else []
    trial = await dry_run(poller.fetcher, url, wanted, interaction.client.settings.brief_max_chars)
    if trial.error is not None:
        raise UserFacingError(f"I can't read that feed: {trial.error}. Nothing was added.")
    taken = {source.name for source in await storage.sources.list()}
    try:
        feed = await storage.feeds.add(
            name or feed_name(url, taken),
            url,
            label=trial.parsed.title if trial.parsed else None,
            interval=timedelta(minutes=interval),
            topics=wanted,
            added_by=interaction.user.id,
        )
    except (FeedExistsError, SourceExistsError) as exc:
        raise UserFacingError(str(exc)) from None
    try:
        seeded = await poller.absorb(feed, trial.fetched, trial.parsed)
    finally:
        # Set only now: storage makes every new brief of a reviewed source a draft, the
        # backlog's too, and a backlog that is never posted must not pile up for editors.
        # Set even if storing the backlog failed, so no later item is published unreviewed.
        if review:
            await storage.sources.set_review(feed.source, True)
    log.info(
        "feed added",
        extra={"feed": feed.source, "url": url, "user": interaction.user.id, "review": review},
    )
    added = replace(seeded.feed, requires_review=review)
    await send_ephemeral(interaction, added_text(added, seeded))


async def test(poller: Poller, interaction: Interaction, url: str) -> None:
    """Show what a feed would give now, storing nothing."""
    url = _url(interaction, url)
    await interaction.response.defer(ephemeral=True, thinking=True)
    trial = await dry_run(poller.fetcher, url, [], interaction.client.settings.brief_max_chars)
    await send_ephemeral(interaction, dry_run_text(trial))


async def listing(interaction: Interaction) -> None:
    """List every feed with how it is doing."""
    await send_ephemeral(interaction, feed_list(await interaction.client.storage.feeds.list()))


async def status(interaction: Interaction, name: str) -> None:
    """Show one feed: last fetch, result, next fetch, errors."""
    feed = await _feed(interaction, name)
    await interaction.response.send_message(embed=status_embed(feed), ephemeral=True)


async def pause(interaction: Interaction, name: str) -> None:
    """Stop fetching a feed until resumed."""
    await _feed(interaction, name)
    reason = f"paused by {interaction.user} with /feed pause"
    await interaction.client.storage.feeds.pause(name, reason)
    await send_ephemeral(interaction, f"Paused feed **{name}**. `/feed resume` fetches it again.")


async def resume(interaction: Interaction, name: str) -> None:
    """Fetch a paused (or failing) feed again, at once."""
    await _feed(interaction, name)
    await interaction.client.storage.feeds.resume(name)
    await send_ephemeral(interaction, f"Resumed feed **{name}**: it is fetched within a minute.")


async def remove(interaction: Interaction, name: str) -> None:
    """Stop reading a feed; its briefs stay."""
    if not await interaction.client.storage.feeds.remove(name):
        raise NotFoundError(f"There is no feed named `{name}`. `/feed list` shows them.")
    await send_ephemeral(interaction, f"Removed feed **{name}**. Its briefs stay, and stay posted.")


async def suggest(interaction: Interaction, current: str) -> list[str]:
    """Feed names starting with (or containing) what is typed, for autocomplete."""
    typed = current.strip().lower()
    names = [feed.source for feed in await interaction.client.storage.feeds.list()]
    found = [name for name in names if typed in name]
    return sorted(found, key=lambda name: (not name.startswith(typed), name))[:25]
