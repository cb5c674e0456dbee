"""From the parts every format provides (sender, subject, text or HTML, headers, attachments) to
one NormalizedMessage: reply cut, robots flagged, order and tracking numbers found."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parsedate_to_datetime

from app.gateways import extract, quotes, robots
from app.gateways.html_text import html_to_text
from app.gateways.normalized import Attachment, NormalizedMessage, RefusedMessage
from app.plain_text import strip_controls

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
_MARKETPLACE_RELAY = re.compile(r"@marketplace\.(amazon\.[a-z.]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    max_attachments: int = 20  # listed; more are counted as dropped
    max_attachment_bytes: int = 25 * 1024 * 1024  # one attachment larger than this refuses the message
    max_header_bytes: int = 256 * 1024  # all header fields together
    max_body_chars: int = 200_000


def check_header_size(size: int, limits: Limits) -> None:
    if size > limits.max_header_bytes:
        raise RefusedMessage(f"the message's header fields take {size // 1024} KiB, over the {limits.max_header_bytes // 1024} KiB limit")


@dataclass
class MailParts:
    channel: str
    sender: str  # a From header value ("Name <addr>") or a bare address
    subject: str | None
    text: str | None
    html: str | None
    headers: Mapping[str, str]  # lower-case names
    attachments: Sequence[Attachment] = ()
    gateway_id: str | None = None
    raw_digest_source: bytes | None = None
    content_type: str = ""
    received_at: datetime | None = None


def message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(strip_controls(value or ""))


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    # a clock far off (or a forged date) must not move the reply deadline
    if not now - timedelta(days=365) < parsed < now + timedelta(hours=1):
        return None
    return parsed.astimezone(UTC)


def sender_address(value: str) -> tuple[str, str | None]:
    for name, address in getaddresses([value or ""]):
        address = address.strip()
        if "@" in address and "." in address.rpartition("@")[2] and not any(c.isspace() for c in address):
            return address, (name.strip() or None)
    raise RefusedMessage("the message has no usable sender address (From)")


def assemble(parts: MailParts, limits: Limits = Limits()) -> NormalizedMessage:
    check_header_size(sum(len(k) + len(v) + 4 for k, v in parts.headers.items()), limits)
    for attachment in parts.attachments:
        if attachment.size > limits.max_attachment_bytes:
            raise RefusedMessage(f"the attachment {attachment.name!r} is {attachment.size / 2**20:.1f} MiB, over the "
                                 f"{limits.max_attachment_bytes / 2**20:.0f} MiB limit for one attachment")
    sender, name = sender_address(strip_controls(parts.sender))
    subject = strip_controls(parts.subject or "").strip() or None
    text = strip_controls(parts.text or "").strip()
    html = strip_controls(parts.html) if parts.html and parts.html.strip() else None
    if not text and html:
        text = html_to_text(html)
    text = text.replace("\r\n", "\n")[: limits.max_body_chars]
    if not text and not subject and not parts.attachments:
        raise RefusedMessage("the message has no subject, no text and no attachments: nothing to answer")

    own = quotes.own_words(text) or text
    headers = parts.headers
    rfc_id = next(iter(message_ids(headers.get("message-id"))), None)
    external_id = parts.gateway_id or rfc_id or _digest(parts, sender, subject, text)
    searchable = f"{subject or ''}\n{own}"
    order = extract.order_id(searchable) or extract.order_id(text)
    tracking = extract.tracking_number(searchable)
    relay = _MARKETPLACE_RELAY.search(sender)
    attachments = [replace(a, name=strip_controls(a.name)) for a in parts.attachments]
    return NormalizedMessage(
        channel=parts.channel,
        external_id=external_id[:255],
        sender_email=sender,
        sender_name=name[:200] if name else None,
        subject=subject[:2000] if subject else None,
        body=own,
        original_body=text,
        html_body=html,
        rfc_message_id=rfc_id,
        in_reply_to=message_ids(headers.get("in-reply-to")),
        references=message_ids(headers.get("references"))[-20:],
        received_at=parts.received_at or parse_date(headers.get("date")),
        attachments=attachments[: limits.max_attachments],
        attachments_dropped=max(0, len(attachments) - limits.max_attachments),
        robot=robots.robot_reason(headers, sender, subject, parts.content_type),
        order_id=order,
        marketplace=relay.group(1).lower() if relay else None,
        context={"tracking_number": tracking} if tracking else {},
    )


def _digest(parts: MailParts, sender: str, subject: str | None, text: str) -> str:
    """An id for mail that has none: the same bytes posted again get the same id."""
    source = parts.raw_digest_source or f"{sender}\x1f{subject}\x1f{text}".encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(source).hexdigest()
