"""Faults with real processes: kill -9 in the middle of a burst, the database going away, SMTP
down with two worker processes, and no usable model. Each runs `triage serve` or `triage worker`
as its own process group, against SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from app.models import Message, OutboxItem, utcnow
from app.services import keys, outbox
from tests.conftest import auth
from tests.live_server import TRIAGE, LiveServer, free_port, server_environment
from tests.tcp_proxy import TcpProxy
from tests.test_outbox import Recorder

BURST_CLIENT = Path(__file__).with_name("burst_client.py")


def make_key(database_url: str, role: str = "ingest", name: str = "gateway") -> str:
    engine = create_engine(database_url)
    with Session(engine) as session:
        _, plain = keys.create_key(session=session, name=name, role=role)
        session.commit()
    engine.dispose()
    return plain


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_kill_9_during_a_burst_loses_nothing_that_was_acknowledged(database_url, tiny_model_dir, tmp_path):
    key = make_key(database_url)
    server = LiveServer(server_environment(database_url, tiny_model_dir), workers=2, cwd=tmp_path).start()
    acks = tmp_path / "acks.txt"
    acks.touch()
    client = subprocess.Popen([sys.executable, str(BURST_CLIENT), server.url, key, str(acks), "100000", "6"])
    try:
        wait_for(lambda: len(acks.read_text().split()) >= 60, 60, "60 acknowledged messages")
        server.kill()  # mid-burst: requests in flight die with the server
        client.wait(60)
    finally:
        client.kill()
        server.stop()
    acknowledged = set(acks.read_text().split())

    server.start()  # the same database, a new server
    try:
        engine = create_engine(database_url)
        with Session(engine) as session:
            rows = session.exec(select(Message).where(Message.channel == "burst")).all()
        engine.dispose()
        stored = {row.external_id: row for row in rows}
        assert acknowledged <= set(stored), f"acknowledged but lost: {sorted(acknowledged - set(stored))[:10]}"
        for row in rows:  # nothing half-written: every stored message carries its whole decision
            assert row.language and row.intent and row.model_version and row.conversation_id, row.external_id
            assert not any(reason.startswith("pending") for reason in row.reasons), row.reasons
        retry = httpx.post(f"{server.url}/v1/messages", headers=auth(key), json={
            "external_id": sorted(acknowledged)[0], "channel": "burst", "sender_email": "x@buyer.example", "body": "again"})
        assert retry.status_code == 200  # a gateway's retry after the restart is recognised
    finally:
        server.stop()


def _through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{proxy.port}"))


def test_database_outage_answers_503_with_retry_after_and_recovers_by_itself(_postgres_url, tiny_model_dir, tmp_path):
    target = urlsplit(_postgres_url)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 5432)).start()
    url = _through(proxy, _postgres_url)
    key = make_key(_postgres_url, name="outage")
    payload = {"channel": "outage", "sender_email": "b@buyer.example", "body": "Where is my parcel?"}
    with LiveServer(server_environment(url, tiny_model_dir), workers=1, cwd=tmp_path) as server:
        assert httpx.post(f"{server.url}/v1/messages", headers=auth(key), json={**payload, "external_id": "before"}).status_code == 201
        proxy.cut()
        during = httpx.post(f"{server.url}/v1/messages", headers=auth(key), json={**payload, "external_id": "during"}, timeout=30)
        assert during.status_code == 503, during.text
        assert during.headers["Retry-After"].isdigit() and "database" in during.json()["error"]
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        proxy.restore()
        wait_for(lambda: httpx.get(f"{server.url}/healthz", timeout=30).json()["database"] == "ok", 30, "the database to come back")
        after = httpx.post(f"{server.url}/v1/messages", headers=auth(key), json={**payload, "external_id": "during"})
        assert after.status_code == 201  # the gateway's retry of the refused message now lands
    proxy.cut()
    engine = create_engine(_postgres_url)
    with Session(engine) as session:
        assert sorted(session.exec(select(Message.external_id).where(Message.channel == "outage")).all()) == ["before", "during"]
    engine.dispose()


def _approved_replies(database_url: str, count: int) -> None:
    engine = create_engine(database_url)
    with Session(engine) as session:
        for n in range(count):
            message = Message(channel="email", external_id=f"smtp-{n}", sender_email=f"b{n}@buyer.example", body="hi",
                              received_at=utcnow(), created_at=utcnow(), due_at=utcnow(), status="approved")
            session.add(message)
            session.flush()
            outbox.enqueue(session=session, message=message, subject="Re: hi", body=f"reply {n}", language="en", actor="ana")
        session.commit()
    engine.dispose()


def test_smtp_down_replies_wait_then_two_worker_processes_deliver_each_once(database_url, tiny_model_dir, tmp_path):
    _approved_replies(database_url, 30)
    port = free_port()  # nothing listens here yet: SMTP is down
    env = server_environment(database_url, tiny_model_dir, TRIAGE_SMTP_HOST="127.0.0.1", TRIAGE_SMTP_PORT=str(port),
                             TRIAGE_SMTP_SECURITY="none", TRIAGE_SMTP_FROM="Shop <care@shop.example>",
                             TRIAGE_OUTBOX_BACKOFF_SECONDS="0.2", TRIAGE_OUTBOX_MAX_ATTEMPTS="50", TRIAGE_WORKER_POLL_SECONDS="0.1",
                             TRIAGE_SMTP_TIMEOUT_SECONDS="5")
    workers = [subprocess.Popen([str(TRIAGE), "worker"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    engine = create_engine(database_url)

    def count(status: str) -> int:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(OutboxItem).where(OutboxItem.status == status)).one()

    def attempted() -> bool:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(OutboxItem).where(OutboxItem.attempts > 0)).one() >= 5

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    try:
        wait_for(attempted, 30, "the workers to try and fail")
        assert count("sent") == 0 and count("failed") == 0  # waiting, not lost
        controller.start()  # SMTP is back
        wait_for(lambda: count("sent") == 30, 60, "every reply to be sent")
        time.sleep(1)  # give a duplicate the chance to show
        assert sorted(m["To"] for m in recorder.received) == sorted(f"b{n}@buyer.example" for n in range(30))
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(10)
        controller.stop()
        engine.dispose()


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_without_a_usable_model_messages_are_kept_and_all_go_to_review(database_url, tiny_model_dir, tmp_path, damage):
    model_dir = tmp_path / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    [artefact] = model_dir.glob("*/model.joblib")
    if damage == "corrupt":
        artefact.write_bytes(artefact.read_bytes()[:200] + b"garbage")
    else:
        artefact.unlink()
    key = make_key(database_url)
    with LiveServer(server_environment(database_url, model_dir), cwd=tmp_path) as server:
        health = httpx.get(f"{server.url}/healthz")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["model_version"] is None and health.json()["model_error"]
        response = httpx.post(f"{server.url}/v1/messages", headers=auth(key), json={
            "external_id": "m1", "channel": "web", "sender_email": "b@buyer.example", "body": "Please cancel my order"})
        assert response.status_code == 201
        assert response.json()["route"] == "review" and any(r.startswith("no_model") for r in response.json()["reasons"])
