"""Publishing: the one way a brief is published, corrected or retracted, whoever asks.

Every entry point (the Discord form and file, the CLI import, and the coming API and feeds)
calls `Publisher`: the repository validates and stores in one transaction with its audit
entry naming the actor, and only after the commit is the change announced. Features react
to `Announcements`, never to a caller: in-process on SQLite, by NOTIFY to every process
(this one included) on PostgreSQL, so one publish wakes each listener exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from storage.base import Backend
from storage.briefs import Briefs
from storage.models import AuditEntry, Brief, BriefContent

log = logging.getLogger("storage")


class Change(StrEnum):
    """What happened to a brief, as announced (and as the NOTIFY payload names it)."""

    PUBLISHED = "published"
    EDITED = "edited"
    RETRACTED = "retracted"


@dataclass(frozen=True)
class Announcement:
    """One committed change: for a batch, the newest brief it stored."""

    change: Change
    brief_id: int


@dataclass(frozen=True)
class User:
    """A Discord user acting through the bot (audited by id, shown as a mention)."""

    id: int


@dataclass(frozen=True)
class Source:
    """A named source of briefs that is not a Discord user: `name` is what the audit trail
    keeps, `label` what `/brief history` shows."""

    name: str
    label: str


#: Who publishes, corrects or retracts a brief.
Actor = User | Source
#: `python -m bot import` (and every entry audited before sources were named).
CLI = Source("cli", "the command line")
#: Sources by the name the audit trail keeps; a new entry point adds its own here.
SOURCES = {source.name: source for source in (CLI,)}
#: Called once per announcement; must not block (start the work, don't do it here).
Subscriber = Callable[[Announcement], None]


def actor_of(entry: AuditEntry) -> Actor:
    """Return who made an audited change; entries without one were the command line's."""
    if entry.actor_id is not None:
        return User(entry.actor_id)
    return source_named(entry.source)


def source_named(name: str | None) -> Source:
    """Return the source the audit trail names (None: the command line); one this code does
    not know is shown by its name."""
    if name is None:
        return CLI
    return SOURCES.get(name, Source(name, name))


def _audited(actor: Actor) -> tuple[int | None, str | None]:
    """Return the audit trail's (actor_id, source) for an actor."""
    if isinstance(actor, User):
        return actor.id, None
    return None, actor.name


class Announcements:
    """Tells subscribers of every committed change, from this process or (PostgreSQL) any."""

    def __init__(self, db: Backend) -> None:
        self._db = db
        self._subscribers: list[Subscriber] = []

    async def subscribe(self, subscriber: Subscriber) -> bool:
        """Have `subscriber` called after each committed change; return True when other
        processes' changes are heard too (PostgreSQL). Calling it again is harmless and
        re-establishes a dropped listener."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return await self._db.listen(self._heard)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop calling `subscriber` (nothing if it was not subscribed)."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    async def announce(self, announcement: Announcement) -> None:
        """After a commit: tell every process (PostgreSQL; its NOTIFY comes back here too),
        or this one's subscribers. Never raises: the change is committed whatever happens."""
        try:
            if await self._db.announce(announcement.change, announcement.brief_id):
                return
        except Exception as error:  # the sweep finds what went unheard elsewhere
            log.warning(
                "could not announce a change to other processes",
                extra={"brief": announcement.brief_id, "error": f"{type(error).__name__}"},
            )
        self._deliver(announcement)

    def _heard(self, change: str, brief_id: int) -> None:
        self._deliver(Announcement(Change(change), brief_id))

    def _deliver(self, announcement: Announcement) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(announcement)
            except Exception:
                log.exception("a subscriber failed", extra={"brief": announcement.brief_id})


class Publisher:
    """Publish, correct and retract briefs: store with the actor audited, then announce."""

    def __init__(self, briefs: Briefs, announcements: Announcements) -> None:
        self._briefs = briefs
        self._announcements = announcements

    async def publish(self, content: BriefContent, *, by: Actor) -> Brief:
        """Store one new brief (audited as 'add') and announce it."""
        actor_id, source = _audited(by)
        brief = await self._briefs.add(content, created_by=actor_id, source=source)
        await self._announcements.announce(Announcement(Change.PUBLISHED, brief.id))
        return brief

    async def publish_many(
        self,
        items: Sequence[BriefContent],
        *,
        by: Actor,
        skip_present: bool = False,
        announce: bool = True,
    ) -> list[Brief]:
        """Store a batch all or nothing (audited as 'import'; see `Briefs.add_many`) and,
        unless `announce` is False, announce its newest brief once."""
        actor_id, source = _audited(by)
        stored = await self._briefs.add_many(
            items, created_by=actor_id, source=source, skip_present=skip_present
        )
        if stored and announce:
            await self._announcements.announce(Announcement(Change.PUBLISHED, stored[-1].id))
        return stored

    async def correct(
        self,
        brief_id: int,
        content: BriefContent,
        *,
        by: Actor,
        base: Brief | None = None,
        note: str | None = None,
    ) -> Brief | None:
        """Replace a live brief's content (see `Briefs.update`) and announce the edit, so its
        posted copies follow; None if it is missing or retracted."""
        actor_id, source = _audited(by)
        brief = await self._briefs.update(
            brief_id, content, actor_id=actor_id, source=source, base=base, note=note
        )
        if brief is not None:
            await self._announcements.announce(Announcement(Change.EDITED, brief.id))
        return brief

    async def retract(self, brief_id: int, *, by: Actor, reason: str | None = None) -> bool:
        """Retract a live brief (see `Briefs.delete`) and announce it; False if absent."""
        actor_id, source = _audited(by)
        if not await self._briefs.delete(brief_id, actor_id=actor_id, source=source, reason=reason):
            return False
        await self._announcements.announce(Announcement(Change.RETRACTED, brief_id))
        return True
