"""Personal data masked in logs and exports; every request carries an id; logs are JSON."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlmodel import Session

from app.logs import JsonFormatter
from app.models import Label, Message, utcnow
from app.redact import redact
from app.services import labels
from classifier.data import read_file
from tests.builders import message_payload
from tests.conftest import auth


@pytest.mark.parametrize(("text", "masked"), [
    ("write to anna.b+x@buyer.example today", "write to [email] today"),
    ("call +49 170 1234567 or (555) 123-4567", "call [phone] or [phone]"),
    ("电话 13812345678", "电话 [phone]"),
    ("card 4111 1111 1111 1111, exp 12/27", "card [card], exp 12/27"),
    ("card 4111-1111-1111-1111", "card [card]"),
])
def test_personal_data_is_masked(text, masked):
    assert redact(text) == masked


@pytest.mark.parametrize("kept", [
    "order 113-4567890-1234567", "tracking 1Z999AA10123456784", "淘宝订单 2358741963258741236",
    "delivered 2026-12-04", "am 04.12.2026", "4111-1111-1111-1112 is not a card", "loaded model 20261204-174535",
])
def test_order_numbers_dates_and_other_numbers_are_kept(kept):
    assert redact(kept) == kept


def _log_line(logger: logging.Logger, *args, **kwargs) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        logger.warning(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


def test_log_lines_are_json_and_mask_what_slips_into_them():
    entry = _log_line(logging.getLogger("test.security"), "could not reach %s at %s", "anna@buyer.example", "+44 20 7946 0958",
                      extra={"channel": "amazon-de"})
    assert entry["level"] == "warning" and entry["logger"] == "test.security" and entry["channel"] == "amazon-de"
    assert entry["message"] == "could not reach [email] at [phone]"


def test_every_request_has_an_id_in_its_response_and_its_log_lines(client, api_keys, caplog):
    given = client.get("/healthz", headers={"X-Request-ID": "gateway-42"})
    assert given.headers["X-Request-ID"] == "gateway-42"
    invented = client.get("/healthz", headers={"X-Request-ID": "not valid\x7f!" * 10})
    assert len(invented.headers["X-Request-ID"]) == 32 and invented.headers["X-Request-ID"] != given.headers["X-Request-ID"]
    caplog.set_level(logging.INFO, logger="app")
    response = client.post("/v1/inbound/mime", content=b"From: Anna <anna@buyer.example>\r\nSubject: hi\r\n\r\nwhere is it",
                           headers={**auth(api_keys["ingest"]), "Content-Type": "message/rfc822", "X-Request-ID": "req-7"})
    assert response.status_code == 201
    lines = [JsonFormatter().format(record) for record in caplog.records if record.name.startswith("app")]
    assert lines and all(json.loads(line)["request_id"] == "req-7" for line in lines)
    assert not any("anna@buyer.example" in line or "where is it" in line for line in lines)


def test_labels_export_redact_masks_the_text(engine, tmp_path):
    with Session(engine) as session:
        message = Message(channel="c", external_id="1", sender_email="a@b.c", received_at=utcnow(), created_at=utcnow(),
                          due_at=utcnow(), language="en", body="Refund to card 4111 1111 1111 1111 please, call me on +1 415 555 0100")
        session.add(message)
        session.flush()
        session.add(Label(message_id=message.id, intent="return", source="console", actor="ana", created_at=utcnow()))
        session.commit()
        labels.export(session=session, path=tmp_path / "plain.csv")
        labels.export(session=session, path=tmp_path / "masked.csv", redacted=True)
    [plain] = read_file(tmp_path / "plain.csv")
    [masked] = read_file(tmp_path / "masked.csv")
    assert "4111 1111 1111 1111" in plain.text
    assert masked.text == "Refund to card [card] please, call me on [phone]" and masked.label == "return"


def test_console_pages_send_the_security_headers(client):
    response = client.get("/console/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
