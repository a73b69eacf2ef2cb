"""What auto-posting says: `/autopost status`, `list` and `log`, the pause notice's hint, and
the shape of a refused payload for the log. Each message fits Discord's limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.cogs.autopost._policy import CapWindow
from bot.limits import MESSAGE_CONTENT
from storage.delivery_log import Event
from storage.models import DeliveryEvent, RejectedPost, Subscription
from storage.topics import Match

RESUME_HINT = (
    "Someone with Manage Server can fix this, then run `/autopost channel` again "
    "(or `/autopost edit` for that subscription)."
)


#: Topics a one-line overview names before "+N more" (25 lines must fit one embed).
OVERVIEW_TOPICS = 2


def describe_subscription(subscription: Subscription, *, short: bool = False) -> str:
    """Describe what a subscription posts where, in one line (Discord markdown); `short`
    names only the first topics, for a list of up to 25."""
    parts = [f"**#{subscription.id}** → <#{subscription.channel_id}>"]
    if subscription.topics:
        words = {Match.ANY: "any of", Match.ALL: "all of", Match.NONE: "none of"}
        shown = subscription.topics[:OVERVIEW_TOPICS] if short else subscription.topics
        topics = ", ".join(f"`{topic}`" for topic in shown)
        if len(shown) < len(subscription.topics):
            topics += f" +{len(subscription.topics) - len(shown)} more"
        parts.append(f"topics {words[subscription.match]} {topics}")
    else:
        parts.append("every brief")
    if subscription.mention_role_id:
        parts.append(f"mentions <@&{subscription.mention_role_id}>")
    if subscription.silent:
        parts.append("silent")
    if subscription.thread:
        parts.append("a thread per post")
    if subscription.daily_cap:
        parts.append(f"at most {subscription.daily_cap} a day")
    if subscription.crosspost:
        parts.append("published to followers")
    if subscription.paused_reason:
        parts.append("**paused**")
    return " · ".join(parts)


def payload_shape(content: str | None, embed: discord.Embed, view: discord.ui.View) -> str:
    """Describe a message's sizes, not its text, for the log of a post Discord refused."""
    data = embed.to_dict()
    sizes = {
        "content": len(content or ""),
        "title": len(data.get("title", "")),
        "description": len(data.get("description", "")),
        "url": len(data.get("url", "")),
        "image_url": len(data.get("image", {}).get("url", "")),
        "fields": len(data.get("fields", [])),
        "embed_chars": len(embed),
    }
    parts = [f"{name}={size}" for name, size in sizes.items()]
    for row in view.to_components():
        for item in row.get("components", []):
            if "url" in item:
                parts.append(f"link_button_url={len(item['url'])}")
            if "custom_id" in item:
                parts.append(f"custom_id={len(item['custom_id'])}")
    return " ".join(parts)


#: Longest line of a status, list or log message (a long error or many topics is cut).
LINE_MAX = 400


