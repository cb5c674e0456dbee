"""Ingest a buyer message: store it, analyse it, record the decision. Idempotent per channel."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import NotFound
from app.models import OPEN_STATUSES, Decision, Message, MessageIn, ReviewQueuePage, as_utc, utcnow
from app.gateways import extract
from app.gateways.normalized import NormalizedMessage
from app.services import outbox, threads
from app.services.analysis import Analysis, Analyzer
from app.writer import OPTIMISTIC

log = logging.getLogger(__name__)


def template_variables(message: Message | MessageIn, *, seller_name: str | None) -> dict[str, Any]:
    """What a reply template may use: the message's own fields, then its free context.
    Unknown values are left out, so a template that needs them fails instead of printing None."""
    variables: dict[str, Any] = {"seller_name": seller_name} if seller_name else {}
    variables.update({k: v for k, v in (message.context or {}).items() if v is not None and v != ""})
    for name in ("order_id", "marketplace", "channel"):
        value = getattr(message, name, None)
        if value:
            variables[name] = value
    if message.sender_name and "buyer_name" not in variables:
        variables["buyer_name"] = message.sender_name
    return variables


@dataclass
class Prepared:
    """A message with its analysis done, ready to store: everything CPU-bound happens before the
    database is touched, so a write transaction lasts only as long as its few statements."""

    message: MessageIn
    mail: NormalizedMessage | None
    analysis: Analysis
    values: dict[str, Any]  # the messages row, but for conversation_id and due_at adjustments


def prepare(*, message: MessageIn, analyzer: Analyzer, mail: NormalizedMessage | None = None) -> Prepared:
    """Analyse a message for storing. Never raises: whatever fails is a reason to route it to
    review, and the message is stored all the same."""
    try:
        analysis = analyzer.analyse(
            subject=message.subject, body=message.body,
            variables=template_variables(message, seller_name=analyzer.settings.seller_name),
        )
    except Exception as exc:  # the message must be kept whatever analysis does
        log.exception("analysis failed")
        analysis = analyzer.failed(f"analysis_failed: {type(exc).__name__}")
    received_at = as_utc(message.received_at) or utcnow()
    values: dict[str, Any] = {
        "channel": message.channel, "external_id": message.external_id, "sender_email": message.sender_email,
        "sender_name": message.sender_name, "subject": message.subject, "body": message.body,
        "order_id": message.order_id, "marketplace": message.marketplace, "context": dict(message.context),
        "received_at": received_at, "created_at": utcnow(),
        "due_at": received_at + timedelta(hours=analyzer.settings.sla_hours_for(message.channel)),
        "status": "open", "attachments": [], "robot": None,
        "sku": extract.product(f"{message.subject or ''}\n{message.body}", message.context),
        "rfc_message_id": None, "in_reply_to": None, "references_header": None, "original_body": None, "html_body": None,
    }
    values.update(analysis_values(analysis))
    if mail is not None:
        values.update(
            rfc_message_id=mail.rfc_message_id,
            in_reply_to=" ".join(f"<{i}>" for i in mail.in_reply_to) or None,
            references_header=" ".join(f"<{i}>" for i in mail.references) or None,
            original_body=mail.original_body if mail.original_body != message.body else None,
            html_body=mail.html_body, attachments=[a.as_dict() for a in mail.attachments], robot=mail.robot,
        )
        if mail.robot:
            values["route"] = "review"
            values["reasons"] = [f"robot: {mail.robot}; auto-replies and bounces are never answered automatically",
                                 *values["reasons"]]
    if values["route"] == "auto" and analysis.reply is not None:
        values["status"] = "auto"
    return Prepared(message=message, mail=mail, analysis=analysis, values=values)


def store(*, session: Session, prepared: Prepared, analyzer: Analyzer) -> tuple[Decision, bool]:
    """Store a prepared message with its conversation and, for an automatic answer, its reply in
    the outbox (the caller commits). A retry of a stored message (same channel and external id,
    or same Message-ID) returns the stored decision and writes nothing."""
    existing = stored_already(session, prepared)
    if existing is not None:
        return to_decision(existing, analyzer), False
    return store_new(session=session, prepared=prepared, analyzer=analyzer)


def stored_already(session: Session, prepared: Prepared) -> Message | None:
    values = prepared.values
    return find_existing(session, values["channel"], values["external_id"], values["rfc_message_id"])


def store_new(*, session: Session, prepared: Prepared, analyzer: Analyzer) -> tuple[Decision, bool]:
    """`store` for a message not found stored a moment ago; a concurrent retry that stored it in
    between is still recognised."""
    values, mail = prepared.values, prepared.mail
    referenced = [*(mail.in_reply_to if mail else []), *reversed(mail.references if mail else [])]
    optimistic = session.info.get(OPTIMISTIC, False)  # in a writer group that is re-run on any error
    try:
        with nullcontext() if optimistic else session.begin_nested():  # a concurrent retry may insert it first
            conversation_id, joined = threads.join_conversation(
                session=session, sender_email=values["sender_email"], order_id=values["order_id"],
                subject=values["subject"], referenced_ids=referenced, at=values["received_at"],
            )
            row = dict(values, conversation_id=conversation_id)
            if joined:  # the conversation is as late as its longest-waiting unanswered message
                earlier_due = threads.earliest_open_due(session=session, conversation_id=conversation_id, exclude=None)
                if earlier_due is not None and earlier_due < row["due_at"]:
                    row["due_at"] = earlier_due
            row["id"] = session.connection().execute(_INSERT, row).scalar_one()
            if row["status"] == "auto":
                reply = prepared.analysis.reply
                outbox.enqueue_values(session=session, message=row, subject=reply.subject, body=reply.body,
                                      language=reply.language, actor="auto")
    except IntegrityError:
        if optimistic:
            raise
        existing = stored_already(session, prepared)
        if existing is None:
            raise
        return to_decision(existing, analyzer), False
    return to_decision(SimpleNamespace(**row), analyzer), True


def analysis_values(analysis: Analysis) -> dict[str, Any]:
    prediction, reply = analysis.prediction, analysis.reply
    return {
        "language": analysis.language, "language_confidence": analysis.language_confidence,
        "intent": prediction.intent if prediction else None,
        "confidence": round(prediction.confidence, 4) if prediction else None,
        "alternatives": prediction.alternatives(3) if prediction else [],
        "route": analysis.decision.route, "reasons": list(analysis.decision.reasons),
        "draft_subject": reply.subject if reply else None, "draft_body": reply.body if reply else None,
        "draft_template": reply.template if reply else None, "draft_language": reply.language if reply else None,
        "model_version": analysis.model_version,
    }


def record_analysis(row: Message, analysis: Analysis) -> None:
    for name, value in analysis_values(analysis).items():
        setattr(row, name, value)


def classify_text(*, text: str, analyzer: Analyzer, variables: dict[str, Any] | None = None) -> Decision:
    """The decision for a text without storing anything (the `triage classify` command)."""
    seller = {"seller_name": analyzer.settings.seller_name} if analyzer.settings.seller_name else {}
    variables = {**seller, **(variables or {})}
    analysis = analyzer.analyse(subject=None, body=text, variables=variables)
    row = Message(channel="", external_id="", sender_email="", body=text, route="review")
    record_analysis(row, analysis)
    decision = to_decision(row, analyzer)
    return decision.model_copy(update={"id": None, "external_id": None, "channel": None, "received_at": None, "due_at": None})


def get_decision(*, session: Session, message_id: int, analyzer: Analyzer) -> Decision:
    row = session.get(Message, message_id)
    if row is None:
        raise NotFound(f"no message with id {message_id}")
    return to_decision(row, analyzer)


def review_queue(*, session: Session, analyzer: Analyzer, limit: int, offset: int) -> ReviewQueuePage:
    """Messages waiting for an agent, earliest deadline first."""
    waiting = (Message.route == "review", Message.status.in_(OPEN_STATUSES), threads.latest_open_only())
    query = (
        select(Message)
        .where(*waiting)
        .order_by(Message.due_at, Message.id)
        .offset(offset)
        .limit(limit)
    )
    total = session.exec(select(func.count()).select_from(Message).where(*waiting)).one()
    items = [to_decision(row, analyzer) for row in session.exec(query)]
    return ReviewQueuePage(items=items, total=int(total), limit=limit, offset=offset)


# Statements built once: ingesting a message runs a handful of them, and building a statement
# costs more than executing it.
_messages = Message.__table__
_same_message = and_(_messages.c.channel == bindparam("channel"), _messages.c.external_id == bindparam("external_id"))
_FIND = select(_messages.c.id).where(_same_message).order_by(_messages.c.id).limit(1)
_FIND_OR_RFC = (select(_messages.c.id).where(or_(_same_message, _messages.c.rfc_message_id == bindparam("rfc")))
                .order_by(_messages.c.id).limit(1))
_INSERT = _messages.insert().returning(_messages.c.id)


def find_existing(session: Session, channel: str, external_id: str, rfc_message_id: str | None = None) -> Message | None:
    """The stored message with this channel and external id (or this RFC Message-ID), if any."""
    params = {"channel": channel, "external_id": external_id, "rfc": rfc_message_id}
    found = session.connection().execute(_FIND_OR_RFC if rfc_message_id else _FIND, params).scalar()
    return session.get(Message, found) if found is not None else None


def to_decision(row: Message, analyzer: Analyzer) -> Decision:
    draft = None
    if row.draft_body is not None:
        draft = {
            "subject": row.draft_subject or "",
            "body": row.draft_body,
            "template": row.draft_template or "",
            "language": row.draft_language or "",
        }
    sop = analyzer.sop(row.intent, row.language)
    return Decision(
        id=row.id,
        external_id=row.external_id,
        channel=row.channel,
        language=row.language or "und",
        intent=row.intent,
        confidence=row.confidence,
        alternatives=row.alternatives or [],
        route=row.route,
        reasons=row.reasons or [],
        draft=draft,
        sop=None if sop is None else {"intent": sop.intent, "title": sop.title, "steps": sop.steps},
        received_at=as_utc(row.received_at),
        due_at=as_utc(row.due_at),
        model_version=row.model_version,
    )
