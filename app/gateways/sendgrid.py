"""SendGrid Inbound Parse (parsed fields, or the whole message in `email` in raw mode)."""

from __future__ import annotations

import email
import json
from email import policy

from app.gateways import mime
from app.gateways.assemble import Limits, MailParts, assemble
from app.gateways.form import Form
from app.gateways.normalized import Attachment, NormalizedMessage


def parse(form: Form, *, channel: str, limits: Limits = Limits()) -> NormalizedMessage:
    if "email" in form.fields:  # "POST the raw, full MIME message"
        return mime.parse(form.fields["email"], channel=channel, limits=limits)
    declared = _json(form.text("charsets")) or {}
    charset = lambda name: declared.get(name) if isinstance(declared.get(name), str) else "utf-8"  # noqa: E731
    raw_headers = form.fields.get("headers", b"")
    header_message = email.message_from_bytes(raw_headers + b"\r\n\r\n", policy=policy.compat32)
    headers = {name.lower(): mime.header_text(value) for name, value in reversed(header_message.items())}
    info = _json(form.text("attachment-info")) or {}
    attachments = []
    for upload in form.files:
        described = info.get(upload.field) if isinstance(info.get(upload.field), dict) else {}
        attachments.append(Attachment(
            name=str(described.get("filename") or upload.filename or "unnamed")[:255],
            content_type=str(described.get("type") or upload.content_type),
            size=upload.size,
        ))
    return assemble(
        MailParts(
            channel=channel,
            sender=form.text("from", charset("from")) or headers.get("from", ""),
            subject=form.text("subject", charset("subject")) or headers.get("subject"),
            text=form.text("text", charset("text")),
            html=form.text("html", charset("html")),
            headers=headers,
            attachments=attachments,
            content_type=headers.get("content-type", ""),
        ),
        limits,
    )


def _json(value: str | None) -> dict | None:
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
