"""Tables and the API's request and response schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PydanticField, field_validator
from sqlalchemy import JSON, Column, DateTime, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.plain_text import strip_controls

ROLES = ("ingest", "agent", "trainer", "admin")
USER_ROLES = ("agent", "trainer", "admin")
Role = Literal["ingest", "agent", "trainer", "admin"]
Route = Literal["auto", "review"]
# open: waits for an agent; escalated: waits for a senior; approved: reply handed to the outbox;
# resolved: closed without a reply; auto: answered automatically
STATUSES = ("open", "escalated", "approved", "resolved", "auto")
OPEN_STATUSES = ("open", "escalated")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), **kwargs))


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
        Index("ix_messages_route_due_at", "route", "due_at"),
        Index("ix_messages_status_due_at", "status", "due_at"),
        Index("uq_messages_rfc_message_id", "rfc_message_id", unique=True),
        Index("ix_messages_received_at", "received_at"),
        # a conversation's earliest open deadline, looked up for every message that joins one
        Index("ix_messages_conversation_route_due_at", "conversation_id", "route", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_column=Column(String(64), nullable=False))
    external_id: str = Field(sa_column=Column(String(255), nullable=False))
    sender_email: str = Field(sa_column=Column(String(320), nullable=False))
    sender_name: str | None = Field(default=None, sa_column=Column(String(200)))
    subject: str | None = Field(default=None, sa_column=Column(Text))
    body: str = Field(sa_column=Column(Text, nullable=False))
    order_id: str | None = Field(default=None, sa_column=Column(String(64), index=True))
    marketplace: str | None = Field(default=None, sa_column=Column(String(64)))
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _ts(nullable=False)
    created_at: datetime = _ts(nullable=False)
    due_at: datetime = _ts(nullable=False)

    language: str | None = Field(default=None, sa_column=Column(String(16)))
    language_confidence: float | None = None
    intent: str | None = Field(default=None, sa_column=Column(String(32)))
    confidence: float | None = None
    alternatives: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    route: str = Field(default="review", sa_column=Column(String(8), nullable=False))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    draft_subject: str | None = Field(default=None, sa_column=Column(Text))
    draft_body: str | None = Field(default=None, sa_column=Column(Text))
    draft_template: str | None = Field(default=None, sa_column=Column(String(200)))
    draft_language: str | None = Field(default=None, sa_column=Column(String(16)))
    model_version: str | None = Field(default=None, sa_column=Column(String(64)))

    status: str = Field(default="open", sa_column=Column(String(16), nullable=False, server_default="open"))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(100)))
    claimed_until: datetime | None = _ts(nullable=True)
    updated_at: datetime | None = _ts(nullable=True)

    # mail: threading, the full original, attachments (recorded, never stored), robots
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    rfc_message_id: str | None = Field(default=None, sa_column=Column(String(1000)))
    in_reply_to: str | None = Field(default=None, sa_column=Column(Text))
    references_header: str | None = Field(default=None, sa_column=Column(Text))
    original_body: str | None = Field(default=None, sa_column=Column(Text))
    html_body: str | None = Field(default=None, sa_column=Column(Text))
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    robot: str | None = Field(default=None, sa_column=Column(String(200)))
    sku: str | None = Field(default=None, sa_column=Column(String(64), index=True))  # the product (SKU or ASIN), when known


class Conversation(SQLModel, table=True):
    """A buyer's after-sales thread: their messages and the replies, joined by mail headers or
    by the same sender writing about the same order."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_sender_order", "sender_email", "order_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sender_email: str = Field(sa_column=Column(String(320), nullable=False))
    order_id: str | None = Field(default=None, sa_column=Column(String(64)))
    subject: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts(nullable=False)
    last_message_at: datetime = _ts(nullable=False)


class WebhookToken(SQLModel, table=True):
    """Signature tokens already used (Mailgun): a replayed request is refused."""

    __tablename__ = "webhook_tokens"
    __table_args__ = (UniqueConstraint("gateway", "token", name="uq_webhook_tokens_gateway_token"),)

    id: int | None = Field(default=None, primary_key=True)
    gateway: str = Field(sa_column=Column(String(32), nullable=False))
    token: str = Field(sa_column=Column(String(200), nullable=False))
    seen_at: datetime = _ts(nullable=False)


