"""Group commit: one writer thread per process stores what every request hands it.

Requests analyse their message first, then hand the writing to this thread and wait for it. The
writer takes every job waiting and runs them in one transaction with one commit: one fsync
(SQLite) or one round trip (PostgreSQL) for the group, and no two threads of a process contending
for the database lock. A job's caller gets its result only after that commit, so a 2xx still
means the message is on disk. If any job of a group fails, the group is rolled back and its jobs
run again one savepoint each, so one bad job costs the others nothing; if the commit itself
fails, every job of the group fails with it and its caller answers 503, nothing half-stored.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from app.errors import ServiceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
# set in session.info while a group runs without savepoints: a job's own error handling that
# needs a savepoint (a duplicate insert, say) should raise instead, and the group is run again
OPTIMISTIC = "group_writer_optimistic"
Job = Callable[[Session], Any]


class GroupWriter:
    def __init__(self, engine: Engine, *, max_group: int = 64, wait_seconds: float = 30.0) -> None:
        self.engine = engine
        self.max_group = max_group
        self.wait_seconds = wait_seconds
        self._jobs: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, job: Callable[[Session], T]) -> Future:
        """Queue `job(session)` for the next group; the future resolves once the group is committed."""
        self._ensure_started()
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    def run(self, job: Callable[[Session], T]) -> T:
        """Run `job` in the next group and wait for its commit (from a worker thread)."""
        try:
            return self.submit(job).result(timeout=self.wait_seconds)
        except TimeoutError:
            raise ServiceUnavailable("the database is too slow to answer now; try again shortly") from None

    async def run_async(self, job: Callable[[Session], T]) -> T:
        """`run` from the event loop, holding no thread while it waits."""
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.submit(job)), timeout=self.wait_seconds)
        except TimeoutError:
            raise ServiceUnavailable("the database is too slow to answer now; try again shortly") from None

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="group-writer", daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)  # stop after this group
                    break
                group.append(job)
            self._write(group)

    def _write(self, group: list[tuple[Job, Future]]) -> None:
        try:
            outcomes = self._together(group)
        except Exception as exc:  # the commit (or the connection) failed: nothing of the group is stored
            log.warning("group of %d writes failed: %s", len(group), type(exc).__name__)
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, value, error in outcomes:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    def _together(self, group: list[tuple[Job, Future]]) -> list[tuple[Future, Any, BaseException | None]]:
        """All jobs in one transaction; if one fails, all again, each in its own savepoint."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                session.info[OPTIMISTIC] = True
                outcomes = [(future, job(session), None) for job, future in group]
            except Exception:
                session.rollback()
                session.info[OPTIMISTIC] = False
                outcomes = []
                for job, future in group:
                    try:
                        with session.begin_nested():
                            outcomes.append((future, job(session), None))
                    except Exception as exc:  # this job's savepoint is rolled back; the others go on
                        outcomes.append((future, None, exc))
            session.commit()
        return outcomes
