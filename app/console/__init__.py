"""The agent console under /console: its router and the error pages it shows instead of JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.console.auth import CsrfRejected, LoginRequired, RoleRequired
from app.console.render import SECURITY_HEADERS, page
from app.console.router import router


def is_console(request: Request) -> bool:
    return request.url.path == "/console" or request.url.path.startswith("/console/")


def error_page(request: Request, status_code: int, heading: str, explanation: str) -> Response:
    return page(request, "error.html", status_code=status_code, heading=heading, explanation=explanation)


def install(app: FastAPI) -> None:
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        if request.method == "GET":
            return RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
        return error_page(request, 401, "Please log in", "Your session has ended. Log in again and repeat the action.")

    @app.exception_handler(RoleRequired)
    async def role_required(request: Request, exc: RoleRequired) -> Response:
        return error_page(request, 403, "Not for your role",
                          f"You are logged in as {exc.user.role}; this page is for {' or '.join(exc.roles) or 'admin'}.")

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _: CsrfRejected) -> Response:
        return error_page(request, 403, "Form expired",
                          "This form did not carry a valid security token. Reload the page and try again.")
