"""Who is using the console: session cookie, roles, and CSRF tokens on every form."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.deps import SessionDep
from app.models import ConsoleSession, User
from app.services import console_sessions

SESSION_COOKIE = "triage_session"
LOGIN_CSRF_COOKIE = "triage_login_csrf"


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


class RoleRequired(Exception):
    def __init__(self, user: User, roles: tuple[str, ...]) -> None:
        super().__init__(f"{user.role} cannot open this page")
        self.user = user
        self.roles = roles


class CsrfRejected(Exception):
    """A form arrived without the token of the session that rendered it."""


@dataclass
class Viewer:
    user: User
    session: ConsoleSession

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def csrf(self) -> str:
        return self.session.csrf_token

    def can(self, *roles: str) -> bool:
        return self.user.role == "admin" or self.user.role in roles


def current_viewer(request: Request, session: SessionDep) -> Viewer:
    found = console_sessions.lookup(session=session, token=request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired()
    row, user = found
    return Viewer(user=user, session=row)


def require(*roles: str):
    """A dependency admitting a logged-in user with one of `roles` (admin may do everything)."""

    def dependency(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
        if not viewer.can(*roles):
            raise RoleRequired(viewer.user, roles)
        return viewer

    return dependency


def check_csrf(expected: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(expected, given):
        raise CsrfRejected()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def cookie_is_secure(request: Request) -> bool:
    """Secure cookies whenever the browser reached us over HTTPS (directly or, with uvicorn's
    --proxy-headers, through a proxy that says so)."""
    return request.url.scheme == "https"


AnyViewer = Annotated[Viewer, Depends(require("agent", "trainer"))]
AgentViewer = Annotated[Viewer, Depends(require("agent"))]
TrainerViewer = Annotated[Viewer, Depends(require("trainer"))]
AdminViewer = Annotated[Viewer, Depends(require())]
