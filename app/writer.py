"""Group commit: every message a process stores goes through one writer.

Requests analyse their message first, then hand the writing to the writer and wait. The writer
takes every job waiting and runs them in one transaction with one commit: one fsync (SQLite) or
one round trip (PostgreSQL) for the group. A job's caller gets its result only after that commit,
so a 2xx still means the message is on disk. If any job of a group fails, the group is rolled back
and its jobs run again one savepoint each, so one bad job costs the others nothing; if the commit
itself fails, every job of the group fails with it and its caller answers 503, nothing half-stored.

Two writers, by what waits on the database:

- SQLite (`LoopWriter`): a write is local CPU work and one fsync, so it runs on the event loop.
  A writer thread would hold SQLite's write lock while waiting for the GIL at every statement
  (the loop is busy analysing the next requests): measured, a group of two held the lock for
  6 ms and the other worker process waited for it. When another process holds the lock, the
  group is tried again a fraction of a millisecond later and the loop goes on serving meanwhile.
- PostgreSQL (`ThreadWriter`): statements are network round trips, and a connection attempt to a
  database that went away can hang; a thread keeps the loop serving (and /healthz answering).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from app.db import LOCK_WAIT_SECONDS, WriteLockBusy
from app.errors import ServiceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
# set in session.info while a group runs without savepoints: a job's own error handling that
# needs a savepoint (a duplicate insert, say) should raise instead, and the group is run again
OPTIMISTIC = "group_writer_optimistic"
Job = Callable[[Session], Any]
Outcome = tuple[Any, BaseException | None]
TOO_SLOW = "the database is too slow to answer now; try again shortly"


def make_writer(engine: Engine, *, max_group: int = 64, wait_seconds: float = 30.0) -> GroupWriter:
    """The writer for `engine`'s database (see the module's docstring)."""
    kind = LoopWriter if engine.dialect.name == "sqlite" else ThreadWriter
    return kind(engine, max_group=max_group, wait_seconds=wait_seconds)


class GroupWriter:
    """Runs jobs `job(session)` in groups, one transaction and one commit per group."""

    def __init__(self, engine: Engine, *, max_group: int = 64, wait_seconds: float = 30.0) -> None:
        self.engine = engine
        self.max_group = max_group
        self.wait_seconds = wait_seconds

    async def run_async(self, job: Callable[[Session], T]) -> T:
        """Run `job` in the next group; returns once the group is committed."""
        raise NotImplementedError

    def stop(self) -> None:
        """Finish what was handed over, then stop."""

    @staticmethod
    def _fail(group: list[tuple[Job, Any]], exc: BaseException) -> None:
        """The group's commit (or connection) failed: nothing of it is stored; every caller hears why."""
        log.warning("group of %d writes failed: %s", len(group), type(exc).__name__)
        for _, future in group:
            if not future.done():
                future.set_exception(exc)

    def _together(self, jobs: list[Job]) -> list[Outcome]:
        """All jobs in one transaction; if one fails, all again, each in its own savepoint.
        Raises WriteLockBusy, before running any job, when another process holds SQLite's lock."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection()  # begins: on SQLite, takes the write lock or raises WriteLockBusy
            try:
                session.info[OPTIMISTIC] = True
                outcomes: list[Outcome] = [(job(session), None) for job in jobs]
            except Exception:
                session.rollback()
                session.info[OPTIMISTIC] = False
                session.connection()
                outcomes = []
                for job in jobs:
                    try:
                        with session.begin_nested():
                            outcomes.append((job(session), None))
                    except Exception as exc:  # this job's savepoint is rolled back; the others go on
                        outcomes.append((None, exc))
            session.commit()
        return outcomes


class LoopWriter(GroupWriter):
    """SQLite: groups written on the event loop, between requests."""

    LOCK_WAIT_SECONDS = LOCK_WAIT_SECONDS
    FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.005

    def __init__(self, engine: Engine, *, max_group: int = 64, wait_seconds: float = 30.0) -> None:
        super().__init__(engine, max_group=max_group, wait_seconds=wait_seconds)
        self._pending: list[tuple[Job, asyncio.Future]] = []
        self._scheduled: asyncio.Handle | None = None
        self._busy_since: float | None = None
        self._pause = self.FIRST_PAUSE
        self._stopping = False

    async def run_async(self, job: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((job, future))
        if self._scheduled is None:  # after the requests already read in this turn of the loop
            self._scheduled = loop.call_soon(self._flush)
        try:
            async with asyncio.timeout(self.wait_seconds):
                return await future
        except TimeoutError:
            raise ServiceUnavailable(TOO_SLOW) from None

    def stop(self) -> None:
        """Writes what is still waiting (the server has finished its requests by now)."""
        self._stopping = True
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        while self._pending:
            self._flush()

    def _flush(self) -> None:
        self._scheduled = None
        waiting = [(job, future) for job, future in self._pending if not future.done()]  # not timed out
        group, self._pending = waiting[: self.max_group], waiting[self.max_group:]
        if not group:
            return
        try:
            outcomes = self._together([job for job, _ in group])
        except WriteLockBusy as busy:
            if self._lock_wait_over():
                self._fail(group, busy.__cause__ or busy)
            else:  # another process is committing: again shortly, the loop serving meanwhile
                self._pending[:0] = group
                self._schedule(self._pause)
                self._pause = min(self._pause * 1.5, self.LONGEST_PAUSE)
                return
        except Exception as exc:  # the commit (or the connection) failed: nothing of the group is stored
            self._fail(group, exc)
        else:
            for (_, future), (value, error) in zip(group, outcomes):
                if not future.done():
                    future.set_exception(error) if error is not None else future.set_result(value)
        self._busy_since, self._pause = None, self.FIRST_PAUSE
        if self._pending:
            self._schedule(0)

    def _lock_wait_over(self) -> bool:
        now = time.monotonic()
        self._busy_since = self._busy_since or now
        return now - self._busy_since > self.LOCK_WAIT_SECONDS

    def _schedule(self, delay: float) -> None:
        if self._stopping:  # stop() is writing what is left, on this thread
            time.sleep(delay)
        elif self._scheduled is None:
            self._scheduled = asyncio.get_running_loop().call_later(delay, self._flush)


class ThreadWriter(GroupWriter):
    """PostgreSQL: groups written by one thread per process."""

    def __init__(self, engine: Engine, *, max_group: int = 64, wait_seconds: float = 30.0) -> None:
        super().__init__(engine, max_group=max_group, wait_seconds=wait_seconds)
        self._jobs: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, job: Callable[[Session], T]) -> Future:
        """Queue `job(session)` for the next group; the future resolves once the group is committed."""
        self._ensure_started()
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    async def run_async(self, job: Callable[[Session], T]) -> T:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.submit(job)), timeout=self.wait_seconds)
        except TimeoutError:
            raise ServiceUnavailable(TOO_SLOW) from None

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
            outcomes = self._together([job for job, _ in group])
        except Exception as exc:  # the commit (or the connection) failed
            self._fail(group, exc)
            return
        for (_, future), (value, error) in zip(group, outcomes):
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
