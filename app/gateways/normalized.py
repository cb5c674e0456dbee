"""The one shape every inbound format is mapped to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class RefusedMessage(ValueError):
    """A message no retry can make acceptable (no sender, nothing to read): a permanent 4xx."""


@dataclass(frozen=True)
class Attachment:
    """Recorded, never opened: name, declared type and size in bytes."""

    name: str
    content_type: str
    size: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "content_type": self.content_type, "size": self.size}


@dataclass
class NormalizedMessage:
    channel: str
    external_id: str
    sender_email: str
    sender_name: str | None
    subject: str | None
    body: str  # the buyer's own words: quoted replies and signatures cut, what is classified
    original_body: str  # the whole text as received
    html_body: str | None = None
    rfc_message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    received_at: datetime | None = None
    attachments: list[Attachment] = field(default_factory=list)
    attachments_dropped: int = 0
    robot: str | None = None  # why this is an auto-reply or bounce, if it is one
    order_id: str | None = None
    marketplace: str | None = None
    context: dict[str, str] = field(default_factory=dict)
