"""Ingest a buyer message: store it, analyse it, record the decision. Idempotent per channel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import NotFound
from app.models import OPEN_STATUSES, Decision, Message, MessageIn, ReviewQueuePage, as_utc, utcnow
from app.gateways.normalized import NormalizedMessage
from app.services import outbox, threads
from app.services.analysis import Analysis, Analyzer


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


def ingest(*, session: Session, message: MessageIn, analyzer: Analyzer, mail: NormalizedMessage | None = None) -> tuple[Decision, bool]:
    """Store the message, then classify it and record the decision (the caller commits).

    `mail` carries what a mail gateway adds: Message-ID and threading headers, the full original,
    attachments, and whether a robot sent it. Returns the decision and whether it was created now;
    a retry of a stored message (same channel and external id, or same Message-ID) returns the
    stored decision untouched."""
    rfc_id = mail.rfc_message_id if mail else None
    existing = find_existing(session, message.channel, message.external_id, rfc_id)
    if existing is not None:
        return to_decision(existing, analyzer), False

    received_at = as_utc(message.received_at) or utcnow()
    settings = analyzer.settings
    row = Message(
        channel=message.channel,
        external_id=message.external_id,
        sender_email=message.sender_email,
        sender_name=message.sender_name,
        subject=message.subject,
        body=message.body,
        order_id=message.order_id,
        marketplace=message.marketplace,
        context=dict(message.context),
        received_at=received_at,
        created_at=utcnow(),
        due_at=received_at + timedelta(hours=settings.sla_hours_for(message.channel)),
        route="review",
        reasons=["pending: stored, not yet classified"],
    )
    if mail is not None:
        row.rfc_message_id = rfc_id
        row.in_reply_to = " ".join(f"<{i}>" for i in mail.in_reply_to) or None
        row.references_header = " ".join(f"<{i}>" for i in mail.references) or None
        row.original_body = mail.original_body if mail.original_body != message.body else None
        row.html_body = mail.html_body
        row.attachments = [a.as_dict() for a in mail.attachments]
        row.robot = mail.robot
    session.add(row)
    try:
        session.flush()  # stored first: whatever fails below, the message stays
    except IntegrityError:
        # a concurrent retry inserted the same message first
        session.rollback()
        existing = find_existing(session, message.channel, message.external_id, rfc_id)
        if existing is None:
            raise
        return to_decision(existing, analyzer), False

    _join_conversation(session, row, mail)
    analysis = analyzer.analyse(
        subject=message.subject,
        body=message.body,
        variables=template_variables(message, seller_name=settings.seller_name),
    )
    record_analysis(row, analysis)
    if row.robot:
        row.route = "review"
        row.reasons = [f"robot: {row.robot}; auto-replies and bounces are never answered automatically",
                       *[r for r in row.reasons if r != "pending: stored, not yet classified"]]
    if row.route == "auto" and analysis.reply is not None:
        row.status = "auto"
        session.flush()
        outbox.enqueue(
            session=session, message=row, subject=analysis.reply.subject, body=analysis.reply.body,
            language=analysis.reply.language, actor="auto",
        )
    session.flush()
    return to_decision(row, analyzer), True


def _join_conversation(session: Session, row: Message, mail: NormalizedMessage | None) -> None:
    referenced = [*(mail.in_reply_to if mail else []), *reversed(mail.references if mail else [])]
    conversation = threads.conversation_for(
        session=session, sender_email=row.sender_email, order_id=row.order_id, subject=row.subject,
        referenced_ids=referenced, at=as_utc(row.received_at),
    )
    row.conversation_id = conversation.id
    # the conversation is as late as its longest-waiting unanswered message
    earlier_due = threads.earliest_open_due(session=session, conversation_id=conversation.id, exclude=row.id)
    if earlier_due is not None and earlier_due < as_utc(row.due_at):
        row.due_at = earlier_due


def record_analysis(row: Message, analysis: Analysis) -> None:
    prediction = analysis.prediction
    row.language = analysis.language
    row.language_confidence = analysis.language_confidence
    row.intent = prediction.intent if prediction else None
    row.confidence = round(prediction.confidence, 4) if prediction else None
    row.alternatives = prediction.alternatives(3) if prediction else []
    row.route = analysis.decision.route
    row.reasons = list(analysis.decision.reasons)
    reply = analysis.reply
    row.draft_subject = reply.subject if reply else None
    row.draft_body = reply.body if reply else None
    row.draft_template = reply.template if reply else None
    row.draft_language = reply.language if reply else None
    row.model_version = analysis.model_version


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


def find_existing(session: Session, channel: str, external_id: str, rfc_message_id: str | None = None) -> Message | None:
    condition = and_(Message.channel == channel, Message.external_id == external_id)
    if rfc_message_id:
        condition = or_(condition, Message.rfc_message_id == rfc_message_id)
    return session.exec(select(Message).where(condition).order_by(Message.id)).first()


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
