"""Prometheus metrics at /metrics.

Counters and histograms are kept per process; with several workers (`triage serve --workers N`)
prometheus-client's multiprocess mode adds them up across workers (PROMETHEUS_MULTIPROC_DIR, set
by `triage serve`). What the database knows (queue, outbox, active model) is read at scrape time,
so every worker reports the same figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.types import ASGIApp, Message as AsgiMessage, Receive, Scope, Send

from app.models import OPEN_STATUSES, Message, ModelActivation, OutboxItem, utcnow

REQUESTS = Counter("triage_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"])
LATENCY = Histogram(
    "triage_http_request_duration_seconds", "Time to answer an HTTP request, by route", ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MESSAGES = Counter("triage_messages_total", "Messages stored, by intent, language and route", ["intent", "language", "route"])
MODEL_LOADED = Gauge("triage_model_loaded", "1 for the model version this worker answers with", ["version"],
                     multiprocess_mode="liveall")


def count_message(*, intent: str | None, language: str | None, route: str) -> None:
    MESSAGES.labels(intent=intent or "none", language=language or "und", route=route).inc()


def model_loaded(version: str | None, previous: str | None = None) -> None:
    if previous and previous != version:  # set to 0, not removed: other processes read the same files
        MODEL_LOADED.labels(version=previous).set(0)
    if version:
        MODEL_LOADED.labels(version=version).set(1)


class DatabaseCollector(Collector):
    """Queue, outbox and active model, counted in the database when Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        waiting = (Message.route == "review", Message.status.in_(OPEN_STATUSES))
        with Session(self.engine) as session:
            queue = session.exec(select(func.count()).select_from(Message).where(*waiting)).one()
            overdue = session.exec(select(func.count()).select_from(Message).where(*waiting, Message.due_at < now)).one()
            outbox = dict(session.exec(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all())
            active = session.exec(select(ModelActivation.version).order_by(ModelActivation.id.desc()).limit(1)).first()
        yield GaugeMetricFamily("triage_review_queue_size", "Messages waiting for an agent", value=queue)
        yield GaugeMetricFamily("triage_review_queue_overdue", "Messages waiting past their first-reply deadline", value=overdue)
        items = GaugeMetricFamily("triage_outbox_items", "Replies in the outbox by status (failed: gave up)", labels=["status"])
        for status in ("pending", "sending", "sent", "failed"):
            items.add_metric([status], outbox.get(status, 0))
        yield items
        backlog = outbox.get("pending", 0) + outbox.get("sending", 0)
        yield GaugeMetricFamily("triage_outbox_backlog", "Replies not yet delivered", value=backlog)
        info = GaugeMetricFamily("triage_active_model_info", "The model version activated in the registry", labels=["version"])
        if active:
            info.add_metric([active], 1)
        yield info


def render(engine: Engine) -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, MESSAGES, MODEL_LOADED):
            registry.register(metric)
    registry.register(DatabaseCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class RequestMetrics:
    """Counts and times every request under its route template (/v1/messages/{message_id}), so
    ids in paths do not become labels."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_recording(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            if path != "/metrics":
                REQUESTS.labels(method=scope["method"], route=path, status=str(status[0])).inc()
                LATENCY.labels(method=scope["method"], route=path).observe(time.perf_counter() - started)
