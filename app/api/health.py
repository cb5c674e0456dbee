"""Liveness and readiness in one: the model loaded and the database reachable."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.api.errors_doc import errors
from app.db import is_reachable
from app.errors import ServiceUnavailable, Unauthorized
from app.models import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={
    503: {"model": Health, "description": "The database is unreachable"}, **errors(429)})
def healthz(request: Request, response: Response) -> Health:
    analyzer = request.app.state.analyzer
    database_ok = is_reachable(request.app.state.engine)
    healthy = database_ok and analyzer.classifier is not None
    if not database_ok:
        response.status_code = 503
    return Health(
        status="ok" if healthy else "degraded",
        database="ok" if database_ok else "unreachable",
        model_version=analyzer.model_version,
        model_error=analyzer.model_error,
    )


@router.get("/metrics", response_class=Response, responses={
    200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
    **errors(401, 503, e401="TRIAGE_METRICS_TOKEN is set and the bearer token does not match"),
})
def prometheus_metrics(request: Request) -> Response:
    """Requests and latency by route, messages by intent, language and route, the model, the
    outbox and the review queue, in Prometheus' text format."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Unauthorized("send 'Authorization: Bearer <TRIAGE_METRICS_TOKEN>'")
    try:
        body, content_type = metrics.render(request.app.state.engine)
    except SQLAlchemyError:
        raise ServiceUnavailable("the database is unavailable; the metrics need it") from None
    return Response(body, media_type=content_type)
