"""What became of one attempt to post: the outcome a send error means, how the error reads,
and the nonce that makes a retried send never post twice."""

from __future__ import annotations

import enum
import hashlib
from datetime import timedelta

import aiohttp
import discord

from bot.cogs.autopost._forums import TAG_REQUIRED

#: A claim whose message was not recorded this long after its last attempt belonged to a
#: process that died: it is tried again (a live send never takes this long).
RETRY_UNSENT_AFTER = timedelta(seconds=60)
#: How long Discord remembers a nonce ("the past few minutes"), with a margin: past this, an
#: unsent claim is given up rather than risk a duplicate post.
NONCE_WINDOW = timedelta(minutes=4)


class Outcome(enum.Enum):
    """What happened to one brief for one server, and so what the claim and server do next."""

    #: Posted; the message id is recorded.
    SENT = "sent"
    #: Not ours to post: already claimed elsewhere, or removed meanwhile.
    PASSED = "passed"
    #: Temporary failure: the claim was given back; try again on a later pass.
    RETRY = "retry"
    #: The channel is gone or closed to the bot: the server is paused until an admin acts.
    PAUSE = "pause"
    #: Discord rejected this one message: the claim is kept, with the reason, until an edit.
    DROP = "drop"


def post_nonce(channel_id: int, brief_id: int) -> str:
    """Return the nonce every attempt to post this brief to this channel sends.

    Discord answers a send whose nonce it saw in the past few minutes with the first message
    instead of a second one (discord.py sets `enforce_nonce`), so a retry after a crash
    between send and record never posts twice. At most 25 characters.
    """
    digest = hashlib.sha256(f"briefbot:{channel_id}:{brief_id}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big"))


def classify(error: BaseException) -> Outcome | None:
    """Say how to treat a send error, or None when it is not a Discord/network failure."""
    if isinstance(error, discord.RateLimited):
        return Outcome.RETRY
    if isinstance(error, discord.Forbidden | discord.NotFound):
        return Outcome.PAUSE
    if isinstance(error, discord.HTTPException):
        return Outcome.RETRY if error.status >= 500 or error.status == 429 else Outcome.DROP
    if isinstance(error, aiohttp.ClientError | OSError):
        return Outcome.RETRY
    return None


def describe(error: BaseException) -> str:
    """Summarise an error for logs and status: HTTP status and Discord's text when there is one."""
    if isinstance(error, discord.HTTPException):
        text = error.text or error.response.reason or "no detail"
        return f"HTTP {error.status}: {text}"
    return type(error).__name__


def tag_refused(error: BaseException) -> bool:
    """Say whether Discord refused a forum post for want of a tag: every post would be."""
    return isinstance(error, discord.HTTPException) and error.code == TAG_REQUIRED
