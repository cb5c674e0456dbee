"""Seller metrics and early warnings over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.api.errors_doc import COMMON, errors
from app.deps import AgentKey, SessionDep, SettingsDep
from app.errors import BadRequest
from app.services import alerts, stats

router = APIRouter(prefix="/v1", tags=["seller metrics"], responses=errors(*COMMON))

FromQuery = Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601 date or time (UTC if no zone); default 30 days before 'to'")]
ToQuery = Annotated[str | None, Query(alias="to", max_length=40, description="ISO 8601 date or time, exclusive; default now")]
GroupQuery = Annotated[str | None, Query(max_length=200, description=f"comma-separated: {', '.join(stats.DIMENSIONS)}")]
DueQuery = Annotated[float, Query(ge=0, le=720, description="backlog: count what falls due within this many hours")]


def parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"'{name}' must be an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def period(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    until = parse_time(end, "to") or datetime.now(UTC)
    since = parse_time(start, "from") or until - timedelta(days=30)
    return since, until


def _report(session: Session, settings: Any, start: str | None, end: str | None, group_by: str | None, due: float) -> dict[str, Any]:
    since, until = period(start, end)
    return stats.report(session=session, settings=settings, start=since, end=until, group_by=group_by, due_within_hours=due)


@router.get("/stats", responses=errors(400))
def get_stats(session: SessionDep, settings: SettingsDep, _: AgentKey, start: FromQuery = None, end: ToQuery = None,
              group_by: GroupQuery = None, due_within_hours: DueQuery = 4.0) -> dict[str, Any]:
    """First replies within the SLA, median and p90 first-reply hours, dissatisfaction, automation and
    correction rates over the period (messages received in [from, to)), in total and per group;
    the backlog now; and templates whose dissatisfaction stands out. Example:
    `/v1/stats?from=2026-11-01&to=2026-12-01&group_by=channel,intent`"""
    return _report(session, settings, start, end, group_by, due_within_hours)


@router.get("/stats.csv", response_class=Response, responses={
    200: {"description": "The same figures as a CSV table", "content": {"text/csv": {"schema": {"type": "string"}}}},
    **errors(400)})
def get_stats_csv(session: SessionDep, settings: SettingsDep, _: AgentKey, start: FromQuery = None, end: ToQuery = None,
                  group_by: GroupQuery = None, due_within_hours: DueQuery = 4.0) -> Response:
    """/v1/stats as CSV: one row per group (or one for the totals), dimensions first."""
    result = _report(session, settings, start, end, group_by, due_within_hours)
    out = io.StringIO()
    csv.writer(out).writerows(stats.csv_rows(result))
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="triage-stats.csv"'})


def _notify(request: Request) -> None:
    with Session(request.app.state.engine) as session:
        alerts.notify(session=session, settings=request.app.state.settings)
        session.commit()


@router.get("/alerts")
def get_alerts(request: Request, background: BackgroundTasks, session: SessionDep, settings: SettingsDep, _: AgentKey) -> dict[str, Any]:
    """Early warnings in force: an intent well above its trailing baseline (overall or on one
    product), and the first-reply SLA of the next 24 hours about to fall below 90%."""
    alerts.check(session=session, settings=settings)
    session.commit()
    if settings.alert_webhook_url:
        background.add_task(_notify, request)
    return {"alerts": [alerts.as_dict(a) for a in alerts.active(session=session, settings=settings)]}
