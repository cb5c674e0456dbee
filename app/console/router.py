"""The agent console: HTML pages over the review service. Thin: validate, call, render."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session

from app.console.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AdminViewer,
    AgentViewer,
    AnyViewer,
    TrainerViewer,
    Viewer,
    check_csrf,
    cookie_is_secure,
    new_login_csrf,
)
from app.console.render import SECURITY_HEADERS, page
from app.deps import AnalyzerDep, RowId, SessionDep, SettingsDep
from app.errors import TriageError
from app.models import STATUSES
from app.gateways.html_text import html_to_text
from app.console import charts
from app.models import utcnow
from app.services import alerts, console_sessions, keys, outbox, registry, review, stats, threads, users
from app.services.analysis import Analyzer
from classifier import INTENTS

router = APIRouter(prefix="/console", include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"
CsrfField = Annotated[str | None, Form()]
DONE = {
    "approved": "Approved: the reply is in the outbox.",
    "escalated": "Escalated with your note.",
    "resolved": "Resolved without a reply.",
    "flagged": "Recorded as wrong; the message is back in the queue with a new draft.",
    "saved": "Draft saved.",
    "relabelled": "Intent changed; the draft was rewritten from that intent's template.",
    "language": "Reply language changed.",
    "empty": "Nothing is waiting that another agent does not already hold.",
}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


# --- logging in and out --------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request) -> Response:
    token = new_login_csrf()
    response = page(request, "login.html", csrf=token)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=cookie_is_secure(request), path="/console")
    return response


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token)
    user = users.authenticate(session=session, name=name, password=password)
    if user is None:
        session.commit()
        token = new_login_csrf()
        response = page(request, "login.html", status_code=401, csrf=token, error="Wrong name or password.", name=name)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=cookie_is_secure(request), path="/console")
        return response
    token, _ = console_sessions.start(session=session, user=user, hours=settings.console_session_hours)
    session.commit()
    response = _redirect("/console/queue")
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=cookie_is_secure(request), path="/console",
        max_age=int(settings.console_session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, viewer: AnyViewer, csrf_token: CsrfField = None) -> Response:
    check_csrf(viewer.csrf, csrf_token)
    console_sessions.end(session=session, token=request.cookies.get(SESSION_COOKIE))
    session.commit()
    response = _redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


# --- the queue -----------------------------------------------------------------------------


@router.get("")
@router.get("/")
def home() -> Response:
    return _redirect("/console/queue")


@router.get("/queue")
def queue(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: AnyViewer,
    tab: Annotated[str, Query(pattern="^(review|auto)$")] = "review",
    intent: Annotated[str, Query(max_length=32)] = "",
    language: Annotated[str, Query(max_length=16)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    if status and status not in STATUSES:
        status = ""
    result = review.queue_page(
        session=session, tab=tab, intent=intent or None, language=language or None, status=status or None,
        page=page_number, per_page=settings.console_page_size,
    )
    filters = {"tab": tab, "intent": intent, "language": language, "status": status}

    def link(**changes: object) -> str:
        return "/console/queue?" + urlencode({k: v for k, v in {**filters, **changes}.items() if v})

    return page(
        request, "queue.html", viewer=viewer, result=result, filters=filters, link=link, intents=INTENTS,
        statuses=("open", "escalated", "approved", "resolved"), languages=settings.languages,
        notice=DONE.get(request.query_params.get("done", "")),
    )


@router.post("/queue/next")
def take_next(session: SessionDep, settings: SettingsDep, viewer: AgentViewer, csrf_token: CsrfField = None) -> Response:
    """Claim the most urgent message nobody holds and open it."""
    check_csrf(viewer.csrf, csrf_token)
    row = review.claim_next(session=session, user=viewer.name, minutes=settings.claim_minutes)
    if row is None:
        return _redirect("/console/queue?done=empty")
    session.commit()
    return _redirect(f"/console/messages/{row.id}")


# --- one message ---------------------------------------------------------------------------


def _item_page(request: Request, session: Session, analyzer: Analyzer, viewer: Viewer, message_id: int, *,
               error: str | None = None, notice: str | None = None, status_code: int = 200) -> Response:
    row = review.get_message(session=session, message_id=message_id)
    holder = review.claim_holder(row)
    sop = analyzer.sop(row.intent, row.language)
    template_languages = [lang for lang in analyzer.templates.languages() if analyzer.templates.has_template(row.intent or "other", lang)]
    conversation = threads.messages_in(session=session, conversation_id=row.conversation_id, exclude=row.id)
    replies: dict[int, list] = {}
    for m in [*conversation, row]:
        replies[m.id] = outbox.for_message(session=session, message_id=m.id)
    return page(
        request, "item.html", status_code=status_code, viewer=viewer, message=row, holder=holder,
        mine=holder == viewer.name, sop=sop, intents=INTENTS, template_languages=template_languages,
        history=review.history(session=session, message_id=message_id), error=error, notice=notice,
        can_act=viewer.can("agent"), conversation=conversation, replies=replies,
        html_text=html_to_text(row.html_body) if row.html_body else None,
    )


@router.get("/messages/{message_id}")
def item(request: Request, session: SessionDep, settings: SettingsDep, analyzer: AnalyzerDep, viewer: AnyViewer, message_id: RowId) -> Response:
    row = review.get_message(session=session, message_id=message_id)
    error = None
    if viewer.can("agent") and row.status in ("open", "escalated"):
        try:
            review.claim(session=session, message_id=message_id, user=viewer.name, minutes=settings.claim_minutes)
            session.commit()
        except TriageError as exc:
            session.rollback()
            error = exc.message
    return _item_page(request, session, analyzer, viewer, message_id, error=error,
                      notice=DONE.get(request.query_params.get("done", "")))


def _act(request: Request, session: Session, analyzer: Analyzer, viewer: Viewer, message_id: int, csrf_token: str | None,
         action, done: str, back_to_queue: bool) -> Response:
    check_csrf(viewer.csrf, csrf_token)
    try:
        problem = action()
        session.commit()
    except TriageError as exc:
        session.rollback()
        return _item_page(request, session, analyzer, viewer, message_id, error=exc.message, status_code=exc.status_code)
    if problem:
        return _item_page(request, session, analyzer, viewer, message_id, error=problem, status_code=200)
    if back_to_queue:
        return _redirect(f"/console/queue?done={done}")
    return _redirect(f"/console/messages/{message_id}?done={done}")


@router.post("/messages/{message_id}/intent")
def change_intent(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
                  intent: Annotated[str, Form(max_length=32)] = "", csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.change_intent(session=session, analyzer=analyzer, message_id=message_id, user=viewer.name, intent=intent),
                "relabelled", back_to_queue=False)


@router.post("/messages/{message_id}/language")
def change_language(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
                    language: Annotated[str, Form(max_length=16)] = "", csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.change_language(session=session, analyzer=analyzer, message_id=message_id, user=viewer.name, language=language),
                "language", back_to_queue=False)


@router.post("/messages/{message_id}/save")
def save(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
         subject: Annotated[str, Form(max_length=500)] = "", body: Annotated[str, Form(max_length=50_000)] = "",
         csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.save_draft(session=session, message_id=message_id, user=viewer.name, subject=subject, body=body),
                "saved", back_to_queue=False)


@router.post("/messages/{message_id}/approve")
def approve(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
            subject: Annotated[str, Form(max_length=500)] = "", body: Annotated[str, Form(max_length=50_000)] = "",
            csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.approve(session=session, message_id=message_id, user=viewer.name, subject=subject, body=body),
                "approved", back_to_queue=True)


@router.post("/messages/{message_id}/escalate")
def escalate(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
             note: Annotated[str, Form(max_length=5000)] = "", csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.escalate(session=session, message_id=message_id, user=viewer.name, note=note),
                "escalated", back_to_queue=True)


@router.post("/messages/{message_id}/resolve")
def resolve(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
            note: Annotated[str, Form(max_length=5000)] = "", csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.resolve(session=session, message_id=message_id, user=viewer.name, note=note),
                "resolved", back_to_queue=True)


@router.post("/messages/{message_id}/wrong")
def flag_wrong(request: Request, session: SessionDep, analyzer: AnalyzerDep, viewer: AgentViewer, message_id: RowId,
               intent: Annotated[str, Form(max_length=32)] = "", csrf_token: CsrfField = None) -> Response:
    return _act(request, session, analyzer, viewer, message_id, csrf_token,
                lambda: review.flag_wrong(session=session, analyzer=analyzer, message_id=message_id, user=viewer.name, intent=intent),
                "flagged", back_to_queue=False)


# --- trainer and admin pages ---------------------------------------------------------------


@router.get("/outbox")
def outbox_page(request: Request, session: SessionDep, viewer: AnyViewer,
                status: Annotated[Literal["failed", "pending", "sending", "sent"], Query()] = "failed") -> Response:
    return page(request, "outbox.html", viewer=viewer, status=status, counts=outbox.backlog(session=session),
                items=outbox.listing(session=session, status=status))


@router.post("/outbox/{item_id}/retry")
def outbox_retry(request: Request, session: SessionDep, viewer: AgentViewer, item_id: RowId, csrf_token: CsrfField = None) -> Response:
    check_csrf(viewer.csrf, csrf_token)
    item = outbox.retry(session=session, item_id=item_id)
    session.commit()
    return _redirect(f"/console/messages/{item.message_id}")


@router.get("/models")
def models_page(request: Request, session: SessionDep, settings: SettingsDep, analyzer: AnalyzerDep, viewer: TrainerViewer) -> Response:
    models = registry.list_models(session=session, model_dir=settings.model_dir)
    return page(request, "models.html", viewer=viewer, models=models, serving=analyzer.model_version)


DASHBOARD_TEMPLATES = 12  # the worst-rated templates with enough answers


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, settings: SettingsDep, viewer: AnyViewer,
              days: Annotated[int, Query(ge=1, le=365)] = 30) -> Response:
    """The seller's numbers over the last `days` days, as the marketplaces count them."""
    end = utcnow()
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    found = stats.period_cases(session=session, settings=settings, start=start, end=end)  # read once, grouped four ways
    report = stats.report(session=session, settings=settings, start=start, end=end, group_by=None, now=end, found=found)
    daily = stats.groups(found, ["day", "intent"], now=end)
    per_day = stats.groups(found, ["day"], now=end)
    templates = [g for g in stats.groups(found, ["template"], now=end) if g["votes"] >= settings.template_flag_min_votes]
    days_shown = charts.days_between(start.date(), end.date() + timedelta(days=1))
    alerts.check(session=session, settings=settings)
    session.commit()
    return page(
        request, "dashboard.html", viewer=viewer, days=days, report=report, targets=report["targets"],
        volume=charts.volume_by_intent(daily, days_shown, INTENTS),
        sla=charts.share_line(per_day, days_shown, "sla_share", stats.SLA_TARGET),
        dissatisfaction=charts.rate_bars(sorted(templates, key=lambda g: -g["dissatisfaction_rate"])[:DASHBOARD_TEMPLATES],
                                         stats.DISSATISFACTION_TARGET),
        templates_shown=min(len(templates), DASHBOARD_TEMPLATES), templates_voted=len(templates),
        alerts=alerts.active(session=session, settings=settings),
    )


@router.get("/admin/users")
def users_page(request: Request, session: SessionDep, viewer: AdminViewer) -> Response:
    return page(request, "users.html", viewer=viewer, users=users.list_users(session=session), keys=keys.list_keys(session=session))


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC / name
    if name not in {"console.css", "console.js"} or not path.is_file():
        return Response("not found", status_code=404)
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})
