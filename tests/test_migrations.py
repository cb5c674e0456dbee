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
