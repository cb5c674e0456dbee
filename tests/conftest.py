"""Fixtures: a database per test (SQLite, and PostgreSQL when TRIAGE_TEST_DATABASE_URL is set),
a tiny model fitted once per session, and an app client with keys for every role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app import db
from app.config import Settings
from app.main import create_app
from app.services import keys
from classifier import artifact
from classifier.train import train
from tests.builders import TINY_PARAMS, tiny_examples

REPO = Path(__file__).resolve().parent.parent
PG_ENV = "TRIAGE_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on a few dozen messages, saved like `triage train` saves one."""
    model_dir = tmp_path_factory.mktemp("models")
    classifier, evaluation = train(tiny_examples(), params=TINY_PARAMS, folds=3, holdout_percent=0)
    artifact.save(model_dir, classifier, evaluation=evaluation)
    return model_dir


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"triage_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    db.upgrade(scoped)
    yield scoped
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'triage.db'}"
        db.upgrade(url)
        yield url
        return
    url = request.getfixturevalue("_postgres_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE alerts, feedback, model_activations, outbox, labels, actions, console_sessions, users, messages, conversations, webhook_tokens, api_keys RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tiny_model_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        model_dir=tiny_model_dir,
        templates_dir=REPO / "templates" / "replies",
        training_data_dir=REPO / "training_data",
        auto_migrate=False,
        postmark_basic_auth=GATEWAY_SECRETS["postmark"],
        sendgrid_basic_auth=GATEWAY_SECRETS["sendgrid"],
        mailgun_signing_key=GATEWAY_SECRETS["mailgun"],
        rate_limit_per_minute=0,  # tests post fast; the limit has its own tests
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def engine(client: TestClient):
    return client.app.state.engine


@pytest.fixture
def api_keys(engine) -> dict[str, str]:
    """A fresh key for every role: {role: key}."""
    created = {}
    with Session(engine) as session:
        for role in ("ingest", "agent", "trainer", "admin"):
            _, plain = keys.create_key(session=session, name=f"test-{role}", role=role)
            created[role] = plain
        session.commit()
    return created


GATEWAY_SECRETS = {"postmark": "pm-hook:pm-secret-1", "sendgrid": "sg-hook:sg-secret-2", "mailgun": "key-mailgun-signing-3"}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
