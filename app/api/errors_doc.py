"""How errors look in the OpenAPI schema: every error body is {"error": "...", "fields": [...]?},
and each router documents the statuses its routes can really answer with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    error: str
    fields: list[FieldError] | None = None


_WHY = {
    400: "Malformed request (bad JSON, bad Content-Length)",
    401: "Missing, unknown or revoked credentials",
    403: "The key's role does not allow this",
    404: "No such resource",
    406: "Not a usable message (stops Mailgun's retries)",
    409: "Conflicts with the resource's state",
    413: "Body over the size limit",
    422: "A field is missing or invalid",
    429: "Over the rate limit for this key; see Retry-After",
    503: "The database is unavailable (or the endpoint is not configured); see Retry-After",
}

# what any authenticated JSON route may answer besides its success
COMMON = (400, 401, 403, 413, 422, 429, 503)


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these status codes, all with the ErrorOut body; `descriptions` (keyed
    "e404" and so on) replace the default text of a code."""
    return {code: {"model": ErrorOut, "description": descriptions.get(f"e{code}", _WHY[code])} for code in codes}
