"""The group writer: one commit per group, each caller its own result, one bad job costing the
others nothing, and on SQLite a write lock held by another process waited for without stopping
the event loop."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import db
from app.errors import ServiceUnavailable
from app.writer import LoopWriter, ThreadWriter, make_writer
from app.models import ApiKey, utcnow


def _insert_key(name: str):
    def job(session):
        session.connection().execute(
            ApiKey.__table__.insert(),
            {"name": name, "role": "agent", "key_hash": f"hash-{name}", "prefix": name[:8], "created_at": utcnow()},
        )
        return name
    return job


def _names(engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(text("SELECT name FROM api_keys")).scalars())


async def _run_all(writer, jobs):
    return await asyncio.gather(*(writer.run_async(job) for job in jobs), return_exceptions=True)


def test_the_writer_suits_the_database(database_url):
    engine = db.make_engine(database_url, writer=True)
    expected = LoopWriter if database_url.startswith("sqlite") else ThreadWriter
    assert isinstance(make_writer(engine), expected)
    engine.dispose()


def test_every_caller_gets_its_own_result_and_a_bad_job_fails_alone(database_url):
    engine = db.make_engine(database_url, writer=True)
    writer = make_writer(engine)
    jobs = [_insert_key("first"), _insert_key("second"), _insert_key("first"), _insert_key("third")]
    try:
        results = asyncio.run(_run_all(writer, jobs))
    finally:
        writer.stop()
    assert results[:2] == ["first", "second"] and results[3] == "third"
    assert isinstance(results[2], IntegrityError)  # the duplicate, in its own savepoint
    assert _names(engine) == ["first", "second", "third"]
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'writer.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    with engine.connect():  # in WAL mode from here on, as the service leaves it at start
        pass
    engine.dispose()
    return url


def test_sqlite_lock_held_elsewhere_is_waited_for_while_the_loop_serves(sqlite_url):
    engine = db.make_engine(sqlite_url, writer=True)
    writer = make_writer(engine)
    other_process = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # another process in the middle of its own commit
    ticks: list[int] = []

    async def scenario():
        write = asyncio.create_task(writer.run_async(_insert_key("waited")))
        for tick in range(10):  # the loop goes on serving while the write waits
            await asyncio.sleep(0.005)
            ticks.append(tick)
        assert not write.done()
        other_process.rollback()
        return await write

    try:
        assert asyncio.run(scenario()) == "waited"
    finally:
        writer.stop()
        other_process.close()
    assert ticks == list(range(10))
    assert _names(engine) == ["waited"]
    engine.dispose()


def test_sqlite_lock_never_released_fails_the_group_and_stores_nothing(sqlite_url):
    engine = db.make_engine(sqlite_url, writer=True)
    writer = make_writer(engine)
    writer.LOCK_WAIT_SECONDS = 0.05
    other_process = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        results = asyncio.run(_run_all(writer, [_insert_key("a"), _insert_key("b")]))
    finally:
        other_process.rollback()
        other_process.close()
    assert all(isinstance(r, Exception) and "locked" in str(r) for r in results)
    assert asyncio.run(_run_all(writer, [_insert_key("c")])) == ["c"]  # and it recovers
    writer.stop()
    assert _names(engine) == ["c"]
    engine.dispose()


def test_a_caller_that_gave_up_is_answered_503(sqlite_url):
    engine = db.make_engine(sqlite_url, writer=True)
    writer = make_writer(engine, wait_seconds=0.02)
    other_process = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ServiceUnavailable):
            asyncio.run(writer.run_async(_insert_key("late")))
    finally:
        other_process.rollback()
        other_process.close()
        writer.stop()
    assert _names(engine) == []  # its job was dropped, not written after the 503
    engine.dispose()
