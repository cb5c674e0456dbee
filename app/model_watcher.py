"""Live reload: every worker checks the active model version in the database every few seconds
and switches to a newly activated model without a restart.

The switch replaces the analyzer reference in one assignment; a request that already holds the
old analyzer finishes with it. A model that fails its integrity check is refused and the worker
keeps the model it has, saying why in /healthz.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import heap, metrics
from app.services import registry
from app.services.analysis import Analyzer

log = logging.getLogger(__name__)


class ModelWatcher:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.refused: str | None = None

    def check(self) -> None:
        state = self.app.state
        settings = state.settings
        try:
            with Session(state.engine) as session:
                version = registry.active_version(session=session, model_dir=settings.model_dir)
        except SQLAlchemyError as exc:
            log.warning("model check skipped: database error %s", type(exc).__name__)
            return
        current = state.analyzer
        if version is None or version == current.model_version or version == self.refused:
            return
        classifier, error = registry.load(model_dir=settings.model_dir, version=version)
        if classifier is None:
            self.refused = version
            kept = current.model_version or "no model"
            current.model_error = f"model {version} was activated but refused ({error}); still answering with {kept}"
            log.error("model %s refused: %s", version, error)
            return
        self.refused = None
        state.analyzer = Analyzer(settings=settings, classifier=classifier)
        metrics.model_loaded(state.analyzer.model_version, previous=current.model_version)
        log.info("switched from model %s to %s", current.model_version, version)
        heap.freeze_loaded()

    async def run(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await run_in_threadpool(self.check)
            except Exception:  # the watcher must outlive any one failed check
                log.exception("model check failed")
