"""Domain exceptions. Services raise them; the web layer maps each to one HTTP status and the
CLI to exit code 2, always with the message, so a user learns exactly what was wrong."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
