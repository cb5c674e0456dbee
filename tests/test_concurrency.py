"""Many at once, with real threads against a real `triage serve --workers 2`, on SQLite and
PostgreSQL: agents claiming from the queue, and a gateway's retries racing each other."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from app.models import Conversation, Message, utcnow
from app.services import keys
from tests.conftest import auth
from tests.live_server import LiveServer, server_environment


@pytest.fixture
def server(database_url, tiny_model_dir, tmp_path):
    with LiveServer(server_environment(database_url, tiny_model_dir), workers=2, cwd=tmp_path) as live:
        yield live


def _keys(database_url: str, role: str, count: int) -> list[str]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        created = [keys.create_key(session=session, name=f"{role}-{n}", role=role)[1] for n in range(count)]
        session.commit()
    engine.dispose()
    return created


def _waiting_messages(database_url: str, count: int) -> None:
    engine = create_engine(database_url)
    now = utcnow()
    with Session(engine) as session:
        for n in range(count):
            conversation = Conversation(sender_email=f"b{n}@buyer.example", created_at=now, last_message_at=now)
            session.add(conversation)
            session.flush()
            session.add(Message(channel="web", external_id=f"q{n}", sender_email=f"b{n}@buyer.example", body="help",
                                received_at=now, created_at=now, due_at=now + timedelta(minutes=n), route="review",
                                status="open", conversation_id=conversation.id, language="en", intent="other"))
        session.commit()
    engine.dispose()


def _all_at_once(count: int, work) -> list:
    """Run `work(index)` in `count` threads released together by a barrier."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_agents_claiming_at_once_never_get_the_same_message(server, database_url):
    _waiting_messages(database_url, 50)
    agents = _keys(database_url, "agent", 20)

    def claim_until_empty(index: int) -> list[int]:
        claimed = []
        with httpx.Client(base_url=server.url, headers=auth(agents[index]), timeout=30) as client:
            while (response := client.post("/v1/review-queue/claim")).status_code == 200:
                claimed.append(response.json()["message"]["id"])
                assert response.json()["claimed_by"] == f"key:agent-{index}"
            assert response.status_code == 204, response.text
        return claimed

    per_agent = _all_at_once(20, claim_until_empty)
    everything = [message_id for claimed in per_agent for message_id in claimed]
    duplicates = [m for m, n in Counter(everything).items() if n > 1]
    assert not duplicates, f"claimed twice: {duplicates}"
    assert len(everything) == 50
    assert sum(1 for claimed in per_agent if claimed) > 1  # the work was really shared


def test_ten_clients_posting_the_same_message_at_once_create_one_record(server, database_url):
    [key] = _keys(database_url, "ingest", 1)
    payload = {"external_id": "same-1", "channel": "amazon-de", "sender_email": "b@buyer.example",
               "body": "Wo ist mein Paket? Bestellung 028-1234567-7654321"}

    def post(_: int) -> tuple[int, int]:
        response = httpx.post(f"{server.url}/v1/messages", json=payload, headers=auth(key), timeout=30)
        return response.status_code, response.json()["id"]

    results = _all_at_once(10, post)
    assert sorted(status for status, _ in results) == [200] * 9 + [201]
    assert len({message_id for _, message_id in results}) == 1
    engine = create_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Message).where(Message.external_id == "same-1")).one() == 1
        assert session.exec(select(func.count()).select_from(Conversation)).one() == 1
    engine.dispose()

    # both workers answered, and /metrics adds their counters up whichever worker is asked
    scraped = httpx.get(f"{server.url}/metrics").text
    posted = [line for line in scraped.splitlines()
              if line.startswith("triage_http_requests_total{") and 'route="/v1/messages"' in line and 'method="POST"' in line]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in posted) == 10, posted
    created = [line for line in scraped.splitlines() if line.startswith("triage_messages_total{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in created) == 1, created
    # the server's own log lines are JSON, with a request id, and carry no buyer address
    records = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    access = [r for r in records if r["logger"] == "uvicorn.access" and "/v1/messages" in r["message"]]
    assert len(access) >= 10 and all(r.get("request_id") for r in access)
    assert "b@buyer.example" not in server.log.read_text()
