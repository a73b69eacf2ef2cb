"""What `/feed` says: a feed's status, the feed list, a dry run, the newsroom's notices. Pure."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.brief.text import truncate
from bot.feeds import DryRun, Notice, PollReport
from bot.limits import EMBED_DESCRIPTION, EMBED_FIELD_VALUE, EMBED_TITLE, MESSAGE_CONTENT
from storage.feeds import FeedRecord

#: Items a dry run shows.
SHOWN_ITEMS = 10
#: Feeds `/feed list` shows (a library rarely has more; the CLI lists them all).
LISTED = 25
#: How `/feed list` and `/feed status` mark a feed whose source requires review.
REVIEWED = "📝 items wait for review"


def when(at: datetime | None) -> str:
    """Show a time in each reader's own timezone (Discord's timestamp markup), or "never"."""
    return "never" if at is None else discord.utils.format_dt(at, "R")


def state(feed: FeedRecord) -> str:
    """Say in a word how a feed is doing."""
    if feed.paused:
        return "⏸️ paused"
    if feed.failures:
        return f"⚠️ failing ({feed.failures} in a row)"
    return "✅ ok" if feed.last_fetch_at else "🕓 not fetched yet"


def status_embed(feed: FeedRecord, items: int | None = None) -> discord.Embed:
    """`/feed status`: where a feed is, how its last fetch went, when the next one is."""
    embed = discord.Embed(
        title=truncate(f"Feed {feed.source}", EMBED_TITLE),
        description=truncate(feed.url, EMBED_DESCRIPTION),
    )
    embed.add_field(name="State", value=state(feed))
    embed.add_field(name="Every", value=f"{int(feed.interval.total_seconds() // 60)} minutes")
    if items is not None:
        embed.add_field(name="Briefs", value=f"{items:,}")
    embed.add_field(name="Last fetch", value=when(feed.last_fetch_at))
    embed.add_field(name="Result", value=truncate(feed.last_status or "—", EMBED_FIELD_VALUE))
    embed.add_field(
        name="Next fetch", value="when resumed" if feed.paused else when(feed.next_due_at)
    )
    if feed.failures and feed.last_error:
        since = f"Failing since {when(feed.failing_since)}: " if feed.failing_since else ""
        embed.add_field(
            name="Error", value=truncate(since + feed.last_error, EMBED_FIELD_VALUE), inline=False
        )
    if feed.paused and feed.pause_reason:
        embed.add_field(
            name="Paused", value=truncate(feed.pause_reason, EMBED_FIELD_VALUE), inline=False
        )
    if feed.topics:
        embed.add_field(name="Topics", value=truncate(", ".join(feed.topics), EMBED_FIELD_VALUE))
    if feed.requires_review:
        embed.add_field(name="Review", value=f"{REVIEWED}: drafts until an editor approves them")
    return embed


def feed_list(feeds: list[FeedRecord]) -> str:
    """`/feed list`: a line per feed."""
    if not feeds:
        return "No feeds yet. Add one with `/feed add url:`."
    lines = []
    for feed in feeds[:LISTED]:
        marks = f" · {REVIEWED}" if feed.requires_review else ""
        lines.append(
            f"**{feed.source}** · {state(feed)} · "
            f"next {'—' if feed.paused else when(feed.next_due_at)}{marks}"
            f"\n<{truncate(feed.url, 200)}>"
        )
    if len(feeds) > LISTED:
        lines.append(f"… and {len(feeds) - LISTED} more (`python -m bot feeds list`).")
    return truncate("\n".join(lines), MESSAGE_CONTENT)


def dry_run_text(trial: DryRun) -> str:
    """`/feed test`: what a feed would give now; nothing stored."""
    if trial.error is not None or trial.parsed is None:
        return f"I can't read that feed: {trial.error}. Nothing was stored."
    parsed = trial.parsed
    title = parsed.title or "(untitled)"
    count = f"{len(parsed.items)} items ({parsed.kind})"
    lines = [f"**{truncate(title, 200)}**: {count}. Nothing was stored."]
    for item in parsed.items[:SHOWN_ITEMS]:
        topics = f" · {', '.join(item.content.topics)}" if item.content.topics else ""
        lines.append(f"• {truncate(item.content.title, 150)}{topics}")
    if len(parsed.items) > SHOWN_ITEMS:
        lines.append(f"… and {len(parsed.items) - SHOWN_ITEMS} more.")
    if parsed.skipped:
        lines.append(f"Left out: {truncate('; '.join(parsed.skipped), 400)}")
    return truncate("\n".join(lines), MESSAGE_CONTENT)


def added_text(feed: FeedRecord, seeded: PollReport) -> str:
    """What `/feed add` answers once the feed is stored and its backlog read."""
    stored = seeded.ingested.new if seeded.ingested else 0
    new = (
        "new items wait as drafts for an editor's approval"
        if feed.requires_review
        else "new items are posted as they appear"
    )
    return (
        f"Added feed **{feed.source}**. The {stored} items it holds now are stored (searchable, "
        f"never posted); {new}, checked every "
        f"{int(feed.interval.total_seconds() // 60)} minutes. `/feed status feed:{feed.source}` "
        "shows how it is doing."
    )


def notice_text(kind: Notice, feed: FeedRecord, error: str | None) -> str:
    """What the newsroom channel is told about a feed."""
    if kind is Notice.RECOVERED:
        return f"✅ Feed **{feed.source}** is fetched again; new items will be posted."
    if kind is Notice.PAUSED:
        return (
            f"⏸️ Feed **{feed.source}** failed for three days and is paused: {error or 'no detail'}."
            " Fix the feed (or its URL), then press **Resume**."
        )
    return (
        f"⚠️ Feed **{feed.source}** is failing: {error or 'no detail'}. It is tried again with "
        "growing waits, and paused after three days of failures."
    )
