"""Buyers' answers to "did this solve your problem?": relayed by a gateway from the marketplace's
survey, or given through the signed links in our replies' footers. One answer per message.

A link carries the message id and an HMAC-SHA256 of it under TRIAGE_FEEDBACK_SECRET, so it cannot
be forged for another message; an answer already recorded cannot be replaced, so a link cannot
be replayed to change it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import Conflict, NotFound
from app.models import Feedback, Message, utcnow

FOOTER_FILE = "feedback.txt"


def record(*, session: Session, message_id: int, solved: bool, source: str) -> Feedback:
    """Store the answer (the caller commits); Conflict when the message already has one."""
    if session.get(Message, message_id) is None:
        raise NotFound(f"no message with id {message_id}")
    if answer_for(session=session, message_id=message_id) is not None:
        raise Conflict("this message already has the buyer's answer; it is not replaced")
    vote = Feedback(message_id=message_id, solved=solved, source=source, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(vote)
    except IntegrityError:  # the same answer arriving twice at once
        raise Conflict("this message already has the buyer's answer; it is not replaced") from None
    return vote


def answer_for(*, session: Session, message_id: int) -> Feedback | None:
    return session.exec(select(Feedback).where(Feedback.message_id == message_id)).first()


def _signature(message_id: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"feedback:{message_id}".encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(message_id: int, secret: str) -> str:
    return f"{message_id}.{_signature(message_id, secret)}"


def message_of(token_value: str, secret: str) -> int | None:
    """The message a link's token was made for, or None for a forged or mangled token."""
    head, _, signature = token_value.partition(".")
    if not head.isdigit() or len(head) > 10:
        return None
    message_id = int(head)
    return message_id if hmac.compare_digest(signature, _signature(message_id, secret)) else None


def footer(*, templates_dir: Path, language: str | None, base_url: str, message_id: int, secret: str) -> str:
    """The "did this solve your problem?" lines for a reply, in its language (English if the
    seller has no footer in that language): templates/replies/<lang>/feedback.txt with {yes} and
    {no} where the links go."""
    for lang in (language, "en"):
        path = templates_dir / (lang or "en") / FOOTER_FILE
        if lang and path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            break
    else:
        return ""
    link = f"{base_url.rstrip('/')}/feedback/{token(message_id, secret)}"
    return text.replace("{yes}", f"{link}?answer=yes").replace("{no}", f"{link}?answer=no")
