"""Seller metrics over a history with known answers: every figure checked exactly."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from app.models import utcnow
from tests import history
from tests.conftest import auth

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday; the period is that week
PERIOD = {"from": "2026-11-02", "to": "2026-11-09"}


@pytest.fixture
def known(client, engine, settings):
    """Seven buyer messages in the week, and what happened to each."""
    client.app.state.settings = settings.model_copy(update={"channel_sla_hours": {"taobao": 12}, "template_flag_min_votes": 1})
    at = lambda day, hour, minute=0: T0 + timedelta(days=day, hours=hour, minutes=minute)  # noqa: E731
    with Session(engine) as s:
        m1 = history.message(s, received=at(0, 10), intent="return")
        history.reply(s, m1, sent=at(0, 14))  # 4 h, an agent
        history.vote(s, m1, True, at(1, 0))
        history.label(s, m1, "return", "return", at(0, 13))
        m2 = history.message(s, received=at(0, 11), intent="quality", status="auto")
        history.reply(s, m2, sent=at(0, 11, 0) + timedelta(seconds=30), by="auto")  # automatic, 30 s
        history.vote(s, m2, False, at(1, 0))
        m3 = history.message(s, received=at(1, 8), channel="taobao", intent="logistics_delay", language="zh", sla_hours=12)
        history.reply(s, m3, sent=at(1, 22))  # 14 h: late for a 12-hour channel
        history.vote(s, m3, False, at(2, 0))
        history.label(s, m3, "logistics_delay", "other", at(1, 21))  # the agent corrected the intent
        history.message(s, received=at(2, 9), intent="cancellation", status="open")  # never answered
        history.message(s, received=at(2, 12), intent="other", status="resolved")  # closed without a reply
        history.message(s, received=at(2, 13), robot="Auto-Submitted: auto-replied")  # a robot: not counted
        m7 = history.message(s, received=at(3, 9), intent="technical_support")
        conversation = s.get(history.Conversation, m7.conversation_id)
        m8 = history.message(s, received=at(3, 10), intent="technical_support", conversation=conversation)
        history.reply(s, m8, sent=at(3, 12))  # answers m8 (2 h) and m7 before it (3 h)
        history.message(s, received=at(8, 9), intent="quality")  # the week after: outside the period
        waiting = history.message(s, received=utcnow() - timedelta(hours=22), intent="quality", status="open")  # due in 2 h
        s.commit()
    return waiting


def get(client, api_keys, path="/v1/stats", **params):
    response = client.get(path, params={**PERIOD, **params}, headers=auth(api_keys["agent"]))
    assert response.status_code == 200, response.text
    return response


def test_totals_of_the_period(client, api_keys, known):
    totals = get(client, api_keys).json()["totals"]
    assert totals == {
        "messages": 7, "replied": 5, "replied_within_sla": 4, "unanswered_past_sla": 1, "sla_share": 0.6667,
        "first_reply_hours_median": 3.0, "first_reply_hours_p90": 14.0,
        "votes": 3, "dissatisfied": 2, "dissatisfaction_rate": 0.6667,
        "automated": 1, "automation_rate": 0.2, "labelled": 2, "corrected": 1, "correction_rate": 0.5,
    }


def test_grouped_by_channel_and_by_day(client, api_keys, known):
    by_channel = {g["key"]["channel"]: g for g in get(client, api_keys, group_by="channel").json()["groups"]}
    assert set(by_channel) == {"amazon-de", "taobao"}
    assert (by_channel["taobao"]["messages"], by_channel["taobao"]["sla_share"], by_channel["taobao"]["first_reply_hours_median"]) == (1, 0.0, 14.0)
    assert (by_channel["amazon-de"]["messages"], by_channel["amazon-de"]["sla_share"]) == (6, 0.8)
    by_day = {g["key"]["day"]: g["messages"] for g in get(client, api_keys, group_by="day").json()["groups"]}
    assert by_day == {"2026-11-02": 2, "2026-11-03": 1, "2026-11-04": 2, "2026-11-05": 2}
    two = get(client, api_keys, group_by="channel,intent").json()["groups"]
    assert {(g["key"]["channel"], g["key"]["intent"]): g["messages"] for g in two}[("amazon-de", "technical_support")] == 2


def test_backlog_and_flagged_templates(client, api_keys, known):
    result = get(client, api_keys).json()
    assert result["backlog"] == {"open": 2, "overdue": 1, "due_within_hours": 4.0, "due_soon": 1}
    flagged = {f["template"]: f for f in result["flagged_templates"]}
    assert set(flagged) == {"en/quality.j2", "zh/logistics_delay.j2"}  # each 1 of 1 said no; en/return.j2 was fine
    assert flagged["en/quality.j2"]["dissatisfaction_rate"] == 1.0 and flagged["en/quality.j2"]["reasons"]


def test_csv_export_has_the_same_figures(client, api_keys, known):
    rows = list(csv.reader(io.StringIO(get(client, api_keys, "/v1/stats.csv", group_by="channel").text)))
    assert rows[0][:3] == ["channel", "messages", "replied"]
    assert rows[1][:6] == ["amazon-de", "6", "4", "4", "1", "0.8"]
    assert rows[2][0] == "taobao" and rows[2][rows[0].index("sla_share")] == "0.0"


def test_bad_parameters_are_clear_4xx(client, api_keys):
    for params, word in (({"group_by": "colour"}, "colour"), ({"from": "yesterday"}, "from"), ({"from": "2026-12-01", "to": "2026-11-01"}, "after")):
        response = client.get("/v1/stats", params=params, headers=auth(api_keys["agent"]))
        assert response.status_code == 400 and word in response.json()["error"]
    assert client.get("/v1/stats", headers=auth(api_keys["ingest"])).status_code == 403
