"""The numbers marketplaces judge a seller by, over any period, grouped as asked.

Definitions (the README repeats them):
- the messages of a period are the buyers' messages received in [start, end), robots excluded;
- a message's first reply is the earliest reply sent in its conversation after it arrived (a reply
  to a later message of the conversation answers the earlier ones too); its first-reply time is
  sent_at - received_at, and it is within the SLA when that is at most the channel's SLA hours;
- the SLA share is replies within the SLA over (replied + unanswered past their SLA); messages
  resolved without a reply, and unanswered ones still inside their SLA, are not counted;
- dissatisfaction is the share of "no" among the buyers' answers; automation the share of first
  replies sent without an agent; correction the share of agent-labelled messages whose intent the
  agent changed.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.config import Settings
from app.errors import BadRequest
from app.models import OPEN_STATUSES, Feedback, Label, Message, OutboxItem, as_utc, utcnow

DIMENSIONS = ("channel", "marketplace", "intent", "language", "template", "model_version", "day", "week")
SLA_TARGET = 0.90  # Amazon: more than 90% of messages answered within 24 hours
DISSATISFACTION_TARGET = 0.25  # Amazon: fewer than 25% of buyers answering "no"


@dataclass
class Case:
    """One buyer message of the period with what happened to it."""

    id: int
    channel: str
    marketplace: str | None
    intent: str | None
    language: str | None
    model_version: str | None
    received_at: datetime
    sla_hours: float
    resolved_without_reply: bool
    first_reply_at: datetime | None = None
    first_reply_auto: bool = False
    template: str | None = None
    solved: bool | None = None
    corrected: bool | None = None

    @property
    def reply_hours(self) -> float | None:
        if self.first_reply_at is None:
            return None
        return (self.first_reply_at - self.received_at).total_seconds() / 3600

    def value(self, dimension: str) -> str:
        if dimension == "day":
            return self.received_at.date().isoformat()
        if dimension == "week":
            return (self.received_at.date() - timedelta(days=self.received_at.weekday())).isoformat()
        return getattr(self, dimension) or "none"


def cases(*, session: Session, start: datetime, end: datetime, settings: Settings) -> list[Case]:
    rows = session.exec(
        select(Message.id, Message.channel, Message.marketplace, Message.intent, Message.language, Message.model_version,
               Message.received_at, Message.status, Message.conversation_id)
        .where(Message.received_at >= start, Message.received_at < end, Message.robot.is_(None))
        .order_by(Message.received_at, Message.id)
    ).all()
    found = [
        Case(id=r.id, channel=r.channel, marketplace=r.marketplace, intent=r.intent, language=r.language,
             model_version=r.model_version, received_at=as_utc(r.received_at), sla_hours=settings.sla_hours_for(r.channel),
             resolved_without_reply=r.status == "resolved")
        for r in rows
    ]
    if not found:
        return []
    by_id = {c.id: c for c in found}
    conversation_of = {r.id: r.conversation_id for r in rows}
    _first_replies(session, found, conversation_of, start)
    for message_id, solved in session.exec(select(Feedback.message_id, Feedback.solved).where(Feedback.message_id.in_(list(by_id)))):
        by_id[message_id].solved = solved
    newest = select(Label.message_id, func.max(Label.id).label("label_id")).where(Label.message_id.in_(list(by_id))).group_by(Label.message_id).subquery()
    for message_id, intent, suggested in session.exec(
        select(Label.message_id, Label.intent, Label.suggested_intent).join(newest, newest.c.label_id == Label.id)
    ):
        by_id[message_id].corrected = suggested is not None and intent != suggested
    return found


def _first_replies(session: Session, found: list[Case], conversation_of: dict[int, int | None], start: datetime) -> None:
    """Each case's first reply: sent, in its conversation (or to itself), created after it arrived."""
    conversations = {c for c in conversation_of.values() if c is not None}
    query = (select(Message.id, Message.conversation_id, OutboxItem.created_at, OutboxItem.sent_at, OutboxItem.created_by,
                    OutboxItem.template)
             .join(Message, Message.id == OutboxItem.message_id)
             .where(OutboxItem.status == "sent", OutboxItem.created_at >= start))
    replies: dict[Any, list] = defaultdict(list)
    for message_id, conversation_id, created_at, sent_at, created_by, template in session.exec(query):
        if conversation_id in conversations or message_id in conversation_of:
            key = ("c", conversation_id) if conversation_id is not None else ("m", message_id)
            replies[key].append((as_utc(sent_at), as_utc(created_at), created_by, template))
    for case in found:
        conversation_id = conversation_of[case.id]
        key = ("c", conversation_id) if conversation_id is not None else ("m", case.id)
        candidates = [r for r in replies.get(key, ()) if r[1] >= case.received_at and r[0] is not None]
        if candidates:
            sent_at, _, created_by, template = min(candidates, key=lambda r: r[0])
            case.first_reply_at, case.first_reply_auto, case.template = sent_at, created_by == "auto", template


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank


