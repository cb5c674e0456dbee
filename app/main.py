"""The application factory: settings, database, model and routers wired once at start-up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError

from app import console, db, heap, metrics
from app.api import feedback, health, inbound, messages, models, outbox, stats
from app.config import Settings, get_settings
from app.errors import TriageError
from app.limits import BodySizeLimit
from app.logs import RequestId
from app.metrics import RequestMetrics
from app.rate_limit import RateLimiter
from app.writer import make_writer
from app.model_watcher import ModelWatcher
from app.services.analysis import Analyzer
from app.services.keys import KeyCache
from app.services.models import load_active_model

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            db.upgrade(settings.database_url)
        app.state.engine = db.make_engine(settings.database_url)
        app.state.writer = make_writer(db.make_engine(settings.database_url, writer=True))
        classifier, model_error = load_active_model(settings.model_dir, engine=app.state.engine)
        app.state.analyzer = Analyzer(settings=settings, classifier=classifier, model_error=model_error)
        metrics.model_loaded(app.state.analyzer.model_version)
        heap.freeze_loaded()
        app.state.model_watcher = ModelWatcher(app)
        watcher = asyncio.create_task(app.state.model_watcher.run(settings.model_poll_seconds)) if settings.model_poll_seconds > 0 else None
        yield
        if watcher is not None:
            watcher.cancel()
        app.state.writer.stop()
        app.state.writer.engine.dispose()
        app.state.engine.dispose()

    app = FastAPI(
        title="Buyer message triage",
        version="0.1.0",
        description="Finds the language and intent of buyer after-sales messages, drafts the reply "
        "from the seller's templates and routes it: answered automatically or queued for review.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.state.key_cache = KeyCache(settings.key_cache_seconds)
    mail_limit = settings.max_inbound_bytes
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, rules=(
        # too large is permanent: answer with the status that stops each gateway's retries
        ("/v1/inbound/mailgun", mail_limit, 406), ("/v1/inbound/postmark", mail_limit, 403), ("/v1/inbound/", mail_limit, 413),
    ))
    app.add_middleware(RequestMetrics)
    app.add_middleware(RequestId)  # outermost: even a refused body gets an id
    _install_error_handlers(app)
    app.include_router(messages.router)
    app.include_router(feedback.router)
    app.include_router(stats.router)
    app.include_router(inbound.router)
    app.include_router(outbox.router)
    app.include_router(models.router)
    app.include_router(health.router)
    console.install(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TriageError)
    async def triage_error(request: Request, exc: TriageError) -> Response:
        if console.is_console(request):
            return console.error_page(request, exc.status_code, "That did not work", exc.message)
        return JSONResponse({"error": exc.message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if console.is_console(request):
            fields = ", ".join(str(e.get("loc", ("?",))[-1]) for e in errors)
            return console.error_page(request, 422, "Invalid input", f"Check these fields and try again: {fields}.")
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"error": "the body is not valid JSON"}, status_code=400)
        fields = [
            {
                "field": ".".join(str(part) for part in e.get("loc", ()) if part != "body") or "body",
                "message": e.get("msg", "invalid"),
            }
            for e in errors
        ]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse({"error": f"invalid request: {summary}", "fields": fields}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("database error: %s", type(exc).__name__)
        return JSONResponse(
            {"error": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"error": "internal error; it has been logged"}, status_code=500)


def app_from_environment() -> FastAPI:
    """Entry point for uvicorn workers: `uvicorn --factory app.main:app_from_environment`."""
    return create_app()
