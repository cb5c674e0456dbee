"""The console over HTTP: log-in, roles, CSRF, claims, every action and what it records."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.main import create_app
from app.models import Action, Label, Message, OutboxItem
from app.services import users
from tests.builders import PASSWORD, csrf_from, message_payload
from tests.conftest import auth


@pytest.fixture
def people(engine) -> None:
    with Session(engine) as session:
        for name, role in (("ana", "agent"), ("ben", "agent"), ("tess", "trainer"), ("root", "admin")):
            users.create_user(session=session, name=name, role=role, password=PASSWORD)
        session.commit()


@pytest.fixture(autouse=True)
def review_everything(request):
    """Console tests work the queue: no intent is answered automatically unless a test says so."""
    if "client" in request.fixturenames:
        client = request.getfixturevalue("client")
        analyzer = client.app.state.analyzer
        analyzer.settings = analyzer.settings.model_copy(update={"auto_intents": []})


def log_in(client: TestClient, name: str) -> str:
    """Log `name` in on this client; returns the session's CSRF token."""
    form = client.get("/console/login")
    response = client.post("/console/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf_from(form.text)})
    assert response.status_code == 200, response.text  # followed the redirect to the queue
    return csrf_from(response.text)


def review_message(client: TestClient, api_keys, **overrides) -> int:
    overrides.setdefault("body", "Hello?? I need help with something about my order, please answer.")
    payload = message_payload(**overrides)
    created = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"])).json()
    return created["id"]


@pytest.fixture
def second_browser(settings):
    with TestClient(create_app(settings)) as other:
        yield other


def test_pages_need_a_login(client):
    response = client.get("/console/queue", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_wrong_password_is_refused_without_saying_which_part(client, people):
    form = client.get("/console/login")
    response = client.post("/console/login", data={"name": "ana", "password": "nope", "csrf_token": csrf_from(form.text)})
    assert response.status_code == 401 and "Wrong name or password" in response.text
    assert "triage_session" not in response.cookies


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(client, people):
    form = client.get("/console/login")
    response = client.post("/console/login", data={"name": "ana", "password": PASSWORD, "csrf_token": csrf_from(form.text)}, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "triage_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    csrf = csrf_from(client.get("/console/queue").text)
    client.post("/console/logout", data={"csrf_token": csrf})
    assert client.get("/console/queue", follow_redirects=False).status_code == 303


def test_a_form_without_the_csrf_token_is_refused(client, people, api_keys, engine):
    log_in(client, "ana")
    message_id = review_message(client, api_keys)
    client.get(f"/console/messages/{message_id}")
    response = client.post(f"/console/messages/{message_id}/resolve", data={"note": ""})
    assert response.status_code == 403 and "security token" in response.text
    with Session(engine) as session:
        assert session.get(Message, message_id).status == "open"


def test_the_login_form_needs_its_csrf_token_too(client, people):
    client.get("/console/login")
    response = client.post("/console/login", data={"name": "ana", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "path", "status"), [
    ("ana", "/console/admin/users", 403), ("ana", "/console/models", 403),
    ("tess", "/console/admin/users", 403), ("tess", "/console/models", 200),
    ("root", "/console/admin/users", 200), ("root", "/console/models", 200),
])
def test_roles_are_enforced_on_the_server(client, people, name, path, status):
    log_in(client, name)
    assert client.get(path).status_code == status


def test_queue_lists_review_items_by_deadline_with_counts(client, people, api_keys):
    late = review_message(client, api_keys, received_at="2026-01-01T08:00:00Z")
    early = review_message(client, api_keys, received_at="2026-01-01T07:00:00Z")
    log_in(client, "ana")
    page = client.get("/console/queue").text
    assert page.index(f"/console/messages/{early}") < page.index(f"/console/messages/{late}")
    assert "overdue by" in page
    assert "Content-Security-Policy" in client.get("/console/queue").headers


def test_queue_filters_by_intent_and_language(client, people, api_keys):
    review_message(client, api_keys)
    log_in(client, "ana")
    assert "/console/messages/" not in client.get("/console/queue?language=ja").text
    assert "/console/messages/" in client.get("/console/queue?language=en").text


def test_opening_an_item_claims_it_and_another_agent_cannot_act(client, second_browser, people, api_keys, engine):
    message_id = review_message(client, api_keys)
    log_in(client, "ana")
    assert "You hold this message" in client.get(f"/console/messages/{message_id}").text
    ben_csrf = log_in(second_browser, "ben")
    page = second_browser.get(f"/console/messages/{message_id}")
    assert "ana is working on this message" in page.text
    response = second_browser.post(f"/console/messages/{message_id}/resolve", data={"csrf_token": ben_csrf})
    assert response.status_code == 409
    with Session(engine) as session:
        assert session.get(Message, message_id).status == "open"


def test_change_intent_rewrites_the_draft_and_records_a_label(client, people, api_keys, engine):
    message_id = review_message(client, api_keys)
    with Session(engine) as session:
        suggested = session.get(Message, message_id).intent
    target = "cancellation" if suggested != "cancellation" else "return"
    csrf = log_in(client, "ana")
    client.get(f"/console/messages/{message_id}")
    response = client.post(f"/console/messages/{message_id}/intent", data={"intent": target, "csrf_token": csrf})
    assert response.status_code == 200 and "Intent changed" in response.text
    with Session(engine) as session:
        row = session.get(Message, message_id)
        assert row.intent == target and row.draft_template == f"en/{target}.j2"
        label = session.exec(select(Label).where(Label.message_id == message_id)).one()
        assert (label.intent, label.suggested_intent, label.actor, label.source) == (target, suggested, "ana", "console")
        action = session.exec(select(Action).where(Action.message_id == message_id)).one()
        assert action.action == "change_intent" and action.before["intent"] == suggested and action.after["intent"] == target


def test_approve_puts_the_edited_reply_in_the_outbox(client, people, api_keys, engine):
    message_id = review_message(client, api_keys)
    csrf = log_in(client, "ana")
    client.get(f"/console/messages/{message_id}")
    response = client.post(f"/console/messages/{message_id}/approve",
                           data={"subject": "About your order", "body": "Dear Alex, it is on its way.", "csrf_token": csrf})
    assert response.status_code == 200 and "Approved" in response.text
    with Session(engine) as session:
        row = session.get(Message, message_id)
        assert row.status == "approved" and row.claimed_by is None
        item = session.exec(select(OutboxItem).where(OutboxItem.message_id == message_id)).one()
        assert item.body == "Dear Alex, it is on its way.\n" and item.to_address == row.sender_email
        assert item.status == "pending" and item.created_by == "ana"
        assert session.exec(select(Label).where(Label.message_id == message_id)).one().intent == row.intent
    assert f"/console/messages/{message_id}" not in client.get("/console/queue").text


def test_an_empty_reply_cannot_be_approved(client, people, api_keys):
    message_id = review_message(client, api_keys)
    csrf = log_in(client, "ana")
    client.get(f"/console/messages/{message_id}")
    response = client.post(f"/console/messages/{message_id}/approve", data={"subject": "x", "body": "  ", "csrf_token": csrf})
    assert response.status_code == 400 and "the reply is empty" in response.text


def test_escalate_needs_a_note_and_keeps_it(client, people, api_keys, engine):
    message_id = review_message(client, api_keys)
    csrf = log_in(client, "ana")
    client.get(f"/console/messages/{message_id}")
    assert client.post(f"/console/messages/{message_id}/escalate", data={"note": "", "csrf_token": csrf}).status_code == 400
    client.post(f"/console/messages/{message_id}/escalate", data={"note": "Buyer threatens a chargeback", "csrf_token": csrf})
    with Session(engine) as session:
        assert session.get(Message, message_id).status == "escalated"
        action = session.exec(select(Action).where(Action.action == "escalate")).one()
        assert action.note == "Buyer threatens a chargeback" and action.actor == "ana"


def test_save_draft_and_resolve_are_recorded(client, people, api_keys, engine):
    message_id = review_message(client, api_keys)
    csrf = log_in(client, "ana")
    client.get(f"/console/messages/{message_id}")
    client.post(f"/console/messages/{message_id}/save", data={"subject": "S", "body": "Draft text", "csrf_token": csrf})
    client.post(f"/console/messages/{message_id}/resolve", data={"note": "spam", "csrf_token": csrf})
    with Session(engine) as session:
        row = session.get(Message, message_id)
        assert row.status == "resolved" and row.draft_body == "Draft text\n"
        actions = [a.action for a in session.exec(select(Action).order_by(Action.id))]
        assert actions == ["save_draft", "resolve"]


def test_an_automatic_answer_flagged_wrong_goes_back_to_the_queue(client, people, api_keys, engine):
    payload = message_payload(body="please cancel my order, I ordered by mistake")
    created = client.post("/v1/messages", json=payload, headers=auth(api_keys["ingest"])).json()
    with Session(engine) as session:  # make it an automatic answer whatever the tiny model says
        row = session.get(Message, created["id"])
        row.route, row.status, row.intent = "auto", "auto", "cancellation"
        session.commit()
    csrf = log_in(client, "ana")
    assert f"/console/messages/{created['id']}" in client.get("/console/queue?tab=auto").text
    client.post(f"/console/messages/{created['id']}/wrong", data={"intent": "return", "csrf_token": csrf})
    with Session(engine) as session:
        row = session.get(Message, created["id"])
        assert (row.status, row.route, row.intent) == ("open", "review", "return")
        label = session.exec(select(Label)).one()
        assert (label.intent, label.suggested_intent) == ("return", "cancellation")


def test_buyer_html_is_shown_as_text(client, people, api_keys):
    message_id = review_message(client, api_keys, body='<script>alert(1)</script><img src=x onerror="alert(2)">')
    log_in(client, "ana")
    page = client.get(f"/console/messages/{message_id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<img src=x onerror' not in page


def test_an_unknown_message_is_a_404_page(client, people):
    log_in(client, "ana")
    response = client.get("/console/messages/999999")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]


def test_automatic_answers_are_put_in_the_outbox(client, api_keys, engine, settings):
    answer_all = {i: 0.0 for i in ("cancellation", "logistics_delay", "return", "quality", "technical_support")}
    client.app.state.analyzer.settings = settings.model_copy(update={"threshold_overrides": answer_all, "min_margin": 0.0})
    created = client.post("/v1/messages", json=message_payload(body="please cancel my order, I ordered by mistake"),
                          headers=auth(api_keys["ingest"])).json()
    assert created["route"] == "auto", created["reasons"]
    with Session(engine) as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.message_id == created["id"])).all()
        row = session.get(Message, created["id"])
    assert row.status == "auto" and len(items) == 1 and items[0].created_by == "auto"
    assert items[0].body == created["draft"]["body"]
