"""Domain errors carry their HTTP status; one handler renders them as JSON."""

from __future__ import annotations


class TriageError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if headers is not None:
            self.headers = headers


class BadRequest(TriageError):
    status_code = 400


class Unauthorized(TriageError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(TriageError):
    status_code = 403


class NotFound(TriageError):
    status_code = 404


class Conflict(TriageError):
    status_code = 409


class PayloadTooLarge(TriageError):
    status_code = 413


class ServiceUnavailable(TriageError):
    status_code = 503
    headers = {"Retry-After": "5"}


class TooManyRequests(TriageError):
    status_code = 429