def summarize(group: Iterable[Case], *, now: datetime) -> dict[str, Any]:
    group = list(group)
    needing = [c for c in group if not c.resolved_without_reply]
    replied = [c for c in needing if c.first_reply_at is not None]
    within = [c for c in replied if c.reply_hours <= c.sla_hours]
    overdue = [c for c in needing if c.first_reply_at is None and now > c.received_at + timedelta(hours=c.sla_hours)]
    hours = [c.reply_hours for c in replied]
    votes = [c.solved for c in group if c.solved is not None]
    labelled = [c.corrected for c in group if c.corrected is not None]
    automated = sum(c.first_reply_auto for c in replied)
    return {
        "messages": len(group),
        "replied": len(replied),
        "replied_within_sla": len(within),
        "unanswered_past_sla": len(overdue),
        "sla_share": _rate(len(within), len(replied) + len(overdue)),
        "first_reply_hours_median": round(statistics.median(hours), 2) if hours else None,
        "first_reply_hours_p90": round(_p90(hours), 2) if hours else None,
        "votes": len(votes),
        "dissatisfied": votes.count(False),
        "dissatisfaction_rate": _rate(votes.count(False), len(votes)),
        "automated": automated,
        "automation_rate": _rate(automated, len(replied)),
        "labelled": len(labelled),
        "corrected": sum(labelled),
        "correction_rate": _rate(sum(labelled), len(labelled)),
    }


def parse_dimensions(group_by: str | None) -> list[str]:
    dimensions = [d.strip() for d in (group_by or "").split(",") if d.strip()]
    unknown = [d for d in dimensions if d not in DIMENSIONS]
    if unknown:
        raise BadRequest(f"cannot group by {', '.join(unknown)}; choose from {', '.join(DIMENSIONS)}")
    return list(dict.fromkeys(dimensions))


def backlog(*, session: Session, now: datetime, within_hours: float) -> dict[str, Any]:
    waiting = (Message.route == "review", Message.status.in_(OPEN_STATUSES))
    count = lambda *more: int(session.exec(select(func.count()).select_from(Message).where(*waiting, *more)).one())  # noqa: E731
    return {"open": count(), "overdue": count(Message.due_at < now),
            "due_within_hours": within_hours, "due_soon": count(Message.due_at >= now, Message.due_at < now + timedelta(hours=within_hours))}


def flagged_templates(found: list[Case], *, min_votes: int, target: float = DISSATISFACTION_TARGET) -> list[dict[str, Any]]:
    """Templates whose replies buyers judge worse than the target, or clearly worse than the
    seller's other replies (at least 20 points above the overall rate), on enough votes."""
    voted = [c for c in found if c.solved is not None]
    overall = voted and sum(not c.solved for c in voted) / len(voted)
    by_template: dict[str, list[Case]] = defaultdict(list)
    for case in voted:
        by_template[case.template or "none"].append(case)
    flagged = []
    for template, group in sorted(by_template.items()):
        no = sum(not c.solved for c in group)
        rate = no / len(group)
        if len(group) < min_votes:
            continue
        reasons = []
        if rate > target:
            reasons.append(f"{rate:.0%} of buyers said it did not solve their problem (target: under {target:.0%})")
        if rate >= overall + 0.2:
            reasons.append(f"{rate:.0%} against {overall:.0%} for all replies")
        if reasons:
            flagged.append({"template": template, "votes": len(group), "dissatisfied": no,
                            "dissatisfaction_rate": round(rate, 4), "reasons": reasons})
    return flagged


def groups(found: Iterable[Case], dimensions: Sequence[str], *, now: datetime) -> list[dict[str, Any]]:
    """The figures of each combination of `dimensions` values, in order of the values."""
    grouped: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    for case in found:
        grouped[tuple(case.value(d) for d in dimensions)].append(case)
    return [{"key": dict(zip(dimensions, key)), **summarize(members, now=now)} for key, members in sorted(grouped.items())]


def period_cases(*, session: Session, settings: Settings, start: datetime, end: datetime) -> list[Case]:
    """`cases` for a period a person asked for, refused with a clear error when it makes no sense."""
    if end <= start:
        raise BadRequest("'to' must be after 'from'")
    if end - start > timedelta(days=400):
        raise BadRequest("a period of at most 400 days, please")
    return cases(session=session, start=start, end=end, settings=settings)


def report(*, session: Session, settings: Settings, start: datetime, end: datetime, group_by: str | None,
           due_within_hours: float = 4.0, now: datetime | None = None, found: list[Case] | None = None) -> dict[str, Any]:
    """Totals, groups, backlog and flagged templates; `found` when the period's cases are at hand."""
    now = now or utcnow()
    dimensions = parse_dimensions(group_by)
    if found is None:
        found = period_cases(session=session, settings=settings, start=start, end=end)
    return {
        "from": start.isoformat(), "to": end.isoformat(), "group_by": dimensions,
        "targets": {"sla_share": SLA_TARGET, "dissatisfaction_rate": DISSATISFACTION_TARGET},
        "totals": summarize(found, now=now),
        "groups": groups(found, dimensions, now=now) if dimensions else [],
        "backlog": backlog(session=session, now=now, within_hours=due_within_hours),
        "flagged_templates": flagged_templates(found, min_votes=settings.template_flag_min_votes),
    }


METRIC_COLUMNS = ("messages", "replied", "replied_within_sla", "unanswered_past_sla", "sla_share", "first_reply_hours_median",
                  "first_reply_hours_p90", "votes", "dissatisfied", "dissatisfaction_rate", "automated", "automation_rate",
                  "labelled", "corrected", "correction_rate")


def csv_rows(result: dict[str, Any]) -> list[list[Any]]:
    """The report as a table: one row per group (or the totals), dimensions first."""
    dimensions = result["group_by"]
    rows: list[list[Any]] = [[*dimensions, *METRIC_COLUMNS]]
    for group in result["groups"] or [{"key": {}, **result["totals"]}]:
        rows.append([group["key"].get(d, "") for d in dimensions] + ["" if group[m] is None else group[m] for m in METRIC_COLUMNS])
    return rows
