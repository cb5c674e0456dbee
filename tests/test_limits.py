"""Limits with clear errors: request rate per key, body, attachments, headers, classified text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.rate_limit import RateLimiter
from tests.builders import message_payload
from tests.conftest import auth
from tests.mail_builders import basic, postmark_json
from tests.test_inbound import raw_mail


def test_the_bucket_refills_at_the_configured_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.acquire("k") for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(1.0)  # one a second
    assert limiter.acquire("other") == 0.0  # each key has its own bucket
    now[0] = 1.0
    assert limiter.acquire("k") == 0.0
    assert RateLimiter(per_minute=0).acquire("k") == 0.0  # 0 switches it off


@pytest.fixture
def limited_client(settings):
    with TestClient(create_app(settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3}))) as client:
        yield client


def test_a_key_over_its_rate_gets_429_with_retry_after(limited_client, api_keys):
    statuses = [limited_client.post("/v1/messages", json=message_payload(external_id=f"r{n}"), headers=auth(api_keys["ingest"])).status_code
                for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = limited_client.post("/v1/messages", json=message_payload(external_id="r9"), headers=auth(api_keys["ingest"]))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "too many requests" in refused.json()["error"]
    # another key is not held back by the first one's traffic
    assert limited_client.get("/v1/review-queue", headers=auth(api_keys["agent"])).status_code == 200


def test_a_gateway_over_its_rate_gets_429(limited_client):
    statuses = [limited_client.post("/v1/inbound/postmark", json=postmark_json(raw_mail(message_id=f"<g{n}@x>"), message_id=f"pm-{n}"),
                                    headers=basic("postmark")).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_an_attachment_over_the_size_limit_refuses_the_mail_with_the_reason(client, api_keys, settings):
    client.app.state.settings = settings.model_copy(update={"max_attachment_bytes": 1000})
    payload = postmark_json(raw_mail(), message_id="pm-big")
    payload["Attachments"] = [{"Name": "video.mp4", "ContentType": "video/mp4", "Content": "", "ContentLength": 5 * 2**20}]
    refused = client.post("/v1/inbound/postmark", json=payload, headers=basic("postmark"))
    assert refused.status_code == 403  # the code that stops Postmark's retries
    assert "video.mp4" in refused.json()["error"] and "limit" in refused.json()["error"]


def test_a_mail_with_megabytes_of_headers_is_refused_with_the_reason(client, api_keys):
    headers = "".join(f"X-Junk-{n}: {'x' * 990}\r\n" for n in range(300))
    raw = raw_mail(extra_headers=headers)
    refused = client.post("/v1/inbound/mime", content=raw, headers={**auth(api_keys["ingest"]), "Content-Type": "message/rfc822"})
    assert refused.status_code == 422 and "header fields take" in refused.json()["error"]


CLASSIFIED = 40


def test_only_the_first_characters_are_classified(client, api_keys, settings):
    client.app.state.analyzer.settings = settings.model_copy(update={"max_classify_chars": CLASSIFIED})
    long_body = "Bitte stornieren Sie meine Bestellung. " + "Where is my parcel, it has not arrived yet? " * 4000
    response = client.post("/v1/messages", json=message_payload(body=long_body), headers=auth(api_keys["ingest"]))
    assert response.status_code == 201
    assert response.json()["language"] == "de"  # decided on the first 40 characters, not the English that follows
