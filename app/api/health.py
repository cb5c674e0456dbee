"""Liveness and readiness in one: the model loaded and the database reachable."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.db import is_reachable
from app.models import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
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
