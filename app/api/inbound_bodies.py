"""The request bodies of the inbound endpoints, for the OpenAPI schema. The endpoints read the raw
body themselves (each gateway's charset and form rules apply), so FastAPI cannot infer these."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string"}


def _body(content_type: str, schema: dict[str, Any], *others: str) -> dict[str, Any]:
    content = {kind: {"schema": schema} for kind in (content_type, *others)}
    return {"requestBody": {"required": True, "content": content}}


def _form(*fields: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: _TEXT for name in fields}}


POSTMARK = _body("application/json", {
    "type": "object",
    "description": "Postmark's inbound webhook JSON",
    "properties": {
        "MessageID": _TEXT, "From": _TEXT, "FromName": _TEXT, "Subject": _TEXT, "Date": _TEXT,
        "FromFull": {"type": "object", "properties": {"Email": _TEXT, "Name": _TEXT}},
        "TextBody": _TEXT, "HtmlBody": _TEXT, "StrippedTextReply": _TEXT,
        "Headers": {"type": "array", "items": {"type": "object", "properties": {"Name": _TEXT, "Value": _TEXT}}},
        "Attachments": {"type": "array", "items": {"type": "object", "properties": {
            "Name": _TEXT, "ContentType": _TEXT, "Content": _TEXT, "ContentLength": {"type": "integer"}}}},
    },
})

SENDGRID = _body("multipart/form-data", {
    **_form("headers", "text", "html", "from", "to", "subject", "charsets", "envelope", "attachments", "attachment-info", "email"),
    "description": "SendGrid Inbound Parse: parsed fields and attachmentN files, or the raw message in `email`",
})

MAILGUN = _body("application/x-www-form-urlencoded", {
    **_form("sender", "from", "subject", "body-plain", "body-html", "stripped-text", "message-headers",
            "timestamp", "token", "signature", "attachment-count"),
    "description": "A Mailgun route's forward(): the parsed message, signed with timestamp, token and signature",
}, "multipart/form-data")

MIME = _body("message/rfc822", {"type": "string", "format": "binary", "description": "A raw RFC 5322 message"})
