"""Labelled history: intents that agents confirmed or corrected, turned into training data.

The latest label of a message wins. The text is what the classifier saw: subject and body.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from app.errors import BadRequest, NotFound
from app.models import Label, Message, utcnow
from app.redact import redact
from classifier import INTENTS
from classifier.data import Example, write_csv


def add_label(*, session: Session, message_id: int, intent: str, actor: str, source: str) -> Label:
    if intent not in INTENTS:
        raise BadRequest(f"intent must be one of {', '.join(INTENTS)}")
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message with id {message_id}")
    label = Label(message_id=message_id, intent=intent, suggested_intent=message.intent, source=source,
                  actor=actor, created_at=utcnow())
    session.add(label)
    session.flush()
    return label


def classified_text(message: Message) -> str:
    """The text the classifier reads for a message (see Analyzer.analyse)."""
    return f"{message.subject}\n{message.body}" if message.subject else message.body


def history_examples(*, session: Session) -> list[Example]:
    newest = select(Label.message_id, func.max(Label.id).label("label_id")).group_by(Label.message_id).subquery()
    rows = session.exec(
        select(Message, Label)
        .join(newest, newest.c.message_id == Message.id)
        .join(Label, Label.id == newest.c.label_id)
        .order_by(Message.id)
    ).all()
    return [
        Example(text=classified_text(message), label=label.intent, lang=message.language if message.language != "und" else None)
        for message, label in rows
        if classified_text(message).strip()
    ]


def export(*, session: Session, path: Path, redacted: bool = False) -> int:
    """Write the history as training data; `redacted` masks e-mail addresses, phone and card
    numbers in the text, for data that leaves the seller's hands."""
    examples = history_examples(session=session)
    if redacted:
        examples = [replace(e, text=redact(e.text)) for e in examples]
    return write_csv(examples, path)
