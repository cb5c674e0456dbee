"""Console log-in sessions, kept server-side so that logging out really ends them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, delete, select

from app.models import ConsoleSession, User, as_utc, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(*, session: Session, user: User, hours: float) -> tuple[str, ConsoleSession]:
    """A new session for `user`; returns the cookie token (shown once) and the row."""
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


def lookup(*, session: Session, token: str | None) -> tuple[ConsoleSession, User] | None:
    if not token:
        return None
    row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == _digest(token))).first()
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return row, user


def end(*, session: Session, token: str | None) -> None:
    if token:
        session.exec(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))
