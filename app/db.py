"""Engine, sessions and schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


# how long a write waits for another process holding SQLite's write lock before it fails (503)
LOCK_WAIT_SECONDS = 10.0


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 (DBAPI objects)
    cursor = dbapi_connection.cursor()
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        # once per database file (the mode stays), and it needs the lock: wait for it even on
        # the writer's connections, which otherwise never wait inside SQLite
        busy_timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
    cursor.execute("PRAGMA synchronous=FULL")  # a 2xx means the row is on disk
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_autocommit_driver(dbapi_connection, _record) -> None:  # noqa: ANN001
    # pysqlite's own transaction handling begins late and breaks SAVEPOINT; SQLAlchemy emits BEGIN
    dbapi_connection.isolation_level = None


class WriteLockBusy(Exception):
    """Another process holds SQLite's write lock (the writer tries again shortly)."""


def _sqlite_begin_immediate(connection) -> None:  # noqa: ANN001
    """Take the write lock when the transaction starts: a transaction that reads, then writes
    after another process committed, would otherwise fail at once (SQLITE_BUSY_SNAPSHOT).

    The writer's connections have no busy timeout: SQLite's own waits sleep 1, 2, 5, 10... ms,
    and block. The writer (app/writer.py) instead tries again a fraction of a millisecond later,
    serving requests meanwhile."""
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise WriteLockBusy(str(exc.orig)) from exc
        raise


def make_engine(url: str, *, writer: bool = False) -> Engine:
    """The engine for `url`. `writer=True` is the group writer's own (app/writer.py): on SQLite its
    transactions take the write lock at BEGIN and its savepoints are real, so a group of reads and
    writes is one isolated unit. Other SQLite connections keep pysqlite's default (reads outside
    any transaction), so a request reading never holds up the writer."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 0 if writer else 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        if writer:
            event.listen(engine, "connect", _sqlite_autocommit_driver)
            event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if writer:
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=0)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (the latest by default)."""
    command.upgrade(alembic_config(url), revision)


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
