"""Conversations: which thread a new buyer message joins.

A reply joins by its In-Reply-To or References (pointing at an earlier buyer message or at a reply
we sent); otherwise a message from the same sender about the same order joins that order's latest
conversation if it was active recently; otherwise it starts a new one. An order can therefore
have several after-sales conversations over time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from app.models import OPEN_STATUSES, Conversation, Message, OutboxItem, as_utc

SAME_ORDER_WINDOW = timedelta(days=30)

_conversations = Conversation.__table__
_BY_ORDER = (
    select(_conversations.c.id, _conversations.c.last_message_at, _conversations.c.order_id)
    .where(_conversations.c.sender_email == bindparam("sender"), _conversations.c.order_id == bindparam("order"),
           _conversations.c.last_message_at >= bindparam("since"))
    .order_by(_conversations.c.last_message_at.desc(), _conversations.c.id.desc()).limit(1)
)
_NEW = _conversations.insert().returning(_conversations.c.id)
_TOUCH = (_conversations.update().where(_conversations.c.id == bindparam("conversation"))
          .values(last_message_at=bindparam("last"), order_id=bindparam("order")))


def join_conversation(
    *, session: Session, sender_email: str, order_id: str | None, subject: str | None,
    referenced_ids: list[str], at: datetime,
) -> tuple[int, bool]:
    """The id of the conversation a new message belongs to, and whether it existed before: by
    its mail headers, else by the same sender and order within SAME_ORDER_WINDOW, else a new one."""
    connection = session.connection()
    found = _by_headers(session, referenced_ids) if referenced_ids else None
    if found is None and order_id:
        found = connection.execute(_BY_ORDER, {"sender": sender_email, "order": order_id, "since": at - SAME_ORDER_WINDOW}).first()
    elif found is not None:
        found = (found.id, found.last_message_at, found.order_id)
    if found is None:
        new = {"sender_email": sender_email, "order_id": order_id, "subject": subject, "created_at": at, "last_message_at": at}
        return connection.execute(_NEW, new).scalar_one(), False
    conversation_id, last_at, known_order = found
    connection.execute(_TOUCH, {"conversation": conversation_id, "last": max(as_utc(last_at), at), "order": known_order or order_id})
    return conversation_id, True


def _by_headers(session: Session, ids: list[str]) -> Conversation | None:
    if not ids:
        return None
    earlier = session.exec(
        select(Message.conversation_id).where(Message.rfc_message_id.in_(ids), Message.conversation_id.is_not(None))
        .order_by(Message.id.desc())
    ).first()
    if earlier is None:
        earlier = session.exec(
            select(Message.conversation_id).join(OutboxItem, OutboxItem.message_id == Message.id)
            .where(OutboxItem.rfc_message_id.in_(ids), Message.conversation_id.is_not(None)).order_by(OutboxItem.id.desc())
        ).first()
    return session.get(Conversation, earlier) if earlier is not None else None


def messages_in(*, session: Session, conversation_id: int | None, exclude: int | None = None) -> list[Message]:
    """The conversation's messages, oldest first."""
    if conversation_id is None:
        return []
    query = select(Message).where(Message.conversation_id == conversation_id)
    if exclude is not None:
        query = query.where(Message.id != exclude)
    return list(session.exec(query.order_by(Message.received_at, Message.id)))


def earliest_open_due(*, session: Session, conversation_id: int, exclude: int | None) -> datetime | None:
    """The deadline of the buyer's longest-waiting unanswered message in the conversation."""
    params = {"conversation": conversation_id, "exclude": -1 if exclude is None else exclude}
    row = session.connection().execute(EARLIEST_OPEN_DUE, params).scalar()
    return as_utc(row) if row is not None else None


_messages = Message.__table__
# looked up for every message that joins a conversation: built once, and served by the index
# ix_messages_conversation_route_due_at (tests/test_migrations.py checks the plan)
EARLIEST_OPEN_DUE = (
    select(_messages.c.due_at)
    .where(_messages.c.conversation_id == bindparam("conversation"), _messages.c.route == "review",
           _messages.c.status.in_(OPEN_STATUSES), _messages.c.id != bindparam("exclude"))
    .order_by(_messages.c.due_at).limit(1)
)


def latest_open_only() -> Any:
    """A query condition: no newer open message in the same conversation (one queue item per
    conversation; the older ones are shown as its history)."""
    newer = aliased(Message)
    return ~(
        select(newer.id)
        .where(newer.conversation_id == Message.conversation_id, newer.id > Message.id,
               newer.status.in_(OPEN_STATUSES), newer.route == "review")
        .exists()
    )
