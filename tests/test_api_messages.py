"""The message API as a gateway and an agent meet it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Message
from tests.builders import message_payload
from tests.conftest import auth

DECISION_FIELDS = {
    "id", "external_id", "language", "intent", "confidence", "alternatives", "route", "reasons",
    "draft", "sop", "due_at", "model_version",
}


def _count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Message)).one()


def test_post_returns_the_decision(client, api_keys):
    response = client.post("/v1/messages", json=message_payload(), headers=auth(api_keys["ingest"]))

    assert response.status_code == 201
    decision = response.json()
    assert DECISION_FIELDS <= decision.keys()
    assert decision["language"] == "en"
    assert decision["intent"] == "logistics_delay"
    assert 0 < decision["confidence"] <= 1
    assert len(decision["alternatives"]) == 3
    assert decision["alternatives"][0]["intent"] == "logistics_delay"
    assert decision["sop"]["intent"] == "logistics_delay" and decision["sop"]["steps"]
    assert decision["model_version"] == client.app.state.analyzer.model_version
    assert decision["draft"]["language"] == "en"
    assert "1Z999AA10123456784" in decision["draft"]["body"]


def test_due_at_is_received_at_plus_the_channel_sla(client, api_keys, settings):
    received = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    payload = message_payload(received_at=received.isoformat())

    decision = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"])).json()

    assert datetime.fromisoformat(decision["due_at"]) == received + timedelta(hours=settings.sla_hours)


def test_a_retry_returns_the_stored_decision_and_stores_nothing_new(client, api_keys, engine):
    payload = message_payload(external_id="gateway-retry-1")
    first = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"]))
    again = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"]))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _count(engine) == 1


def test_the_same_external_id_on_another_channel_is_another_message(client, api_keys, engine):
    client.post("/v1/messages", json=message_payload(external_id="x-1", channel="amazon-de"), headers=auth(api_keys["ingest"]))
    response = client.post("/v1/messages", json=message_payload(external_id="x-1", channel="amazon-fr"), headers=auth(api_keys["ingest"]))

    assert response.status_code == 201
    assert _count(engine) == 2


def test_get_message_returns_what_post_returned(client, api_keys):
    posted = client.post("/v1/messages", json=message_payload(), headers=auth(api_keys["ingest"])).json()

    response = client.get(f"/v1/messages/{posted['id']}", headers=auth(api_keys["agent"]))

    assert response.status_code == 200
    assert response.json() == posted


def test_get_unknown_message_is_404(client, api_keys):
    response = client.get("/v1/messages/999999", headers=auth(api_keys["agent"]))
    assert response.status_code == 404
    assert "999999" in response.json()["error"]


def test_other_is_never_answered_automatically(client, api_keys):
    payload = message_payload(body="Do you have this in stock in blue? Will you restock soon?", subject=None)

    decision = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"])).json()

    assert decision["intent"] == "other"
    assert decision["route"] == "review"
    assert any(r.startswith("policy:") for r in decision["reasons"])


def test_review_queue_lists_review_items_by_deadline_with_pages(client, api_keys):
    now = datetime.now(UTC)
    ids_by_age = {}
    for hours_ago in (1, 30, 5):
        payload = message_payload(
            body="Do you ship to Canada? Thanks", subject=None,
            received_at=(now - timedelta(hours=hours_ago)).isoformat(),
        )
        ids_by_age[hours_ago] = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"])).json()["id"]

    page1 = client.get("/v1/review-queue?limit=2", headers=auth(api_keys["agent"])).json()
    page2 = client.get("/v1/review-queue?limit=2&offset=2", headers=auth(api_keys["agent"])).json()

    assert page1["total"] == 3
    assert [i["id"] for i in page1["items"] + page2["items"]] == [ids_by_age[30], ids_by_age[5], ids_by_age[1]]
    assert all(item["route"] == "review" for item in page1["items"])


def test_review_queue_excludes_automatic_replies(client, api_keys, settings):
    client.app.state.analyzer.settings = settings.model_copy(update={"threshold_overrides": {i: 0.0 for i in ("logistics_delay",)}, "min_margin": 0.0})
    decision = client.post("/v1/messages", json=message_payload(), headers=auth(api_keys["ingest"])).json()
    assert decision["route"] == "auto"

    queue = client.get("/v1/review-queue", headers=auth(api_keys["agent"])).json()

    assert decision["id"] not in [item["id"] for item in queue["items"]]


def test_healthz_names_the_model_and_the_database(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["model_version"] == client.app.state.analyzer.model_version


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/v1/messages" in schema["paths"]


def test_a_message_whose_analysis_breaks_is_stored_and_sent_to_review(client, api_keys, engine, monkeypatch):
    def broken(**_):
        raise RuntimeError("the detector fell over")

    monkeypatch.setattr(client.app.state.analyzer, "analyse", broken)
    response = client.post("/v1/messages", json=message_payload(external_id="broken-1"), headers=auth(api_keys["ingest"]))
    assert response.status_code == 201
    assert response.json()["route"] == "review" and response.json()["reasons"] == ["analysis_failed: RuntimeError"]
    with Session(engine) as session:
        stored = session.exec(select(Message).where(Message.external_id == "broken-1")).one()
        assert stored.route == "review" and stored.body == message_payload()["body"]


def test_messages_posted_together_are_each_committed_and_answered(client, api_keys, engine):
    """Requests at the same moment share one commit (group commit) but each gets its own answer."""
    import threading

    results: dict[int, int] = {}

    def post(n: int) -> None:
        response = client.post("/v1/messages", json=message_payload(external_id=f"together-{n}"), headers=auth(api_keys["ingest"]))
        results[n] = response.json()["id"] if response.status_code == 201 else -response.status_code

    threads = [threading.Thread(target=post, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(12)) and len(set(results.values())) == 12 and min(results.values()) > 0
    with Session(engine) as session:
        stored = session.exec(select(Message.id, Message.external_id).where(Message.external_id.like("together-%"))).all()
    assert {f"together-{n}": results[n] for n in range(12)} == {external: id_ for id_, external in stored}


def test_the_loaded_model_is_kept_out_of_the_garbage_collectors_way(settings):
    """Full collections walked the model's objects on every request burst (100 ms pauses)."""
    import gc

    from app.main import create_app

    gc.unfreeze()
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() > 10_000
