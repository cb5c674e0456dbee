"""The schema comes from Alembic migrations and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app import db


def test_upgrade_creates_the_tables_and_matches_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        assert {"messages", "api_keys"} <= set(inspect(connection).get_table_names())
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_harmless(database_url):
    db.upgrade(database_url)
    db.upgrade(database_url)


def test_a_conversations_earliest_deadline_is_found_by_its_index(tmp_path):
    """Looked up for every stored message that joins a conversation: without the index, SQLite
    walked every waiting message in deadline order, so each message cost more as the queue grew."""
    from sqlalchemy.dialects import sqlite

    from app.services.threads import EARLIEST_OPEN_DUE

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    db.upgrade(url)
    statement = EARLIEST_OPEN_DUE.params(conversation=1, exclude=-1)
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    engine = create_engine(url)
    with engine.connect() as connection:
        plan = " ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    engine.dispose()
    assert "USING INDEX ix_messages_conversation_route_due_at (conversation_id=? AND route=?)" in plan, plan
