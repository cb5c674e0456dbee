"""Mail from a gateway into the triage flow: a NormalizedMessage becomes a stored message."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.gateways.normalized import NormalizedMessage, RefusedMessage
from app.models import Decision, MessageIn, WebhookToken, utcnow
from app.services import triage
from app.services.analysis import Analyzer


def as_message_in(mail: NormalizedMessage) -> MessageIn:
    context: dict[str, str] = {k: v[:1000] for k, v in mail.context.items()}
    try:
        return MessageIn(
            external_id=mail.external_id,
            channel=mail.channel,
            sender_email=mail.sender_email,
            sender_name=mail.sender_name,
            subject=mail.subject,
            body=mail.body[:200_000],
            order_id=mail.order_id[:64] if mail.order_id else None,
            marketplace=mail.marketplace,
            received_at=mail.received_at,
            context=context,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise RefusedMessage(f"the message cannot be stored: {problems}") from None


def prepare(*, mail: NormalizedMessage, analyzer: Analyzer) -> triage.Prepared:
    """The CPU part: raises RefusedMessage when the mail cannot be stored at all."""
    return triage.prepare(message=as_message_in(mail), analyzer=analyzer, mail=mail)


def store(*, session: Session, prepared: triage.Prepared, analyzer: Analyzer, token: tuple[str, str] | None = None) -> tuple[Decision, bool]:
    """Store a prepared mail. `token` (gateway, token) is recorded in the same transaction; a
    token seen before on a message not stored before is a replay."""
    existing = triage.stored_already(session, prepared)
    if existing is not None:
        return triage.to_decision(existing, analyzer), False
    if token is not None:
        gateway, value = token
        replayed = ReplayedToken(f"this {gateway} signature token was used before: a replayed request")
        if session.exec(select(WebhookToken.id).where(WebhookToken.gateway == gateway, WebhookToken.token == value)).first():
            raise replayed
        try:
            with session.begin_nested():
                session.add(WebhookToken(gateway=gateway, token=value[:200], seen_at=utcnow()))
        except IntegrityError:
            raise replayed from None
    return triage.store_new(session=session, prepared=prepared, analyzer=analyzer)


class ReplayedToken(Exception):
    pass
