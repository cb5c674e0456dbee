"""Every message of the hand-written corpus (tests/corpus/mail) through every inbound endpoint:
accepted with a sensible body, or refused with a clear 4xx; never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.gateways import mime
from app.gateways.normalized import RefusedMessage
from app.models import Message
from tests.conftest import auth
from tests.mail_builders import basic, mailgun_form, postmark_json, sendgrid_parsed, sendgrid_raw

CORPUS = Path(__file__).parent / "corpus" / "mail"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
CASES = [pytest.param(case, id=case["file"]) for case in MANIFEST]


def test_the_corpus_is_large_and_varied():
    assert len(MANIFEST) >= 50
    assert sorted(c["file"] for c in MANIFEST) == sorted(p.name for p in CORPUS.glob("*.eml"))
    assert sum(c["auto"] for c in MANIFEST) >= 4 and sum(c["expect"] == "refused" for c in MANIFEST) >= 1


@pytest.mark.parametrize("case", CASES)
def test_normalisation_of_each_corpus_message(case):
    raw = (CORPUS / case["file"]).read_bytes()
    if case["expect"] == "refused":
        with pytest.raises(RefusedMessage):
            mime.parse(raw, channel="email")
        return
    mail = mime.parse(raw, channel="email")
    classified = f"{mail.subject or ''}\n{mail.body}"
    for phrase in case.get("body_contains") or []:
        assert phrase in classified or phrase in mail.original_body, phrase
    for phrase in case.get("not_in_body") or []:
        assert phrase not in mail.body, phrase
    assert bool(mail.robot) == case["auto"], mail.robot
    assert len(mail.attachments) + mail.attachments_dropped == case["attachments"]
    if case.get("order_id"):
        assert mail.order_id == case["order_id"]
    if case.get("tracking_number"):
        assert mail.context.get("tracking_number") == case["tracking_number"]


def _post_everywhere(client, api_keys, raw: bytes, n: int):
    yield "mime", client.post("/v1/inbound/mime", content=raw, headers={**auth(api_keys["ingest"]), "Content-Type": "message/rfc822"})
    yield "sendgrid-raw", client.post("/v1/inbound/sendgrid?channel=sg-raw", files=sendgrid_raw(raw), headers=basic("sendgrid"))
    data, files = sendgrid_parsed(raw)  # SendGrid always posts multipart/form-data
    fields = [(name, (None, value.encode("utf-8", "surrogateescape"))) for name, value in data.items()]
    yield "sendgrid", client.post("/v1/inbound/sendgrid?channel=sg", files=fields + files, headers=basic("sendgrid"))
    yield "postmark", client.post("/v1/inbound/postmark", json=postmark_json(raw, message_id=f"pm-{n}"), headers=basic("postmark"))
    data, files = mailgun_form(raw)
    yield "mailgun", client.post("/v1/inbound/mailgun", data=data, files=files or None)


def test_every_corpus_message_through_every_endpoint(client, api_keys, engine):
    refused_codes = {"mime": 422, "sendgrid-raw": 400, "sendgrid": 400, "postmark": 403, "mailgun": 406}
    for n, case in enumerate(MANIFEST):
        raw = (CORPUS / case["file"]).read_bytes()
        for endpoint, response in _post_everywhere(client, api_keys, raw, n):
            where = f"{case['file']} via {endpoint}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:200]}"
            if case["expect"] == "refused":
                assert response.status_code == refused_codes[endpoint], f"{where}: {response.status_code}"
                assert response.json()["error"], where
            else:
                assert response.status_code in (200, 201), f"{where}: {response.status_code} {response.text[:300]}"
                decision = response.json()
                if case["auto"]:
                    assert decision["route"] == "review", where
    with Session(engine) as session:
        robots = session.exec(select(Message).where(Message.robot.is_not(None))).all()
        assert robots and all(m.route == "review" for m in robots)
