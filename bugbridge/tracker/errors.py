"""Domain errors: what a caller did wrong, in words a user can act on."""


class DomainError(Exception):
    """A refused state change. `field` names the input at fault, when there is one."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403
