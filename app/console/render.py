"""The console's own Jinja environment: HTML with autoescape, never the replies' sandbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.models import as_utc, utcnow

TEMPLATES = Path(__file__).resolve().parent / "templates"

SECURITY_HEADERS = {
    # no inline script or style at all: even text that slipped through escaping could not run
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def time_left(due: datetime | None, now: datetime | None = None) -> str:
    """'3 h 20 min left' or 'overdue by 2 h 5 min', plainly."""
    if due is None:
        return ""
    seconds = int((as_utc(due) - (now or utcnow())).total_seconds())
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours or days else []) + [f"{mins} min"]
    text = " ".join(parts[:2])
    return f"{text} left" if seconds >= 0 else f"overdue by {text}"


def first_line(text: str | None, limit: int = 90) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def utc(value: datetime | None) -> str:
    return "" if value is None else f"{as_utc(value):%Y-%m-%d %H:%M} UTC"


def filesize(size: int | None) -> str:
    size = size or 0
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(time_left=time_left, first_line=first_line, utc=utc, filesize=filesize)
    env.globals["overdue"] = lambda due: due is not None and as_utc(due) < utcnow()
    return env


_env = _environment()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("viewer", None)
    context.setdefault("error", None)
    context.setdefault("notice", None)
    html = _env.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