def fit(lines: Sequence[str], *, limit: int = MESSAGE_CONTENT) -> str:
    """Join lines into one message within Discord's limit: each line cut to LINE_MAX, and
    the lines that do not fit left out, saying how many."""
    cut = [line if len(line) <= LINE_MAX else line[: LINE_MAX - 1] + "…" for line in lines]
    kept: list[str] = []
    used = 0
    for index, line in enumerate(cut):
        left = len(cut) - index
        note = f"… and {left - 1} more" if left > 1 else ""
        room = limit - used - (len(line) + 1) - (len(note) + 1 if note else 0)
        if room < 0:
            kept.append(f"… and {left} more")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def status_text(
    subscription: Subscription | None,
    *,
    pending: int,
    next_check: datetime | None,
    rejected: Sequence[RejectedPost] = (),
    behind: int = 0,
    window: CapWindow | None = None,
) -> str:
    """Describe one subscription's setup and health for `/autopost status` (`window`: where a
    capped one stands against its daily cap)."""
    if subscription is None:
        return (
            "Auto-posting is **off**. Turn it on with `/autopost channel` (every brief) or "
            "`/autopost add` (by topic)."
        )
    where = f"<#{subscription.channel_id}>"
    lines: list[str] = [describe_subscription(subscription)]
    if subscription.paused_reason is not None:
        lines.append(f"Auto-posting to {where} is **paused**.")
        lines.append(f"**Problem:** {subscription.paused_reason}")
        lines.append(RESUME_HINT)
    else:
        lines.append(f"Auto-posting to {where} is **on**.")
    if subscription.crosspost:
        lines.append("Posts are published to following servers.")
    role = f"<@&{subscription.mention_role_id}>" if subscription.mention_role_id else "nobody"
    lines.append(f"**Mentions:** {role}")
    last = subscription.last_post_at
    lines.append(f"**Last post:** {discord.utils.format_dt(last, 'R') if last else 'never'}")
    if subscription.paused_reason is None and next_check is not None:
        lines.append(f"**Next check:** {discord.utils.format_dt(next_check, 'R')}")
    lines.append(f"**Waiting to post:** {pending}")
    if window is not None:
        lines.append(f"**Last 24 hours:** {window.used} of at most {window.cap} posts")
        waiting = pending - window.room
        if waiting > 0:
            lines.append(
                f"**Waiting for the daily cap:** {waiting}, the next from "
                f"{discord.utils.format_dt(window.turn(window.room), 'R')}, the last by "
                f"{discord.utils.format_dt(window.turn(pending - 1), 'f')}"
            )
    if behind:
        lines.append(f"**Posts being updated to a corrected version:** {behind}")
    if subscription.paused_reason is None and subscription.last_error:
        lines.append(f"**Last problem:** {subscription.last_error}")
    for post in rejected:
        # Only what will happen: an edit earns another try, never a promise that it posts.
        then = (
            "it is tried again now that it was edited"
            if post.retrying
            else "it is tried again once a publisher edits it"
        )
        lines.append(
            f"**Refused by Discord:** brief #{post.brief_id}, "
            f"{discord.utils.format_dt(post.at, 'R')}: {post.reason}; {then}."
        )
    return fit(lines)


def overview_text(subscriptions: Sequence[Subscription], pending: Sequence[int]) -> str:
    """Describe several subscriptions, one line each (`/autopost list`, and `status` of a
    server with several): what each posts where, paused or on, and what waits."""
    if not subscriptions:
        return status_text(None, pending=0, next_check=None)
    lines = [f"This server has {len(subscriptions)} auto-post subscription(s):"]
    for subscription, waiting in zip(subscriptions, pending, strict=True):
        state = f" · {waiting} waiting" if waiting else ""
        lines.append(f"- {describe_subscription(subscription, short=True)}{state}")
    hint = "`/autopost status subscription:<n>` shows one in full; `/autopost edit` changes one."
    return fit(lines, limit=MESSAGE_CONTENT - len(hint) - 1) + "\n" + hint


#: How each delivery event reads in `/autopost log`.
EVENT_WORDS: dict[str, str] = {
    Event.SENT: "posted",
    Event.UPDATED: "updated after an edit",
    Event.RETRACTED: "replaced by a retraction notice",
    Event.GONE: "copy deleted in Discord; no longer updated",
    Event.UNREACHABLE: "copy out of reach; no longer updated",
    Event.FAILED: "failed",
    Event.REJECTED: "refused by Discord",
    Event.SKIPPED: "skipped (backlog beyond the catch-up cap)",
    Event.GAVE_UP: "given up (unsure whether it was posted)",
    Event.CROSSPOSTED: "published to following servers",
    Event.TEST: "posted by /autopost test",
    Event.PAUSED: "auto-posting paused",
}


def log_text(events: Sequence[DeliveryEvent]) -> str:
    """Describe a server's latest deliveries, updates and failures for `/autopost log`."""
    if not events:
        return "Nothing has been delivered here yet."
    lines = ["**Latest deliveries, newest first:**"]
    for event in events:
        brief = f"brief #{event.brief_id} " if event.brief_id is not None else ""
        detail = f": {event.detail}" if event.detail else ""
        words = EVENT_WORDS.get(event.event, event.event)
        lines.append(f"{discord.utils.format_dt(event.at, 'R')} · {brief}{words}{detail}")
    return fit(lines)
