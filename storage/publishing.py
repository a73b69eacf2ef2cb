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
from datetime import datetime
from enum import StrEnum

from storage.base import Backend, content_key
from storage.briefs import Briefs
from storage.errors import AlreadyReleasedError, ExternalIdTakenError, ExternalRetractedError
from storage.models import AuditEntry, Brief, BriefContent, utcnow
from storage.writing import Released

log = logging.getLogger("storage")


class Change(StrEnum):
    """What happened to a brief, as announced (and as the NOTIFY payload names it)."""

    PUBLISHED = "published"
    EDITED = "edited"
    RETRACTED = "retracted"
    #: A draft entered review, or moved in it (revised, changes requested, edited, turned
    #: down, withdrawn): its review card follows. An approval is announced as PUBLISHED.
    REVIEWED = "reviewed"


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
#: Tries of an upsert racing other writers of the same external id (a create loses only to
#: a create that committed, an edit only to a retraction, so a few always suffice).
UPSERT_ATTEMPTS = 5


class UpsertOutcome(StrEnum):
    """What an upsert did to the source's brief."""

    CREATED = "created"  # a new brief, published
    CORRECTED = "corrected"  # the published brief's content replaced: its copies follow
    UNCHANGED = "unchanged"  # the same content: nothing written, nothing announced


@dataclass(frozen=True)
class Upsert:
    """The brief a source's upsert left, and what it did."""

    brief: Brief
    outcome: UpsertOutcome


def actor_of(entry: AuditEntry) -> Actor:
    """Return who made an audited change; entries without one were the command line's."""
    if entry.actor_id is not None:
        return User(entry.actor_id)
    if entry.source is not None and entry.source_label is not None:
        return Source(entry.source, entry.source_label)
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


