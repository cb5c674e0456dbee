"""Buyers' answers: relayed by a gateway, or given through signed links in our replies (one each,
no forging, no replay)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from app.mailer import build, feedback_footer
from app.models import Feedback, OutboxItem, utcnow
from app.services import feedback
from tests import history
from tests.conftest import auth

SECRET = "feedback-secret-for-tests"


@pytest.fixture
def answered(engine):
    with Session(engine) as session:
        message = history.message(session, received=utcnow() - timedelta(hours=3), language="de")
        item = history.reply(session, message, sent=utcnow() - timedelta(hours=1))
        session.commit()
        return message.id, item.id


def test_a_gateway_relays_the_marketplace_survey_once(client, api_keys, answered, engine):
    message_id, _ = answered
    url = f"/v1/messages/{message_id}/feedback"
    first = client.post(url, json={"solved": False}, headers=auth(api_keys["ingest"]))
    assert first.status_code == 201 and first.json()["solved"] is False and first.json()["source"] == "api"
    again = client.post(url, json={"solved": True}, headers=auth(api_keys["ingest"]))
    assert again.status_code == 409 and "already" in again.json()["error"]
    assert client.post("/v1/messages/999999/feedback", json={"solved": True}, headers=auth(api_keys["ingest"])).status_code == 404
    assert client.post(url, json={"solved": "maybe"}, headers=auth(api_keys["ingest"])).status_code == 422
    with Session(engine) as session:
        assert [v.solved for v in session.exec(select(Feedback))] == [False]


@pytest.fixture
def links(client, settings):
    client.app.state.settings = settings.model_copy(update={"feedback_secret": SecretStr(SECRET), "public_url": "https://triage.shop.example"})
    return client.app.state.settings


def test_the_reply_footer_carries_signed_links_in_the_reply_language(links, answered, engine):
    message_id, item_id = answered
    with Session(engine) as session:
        item = session.get(OutboxItem, item_id)
        mail = build(item, sender="Shop <care@shop.example>", footer=feedback_footer(item, links)).get_content()
    assert "Hat diese Antwort Ihr Anliegen gelöst?" in mail
    token = feedback.token(message_id, SECRET)
    assert f"https://triage.shop.example/feedback/{token}?answer=yes" in mail and f"/feedback/{token}?answer=no" in mail


def test_following_a_link_asks_then_records_one_vote(client, links, answered, engine):
    message_id, _ = answered
    token = feedback.token(message_id, SECRET)
    page = client.get(f"/feedback/{token}", params={"answer": "no"})
    assert page.status_code == 200 and 'value="no" checked' in page.text  # a mail scanner opening the link votes nothing
    with Session(engine) as session:
        assert session.exec(select(Feedback)).first() is None
    voted = client.post(f"/feedback/{token}", data={"answer": "no"})
    assert voted.status_code == 200 and 'id="thanks"' in voted.text and "Vielen Dank" in voted.text
    replayed = client.post(f"/feedback/{token}", data={"answer": "yes"})
    assert 'id="already"' in replayed.text
    with Session(engine) as session:
        votes = session.exec(select(Feedback)).all()
    assert [(v.message_id, v.solved, v.source) for v in votes] == [(message_id, False, "link")]


def test_a_forged_or_mangled_link_records_nothing(client, links, answered, engine):
    message_id, _ = answered
    forged = f"{message_id}.{feedback.token(message_id, 'another secret').split('.')[1]}"
    for bad in (forged, f"{message_id + 1}.{feedback.token(message_id, SECRET).split('.')[1]}", "nonsense", "1.", ".x"):
        assert client.post(f"/feedback/{bad}", data={"answer": "yes"}).status_code == 404
        assert client.get(f"/feedback/{bad}").status_code == 404
    with Session(engine) as session:
        assert session.exec(select(Feedback)).first() is None


def test_without_a_secret_links_are_off(client, answered):
    message_id, _ = answered
    assert client.post(f"/feedback/{message_id}.whatever", data={"answer": "yes"}).status_code == 404
    assert re.search(r"not valid", client.get(f"/feedback/{message_id}.x").text)
