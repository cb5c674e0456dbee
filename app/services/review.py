"""What agents do to a message in the console: claim it, correct it, answer it, close it.

Every change is recorded as an Action (who, when, before, after); every confirmed or corrected
intent as a Label. Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from app.errors import BadRequest, Conflict, NotFound
from app.models import OPEN_STATUSES, Action, Label, Message, as_utc, utcnow
from app.services import outbox, threads
from app.services.analysis import Analyzer
from app.services.replies import TemplateMissing, TemplateRenderError
from app.services.triage import template_variables
from classifier import INTENTS


@dataclass
class QueuePage:
    rows: list[Message]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def queue_page(
    *, session: Session, tab: str, intent: str | None, language: str | None, status: str | None,
    page: int, per_page: int,
) -> QueuePage:
    """The review tab (earliest deadline first) or the auto tab (newest first), filtered."""
    if tab == "auto":
        conditions: list[Any] = [Message.status == "auto"]
        order = (Message.received_at.desc(), Message.id.desc())
    else:
        statuses = OPEN_STATUSES if not status else (status,)
        conditions = [Message.route == "review", Message.status.in_(statuses), threads.latest_open_only()]
        order = (Message.due_at, Message.id)
    if language:
        conditions.append(Message.language == language)
    count_rows = session.exec(
        select(Message.intent, func.count()).where(*conditions).group_by(Message.intent)
    ).all()
    counts = {intent_name or "unclassified": int(n) for intent_name, n in count_rows}
    if intent:
        conditions.append(Message.intent == intent)
    total = int(session.exec(select(func.count()).select_from(Message).where(*conditions)).one())
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = list(session.exec(select(Message).where(*conditions).order_by(*order).offset((page - 1) * per_page).limit(per_page)))
    return QueuePage(rows=rows, total=total, page=page, pages=pages, counts=counts)


def get_message(*, session: Session, message_id: int) -> Message:
    row = session.get(Message, message_id)
    if row is None:
        raise NotFound(f"no message with id {message_id}")
    return row


def claim_holder(row: Message, now: datetime | None = None) -> str | None:
    """Who holds the message now, if anyone."""
    now = now or utcnow()
    if row.claimed_by and row.claimed_until and as_utc(row.claimed_until) > now:
        return row.claimed_by
    return None


def claim(*, session: Session, message_id: int, user: str, minutes: float) -> Message:
    """Claim the message for `user`, or renew their claim. One atomic UPDATE decides between
    agents racing for it, so two of them can never both hold it."""
    now = utcnow()
    result = session.exec(
        update(Message)
        .where(
            Message.id == message_id,
            or_(Message.claimed_by.is_(None), Message.claimed_by == user, Message.claimed_until < now),
        )
        .values(claimed_by=user, claimed_until=now + timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)  # the row is refreshed below
    )
    row = get_message(session=session, message_id=message_id)
    session.refresh(row)
    if result.rowcount != 1:
        raise Conflict(f"{row.claimed_by} is working on this message until {as_utc(row.claimed_until):%H:%M} UTC")
    return row


def claim_next(*, session: Session, user: str, minutes: float, attempts: int = 20) -> Message | None:
    """Claim the waiting message with the earliest deadline that nobody holds; None when there is
    none. On PostgreSQL the candidate row is locked with SKIP LOCKED, so agents asking at the same
    moment each get a different row without waiting for one another; the claim itself is the same
    conditional UPDATE as `claim`, which also settles the race on SQLite (one writer at a time)."""
    for _ in range(attempts):
        now = utcnow()
        candidate = session.exec(
            select(Message.id)
            .where(
                Message.route == "review", Message.status.in_(OPEN_STATUSES), threads.latest_open_only(),
                or_(Message.claimed_by.is_(None), Message.claimed_until < now),
            )
            .order_by(Message.due_at, Message.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if candidate is None:
            session.rollback()
            return None
        try:
            row = claim(session=session, message_id=candidate, user=user, minutes=minutes)
        except Conflict:  # another agent took it between our read and our write (SQLite)
            session.rollback()
            continue
        if row.claimed_by == user:
            return row
    return None


def history(*, session: Session, message_id: int) -> list[Action]:
    return list(session.exec(select(Action).where(Action.message_id == message_id).order_by(Action.at, Action.id)))


def _held(session: Session, message_id: int, user: str) -> Message:
    row = get_message(session=session, message_id=message_id)
    holder = claim_holder(row)
    if holder != user:
        if holder:
            raise Conflict(f"{holder} is working on this message; you cannot change it now")
        raise Conflict("your claim on this message has expired; open it again to continue")
    return row


def _snapshot(row: Message) -> dict[str, Any]:
    return {
        "intent": row.intent, "status": row.status, "route": row.route, "draft_language": row.draft_language,
        "draft_subject": row.draft_subject, "draft_body": row.draft_body,
    }


def _record(session: Session, row: Message, user: str, action: str, before: dict[str, Any], note: str | None = None) -> None:
    after = _snapshot(row)
    changed_before = {k: v for k, v in before.items() if after.get(k) != v}
    changed_after = {k: after[k] for k in changed_before}
    row.updated_at = utcnow()
    session.add(Action(message_id=row.id, actor=user, action=action, at=utcnow(), before=changed_before, after=changed_after, note=note))
    session.flush()


def _label(session: Session, row: Message, user: str, intent: str, suggested: str | None) -> None:
    session.add(Label(message_id=row.id, intent=intent, suggested_intent=suggested, source="console", actor=user, created_at=utcnow()))
    session.flush()


def _redraft(row: Message, analyzer: Analyzer, language: str) -> str | None:
    """Render the draft for the row's intent in `language`; returns a problem, or None."""
    variables = template_variables(row, seller_name=analyzer.settings.seller_name)
    try:
        reply = analyzer.render(row.intent or "other", language, variables)
    except TemplateMissing as exc:
        return f"no template: {exc}"
    except TemplateRenderError as exc:
        return f"the {exc.template} template needs '{exc.missing}', which this message does not have" if exc.missing else str(exc)
    row.draft_subject, row.draft_body = reply.subject, reply.body
    row.draft_template, row.draft_language = reply.template, reply.language
    return None


