"""Postmark inbound webhook JSON to a NormalizedMessage."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from app.gateways.assemble import Limits, MailParts, assemble
from app.gateways.normalized import Attachment, NormalizedMessage, RefusedMessage


def parse(payload: Any, *, channel: str, limits: Limits = Limits()) -> NormalizedMessage:
    if not isinstance(payload, dict):
        raise RefusedMessage("expected Postmark's inbound JSON object")
    headers = {}
    for header in _list(payload.get("Headers")):
        if isinstance(header, dict) and isinstance(header.get("Name"), str):
            headers.setdefault(header["Name"].lower(), str(header.get("Value") or ""))
    if isinstance(payload.get("Date"), str):
        headers.setdefault("date", payload["Date"])
    sender_full = payload.get("FromFull") if isinstance(payload.get("FromFull"), dict) else {}
    sender = _str(sender_full.get("Email"))
    sender = f'"{_str(sender_full.get("Name"))}" <{sender}>' if sender and sender_full.get("Name") else sender or _str(payload.get("From"))
    message = assemble(
        MailParts(
            channel=channel,
            sender=sender,
            subject=_str(payload.get("Subject")),
            text=_str(payload.get("TextBody")),
            html=_str(payload.get("HtmlBody")) or None,
            headers=headers,
            attachments=[_attachment(a) for a in _list(payload.get("Attachments")) if isinstance(a, dict)],
            gateway_id=_str(payload.get("MessageID")) or None,
        ),
        limits,
    )
    stripped = _str(payload.get("StrippedTextReply")).strip()
    if stripped:
        message.body = stripped  # Postmark already cut the quoted reply
    return message


def _attachment(item: dict[str, Any]) -> Attachment:
    size = item.get("ContentLength")
    if not isinstance(size, int):
        try:
            size = len(base64.b64decode(_str(item.get("Content")), validate=False))
        except (binascii.Error, ValueError):
            size = 0
    return Attachment(name=_str(item.get("Name"))[:255] or "unnamed", content_type=_str(item.get("ContentType")) or "application/octet-stream", size=max(0, size))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
