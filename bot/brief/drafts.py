"""Unpublished briefs waiting behind a preview: in memory, keyed by a random token, short-lived.

A restart forgets them on purpose; the buttons then answer that the preview expired.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.brief.parsing import BriefParseError
from bot.errors import UserFacingError
from storage.models import Brief, BriefContent

#: How long a preview's buttons keep working.
DRAFT_TTL_SECONDS = 15 * 60
#: Token length in hex characters; also what the components' custom_id patterns accept.
TOKEN_HEX = 16
#: How long a form submission's id is remembered as answered by its live form.
RECEIPT_SECONDS = 60.0

STORING = "This brief is being stored right now: its preview will say when it's done."
EXPIRED = (
    "This preview expired (previews last 15 minutes and do not survive a restart). "
    "Nothing was stored: run `/brief add` (or `/brief edit`) again."
)


@dataclass(frozen=True)
class Draft:
    """A parsed brief a publisher is previewing: new (base None) or an edit of `base`.

    `base` is the brief as it was when the edit began: saving is refused if it changed since.
    """

    owner_id: int
    content: BriefContent
    base: Brief | None = None
    #: The correction note an edit will carry (shown with the brief once saved).
    note: str | None = None
    #: When a store whose commit the database never confirmed began: it may have been
    #: stored, so the next press checks before storing it again.
    unconfirmed: datetime | None = None
    #: Written by a contributor: its button submits it for review instead of publishing.
    for_review: bool = False

    @property
    def brief_id(self) -> int | None:
        """Return the id of the brief this draft edits (None for a new brief)."""
        return None if self.base is None else self.base.id

    @property
    def is_edit(self) -> bool:
        """Return whether saving this draft replaces an existing brief."""
        return self.base is not None


class FormReceipts:
    """Which form submissions a live form took, so the others can be answered as expired.

    discord.py hands a submission to its form (if the form still lives) before it dispatches
    the interaction to listeners, and the form marks it first thing; a submission left
    unmarked came from a form that timed out or did not survive a restart.
    """

    def __init__(self, keep: float = RECEIPT_SECONDS) -> None:
        self._keep = keep
        self._taken: set[int] = set()

    def take(self, interaction_id: int) -> None:
        """Mark a submission as taken by its live form."""
        self._taken.add(interaction_id)
        asyncio.get_running_loop().call_later(self._keep, self._taken.discard, interaction_id)

    def taken(self, interaction_id: int) -> bool:
        """Say whether a live form took this submission."""
        return interaction_id in self._taken


class DraftStore:
    """Drafts by token, each forgotten after `ttl` seconds (on the event loop's clock)."""

    def __init__(self, ttl: float = DRAFT_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._drafts: dict[str, Draft] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._storing: set[str] = set()
        #: Submissions of the add/edit forms that a live form answered.
        self.forms = FormReceipts()

    def __len__(self) -> int:
        return len(self._drafts)

    def put(self, draft: Draft, token: str | None = None) -> str:
        """Keep a draft (under a fresh token unless one is given) and restart its expiry clock."""
        token = token or secrets.token_hex(TOKEN_HEX // 2)
        self._cancel_timer(token)
        self._drafts[token] = draft
        loop = asyncio.get_running_loop()
        self._timers[token] = loop.call_later(self.ttl, self._expire, token)
        return token

    def get(self, token: str) -> Draft | None:
        """Return the draft, or None when it expired, was used, or never existed."""
        return self._drafts.get(token)

    def pop(self, token: str) -> Draft | None:
        """Remove and return the draft, so two clicks cannot both publish it."""
        self._cancel_timer(token)
        return self._drafts.pop(token, None)

    @contextmanager
    def storing(self, token: str) -> Iterator[None]:
        """Mark a draft as being stored: it stays (until the caller pops it, once the store is
        confirmed), and another press meanwhile gets STORING instead of storing it twice."""
        if token in self._storing:
            raise UserFacingError(STORING)
        self._storing.add(token)
        try:
            yield
        finally:
            self._storing.discard(token)

    def clear(self) -> None:
        """Forget every draft and stop their timers (when the bot closes)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._drafts.clear()

    def _expire(self, token: str) -> None:
        self._timers.pop(token, None)
        self._drafts.pop(token, None)

    def _cancel_timer(self, token: str) -> None:
        timer = self._timers.pop(token, None)
        if timer is not None:
            timer.cancel()


def carry_hidden(source: BriefContent, content: BriefContent) -> BriefContent:
    """Keep the fields the form does not show (the publication date, the release time) from
    the source."""
    return content.model_copy(
        update={"published_at": source.published_at, "release_at": source.release_at}
    )


def merge_upload(original: Brief, upload: BriefContent) -> BriefContent:
    """Let a replacement file change what it states and keep what it leaves out.

    A text brief cannot state links or a publication date, so those stay as they were; its
    topics change only with a topics line (an empty one removes them), JSON's with `topics`.
    Its release time is the brief's: `/brief schedule` moves it, an edit never does (a file
    stating another is refused, BriefParseError, rather than silently kept).
    """
    kept = {
        name: getattr(original, name)
        for name in ("source_url", "image_url", "published_at")
        if getattr(upload, name) is None
    }
    if "topics" not in upload.model_fields_set:
        kept["topics"] = original.topics
    stated = upload.release_at if "release_at" in upload.model_fields_set else None
    if stated is not None and stated != original.release_at:
        raise BriefParseError(
            "the file's RELEASE line gives another release time; an edit keeps the brief's"
            " (remove the line, or keep it as it was), and `/brief schedule` moves it"
        )
    kept["release_at"] = original.release_at
    return upload.model_copy(update=kept)
