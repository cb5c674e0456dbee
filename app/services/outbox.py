"""Replies to deliver. A decision and its outbox row are written in one transaction; workers
claim rows with a lease, so two workers never send the same reply, and retry with backoff.

States: pending → sending (leased) → sent; a transient failure goes back to pending with a later
`next_attempt_at`; after the last attempt, or on a permanent refusal, failed (shown to agents)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, select

from app.errors import Conflict, NotFound
from app.models import Message, OutboxItem, as_utc, utcnow

_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw|r|rif|回复|回覆|答复)\s*[:：]\s*", re.IGNORECASE)


def reply_subject(buyer_subject: str) -> str:
    """'Re: ' and the buyer's subject, without stacking prefixes, so mail clients thread it."""
    subject = buyer_subject.strip()
    while _REPLY_PREFIX.match(subject):
        subject = _REPLY_PREFIX.sub("", subject, count=1)
    return f"Re: {subject}"[:998]


_INSERT = OutboxItem.__table__.insert()


def _reply_values(message: dict[str, Any], subject: str, body: str, language: str | None, actor: str,
                  template: str | None = None) -> dict[str, Any]:
    """The outbox row answering `message` (its column values), threaded when it came by mail."""
    rfc_id = message.get("rfc_message_id")
    references = " ".join(filter(None, [message.get("references_header"), f"<{rfc_id}>" if rfc_id else None]))
    return {
        "message_id": message["id"], "to_address": message["sender_email"],
        "subject": reply_subject(message["subject"]) if rfc_id and message.get("subject") else subject,
        "body": body, "language": language, "status": "pending", "created_by": actor,
        "created_at": utcnow(), "next_attempt_at": utcnow(),
        "in_reply_to": f"<{rfc_id}>" if rfc_id else None, "references_header": references[-4000:] or None,
        "attempts": 0, "template": template,
    }


def enqueue(*, session: Session, message: Message, subject: str, body: str, language: str | None, actor: str) -> OutboxItem:
    """Hand a reply to `message` to the outbox; it records the template the message's draft came from."""
    columns = {"id": message.id, "sender_email": message.sender_email, "subject": message.subject,
               "rfc_message_id": message.rfc_message_id, "references_header": message.references_header}
    item = OutboxItem(**_reply_values(columns, subject, body, language, actor, message.draft_template))
    session.add(item)
    session.flush()
    return item


def enqueue_values(*, session: Session, message: dict[str, Any], subject: str, body: str, language: str | None, actor: str) -> None:
    """`enqueue` for a message written as column values (the ingest path): one INSERT."""
    session.connection().execute(_INSERT, _reply_values(message, subject, body, language, actor, message.get("draft_template")))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    lease_seconds: float = 120.0

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.base_seconds * 2 ** max(0, attempts - 1), self.max_seconds))


class PermanentFailure(Exception):
    """The mail server refused the reply for good (unknown mailbox, rejected content)."""


def claim_next(*, session: Session, worker: str, policy: RetryPolicy, domain: str, now: datetime | None = None,
               exclude: Collection[int] = ()) -> OutboxItem | None:
    """Lease the next due reply to `worker` (other than those in `exclude`), or None. The lease is
    taken by one conditional UPDATE, so of two workers that pick the same row only one wins; a lease
    that expired (its worker died mid-send) makes the row claimable again."""
    now = now or utcnow()
    due = or_(
        (OutboxItem.status == "pending") & (or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now)),
        (OutboxItem.status == "sending") & (OutboxItem.lease_until < now),
    )
    candidates = select(OutboxItem.id).where(due)
    if exclude:
        candidates = candidates.where(OutboxItem.id.not_in(list(exclude)))
    for candidate_id in session.exec(candidates.order_by(OutboxItem.next_attempt_at, OutboxItem.id).limit(5)):
        won = session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == candidate_id, due)
            .values(status="sending", worker=worker, lease_until=now + timedelta(seconds=policy.lease_seconds),
                    attempts=OutboxItem.attempts + 1)
        )
        session.commit()
        if won.rowcount == 1:
            item = session.get(OutboxItem, candidate_id)
            session.refresh(item)
            if not item.rfc_message_id:  # fixed before the first send, so a retry reuses it
                item.rfc_message_id = f"{uuid.uuid4().hex}@{domain}"
                session.commit()
            return item
    return None


def mark_sent(*, session: Session, item: OutboxItem) -> None:
    item.status, item.sent_at, item.lease_until, item.last_error = "sent", utcnow(), None, None
    session.commit()


def mark_failed(*, session: Session, item: OutboxItem, error: str, policy: RetryPolicy, permanent: bool = False) -> None:
    item.last_error = error[:2000]
    item.lease_until = None
    if permanent or item.attempts >= policy.max_attempts:
        item.status = "failed"
    else:
        item.status = "pending"
        item.next_attempt_at = utcnow() + policy.delay(item.attempts)
    session.commit()


def deliver_due(
    *, session: Session, worker: str, send: Callable[[OutboxItem], None], policy: RetryPolicy, domain: str, limit: int = 100,
) -> dict[str, int]:
    """Send what is due now, one reply at a time, each at most once per pass (a short backoff must
    not turn one pass into a burst of attempts at a server that is down); returns counts by outcome."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    tried: set[int] = set()
    for _ in range(limit):
        item = claim_next(session=session, worker=worker, policy=policy, domain=domain, exclude=tried)
        if item is None:
            break
        tried.add(item.id)
        try:
            send(item)
        except PermanentFailure as exc:
            mark_failed(session=session, item=item, error=str(exc), policy=policy, permanent=True)
            counts["failed"] += 1
        except Exception as exc:  # a transient failure of any kind: the reply waits and is retried
            mark_failed(session=session, item=item, error=f"{type(exc).__name__}: {exc}", policy=policy)
            counts["failed" if item.status == "failed" else "retry"] += 1
        else:
            mark_sent(session=session, item=item)
            counts["sent"] += 1
    session.rollback()  # end the read that found nothing more: an idle worker holds no lock
    return counts


def retry(*, session: Session, item_id: int) -> OutboxItem:
    """An agent sends a failed reply again."""
    item = session.get(OutboxItem, item_id)
    if item is None:
        raise NotFound(f"no outbox item {item_id}")
    if item.status != "failed":
        raise Conflict(f"only failed replies can be retried; this one is {item.status}")
    item.status, item.attempts, item.next_attempt_at, item.last_error = "pending", 0, utcnow(), None
    session.flush()
    return item


def listing(*, session: Session, status: str | None, limit: int = 100) -> list[OutboxItem]:
    query = select(OutboxItem)
    if status:
        query = query.where(OutboxItem.status == status)
    return list(session.exec(query.order_by(OutboxItem.id.desc()).limit(limit)))


def backlog(*, session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.exec(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all()
    return {status: int(n) for status, n in rows}


def for_message(*, session: Session, message_id: int) -> list[OutboxItem]:
    return list(session.exec(select(OutboxItem).where(OutboxItem.message_id == message_id).order_by(OutboxItem.id)))


def sent_at(item: OutboxItem) -> datetime | None:
    return as_utc(item.sent_at)
