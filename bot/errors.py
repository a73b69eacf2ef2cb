"""Expected failures: exceptions whose message is safe and useful to show a user.

They are refusals (not found, no permission, bad input). An ordinary empty result (no briefs
yet, nothing matches, nothing to post) is an answer, sent as one: it is not a failure.
"""


class UserFacingError(Exception):
    """A failure the user caused or can fix; its message is shown to them ephemerally."""


class NotFoundError(UserFacingError):
    """A brief (or other record) the user asked for does not exist or was removed."""


class PermissionDeniedError(UserFacingError):
    """The user may not perform this action."""
