"""Inbound mail endpoints: each gateway's format, authentication, status codes, idempotency,
threading and robots."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Conversation, Message, OutboxItem, WebhookToken
from tests.conftest import auth
from tests.mail_builders import basic, mailgun_form, postmark_json, sendgrid_parsed, sendgrid_raw


def raw_mail(body: str = "Hello, my order 028-1234567-7654321 has not arrived yet. Can you check the tracking?", *,
             message_id: str = "<m-1@buyer.example>", sender: str = "Anna Buyer <anna@buyer.example>", subject: str = "Where is my order?",
             extra_headers: str = "", charset: str = "utf-8") -> bytes:
    head = (f"From: {sender}\r\nTo: care@shop.example\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: Mon, 3 Mar 2025 10:12:00 +0000\r\n{extra_headers}MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode() + body.encode(charset) + b"\r\n"


def count(engine, model=Message) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stored(engine, **where) -> list[Message]:
    with Session(engine) as session:
        query = select(Message)
        for key, value in where.items():
            query = query.where(getattr(Message, key) == value)
        return list(session.exec(query.order_by(Message.id)))


def post_mime(client, key, raw: bytes, **params):
    return client.post("/v1/inbound/mime", content=raw, params=params, headers={**auth(key), "Content-Type": "message/rfc822"})


def test_raw_mime_needs_an_ingest_key_and_is_idempotent_on_message_id(client, api_keys, engine):
    assert post_mime(client, "trg_wrong", raw_mail()).status_code == 401
    assert count(engine) == 0
    first = post_mime(client, api_keys["ingest"], raw_mail())
    again = post_mime(client, api_keys["ingest"], raw_mail())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    [row] = stored(engine)
    assert (row.channel, row.sender_email, row.order_id, row.rfc_message_id) == ("email", "anna@buyer.example", "028-1234567-7654321", "m-1@buyer.example")


def test_the_same_mail_through_two_gateways_is_one_message(client, api_keys, engine):
    assert post_mime(client, api_keys["ingest"], raw_mail()).status_code == 201
    response = client.post("/v1/inbound/postmark", json=postmark_json(raw_mail()), headers=basic("postmark"))
    assert response.status_code == 200
    assert count(engine) == 1


def test_postmark_credentials_status_codes_and_retries(client, engine):
    payload = postmark_json(raw_mail(), message_id="pm-1")
    wrong = {"Authorization": "Basic " + __import__("base64").b64encode(b"pm-hook:nope").decode()}
    assert client.post("/v1/inbound/postmark", json=payload, headers=wrong).status_code == 401
    assert client.post("/v1/inbound/postmark", json=payload).status_code == 401
    assert count(engine) == 0
    assert client.post("/v1/inbound/postmark", json=payload, headers=basic("postmark")).status_code == 200
    assert client.post("/v1/inbound/postmark", json=payload, headers=basic("postmark")).status_code == 200
    assert count(engine) == 1
    no_sender = {**payload, "MessageID": "pm-2", "From": "", "FromFull": {}, "Headers": []}
    refused = client.post("/v1/inbound/postmark", json=no_sender, headers=basic("postmark"))
    assert refused.status_code == 403 and "sender" in refused.json()["error"]  # 403 stops Postmark's retries
    bad_json = client.post("/v1/inbound/postmark", content=b"{nope", headers={**basic("postmark"), "Content-Type": "application/json"})
    assert bad_json.status_code == 403
    assert count(engine) == 1


def test_postmark_attachments_are_recorded_not_stored(client, engine):
    payload = postmark_json(raw_mail(), message_id="pm-att")
    payload["Attachments"] = [{"Name": "photo.jpg", "ContentType": "image/jpeg", "Content": "AAAA", "ContentLength": 48213},
                              {"Name": "run-me.exe", "ContentType": "application/x-msdownload", "Content": "TVqQ", "ContentLength": 3}]
    assert client.post("/v1/inbound/postmark", json=payload, headers=basic("postmark")).status_code == 200
    [row] = stored(engine)
    assert row.attachments == [{"name": "photo.jpg", "content_type": "image/jpeg", "size": 48213},
                               {"name": "run-me.exe", "content_type": "application/x-msdownload", "size": 3}]


def test_sendgrid_parsed_fields_are_decoded_with_their_declared_charsets(client, engine):
    text = "您好，我的订单号：2938475610293847561 还没有发货，请尽快处理。"
    files = [("text", (None, text.encode("gb2312"))), ("from", (None, b"Li Lei <lilei@example.cn>")),
             ("subject", (None, "订单".encode("gb2312"))), ("headers", (None, b"Message-ID: <sg-1@example.cn>\r\nFrom: lilei@example.cn")),
             ("charsets", (None, b'{"text":"gb2312","subject":"gb2312","from":"UTF-8"}'))]
    response = client.post("/v1/inbound/sendgrid", files=files, headers=basic("sendgrid"))
    assert response.status_code == 200, response.text
    [row] = stored(engine)
    assert (row.body, row.subject, row.order_id, row.language) == (text, "订单", "2938475610293847561", "zh")


def test_sendgrid_raw_mode_and_wrong_credentials(client, engine):
    assert client.post("/v1/inbound/sendgrid", files=sendgrid_raw(raw_mail()), headers=basic("postmark")).status_code == 401
    assert count(engine) == 0
    assert client.post("/v1/inbound/sendgrid", files=sendgrid_raw(raw_mail()), headers=basic("sendgrid")).status_code == 200
    assert stored(engine)[0].rfc_message_id == "m-1@buyer.example"
    data, files = sendgrid_parsed(raw_mail(message_id="<m-2@buyer.example>"))
    assert client.post("/v1/inbound/sendgrid", data=data, files=files or None, headers=basic("sendgrid")).status_code == 200
    assert count(engine) == 2


def test_mailgun_signature_staleness_replay_and_406(client, engine):
    data, _ = mailgun_form(raw_mail())
    assert client.post("/v1/inbound/mailgun", data=data).status_code == 200
    assert client.post("/v1/inbound/mailgun", data=data).status_code == 200  # a retry of a stored message
    other, _ = mailgun_form(raw_mail(message_id="<m-2@buyer.example>"), token=data["token"], timestamp=int(data["timestamp"]))
    replay = client.post("/v1/inbound/mailgun", data=other)
    assert replay.status_code == 401 and "used before" in replay.json()["error"]
    stale, _ = mailgun_form(raw_mail(message_id="<m-3@buyer.example>"), timestamp=1_600_000_000)
    assert client.post("/v1/inbound/mailgun", data=stale).status_code == 401
    forged, _ = mailgun_form(raw_mail(message_id="<m-4@buyer.example>"), key="not-the-key")
    assert client.post("/v1/inbound/mailgun", data=forged).status_code == 401
    assert count(engine) == 1 and count(engine, WebhookToken) == 1
    empty, _ = mailgun_form(raw_mail(message_id="<m-5@buyer.example>", body="", subject=""))
    refused = client.post("/v1/inbound/mailgun", data={**empty, "from": "", "sender": ""})
    assert refused.status_code == 406  # Mailgun does not retry a 406


def test_oversized_posts_get_the_status_that_stops_retries(client, settings):
    client.app.user_middleware  # the limit is set at start-up from settings.max_inbound_bytes
    big = b"x" * (settings.max_inbound_bytes + 1)
    assert client.post("/v1/inbound/mailgun", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 406
    assert client.post("/v1/inbound/postmark", content=big, headers={**basic("postmark"), "Content-Type": "application/json"}).status_code == 403


def test_unconfigured_gateways_answer_503_so_nothing_is_lost(client):
    client.app.state.settings = client.app.state.settings.model_copy(update={"mailgun_signing_key": None})
    response = client.post("/v1/inbound/mailgun", data={"from": "a@b.example"})
    assert response.status_code == 503 and "TRIAGE_MAILGUN_SIGNING_KEY" in response.json()["error"]


def test_quoted_reply_is_cut_for_classification_and_kept_in_full(client, api_keys, engine):
    body = ("Hi, the parcel came but the screen is cracked.\n\nOn Mon, 3 Mar 2025 at 10:12, Shop <care@shop.example> wrote:\n"
            "> Your order has shipped and will arrive tomorrow. Tracking 1Z999AA10123456784.")
    post_mime(client, api_keys["ingest"], raw_mail(body))
    [row] = stored(engine)
    assert row.body == "Hi, the parcel came but the screen is cracked."
    assert "Your order has shipped" in row.original_body


def test_replies_join_their_conversation_and_the_queue_shows_it_once(client, api_keys, engine):
    first = post_mime(client, api_keys["ingest"], raw_mail("Do you ship order 028-1234567-7654321 to Canada? Just asking.", subject="Question")).json()
    reply = raw_mail("And how long does it take? Thanks.", message_id="<m-2@buyer.example>", subject="Re: Question",
                     extra_headers="In-Reply-To: <m-1@buyer.example>\r\nReferences: <m-1@buyer.example>\r\n")
    second = post_mime(client, api_keys["ingest"], reply).json()
    same_order = post_mime(client, api_keys["ingest"], raw_mail("Any news on order 028-1234567-7654321? Do you ship to Canada?",
                                                                message_id="<m-3@buyer.example>", subject="Another")).json()
    rows = {r.id: r for r in stored(engine)}
    assert rows[first["id"]].conversation_id == rows[second["id"]].conversation_id == rows[same_order["id"]].conversation_id
    assert count(engine, Conversation) == 1
    # the conversation is as late as its oldest unanswered message
    assert rows[same_order["id"]].due_at == rows[first["id"]].due_at
    queue = client.get("/v1/review-queue", headers=auth(api_keys["agent"])).json()
    assert [item["id"] for item in queue["items"]] == [same_order["id"]]


def test_a_new_conversation_about_another_order(client, api_keys, engine):
    post_mime(client, api_keys["ingest"], raw_mail("Order 028-1234567-7654321 is late"))
    post_mime(client, api_keys["ingest"], raw_mail("Order 028-7654321-1234567 arrived broken", message_id="<m-9@buyer.example>"))
    assert count(engine, Conversation) == 2


def test_auto_replies_and_bounces_are_never_answered_automatically(client, api_keys, engine, settings):
    eager = settings.model_copy(update={"threshold_overrides": {i: 0.0 for i in ("logistics_delay", "cancellation", "return", "quality", "technical_support")},
                                        "min_margin": 0.0})
    client.app.state.analyzer.settings = eager
    person = post_mime(client, api_keys["ingest"], raw_mail()).json()
    assert person["route"] == "auto"  # the same text from a person is answered
    robot = post_mime(client, api_keys["ingest"], raw_mail(message_id="<ooo@buyer.example>", subject="Automatic reply: Where is my order?",
                                                           extra_headers="Auto-Submitted: auto-replied\r\n")).json()
    bounce = post_mime(client, api_keys["ingest"], raw_mail(message_id="<dsn@mx.example>", sender="MAILER-DAEMON@mx.example",
                                                            subject="Undelivered Mail Returned to Sender")).json()
    for decision in (robot, bounce):
        assert decision["route"] == "review" and decision["reasons"][0].startswith("robot:")
    with Session(engine) as session:
        assert [o.message_id for o in session.exec(select(OutboxItem))] == [person["id"]]
