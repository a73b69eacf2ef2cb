"""`/autopost why`: why a brief was or was not posted for each of a server's subscriptions.

Pure: the cog reads the brief's trace, the subscriptions, where each stands in its queue and
against its daily cap; `verdict` decides and words one subscription's answer, tested without
Discord.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.brief.text import truncate
from bot.cogs.autopost._policy import CapWindow
from bot.cogs.autopost._texts import fit
from storage.models import PostRecord, PostTrace, Subscription
from storage.topics import Match

#: The most of a title the answer's first line shows.
TITLE_SHOWN = 80
#: How each `match` reads after "wants".
MATCH_WORDS = {Match.ANY: "any of", Match.ALL: "all of", Match.NONE: "none of"}


class Reason(enum.StrEnum):
    """Why a brief was, or was not (yet), posted for one subscription."""

    POSTED = "posted"
    NOT_MATCHED = "topics did not match"
    BEFORE = "published before the subscription"
    RETRACTED = "retracted"
    BACKFILL = "from a feed's backlog"
    PAUSED = "paused"
    CAPPED = "waiting for the daily cap"
    REFUSED = "refused by Discord"
    SKIPPED = "skipped"
    SENDING = "being posted"
    QUEUED = "still queued"


@dataclass(frozen=True)
class Standing:
    """Where a subscription stands with one brief: its post log row in the subscription's
    channel, and, while the brief waits, how many wait before it and the daily cap."""

    subscription: Subscription
    record: PostRecord | None = None
    #: Briefs pending before this one (None: it is not pending for this subscription).
    ahead: int | None = None
    window: CapWindow | None = None


def verdict(trace: PostTrace, standing: Standing) -> Reason:
    """Decide why the brief was or was not posted for this subscription: what the post log
    holds first (a fact), then the rules that kept it back, the earliest one that applies."""
    sub, record = standing.subscription, standing.record
    if record is not None:
        if record.message_id is not None:
            return Reason.POSTED
        if record.rejected_at is not None:
            return Reason.REFUSED
        return Reason.SKIPPED if record.skipped else Reason.SENDING
    if not sub.selects(trace.topics):
        return Reason.NOT_MATCHED
    if trace.created_at <= sub.subscribed_at:
        return Reason.BEFORE
    if trace.deleted_at is not None:
        return Reason.RETRACTED
    if trace.backfill:
        return Reason.BACKFILL
    if sub.paused_reason is not None:
        return Reason.PAUSED
    window = standing.window
    if window is not None and standing.ahead is not None and standing.ahead >= window.room:
        return Reason.CAPPED
    return Reason.QUEUED


def explain(trace: PostTrace, standing: Standing, *, next_check: datetime | None) -> str:
    """Word one subscription's answer in a line (Discord markdown), with what it rests on."""
    sub, record = standing.subscription, standing.record
    reason = verdict(trace, standing)
    head = f"**#{sub.id}** → <#{sub.channel_id}>: **{reason}**"
    when = discord.utils.format_dt
    match reason:
        case Reason.POSTED:
            assert record is not None
            detail = _link(sub.guild_id, record) + _copy_state(record)
        case Reason.NOT_MATCHED:
            has = ", ".join(f"`{topic}`" for topic in trace.topics) or "no topics"
            wants = ", ".join(f"`{topic}`" for topic in sub.topics)
            detail = f"it has {has}; this subscription wants {MATCH_WORDS[sub.match]} {wants}"
        case Reason.BEFORE:
            detail = (
                f"it was published {when(trace.created_at, 'f')}, before the subscription began"
                f" {when(sub.subscribed_at, 'f')} (a new, moved or resumed subscription posts"
                " only what comes after)"
            )
        case Reason.RETRACTED:
            assert trace.deleted_at is not None
            detail = f"it was retracted {when(trace.deleted_at, 'R')}, before it was posted here"
        case Reason.BACKFILL:
            detail = "stored from a feed's backlog when the feed was added: never auto-posted"
        case Reason.PAUSED:
            detail = f"{sub.paused_reason} Nothing is posted until a manager edits it."
        case Reason.CAPPED:
            window = standing.window
            assert window is not None
            assert standing.ahead is not None
            detail = (
                f"{window.used} of at most {window.cap} posts in the last 24 hours, "
                f"{standing.ahead} waiting before it; it goes out "
                f"{when(window.turn(standing.ahead), 'R')}"
            )
        case Reason.REFUSED:
            assert record is not None
            then = (
                "it is tried again at the next check, now that it was edited"
                if record.retrying
                else "it is tried again once a publisher edits it"
            )
            detail = f"{record.rejected_reason}; {then}"
        case Reason.SKIPPED:
            detail = (
                "missed while I was down, beyond the catch-up limit, or a post cut short that"
                " could not be retried safely; see `/autopost log`"
            )
        case Reason.SENDING:
            assert record is not None
            detail = f"claimed {when(record.posted_at, 'R')}"
        case Reason.QUEUED:
            detail = (
                f"it goes out at the next check, {when(next_check, 'R')}"
                if next_check is not None and sub.paused_reason is None
                else "it goes out at the next check"
            )
    return f"{head}: {detail}"


def why_text(
    trace: PostTrace, standings: Sequence[Standing], *, next_check: datetime | None
) -> str:
    """Answer `/autopost why` for every subscription given, within one message."""
    title = discord.utils.escape_markdown(truncate(trace.title, TITLE_SHOWN))
    retracted = " (retracted)" if trace.deleted_at is not None else ""
    lines = [f"**Brief #{trace.brief_id}** “{title}”{retracted}:"]
    if not standings:
        lines.append(
            "This server has no auto-post subscription, so nothing is posted here. "
            "Add one with `/autopost add`."
        )
    lines += [explain(trace, standing, next_check=next_check) for standing in standings]
    return fit(lines)


def _link(guild_id: int, record: PostRecord) -> str:
    """Return a link that jumps to the posted message (in its thread, if it is in one)."""
    channel = record.thread_id or record.channel_id
    return f"https://discord.com/channels/{guild_id}/{channel}/{record.message_id}"


def _copy_state(record: PostRecord) -> str:
    """Say what became of a posted copy since, if it is no longer kept right."""
    return {
        "retracted": " (the brief was retracted since: the post says so)",
        "gone": " (the post was deleted since)",
        "unreachable": " (the post is out of my reach since)",
    }.get(record.copy_state or "", "")
