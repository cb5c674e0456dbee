"""Dependencies, named once and reused by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from sqlmodel import Session

from app.config import Settings
from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.models import ApiKey
from app.rate_limit import retry_after_header
from app.services import keys
from app.services.analysis import Analyzer
from app.writer import GroupWriter


# Dependencies that only read app state are `async def`: FastAPI runs a plain `def` dependency
# in the thread pool, a hand-off that costs more than the work.


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request; it connects only when first used (many requests never do)."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_analyzer(request: Request) -> Analyzer:
    return request.app.state.analyzer


async def get_writer(request: Request) -> GroupWriter:
    return request.app.state.writer


SessionDep = Annotated[Session, Depends(get_session)]
# database row ids: 32-bit integers on every backend, so a larger number is a clear 422, not a driver error
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AnalyzerDep = Annotated[Analyzer, Depends(get_analyzer)]
WriterDep = Annotated[GroupWriter, Depends(get_writer)]

_bearer = HTTPBearer(auto_error=False, description="An API key from `triage keys create`")


def enforce_rate_limit(request: Request, client: str) -> None:
    """429 with Retry-After when `client` (a key or a gateway) is over its rate."""
    wait = request.app.state.rate_limiter.acquire(client)
    if wait > 0:
        raise TooManyRequests(
            f"too many requests for {client}: at most {request.app.state.settings.rate_limit_per_minute:g} a minute; "
            "retry after the Retry-After seconds",
            headers={"Retry-After": retry_after_header(wait)},
        )


def require_role(*roles: str) -> Callable[..., ApiKey]:
    """A dependency that admits a valid API key holding one of `roles` (admin holds all), within
    its rate limit."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        if credentials is None or not credentials.credentials:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        cache = request.app.state.key_cache
        known = cache.get(keys.digest(credentials.credentials))
        if known is not None:  # checked within the last few seconds: no database round trip
            key = known or None
        else:
            key = await run_in_threadpool(_look_up, request, credentials.credentials)
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        if not keys.allows(key.role, roles):
            raise Forbidden(f"this key has role '{key.role}'; this needs {' or '.join(roles)}")
        enforce_rate_limit(request, f"key {key.name}")
        return key

    return dependency


def _look_up(request: Request, key: str) -> ApiKey | None:
    # its own short session: most requests find their key in the cache and need no session at all
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        return keys.authenticate(session=session, key=key, cache=request.app.state.key_cache)


IngestKey = Annotated[ApiKey, Depends(require_role("ingest"))]
ReaderKey = Annotated[ApiKey, Depends(require_role("ingest", "agent"))]
AgentKey = Annotated[ApiKey, Depends(require_role("agent"))]
