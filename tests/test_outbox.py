"""Replies out: SMTP delivery to a real server (aiosmtpd), threading headers, retries, failures,
and two workers delivering each reply once."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from app.cli_worker import retry_policy
from app.mailer import SmtpSender
from app.models import Message, OutboxItem
from app.services import outbox
from tests.builders import csrf_from
from tests.conftest import auth
from tests.test_inbound import post_mime, raw_mail


class Recorder:
    def __init__(self) -> None:
        self.received: list = []
        self.refuse: str | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


@pytest.fixture
def mail_settings(settings, smtp_server):
    _, port = smtp_server
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                                       "smtp_from": "Shop Care <care@shop.example>", "outbox_max_attempts": 3,
                                       "outbox_backoff_seconds": 0.01, "smtp_timeout_seconds": 5})


def deliver(engine, settings, worker="w1"):
    with Session(engine, expire_on_commit=False) as session:
        return outbox.deliver_due(session=session, worker=worker, send=SmtpSender(settings), policy=retry_policy(settings), domain="shop.example")


def approve_first(client, people_login, message_id: int, body: str = "Dear Anna, your parcel is on its way.") -> None:
    page = client.get(f"/console/messages/{message_id}")
    response = client.post(f"/console/messages/{message_id}/approve",
                           data={"csrf_token": csrf_from(page.text), "subject": "ignored for mail", "body": body}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def agent_client(client, engine):
    from app.services import users

    with Session(engine) as session:
        users.create_user(session=session, name="ana", role="agent", password="a long enough password")
        session.commit()
    login = client.get("/console/login")
    client.post("/console/login", data={"name": "ana", "password": "a long enough password", "csrf_token": csrf_from(login.text)})
    return client


def test_an_approved_reply_reaches_the_buyer_threaded(agent_client, api_keys, engine, smtp_server, mail_settings):
    recorder, _ = smtp_server
    reply_to = raw_mail(extra_headers="References: <earlier@buyer.example>\r\n")
    message_id = post_mime(agent_client, api_keys["ingest"], reply_to).json()["id"]
    approve_first(agent_client, None, message_id)

    assert deliver(engine, mail_settings) == {"sent": 1, "retry": 0, "failed": 0}
    [mail] = recorder.received
    assert mail["To"] == "anna@buyer.example" and mail["From"] == "Shop Care <care@shop.example>"
    assert mail["Subject"] == "Re: Where is my order?"
    assert mail["In-Reply-To"] == "<m-1@buyer.example>"
    assert mail["References"].split() == ["<earlier@buyer.example>", "<m-1@buyer.example>"]
    assert "your parcel is on its way" in mail.get_content()
    with Session(engine) as session:
        item = session.exec(select(OutboxItem)).one()
        assert item.status == "sent" and item.sent_at is not None and mail["Message-ID"] == f"<{item.rfc_message_id}>"

    # the buyer answers our reply: it joins the same conversation
    answer = raw_mail("Thanks, but it still has not come.", message_id="<m-2@buyer.example>",
                      extra_headers=f"In-Reply-To: {mail['Message-ID']}\r\n")
    second = post_mime(agent_client, api_keys["ingest"], answer).json()["id"]
    with Session(engine) as session:
        assert session.get(Message, second).conversation_id == session.get(Message, message_id).conversation_id
    assert deliver(engine, mail_settings)["sent"] == 0  # nothing sent twice


def test_smtp_down_the_reply_waits_then_goes_out(agent_client, api_keys, engine, smtp_server, mail_settings):
    recorder, _ = smtp_server
    message_id = post_mime(agent_client, api_keys["ingest"], raw_mail()).json()["id"]
    approve_first(agent_client, None, message_id)
    down = mail_settings.model_copy(update={"smtp_port": free_port()})
    assert deliver(engine, down) == {"sent": 0, "retry": 1, "failed": 0}
    with Session(engine) as session:
        item = session.exec(select(OutboxItem)).one()
        assert (item.status, item.attempts) == ("pending", 1) and "ConnectionRefusedError" in item.last_error
    import time

    time.sleep(0.05)  # past the (shortened) backoff
    assert deliver(engine, mail_settings)["sent"] == 1
    assert len(recorder.received) == 1


def test_after_the_last_attempt_the_reply_is_failed_and_agents_see_it(agent_client, api_keys, engine, mail_settings):
    import time

    message_id = post_mime(agent_client, api_keys["ingest"], raw_mail()).json()["id"]
    approve_first(agent_client, None, message_id)
    down = mail_settings.model_copy(update={"smtp_port": free_port()})
    for _ in range(3):
        deliver(engine, down)
        time.sleep(0.05)
    failed = agent_client.get("/v1/outbox?status=failed", headers=auth(api_keys["agent"])).json()
    assert [(f["message_id"], f["attempts"]) for f in failed] == [(message_id, 3)]
    page = agent_client.get("/console/outbox?status=failed")
    assert page.status_code == 200 and "ConnectionRefusedError" in page.text
    item_page = agent_client.get(f"/console/messages/{message_id}")
    assert "Delivery: <b>failed</b>" in item_page.text
    retried = agent_client.post(f"/console/outbox/{failed[0]['id']}/retry", data={"csrf_token": csrf_from(item_page.text)}, follow_redirects=False)
    assert retried.status_code == 303
    assert deliver(engine, mail_settings)["sent"] == 1


def test_a_permanent_refusal_fails_at_once(agent_client, api_keys, engine, smtp_server, mail_settings):
    recorder, _ = smtp_server
    recorder.refuse = "550 5.1.1 No such mailbox"
    message_id = post_mime(agent_client, api_keys["ingest"], raw_mail()).json()["id"]
    approve_first(agent_client, None, message_id)
    assert deliver(engine, mail_settings) == {"sent": 0, "retry": 0, "failed": 1}


def test_two_workers_deliver_each_reply_exactly_once(client, engine, smtp_server, mail_settings):
    recorder, _ = smtp_server
    with Session(engine) as session:
        for n in range(30):
            message = Message(channel="email", external_id=f"x{n}", sender_email=f"b{n}@buyer.example", body="hi",
                              received_at=outbox.utcnow(), created_at=outbox.utcnow(), due_at=outbox.utcnow(), status="approved")
            session.add(message)
            session.flush()
            outbox.enqueue(session=session, message=message, subject="Re: hi", body=f"reply {n}", language="en", actor="ana")
        session.commit()
    results: list = []
    workers = [threading.Thread(target=lambda w=w: results.append(deliver(engine, mail_settings, worker=w))) for w in ("w1", "w2")]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert sum(r["sent"] for r in results) == 30
    assert sorted(m["To"] for m in recorder.received) == sorted(f"b{n}@buyer.example" for n in range(30))
