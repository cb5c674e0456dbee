"""Replies waiting to be delivered. Approving or auto-answering puts one here; #6 sends them."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Message, OutboxItem, utcnow


def enqueue(*, session: Session, message: Message, subject: str, body: str, language: str | None, actor: str) -> OutboxItem:
    item = OutboxItem(
        message_id=message.id,
        to_address=message.sender_email,
        subject=subject,
        body=body,
        language=language,
        status="pending",
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(item)
    session.flush()
    return item
