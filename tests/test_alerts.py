"""Early warnings on histories with known answers: a spike of quality complaints on one product,
the SLA of the coming day at risk, each raised once and posted once to the webhook."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import Session, select

from app.models import Alert, utcnow
from app.services import alerts
from tests import history
from tests.conftest import auth


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def spike_history(engine):
    """Four weeks before: 2 quality messages a week on B0SPIKE001 and 3 on B0STEADY02; this week:
    5 on B0SPIKE001 (more than doubled), 3 on B0STEADY02, 1 on a new product, 4 returns."""
    now = utcnow()
    with Session(engine) as s:
        for week in range(1, 5):
            for n in range(2):
                history.message(s, received=now - timedelta(days=7 * week + 1, hours=n), sku="B0SPIKE001")
            for n in range(3):
                history.message(s, received=now - timedelta(days=7 * week + 2, hours=n), sku="B0STEADY02")
        for n in range(5):
            history.message(s, received=now - timedelta(days=1, hours=n), sku="B0SPIKE001")
        for n in range(3):
            history.message(s, received=now - timedelta(days=2, hours=n), sku="B0STEADY02")
        history.message(s, received=now - timedelta(days=3), sku="B0NEWITEM3")  # one message is no alarm
        for n in range(4):
            history.message(s, received=now - timedelta(days=1, hours=n), intent="return")  # under the minimum count
        s.commit()


def test_a_product_whose_complaints_doubled_raises_one_alert_once(client, api_keys, engine, settings, webhook):
    url, received = webhook
    client.app.state.settings = settings.model_copy(update={"alert_webhook_url": url})
    spike_history(engine)
    listed = client.get("/v1/alerts", headers=auth(api_keys["agent"]))
    assert listed.status_code == 200
    [alert] = listed.json()["alerts"]
    assert (alert["kind"], alert["subject"], alert["intent"], alert["sku"], alert["count"], alert["baseline"]) == \
        ("spike", "quality on B0SPIKE001", "quality", "B0SPIKE001", 5, 2.0)
    assert "5 quality messages about product B0SPIKE001" in alert["detail"]
    # overall quality went from 5 to 9 a week: under twice the baseline, no alert
    again = client.get("/v1/alerts", headers=auth(api_keys["agent"])).json()["alerts"]
    assert [a["id"] for a in again] == [alert["id"]]
    with Session(engine) as session:
        assert len(session.exec(select(Alert)).all()) == 1
        assert session.exec(select(Alert)).one().notified_at is not None
    assert [(p["subject"], p["count"]) for p in received] == [("quality on B0SPIKE001", 5)]


def test_the_sla_of_the_coming_day_at_risk(engine, settings):
    now = utcnow()
    with Session(engine) as s:
        for hour in range(1, 11):  # ten messages due in 1..10 hours
            history.message(s, received=now + timedelta(hours=hour) - timedelta(hours=24), status="open", intent="other")
        answered = history.message(s, received=now - timedelta(hours=30), intent="other")
        for n in range(12):  # agents answered 12 in the last day: one every two hours
            history.reply(s, answered, sent=now - timedelta(hours=2 * n + 1))
        s.commit()
        [found] = alerts.sla_forecast(session=s, settings=settings, now=now)
        assert (found["count"], found["baseline"]) == (10, 0.0)  # at one every two hours, none in time
        for n in range(36):  # at two an hour, every one of them is answered in time
            history.reply(s, answered, sent=now - timedelta(minutes=20 * n + 10))
        s.commit()
        assert alerts.sla_forecast(session=s, settings=settings, now=now) == []


def test_nothing_to_report_on_a_quiet_history(client, api_keys, engine):
    with Session(engine) as s:
        for day in range(35):
            history.message(s, received=utcnow() - timedelta(days=day, hours=1), sku="B0QUIET001")
        s.commit()
    assert client.get("/v1/alerts", headers=auth(api_keys["agent"])).json() == {"alerts": []}
