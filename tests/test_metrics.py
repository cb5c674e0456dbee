"""/metrics: requests and latency by route, messages by intent/language/route, model, outbox and
queue, in Prometheus' text format."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlmodel import Session

from app.models import Message, utcnow
from app.services import outbox
from tests.builders import message_payload
from tests.conftest import auth


def scrape(client, **headers) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_metrics_count_requests_messages_queue_and_outbox(client, api_keys, engine):
    before = scrape(client)
    for n in range(3):
        assert client.post("/v1/messages", json=message_payload(external_id=f"m{n}"), headers=auth(api_keys["ingest"])).status_code == 201
    client.post("/v1/messages", json=message_payload(external_id="m0"), headers=auth(api_keys["ingest"]))  # a retry: not a new message
    client.get("/v1/messages/1", headers=auth(api_keys["agent"]))
    with Session(engine) as session:
        late = Message(channel="web", external_id="late", sender_email="l@buyer.example", body="hello?", received_at=utcnow(),
                       created_at=utcnow(), due_at=utcnow() - timedelta(hours=1), route="review", status="open")
        session.add(late)
        session.flush()
        outbox.enqueue(session=session, message=late, subject="Re", body="reply", language="en", actor="ana")
        session.commit()

    after = scrape(client)
    posted = after["triage_http_requests_total"][(("method", "POST"), ("route", "/v1/messages"), ("status", "201"))]
    assert posted - before.get("triage_http_requests_total", {}).get((("method", "POST"), ("route", "/v1/messages"), ("status", "201")), 0) == 3
    assert after["triage_http_requests_total"][(("method", "GET"), ("route", "/v1/messages/{message_id}"), ("status", "200"))] >= 1
    assert after["triage_http_request_duration_seconds_count"][(("method", "POST"), ("route", "/v1/messages"))] >= 4
    stored = sum(after["triage_messages_total"].values()) - sum(before.get("triage_messages_total", {}).values())
    assert stored == 3
    assert all(dict(labels)["route"] in ("auto", "review") for labels in after["triage_messages_total"])
    assert after["triage_review_queue_overdue"][()] >= 1
    assert after["triage_review_queue_size"][()] >= 1
    assert after["triage_outbox_items"][(("status", "pending"),)] == 1 and after["triage_outbox_backlog"][()] == 1
    [loaded] = [dict(labels)["version"] for labels, value in after["triage_model_loaded"].items() if value == 1]
    assert loaded == client.get("/healthz").json()["model_version"]


def test_metrics_token_when_configured(client):
    client.app.state.settings = client.app.state.settings.model_copy(update={"metrics_token": SecretStr("s3cret")})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "triage_review_queue_size" in client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).text