class User(SQLModel, table=True):
    """A person using the console (agents, trainers, admins); passwords are argon2 hashes."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = _ts(nullable=False)
    disabled_at: datetime | None = _ts(nullable=True)


class ConsoleSession(SQLModel, table=True):
    """A logged-in browser: the cookie holds the token, the table only its sha256."""

    __tablename__ = "console_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(foreign_key="users.id", nullable=False, index=True)
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)


class Action(SQLModel, table=True):
    """The audit trail: who did what to a message, with the values before and after."""

    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", nullable=False, index=True)
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    at: datetime = _ts(nullable=False)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))


class Label(SQLModel, table=True):
    """A confirmed or corrected intent: the labelled history trainers retrain from."""

    __tablename__ = "labels"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", nullable=False, index=True)
    intent: str = Field(sa_column=Column(String(32), nullable=False))
    suggested_intent: str | None = Field(default=None, sa_column=Column(String(32)))
    source: str = Field(sa_column=Column(String(16), nullable=False))
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = _ts(nullable=False)


class ModelActivation(SQLModel, table=True):
    """Which model answers: the newest row names the active version, for every worker and host."""

    __tablename__ = "model_activations"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(sa_column=Column(String(64), nullable=False))
    previous_version: str | None = Field(default=None, sa_column=Column(String(64)))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    forced: bool = Field(default=False, nullable=False)
    note: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = _ts(nullable=False)


class OutboxItem(SQLModel, table=True):
    """A reply to deliver: pending → sending (leased by one worker) → sent, or failed after the
    last attempt. Written in the same transaction as the decision that made it."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", nullable=False, index=True)
    to_address: str = Field(sa_column=Column(String(320), nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    language: str | None = Field(default=None, sa_column=Column(String(16)))
    status: str = Field(default="pending", sa_column=Column(String(16), nullable=False, index=True))
    created_by: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)
    rfc_message_id: str | None = Field(default=None, sa_column=Column(String(1000), index=True))
    in_reply_to: str | None = Field(default=None, sa_column=Column(String(1000)))
    references_header: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime | None = _ts(nullable=True)
    lease_until: datetime | None = _ts(nullable=True)
    worker: str | None = Field(default=None, sa_column=Column(String(100)))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    template: str | None = Field(default=None, sa_column=Column(String(200)))  # the reply template it was drafted from


class Feedback(SQLModel, table=True):
    """The buyer's answer to "did this solve your problem?": one per message."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("message_id", name="uq_feedback_message"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", nullable=False)
    solved: bool = Field(nullable=False)
    source: str = Field(sa_column=Column(String(16), nullable=False))  # api (a gateway relaying a survey) or link
    created_at: datetime = _ts(nullable=False)


class Alert(SQLModel, table=True):
    """An early warning raised once per subject and window: a spike of one intent (overall or on
    one product), or the first-reply SLA about to be missed."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("kind", "subject", "window_start", name="uq_alerts_kind_subject_window"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    subject: str = Field(sa_column=Column(String(200), nullable=False))
    intent: str | None = Field(default=None, sa_column=Column(String(32)))
    sku: str | None = Field(default=None, sa_column=Column(String(64)))
    window_start: datetime = _ts(nullable=False)
    window_end: datetime = _ts(nullable=False)
    count: int = Field(nullable=False)
    baseline: float = Field(nullable=False)
    detail: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(nullable=False)
    notified_at: datetime | None = _ts(nullable=True)


# --- API schemas -----------------------------------------------------------------------------

_CHANNEL = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$"
_CONTEXT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ContextValue = str | int | float | bool | None


class MessageIn(BaseModel):
    """A buyer message as a gateway or client posts it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    external_id: str = PydanticField(min_length=1, max_length=255, description="The sender system's id for this message; retries reuse it")
    channel: str = PydanticField(min_length=1, max_length=64, pattern=_CHANNEL, description="Where it came from, e.g. amazon-de, taobao, email")
    sender_email: str = PydanticField(min_length=3, max_length=320)
    sender_name: str | None = PydanticField(default=None, max_length=200)
    subject: str | None = PydanticField(default=None, max_length=2000)
    body: str = PydanticField(max_length=200_000)
    order_id: str | None = PydanticField(default=None, max_length=64)
    marketplace: str | None = PydanticField(default=None, max_length=64)
    received_at: datetime | None = None
    context: dict[str, ContextValue] = PydanticField(default_factory=dict, max_length=50, description="Template variables, e.g. tracking_number, carrier, buyer_name")

    @field_validator("external_id", "channel", "sender_email", "sender_name", "subject", "body", "order_id", "marketplace", mode="before")
    @classmethod
    def _no_controls(cls, value: object) -> object:
        return strip_controls(value) if isinstance(value, str) else value

    @field_validator("sender_email")
    @classmethod
    def _email(cls, value: str) -> str:
        local, at, domain = value.strip().rpartition("@")
        if not at or not local or "." not in domain or any(c.isspace() for c in value.strip()):
            raise ValueError("must be an e-mail address such as buyer@example.com")
        return value.strip()

    @field_validator("context")
    @classmethod
    def _context_keys(cls, value: dict[str, ContextValue]) -> dict[str, ContextValue]:
        for key, item in list(value.items()):
            if isinstance(item, str):
                value[key] = item = strip_controls(item)
            if not _CONTEXT_KEY.match(key):
                raise ValueError(f"context key {key!r} must be a name of letters, digits and _ (not starting with a digit)")
            if isinstance(item, str) and len(item) > 1000:
                raise ValueError(f"context value {key!r} is longer than 1000 characters")
        return value


class Alternative(BaseModel):
    intent: str
    confidence: float


class Draft(BaseModel):
    subject: str
    body: str
    template: str
    language: str


class Sop(BaseModel):
    intent: str
    title: str
    steps: list[str]


class Decision(BaseModel):
    id: int | None
    external_id: str | None
    channel: str | None
    language: str
    intent: str | None
    confidence: float | None
    alternatives: list[Alternative]
    route: Route
    reasons: list[str]
    draft: Draft | None
    sop: Sop | None
    received_at: datetime | None
    due_at: datetime | None
    model_version: str | None


class ReviewQueuePage(BaseModel):
    items: list[Decision]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    model_version: str | None
    model_error: str | None = None
