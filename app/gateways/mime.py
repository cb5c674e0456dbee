"""A raw RFC 5322 message (bytes) to a NormalizedMessage. The stdlib parser is lenient; every
decoding step here falls back rather than raises, because mail in the wild is often malformed."""

from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header
from email.message import Message

from app.gateways import charsets
from app.gateways.assemble import Limits, MailParts, assemble
from app.gateways.normalized import Attachment, NormalizedMessage, RefusedMessage


def header_text(value: object) -> str:
    """A header as text: RFC 2047 words decoded, raw 8-bit bytes decoded by guess."""
    if value is None:
        return ""
    raw = str(value)
    try:
        raw.encode("ascii")
    except UnicodeEncodeError:
        raw = charsets.decode(raw.encode("ascii", "surrogateescape") if _has_surrogates(raw) else raw.encode("utf-8"))
    try:
        return str(make_header(decode_header(raw))).replace("\r", "").replace("\n", " ").strip()
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return raw.replace("\r", "").replace("\n", " ").strip()


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def parse(data: bytes, *, channel: str, gateway_id: str | None = None, limits: Limits = Limits()) -> NormalizedMessage:
    if not data or not data.strip():
        raise RefusedMessage("the request body is empty: post the raw message (message/rfc822)")
    message = email.message_from_bytes(data, policy=policy.compat32)
    headers = {name.lower(): header_text(value) for name, value in reversed(message.items())}  # first wins
    if not headers:
        raise RefusedMessage("this is not an e-mail message: no headers were found")
    texts, htmls, attachments = [], [], []
    for part in _leaves(message):
        _collect(part, texts, htmls, attachments)
    return assemble(
        MailParts(
            channel=channel,
            sender=headers.get("from") or headers.get("sender") or headers.get("reply-to") or "",
            subject=headers.get("subject"),
            text="\n\n".join(t for t in texts if t.strip()),
            html="\n".join(htmls) or None,
            headers=headers,
            attachments=attachments,
            gateway_id=gateway_id,
            raw_digest_source=data,
            content_type=message.get_content_type(),
        ),
        limits,
    )


def _leaves(message: Message) -> list[Message]:
    try:
        return [part for part in message.walk() if not part.is_multipart()]
    except (TypeError, AttributeError):
        return [message]


def _collect(part: Message, texts: list[str], htmls: list[str], attachments: list[Attachment]) -> None:
    content_type = part.get_content_type()
    filename = header_text(part.get_filename()) if part.get_filename() else None
    disposition = (part.get_content_disposition() or "").lower()
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep what is there
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    payload = payload if isinstance(payload, bytes) else b""
    is_text = content_type in {"text/plain", "text/html"} and not filename and disposition != "attachment"
    if is_text:
        text = charsets.decode(payload, part.get_content_charset())
        (htmls if content_type == "text/html" else texts).append(text)
    elif content_type.startswith("message/") and content_type != "message/rfc822":
        return  # delivery-status and the like: the headers already mark the message as a robot's
    elif filename or disposition in {"attachment", "inline"} or not content_type.startswith("text/"):
        attachments.append(Attachment(name=(filename or "unnamed")[:255], content_type=content_type, size=len(payload)))
    else:
        texts.append(charsets.decode(payload, part.get_content_charset()))
