"""Early warnings: an intent rising well above its trailing baseline, overall or on one product,
and the first-reply SLA of the coming day about to fall below target.

Each alert is raised once: while its condition holds, a check finds the alert already raised
within its window and raises nothing new. Alerts are shown in the console, listed at
/v1/alerts, and POSTed once to TRIAGE_ALERT_WEBHOOK_URL when it is set."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.models import OPEN_STATUSES, Alert, Message, OutboxItem, as_utc, utcnow
from app.services.stats import SLA_TARGET

log = logging.getLogger(__name__)
SLA_HORIZON = timedelta(hours=24)


def _window(settings: Settings) -> timedelta:
    return timedelta(days=settings.alert_window_days)


def spikes(*, session: Session, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Intents (overall, and per product) whose count over the last window is at least
    alert_factor times their average over the alert_baseline_windows windows before, and at
    least alert_min_count."""
    window = _window(settings)
    start = now - window
    baseline_start = start - window * settings.alert_baseline_windows
    rows = session.exec(
        select(Message.intent, Message.sku, Message.received_at)
        .where(Message.received_at >= baseline_start, Message.received_at < now, Message.robot.is_(None), Message.intent.is_not(None))
    ).all()
    current: Counter = Counter()
    before: Counter = Counter()
    for intent, sku, received_at in rows:
        bucket = current if as_utc(received_at) >= start else before
        bucket[(intent, None)] += 1
        if sku:
            bucket[(intent, sku)] += 1
    found = []
    for (intent, sku), count in sorted(current.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        baseline = before[(intent, sku)] / settings.alert_baseline_windows
        if count >= settings.alert_min_count and count >= settings.alert_factor * max(baseline, 1.0):
            where = f"product {sku}" if sku else "all products"
            found.append({
                "kind": "spike", "subject": f"{intent} on {sku}" if sku else f"{intent} overall", "intent": intent, "sku": sku,
                "window_start": start, "window_end": now, "count": count, "baseline": round(baseline, 2),
                "detail": f"{count} {intent} messages about {where} in the last {settings.alert_window_days:g} days, "
                          f"against {baseline:.1f} in an average window before",
            })
    return found


def sla_forecast(*, session: Session, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """The messages due in the next 24 hours, answered in deadline order at the pace agents
    answered over the last 24 hours: alert when fewer than the SLA target would be on time."""
    due = [as_utc(d) for d in session.exec(
        select(Message.due_at).where(Message.route == "review", Message.status.in_(OPEN_STATUSES), Message.robot.is_(None),
                                     Message.due_at >= now, Message.due_at < now + SLA_HORIZON).order_by(Message.due_at)
    )]
    if len(due) < settings.alert_min_count:
        return []
    answered = len(session.exec(
        select(OutboxItem.id).where(OutboxItem.created_by != "auto", OutboxItem.created_at >= now - SLA_HORIZON,
                                    OutboxItem.created_at < now)
    ).all())
    per_hour = answered / 24
    on_time = sum(1 for k, deadline in enumerate(due)
                  if per_hour > 0 and now + timedelta(hours=(k + 1) / per_hour) <= deadline)
    share = on_time / len(due)
    if share >= SLA_TARGET:
        return []
    return [{
        "kind": "sla_forecast", "subject": "first-reply SLA", "intent": None, "sku": None,
        "window_start": now, "window_end": now + SLA_HORIZON, "count": len(due), "baseline": float(on_time),
        "detail": f"{len(due)} messages are due in the next 24 hours; at the last day's pace of {per_hour:.1f} replies "
                  f"an hour, only {on_time} ({share:.0%}) would be answered in time, under the {SLA_TARGET:.0%} target",
    }]


def check(*, session: Session, settings: Settings, now: datetime | None = None) -> list[Alert]:
    """Raise the alerts whose condition holds and that were not raised within their window
    (the caller commits); returns the new ones."""
    now = now or utcnow()
    raised = []
    for found in [*spikes(session=session, settings=settings, now=now), *sla_forecast(session=session, settings=settings, now=now)]:
        quiet = _window(settings) if found["kind"] == "spike" else SLA_HORIZON
        already = session.exec(select(Alert.id).where(Alert.kind == found["kind"], Alert.subject == found["subject"],
                                                      Alert.created_at > now - quiet)).first()
        if already is not None:
            continue
        alert = Alert(**found, created_at=now)
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:  # another worker raised it at the same moment
            continue
        raised.append(alert)
    return raised


def active(*, session: Session, settings: Settings, now: datetime | None = None) -> list[Alert]:
    """Alerts raised within their window, newest first."""
    now = now or utcnow()
    recent = session.exec(select(Alert).where(Alert.created_at > now - max(_window(settings), SLA_HORIZON))
                          .order_by(Alert.created_at.desc(), Alert.id.desc())).all()
    return [a for a in recent if as_utc(a.created_at) > now - (_window(settings) if a.kind == "spike" else SLA_HORIZON)]


def as_dict(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "kind": alert.kind, "subject": alert.subject, "intent": alert.intent, "sku": alert.sku,
            "count": alert.count, "baseline": alert.baseline, "detail": alert.detail,
            "window_start": as_utc(alert.window_start).isoformat(), "window_end": as_utc(alert.window_end).isoformat(),
            "created_at": as_utc(alert.created_at).isoformat(),
            "notified_at": as_utc(alert.notified_at).isoformat() if alert.notified_at else None}


def notify(*, session: Session, settings: Settings, timeout: float = 5.0) -> int:
    """POST every alert not yet sent to the webhook (the caller commits); returns how many went."""
    if not settings.alert_webhook_url:
        return 0
    sent = 0
    for alert in session.exec(select(Alert).where(Alert.notified_at.is_(None)).order_by(Alert.id)).all():
        request = urllib.request.Request(settings.alert_webhook_url, data=json.dumps(as_dict(alert)).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the seller's own URL)
                if response.status >= 300:
                    raise OSError(f"status {response.status}")
        except OSError as exc:
            log.warning("alert webhook failed (%s); it is retried on the next check", type(exc).__name__)
            break
        alert.notified_at = utcnow()
        sent += 1
    session.flush()
    return sent
