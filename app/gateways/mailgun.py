"""Mailgun routes (forward to URL), urlencoded or multipart, and Mailgun's webhook signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from app.gateways.assemble import Limits, MailParts, assemble
from app.gateways.form import Form
from app.gateways.normalized import Attachment, NormalizedMessage

MAX_SIGNATURE_AGE_SECONDS = 300


def signature_problem(form: Form, *, signing_key: str, now: float | None = None) -> str | None:
    """Why the signature is not acceptable, or None. The caller also refuses reused tokens."""
    timestamp, token, signature = (form.text(name) or "" for name in ("timestamp", "token", "signature"))
    if not (timestamp and token and signature):
        return "missing Mailgun signature fields (timestamp, token, signature)"
    if not timestamp.isdigit():
        return "the Mailgun timestamp is not a number"
    if abs((now or time.time()) - int(timestamp)) > MAX_SIGNATURE_AGE_SECONDS:
        return "the Mailgun signature is older than 5 minutes"
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return "the Mailgun signature does not match"
    return None


def parse(form: Form, *, channel: str, limits: Limits = Limits()) -> NormalizedMessage:
    headers: dict[str, str] = {}
    try:
        pairs = json.loads(form.text("message-headers") or "[]")
    except ValueError:
        pairs = []
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            headers.setdefault(pair[0].lower(), pair[1])
    for name in ("Message-Id", "In-Reply-To", "References", "Date"):
        value = form.text(name)
        if value:
            headers.setdefault(name.lower(), value)
    attachments = [Attachment(name=u.filename[:255] or "unnamed", content_type=u.content_type, size=u.size) for u in form.files]
    message = assemble(
        MailParts(
            channel=channel,
            sender=form.text("from") or form.text("sender") or "",
            subject=form.text("subject"),
            text=form.text("body-plain"),
            html=form.text("body-html"),
            headers=headers,
            attachments=attachments,
            content_type=headers.get("content-type", ""),
        ),
        limits,
    )
    stripped = (form.text("stripped-text") or "").strip()
    if stripped:
        message.body = stripped
    return message
