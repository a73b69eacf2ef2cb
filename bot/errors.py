"""Expected failures: exceptions whose message is safe and useful to show a user."""


class UserFacingError(Exception):
    """A failure the user caused or can fix; its message is shown to them ephemerally."""


class NotFoundError(UserFacingError):
    """A brief (or other record) the user asked for does not exist or was removed."""


class PermissionDeniedError(UserFacingError):
    """The user may not perform this action."""
