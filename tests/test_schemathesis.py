"""The service against its own OpenAPI schema, with generated requests (schemathesis): no 5xx,
and every response is one the schema documents, in status, content type, headers and body."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from schemathesis import checks
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import db
from app.main import create_app
from app.services import keys
from tests.conftest import GATEWAY_SECRETS
from tests.mail_builders import basic, mailgun_signature

EXAMPLES = 100  # per operation; bounded so the whole run stays within a few minutes in CI
CORPUS = Path(__file__).parent / "corpus" / "mail"


def _mail(subject: str, body: str) -> bytes:
    return f"From: Buyer <b@buyer.example>\r\nSubject: {subject}\r\n\r\n{body}".encode("utf-8", "surrogatepass")


# raw mail for /v1/inbound/mime: real corpus messages, mail with any text, and any bytes at all
schemathesis.openapi.media_type("message/rfc822", st.one_of(
    st.sampled_from(sorted(p.read_bytes() for p in CORPUS.glob("*.eml") if p.stat().st_size < 100_000)),
    st.builds(_mail, st.text(max_size=200), st.text(max_size=2000)),
    st.binary(max_size=4000),
))

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


@pytest.fixture(scope="module")
def api(tmp_path_factory, tiny_model_dir):
    from app.config import Settings
    from tests.conftest import REPO

    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'triage.db'}"
    db.upgrade(url)
    settings = Settings(_env_file=None, database_url=url, model_dir=tiny_model_dir, templates_dir=REPO / "templates" / "replies",
                        training_data_dir=REPO / "training_data", auto_migrate=False, rate_limit_per_minute=0,
                        postmark_basic_auth=GATEWAY_SECRETS["postmark"], sendgrid_basic_auth=GATEWAY_SECRETS["sendgrid"],
                        mailgun_signing_key=GATEWAY_SECRETS["mailgun"])
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: engine, model
        with Session(app.state.engine) as session:
            _, admin = keys.create_key(session=session, name="schemathesis", role="admin")
            session.commit()
        app.state.schemathesis_admin = admin
        yield app


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, read from an app that is never started."""
    from app.config import Settings

    spec = create_app(Settings(_env_file=None)).openapi()
    return [(method.upper(), path) for path, methods in spec["paths"].items() for method in methods]


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda value: value)
def test_generated_requests_get_documented_answers_and_never_a_5xx(api, method, path):
    operation = schemathesis.openapi.from_asgi("/openapi.json", api)[path][method]
    if path.startswith("/v1/inbound/postmark"):
        auth = basic("postmark")
    elif path.startswith("/v1/inbound/sendgrid"):
        auth = basic("sendgrid")
    else:
        auth = {"Authorization": f"Bearer {api.state.schemathesis_admin}"}

    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                         database=None)
    def check(case) -> None:
        if path.startswith("/v1/inbound/mailgun") and isinstance(case.body, dict):
            case.body = {**case.body, **mailgun_signature()}  # signed as Mailgun signs, so the body is read
        case.call_and_validate(headers={**(case.headers or {}), **auth}, checks=CHECKS)

    check()
