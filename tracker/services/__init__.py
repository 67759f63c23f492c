"""Use cases: domain logic called by routes, the CLI and scheduled jobs alike."""


class DomainError(Exception):
    """A rule the user broke; the message is shown to them as it is."""


class PermissionDenied(DomainError):
    """The acting user may not do this."""


class ConflictError(DomainError):
    """Someone else changed the object since the user loaded it."""
