"""Builders for histories with known answers: messages, replies, votes and labels at set times."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlmodel import Session

from app.models import Conversation, Feedback, Label, Message, OutboxItem

_numbers = itertools.count(1)


def message(session: Session, *, received: datetime, channel: str = "amazon-de", intent: str = "quality",
            status: str = "approved", route: str = "review", sku: str | None = None, robot: str | None = None,
            conversation: Conversation | None = None, language: str = "en", sla_hours: float = 24.0,
            model_version: str = "m1") -> Message:
    number = next(_numbers)
    if conversation is None:
        conversation = Conversation(sender_email=f"h{number}@buyer.example", created_at=received, last_message_at=received)
        session.add(conversation)
        session.flush()
    row = Message(channel=channel, external_id=f"h-{number}", sender_email=conversation.sender_email, body="history",
                  received_at=received, created_at=received, due_at=received + timedelta(hours=sla_hours), route=route,
                  status=status, intent=intent, language=language, sku=sku, robot=robot, conversation_id=conversation.id,
                  model_version=model_version, draft_template=f"{language}/{intent}.j2", draft_language=language)
    session.add(row)
    session.flush()
    return row


def reply(session: Session, to: Message, *, sent: datetime, created: datetime | None = None, by: str = "ana",
          template: str | None = None) -> OutboxItem:
    item = OutboxItem(message_id=to.id, to_address=to.sender_email, subject="Re", body="reply", language=to.language,
                      status="sent", created_by=by, created_at=created or sent, sent_at=sent,
                      template=template or to.draft_template)
    session.add(item)
    session.flush()
    return item


def vote(session: Session, on: Message, solved: bool, at: datetime) -> None:
    session.add(Feedback(message_id=on.id, solved=solved, source="api", created_at=at))
    session.flush()


def label(session: Session, on: Message, intent: str, suggested: str, at: datetime) -> None:
    session.add(Label(message_id=on.id, intent=intent, suggested_intent=suggested, source="console", actor="ana", created_at=at))
    session.flush()