def _label(actor: Actor) -> str | None:
    """Return the label the audit trail keeps for a source other than the known ones."""
    if isinstance(actor, User) or actor.name in SOURCES:
        return None
    return actor.label


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
        """Store one new brief (audited as 'add') and announce it; one whose `release_at` is
        ahead is held until then, announced when `release_due` releases it."""
        actor_id, source = _audited(by)
        brief = await self._briefs.add(
            content, created_by=actor_id, source=source, label=_label(by)
        )
        await self._announce_new(brief)
        return brief

    async def submit(self, content: BriefContent, *, by: Actor) -> Brief:
        """Store one new brief as a draft submitted for review (audited as 'add' and
        'submit'): invisible to members until an editor approves it."""
        actor_id, source = _audited(by)
        brief = await self._briefs.add(
            content, created_by=actor_id, source=source, label=_label(by), review=True
        )
        await self._announce_new(brief)
        return brief

    async def resubmit(self, brief_id: int, *, by: Actor) -> Brief | None:
        """Send a draft back to the editors after its author revised it (audited)."""
        actor_id, source = _audited(by)
        brief = await self._briefs.set_review(
            brief_id, "submitted", action="submit", actor_id=actor_id, source=source
        )
        if brief is not None:
            await self._announcements.announce(Announcement(Change.REVIEWED, brief_id))
        return brief

    async def request_changes(self, brief_id: int, note: str, *, by: Actor) -> Brief | None:
        """Send a draft back to its author with what to change (audited); None if it is no
        longer a draft."""
        actor_id, source = _audited(by)
        brief = await self._briefs.set_review(
            brief_id, "changes", action="request_changes", note=note, actor_id=actor_id,
            source=source,
        )  # fmt: skip
        if brief is not None:
            await self._announcements.announce(Announcement(Change.REVIEWED, brief_id))
        return brief

    async def approve(self, brief_id: int, *, by: User) -> Brief | None:
        """Approve a draft: published now (announced), or held until its release time. None
        if it is no longer a draft: of editors approving at once, one publishes it."""
        brief = await self._briefs.approve(brief_id, actor_id=by.id)
        if brief is not None:
            await self._announcements.announce(Announcement(Change.REVIEWED, brief_id))
            await self._announce_new(brief)
        return brief

    async def reject(self, brief_id: int, *, by: User, reason: str | None = None) -> bool:
        """Turn a draft down (audited, with the reason): never published, nobody saw it."""
        brief = await self._briefs.get(brief_id, held=True)
        if brief is None or brief.review is None:
            return False
        if not await self._briefs.delete(brief_id, actor_id=by.id, reason=reason):
            return False
        await self._announcements.announce(Announcement(Change.REVIEWED, brief_id))
        return True

    async def withdraw(self, brief_id: int, *, by: User) -> bool:
        """Withdraw a draft its author wrote (audited): never published, nobody saw it."""
        if not await self._briefs.withdraw(brief_id, author_id=by.id):
            return False
        await self._announcements.announce(Announcement(Change.REVIEWED, brief_id))
        return True

    async def _announce_new(self, brief: Brief) -> None:
        """Announce a brief just stored or approved: published if visible, in review if a
        draft; a held one is announced when released."""
        if brief.review is not None:
            await self._announcements.announce(Announcement(Change.REVIEWED, brief.id))
        elif brief.release_at is None:
            await self._announcements.announce(Announcement(Change.PUBLISHED, brief.id))

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
            items, created_by=actor_id, source=source, skip_present=skip_present, label=_label(by)
        )
        out = [brief for brief in stored if brief.release_at is None]
        if out and announce:
            await self._announcements.announce(Announcement(Change.PUBLISHED, out[-1].id))
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
        """Replace a brief's content (see `Briefs.update`) and announce the edit, so its
        posted copies follow; None if it is missing or retracted. A held brief stays held:
        its edit is no correction, and nothing is announced."""
        actor_id, source = _audited(by)
        brief = await self._briefs.update(
            brief_id,
            content,
            actor_id=actor_id,
            source=source,
            base=base,
            note=note,
            label=_label(by),
        )
        if brief is not None and brief.review is not None:
            await self._announcements.announce(Announcement(Change.REVIEWED, brief.id))
        elif brief is not None and brief.release_at is None:
            await self._announcements.announce(Announcement(Change.EDITED, brief.id))
        return brief

    async def schedule(self, brief_id: int, release_at: datetime, *, by: Actor) -> Brief | None:
        """Hold a held brief until another time (audited); one not after now is released at
        once. None if the brief is not held (released meanwhile, retracted, or never held)."""
        actor_id, source = _audited(by)
        brief = await self._briefs.reschedule(
            brief_id, release_at, actor_id=actor_id, source=source, label=_label(by)
        )
        if brief is not None and release_at <= utcnow():
            await self.release(brief_id, by=by)
            return await self._briefs.get(brief_id, held=True)
        return brief

    async def release(self, brief_id: int, *, by: Actor) -> bool:
        """Release a held brief now, whatever its time (audited by `by`), and announce it;
        False if it is not held (released meanwhile, retracted, or never held)."""
        actor_id, source = _audited(by)
        released = await self._briefs.release_due(
            only=brief_id, actor_id=actor_id, source=source, label=_label(by)
        )
        await self._announce_released(released)
        return bool(released)

    async def release_due(self, *, now: datetime | None = None) -> list[Released]:
        """Release the held briefs due by `now` (see `Briefs.release_due`: each once, however
        many processes ask), announce them as published, and return them."""
        released = await self._briefs.release_due(now=now)
        await self._announce_released(released)
        return released

    async def _announce_released(self, released: list[Released]) -> None:
        if released:  # one announcement wakes auto-posting for the whole batch
            newest = max(item.brief_id for item in released)
            await self._announcements.announce(Announcement(Change.PUBLISHED, newest))

    async def retract(self, brief_id: int, *, by: Actor, reason: str | None = None) -> bool:
        """Retract a live brief (see `Briefs.delete`) and announce it; False if absent."""
        actor_id, source = _audited(by)
        deleted = await self._briefs.delete(
            brief_id, actor_id=actor_id, source=source, reason=reason, label=_label(by)
        )
        if not deleted:
            return False
        await self._announcements.announce(Announcement(Change.RETRACTED, brief_id))
        return True

    async def upsert(
        self,
        source: Source,
        external_id: str,
        content: BriefContent,
        *,
        correction: str | None = None,
        backfill: bool = False,
    ) -> Upsert:
        """Publish the content a source knows by `external_id`, or correct the brief it already
        is (its copies follow, with the `correction` note); the same content changes nothing.

        Concurrent upserts of one external id leave one brief: a create that finds the id
        taken tries again as an edit. Edits of one id apply in the order they commit (the
        last one stays: a source sends its newest version last). A created brief is
        `backfill` (a feed's backlog when it was added: never auto-posted) if asked; a
        correction never changes that. Raises ExternalRetractedError if the source retracted
        that brief.

        A `release_at` ahead holds a created brief until then; a held brief follows what the
        source sends (a new time reschedules it, none or one passed releases it now); a
        brief already out is never held again: AlreadyReleasedError.
        """
        key = content_key(content)
        for _ in range(UPSERT_ATTEMPTS):
            existing = await self._briefs.by_external(source.name, external_id)
            if existing is None:
                try:
                    brief = await self._briefs.add(
                        content,
                        source=source.name,
                        label=_label(source),
                        external_id=external_id,
                        backfill=backfill,
                    )
                except ExternalIdTakenError:
                    continue
                await self._announce_new(brief)
                return Upsert(brief, UpsertOutcome.CREATED)
            if existing.retracted_at is not None:
                raise ExternalRetractedError(existing.id)
            if existing.review is not None:
                return await self._upsert_draft(source, existing, content, key)
            if existing.release_at is not None:
                held = await self._upsert_held(source, existing, content, key)
                if held is not None:
                    return held
                continue
            if content.release_at is not None and content.release_at > utcnow():
                raise AlreadyReleasedError(existing.id)
            if content_key(existing) == key:
                return Upsert(existing, UpsertOutcome.UNCHANGED)
            corrected = await self.correct(existing.id, content, by=source, note=correction)
            if corrected is not None:
                return Upsert(corrected, UpsertOutcome.CORRECTED)
        raise RuntimeError(f"{source.name}/{external_id} kept changing; nothing more was tried")

    async def _upsert_draft(
        self, source: Source, existing: Brief, content: BriefContent, key: str
    ) -> Upsert:
        """Bring a draft in review to what the source now sends: its content and release
        time, quietly (nobody saw it); it stays in review."""
        if content_key(existing) == key and content.release_at == existing.release_at:
            return Upsert(existing, UpsertOutcome.UNCHANGED)
        if content_key(existing) != key:
            await self.correct(existing.id, content, by=source)
        if content.release_at != existing.release_at:
            await self._briefs.hold_draft(existing.id, content.release_at)
        now = await self._briefs.get(existing.id, held=True)
        return Upsert(now or existing, UpsertOutcome.CORRECTED)

    async def _upsert_held(
        self, source: Source, existing: Brief, content: BriefContent, key: str
    ) -> Upsert | None:
        """Bring a held brief to what the source now sends: its content (no correction:
        nobody saw it), and its release time (none, or one passed: released now). None if
        it was released or retracted meanwhile (the upsert tries again)."""
        due = content.release_at
        release_now = due is None or due <= utcnow()
        if content_key(existing) == key and due == existing.release_at:
            return Upsert(existing, UpsertOutcome.UNCHANGED)
        brief: Brief | None = existing
        if content_key(existing) != key:
            brief = await self.correct(existing.id, content, by=source)
        if brief is not None and due is not None and not release_now and due != brief.release_at:
            brief = await self.schedule(existing.id, due, by=source)
        if brief is not None and release_now and not await self.release(existing.id, by=source):
            brief = None
        if brief is None:
            return None
        now = await self._briefs.get(existing.id, held=True)
        return None if now is None else Upsert(now, UpsertOutcome.CORRECTED)

    async def retract_external(
        self, source: Source, external_id: str, reason: str | None = None
    ) -> Brief | None:
        """Retract the brief a source knows by `external_id` (every posted copy says so);
        return it as it now is (already retracted: unchanged), or None if there is none."""
        existing = await self._briefs.by_external(source.name, external_id)
        if existing is None:
            return None
        if existing.retracted_at is None:
            await self.retract(existing.id, by=source, reason=reason)
        return await self._briefs.by_external(source.name, external_id)
