"""What can go wrong in storage, each with a message fit to show the person who caused it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


class DatabaseUrlError(ValueError):
    """A database URL names no backend we have, or no database."""


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be opened: unreachable, refused, or not a database; says which."""


class LibraryUnreachableError(DatabaseUnavailableError):
    """An open database stopped answering: no reply in time, or the connection dropped.

    `stored` says what became of the writes asked for: False when none was committed; None
    when a commit was sent but never confirmed, so whoever retries must check first.
    """

    def __init__(self, reason: str, *, stored: bool | None = False) -> None:
        self.reason = reason
        self.stored = stored
        super().__init__(f"the library cannot be reached: {reason}")


class DatabaseMissingError(DatabaseUnavailableError):
    """The SQLite file does not exist, and this command may not create one."""


class MigrationError(RuntimeError):
    """The migration files or the database's schema version are not usable."""


class NotALibraryError(MigrationError):
    """The database holds another program's tables: it is refused, and left as it was."""


class TransferError(Exception):
    """A whole-library copy cannot start or did not verify; the target is left as it was."""


class DuplicateIdError(Exception):
    """An imported brief carries an id that is already taken (or repeated in the batch)."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.ids = sorted(set(ids))
        shown = ", ".join(f"#{i}" for i in self.ids[:10])
        more = f" and {len(self.ids) - 10} more" if len(self.ids) > 10 else ""
        super().__init__(f"brief ids already in use: {shown}{more}")


class ExternalIdTakenError(Exception):
    """A source already has a brief by the external id a new one was to take."""

    def __init__(self, brief_id: int) -> None:
        self.brief_id = brief_id
        super().__init__(f"the external id is already brief #{brief_id}'s")


class ExternalRetractedError(Exception):
    """A source pushed content under the external id of a brief it retracted: a retraction
    is final, so the push is refused (the source should use a new external id)."""

    def __init__(self, brief_id: int) -> None:
        self.brief_id = brief_id
        super().__init__(f"brief #{brief_id} under this external id was retracted")


class AlreadyReleasedError(Exception):
    """A release time given for a brief that is already out: what members saw cannot be
    held again (retract it instead)."""

    def __init__(self, brief_id: int) -> None:
        self.brief_id = brief_id
        super().__init__(f"brief #{brief_id} is already released; it cannot be held again")


class SourceNameError(ValueError):
    """A source name that is not one (or is reserved)."""


class SourceExistsError(ValueError):
    """A source is added under a name already taken."""


class FeedExistsError(ValueError):
    """A feed is added with a URL another feed already has (`feed` names that one)."""

    def __init__(self, feed: str) -> None:
        self.feed = feed
        super().__init__(f"the feed {feed!r} already has this URL")


class UnknownSourceError(LookupError):
    """A source is named that does not exist."""


class StaleEditError(Exception):
    """An edit was based on an older version of the brief than the stored one."""

    def __init__(
        self,
        brief_id: int,
        *,
        changed_by: int | None,
        changed_at: datetime | None,
        changed_via: str | None = None,
    ) -> None:
        self.brief_id = brief_id
        self.changed_by = changed_by
        self.changed_at = changed_at
        #: The named source that changed it, when no Discord user did.
        self.changed_via = changed_via
        super().__init__(f"brief #{brief_id} changed since the edit began")


class SubscriptionLimitError(ValueError):
    """A guild already has the most subscriptions it may have."""


class AmbiguousSubscriptionError(ValueError):
    """A change meant for "the" subscription of a guild that has several."""