def _check_intent(intent: str) -> None:
    if intent not in INTENTS:
        raise BadRequest(f"intent must be one of {', '.join(INTENTS)}")


def change_intent(*, session: Session, analyzer: Analyzer, message_id: int, user: str, intent: str) -> str | None:
    """Relabel and re-render the draft from the new intent's template; returns a problem to show."""
    _check_intent(intent)
    row = _held(session, message_id, user)
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"this message is {row.status}; it can no longer be changed")
    before = _snapshot(row)
    suggested = row.intent
    row.intent = intent
    problem = _redraft(row, analyzer, row.draft_language or analyzer.reply_language(intent, row.language or "") or row.language or "en")
    _label(session, row, user, intent, suggested)
    _record(session, row, user, "change_intent", before, note=problem)
    return problem


def change_language(*, session: Session, analyzer: Analyzer, message_id: int, user: str, language: str) -> None:
    row = _held(session, message_id, user)
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"this message is {row.status}; it can no longer be changed")
    if not analyzer.templates.has_template(row.intent or "other", language):
        raise BadRequest(f"there is no {language} template for {row.intent}")
    before = _snapshot(row)
    problem = _redraft(row, analyzer, language)
    if problem:
        raise BadRequest(problem)
    _record(session, row, user, "change_language", before)


def _check_draft(subject: str, body: str) -> tuple[str, str]:
    subject, body = subject.strip(), body.strip()
    if not body:
        raise BadRequest("the reply is empty; write a reply or resolve the message without one")
    if len(body) > 50_000 or len(subject) > 500:
        raise BadRequest("the reply is too long (at most 50,000 characters, subject 500)")
    return subject, body + "\n"


def save_draft(*, session: Session, message_id: int, user: str, subject: str, body: str) -> None:
    row = _held(session, message_id, user)
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"this message is {row.status}; it can no longer be changed")
    before = _snapshot(row)
    row.draft_subject, row.draft_body = _check_draft(subject, body)
    _record(session, row, user, "save_draft", before)


def approve(*, session: Session, message_id: int, user: str, subject: str, body: str) -> None:
    """Confirm the intent and hand the reply to the outbox."""
    row = _held(session, message_id, user)
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"this message is already {row.status}")
    if row.intent is None:
        raise BadRequest("choose an intent before approving")
    before = _snapshot(row)
    row.draft_subject, row.draft_body = _check_draft(subject, body)
    row.status = "approved"
    row.claimed_by = row.claimed_until = None
    outbox.enqueue(session=session, message=row, subject=row.draft_subject or "", body=row.draft_body, language=row.draft_language, actor=user)
    _label(session, row, user, row.intent, before["intent"])
    _record(session, row, user, "approve", before)
    _close_earlier(session, row, user, "answered with the reply to a later message of the conversation")


def escalate(*, session: Session, message_id: int, user: str, note: str) -> None:
    note = note.strip()
    if not note:
        raise BadRequest("say why you escalate: the note is what the next person reads")
    row = _held(session, message_id, user)
    if row.status != "open":
        raise Conflict(f"this message is {row.status}; only open messages can be escalated")
    before = _snapshot(row)
    row.status = "escalated"
    row.claimed_by = row.claimed_until = None
    _record(session, row, user, "escalate", before, note=note[:5000])


def resolve(*, session: Session, message_id: int, user: str, note: str = "") -> None:
    row = _held(session, message_id, user)
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"this message is already {row.status}")
    before = _snapshot(row)
    row.status = "resolved"
    row.claimed_by = row.claimed_until = None
    _record(session, row, user, "resolve", before, note=note.strip()[:5000] or None)
    _close_earlier(session, row, user, "resolved with a later message of the conversation")


def _close_earlier(session: Session, row: Message, user: str, note: str) -> None:
    """The queue shows a conversation by its latest message; acting on it settles the earlier
    open ones too, so they do not reappear once the latest is done."""
    for earlier in threads.messages_in(session=session, conversation_id=row.conversation_id, exclude=row.id):
        if earlier.id < row.id and earlier.route == "review" and earlier.status in OPEN_STATUSES:
            before = _snapshot(earlier)
            earlier.status = "resolved"
            earlier.claimed_by = earlier.claimed_until = None
            _record(session, earlier, user, "resolve", before, note=f"{note} (#{row.id})")


def flag_wrong(*, session: Session, analyzer: Analyzer, message_id: int, user: str, intent: str) -> str | None:
    """An automatic answer was wrong: store the right intent and put the message back in the
    queue with a draft for that intent, so an agent can follow up with the buyer."""
    _check_intent(intent)
    row = get_message(session=session, message_id=message_id)
    if row.status != "auto":
        raise Conflict("only automatically answered messages can be flagged as wrong")
    before = _snapshot(row)
    suggested = row.intent
    row.intent = intent
    row.route, row.status = "review", "open"
    row.reasons = [f"agent_flagged: answered automatically as {suggested}; {user} says {intent}", *(row.reasons or [])]
    problem = _redraft(row, analyzer, row.draft_language or row.language or "en")
    _label(session, row, user, intent, suggested)
    _record(session, row, user, "flag_wrong", before, note=problem)
    return problem
