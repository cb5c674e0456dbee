"""The same raw e-mail in each gateway's own webhook format, as the gateway would post it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from email import message_from_bytes, policy
from typing import Any

from tests.conftest import GATEWAY_SECRETS


def _parts(raw: bytes) -> dict[str, Any]:
    message = message_from_bytes(raw, policy=policy.compat32)
    from app.gateways.mime import header_text

    text, html, attachments = [], [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        name = part.get_filename()
        if part.get_content_type() in ("text/plain", "text/html") and not name:
            decoded = payload.decode(part.get_content_charset() or "utf-8", errors="replace") if _known(part.get_content_charset()) else payload.decode("utf-8", "replace")
            (html if part.get_content_type() == "text/html" else text).append(decoded)
        elif name or not part.get_content_type().startswith("text/"):
            attachments.append((header_text(name) if name else "unnamed", part.get_content_type(), payload))
    headers = [(k, header_text(v)) for k, v in message.items()]
    return {"headers": headers, "raw_headers": raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0],
            "from": header_text(message.get("From")), "subject": header_text(message.get("Subject")),
            "text": "\n".join(text), "html": "\n".join(html), "attachments": attachments,
            "message_id": header_text(message.get("Message-ID")), "date": header_text(message.get("Date"))}


def _known(charset: str | None) -> bool:
    import codecs

    try:
        codecs.lookup(charset or "utf-8")
        return True
    except LookupError:
        return False


def basic(gateway: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(GATEWAY_SECRETS[gateway].encode()).decode()}


def postmark_json(raw: bytes, *, message_id: str | None = None) -> dict[str, Any]:
    p = _parts(raw)
    from email.utils import parseaddr

    name, address = parseaddr(p["from"])
    return {
        "FromName": name, "From": address, "FromFull": {"Email": address, "Name": name},
        "Subject": p["subject"], "MessageID": message_id or secrets.token_hex(8), "Date": p["date"],
        "TextBody": p["text"], "HtmlBody": p["html"], "StrippedTextReply": "",
        "Headers": [{"Name": k, "Value": v} for k, v in p["headers"]],
        "Attachments": [{"Name": n, "ContentType": t, "Content": base64.b64encode(d).decode(), "ContentLength": len(d)} for n, t, d in p["attachments"]],
    }


def sendgrid_parsed(raw: bytes) -> tuple[dict[str, str], list]:
    p = _parts(raw)
    files = [(f"attachment{i}", (n, d, t)) for i, (n, t, d) in enumerate(p["attachments"], start=1)]
    info = {f"attachment{i}": {"filename": n, "type": t} for i, (n, t, _) in enumerate(p["attachments"], start=1)}
    data = {"headers": p["raw_headers"].decode("utf-8", "replace"), "from": p["from"], "subject": p["subject"],
            "text": p["text"], "html": p["html"], "charsets": json.dumps({"text": "UTF-8", "html": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
            "attachments": str(len(files)), "attachment-info": json.dumps(info), "envelope": json.dumps({"to": ["care@shop.example"], "from": "x@y.z"})}
    return data, files


def sendgrid_raw(raw: bytes) -> list:
    return [("email", (None, raw)), ("envelope", (None, b'{"to":["care@shop.example"]}')), ("charsets", (None, b"{}"))]


def mailgun_signature(*, timestamp: int | None = None, token: str | None = None, key: str | None = None) -> dict[str, str]:
    timestamp = timestamp or int(time.time())
    token = token or secrets.token_hex(25)
    digest = hmac.new((key or GATEWAY_SECRETS["mailgun"]).encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": str(timestamp), "token": token, "signature": digest}


def mailgun_form(raw: bytes, **signature: Any) -> tuple[dict[str, str], list]:
    p = _parts(raw)
    data = {"sender": p["from"], "from": p["from"], "subject": p["subject"], "body-plain": p["text"], "body-html": p["html"],
            "stripped-text": "", "message-headers": json.dumps([[k, v] for k, v in p["headers"]]),
            "attachment-count": str(len(p["attachments"])), **mailgun_signature(**signature)}
    files = [(f"attachment-{i}", (n, d, t)) for i, (n, t, d) in enumerate(p["attachments"], start=1)]
    return data, files
