"""A raw RFC 5322 message (bytes) to a NormalizedMessage. The stdlib parser is lenient; every
decoding step here falls back rather than raises, because mail in the wild is often malformed."""

from __future__ import annotations

import email
from email import policy
from email.header import Header, decode_header, make_header
from email.message import Message

from app.gateways import charsets
from app.gateways.assemble import Limits, MailParts, assemble, check_header_size
from app.gateways.html_text import html_to_text
from app.gateways.normalized import Attachment, NormalizedMessage, RefusedMessage


def header_text(value: object) -> str:
    """A header as text: RFC 2047 words decoded, raw 8-bit bytes decoded by guess."""
    if value is None:
        return ""
    raw = _eight_bit_header(value) if isinstance(value, Header) else str(value)
    try:
        raw.encode("ascii")
    except UnicodeEncodeError:
        raw = charsets.decode(raw.encode("ascii", "surrogateescape") if _has_surrogates(raw) else raw.encode("utf-8"))
    try:
        return str(make_header(decode_header(raw))).replace("\r", "").replace("\n", " ").strip()
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return raw.replace("\r", "").replace("\n", " ").strip()


def _eight_bit_header(value: Header) -> str:
    """compat32 wraps a header holding raw 8-bit bytes in a Header of charset unknown-8bit, whose
    str() is replacement characters: take its bytes back and decode them by guess."""
    pieces = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, bytes):
            chunk = charsets.decode(chunk, None if charset in (None, "unknown-8bit") else charset)
        pieces.append(chunk)
    return "".join(pieces)


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def parse(data: bytes, *, channel: str, gateway_id: str | None = None, limits: Limits = Limits()) -> NormalizedMessage:
    if not data or not data.strip():
        raise RefusedMessage("the request body is empty: post the raw message (message/rfc822)")
    end = min((i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0), default=len(data))
    check_header_size(end, limits)  # before parsing: a header section of megabytes is refused cheaply
    message = email.message_from_bytes(data, policy=policy.compat32)
    headers = {name.lower(): header_text(value) for name, value in reversed(message.items())}  # first wins
    if not headers:
        raise RefusedMessage("this is not an e-mail message: no headers were found")
    texts, htmls, attachments = [], [], []
    forwarded: list[str] = []
    _walk(message, texts, htmls, attachments, forwarded)
    text = "\n\n".join(t for t in texts if t.strip())
    if forwarded:  # the sender's own words first, read from the HTML when there is no plain text
        own = text or html_to_text("\n".join(htmls))
        text = "\n\n".join([own, *forwarded]).strip()
    return assemble(
        MailParts(
            channel=channel,
            sender=headers.get("from") or headers.get("sender") or headers.get("reply-to") or "",
            subject=headers.get("subject"),
            text=text,
            html="\n".join(htmls) or None,
            headers=headers,
            attachments=attachments,
            gateway_id=gateway_id,
            raw_digest_source=data,
            content_type=message.get_content_type(),
        ),
        limits,
    )


_FORWARDED = "---------- Forwarded message ----------"  # a separator quotes.own_words cuts at
_BODY_TYPES = {"text/plain", "text/html", "text/enriched"}
_MAX_DEPTH = 8


def _walk(part: Message, texts: list[str], htmls: list[str], attachments: list[Attachment], forwarded: list[str], depth: int = 0) -> None:
    """Leaves in order. A message attached whole (message/rfc822, "forward as attachment") is read
    too, behind a forwarded-message separator: agents see it, the classifier only the new words."""
    if depth > _MAX_DEPTH:
        return
    if not part.is_multipart():
        _collect(part, texts, htmls, attachments)
        return
    payload = part.get_payload()  # for multipart and message/rfc822: the list of parts, nothing decoded
    if part.get_content_type() == "message/rfc822":
        for inner in payload:
            if isinstance(inner, Message):
                inner_texts: list[str] = []
                inner_htmls: list[str] = []
                _walk(inner, inner_texts, inner_htmls, attachments, forwarded, depth + 1)
                body = "\n\n".join(t for t in inner_texts if t.strip()) or html_to_text("\n".join(inner_htmls))
                forwarded.insert(0, f"{_FORWARDED}\nFrom: {header_text(inner.get('From'))}\n"
                                 f"Subject: {header_text(inner.get('Subject'))}\n\n{body}")
    else:
        for inner in payload:
            if isinstance(inner, Message):
                _walk(inner, texts, htmls, attachments, forwarded, depth + 1)


def _collect(part: Message, texts: list[str], htmls: list[str], attachments: list[Attachment]) -> None:
    try:
        _read_leaf(part, texts, htmls, attachments)
    except Exception:  # a part the stdlib cannot even describe: recorded, the rest of the mail still read
        attachments.append(Attachment(name="unreadable part", content_type="application/octet-stream", size=0))


def _read_leaf(part: Message, texts: list[str], htmls: list[str], attachments: list[Attachment]) -> None:
    content_type = part.get_content_type()
    filename = header_text(part.get_filename()) if part.get_filename() else None
    disposition = (part.get_content_disposition() or "").lower()
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep what is there
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    payload = payload if isinstance(payload, bytes) else b""
    if content_type in _BODY_TYPES and not filename and disposition != "attachment":
        text = charsets.decode(payload, part.get_content_charset())
        (htmls if content_type == "text/html" else texts).append(text)
    elif content_type.startswith("message/") and content_type != "message/rfc822":
        return  # delivery-status and the like: the headers already mark the message as a robot's
    else:  # images, documents, and text that is not prose (calendars, vCards, returned headers)
        attachments.append(Attachment(name=(filename or "unnamed")[:255], content_type=content_type, size=len(payload)))
