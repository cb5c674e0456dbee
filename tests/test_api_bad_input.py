"""Every bad request gets a clear 4xx and stores nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Message
from tests.builders import message_payload
from tests.conftest import auth


@pytest.fixture
def nothing_stored(engine):
    yield
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Message)).one() == 0


@pytest.mark.parametrize("field", ["external_id", "channel", "sender_email", "body"])
def test_a_missing_field_is_named(client, api_keys, nothing_stored, field):
    payload = message_payload()
    del payload[field]

    response = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"]))

    assert response.status_code == 422
    assert field in response.json()["error"]
    assert any(f["field"] == field for f in response.json()["fields"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender_email", "not-an-address"),
        ("received_at", "yesterday-ish"),
        ("context", {"tracking number": "x"}),
        ("context", ["not", "an", "object"]),
        ("channel", "has spaces"),
        ("body", 42),
        ("external_id", ""),
    ],
)
def test_a_mistyped_field_is_named(client, api_keys, nothing_stored, field, value):
    response = client.post("/v1/messages", json=message_payload(**{field: value}), headers=auth(api_keys["ingest"]))

    assert response.status_code == 422
    assert field in response.json()["error"]


def test_an_unknown_field_is_refused_so_typos_show(client, api_keys, nothing_stored):
    response = client.post("/v1/messages", json=message_payload(bodyy="typo"), headers=auth(api_keys["ingest"]))
    assert response.status_code == 422
    assert "bodyy" in response.json()["error"]


def test_malformed_json_is_400(client, api_keys, nothing_stored):
    headers = {**auth(api_keys["ingest"]), "Content-Type": "application/json"}
    response = client.post("/v1/messages", content=b'{"external_id": "x", ', headers=headers)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_a_json_array_instead_of_an_object_is_422(client, api_keys, nothing_stored):
    response = client.post("/v1/messages", json=[message_payload()], headers=auth(api_keys["ingest"]))
    assert response.status_code == 422


def test_a_body_over_256_kib_is_413(client, api_keys, nothing_stored):
    payload = message_payload(body="x" * (256 * 1024))
    response = client.post("/v1/messages", content=json.dumps(payload), headers={**auth(api_keys["ingest"]), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert "KiB" in response.json()["error"]


def test_a_streamed_body_over_the_limit_is_413(client, api_keys, nothing_stored):
    def chunks():
        yield b'{"body": "'
        for _ in range(300):
            yield b"y" * 1024
        yield b'"}'

    response = client.post("/v1/messages", content=chunks(), headers={**auth(api_keys["ingest"]), "Content-Type": "application/json"})
    assert response.status_code == 413


def test_no_key_is_401(client, nothing_stored):
    response = client.post("/v1/messages", json=message_payload())
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]


def test_an_unknown_key_is_401(client, api_keys, nothing_stored):
    response = client.post("/v1/messages", json=message_payload(), headers=auth("trg_not-a-real-key"))
    assert response.status_code == 401


def test_a_revoked_key_is_401(client, api_keys, engine, nothing_stored):
    from app.services import keys

    with Session(engine) as session:
        keys.revoke_key(session=session, name="test-ingest")
        session.commit()
    response = client.post("/v1/messages", json=message_payload(), headers=auth(api_keys["ingest"]))
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["agent", "trainer"])
def test_a_key_without_the_ingest_role_is_403(client, api_keys, nothing_stored, role):
    response = client.post("/v1/messages", json=message_payload(), headers=auth(api_keys[role]))
    assert response.status_code == 403
    assert "ingest" in response.json()["error"]


def test_an_ingest_key_cannot_read_the_review_queue(client, api_keys):
    assert client.get("/v1/review-queue", headers=auth(api_keys["ingest"])).status_code == 403


@pytest.mark.parametrize("query", ["limit=0", "limit=1000", "offset=-1", "limit=abc"])
def test_bad_pagination_is_422(client, api_keys, query):
    assert client.get(f"/v1/review-queue?{query}", headers=auth(api_keys["agent"])).status_code == 422


def test_a_non_numeric_message_id_is_422(client, api_keys):
    assert client.get("/v1/messages/abc", headers=auth(api_keys["agent"])).status_code == 422


def test_control_characters_are_dropped_not_stored(client, api_keys, engine):
    """PostgreSQL cannot store NUL; escape sequences mean nothing to an agent."""
    payload = message_payload(body="The kettle\u0000 leaks\u001b[31m from the bottom.", subject="Bad\u0007bytes",
                              context={"carrier": "DHL\u0000"})
    response = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"]))
    assert response.status_code == 201, response.text
    with Session(engine) as session:
        stored = session.get(Message, response.json()["id"])
        assert (stored.body, stored.subject, stored.context["carrier"]) == ("The kettle leaks[31m from the bottom.", "Badbytes", "DHL")
