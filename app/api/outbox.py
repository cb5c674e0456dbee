"""The outbox for agents and scripts: what waits, what went out, what failed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.errors_doc import COMMON, errors
from app.deps import AgentKey, RowId, SessionDep
from app.models import as_utc
from app.services import outbox

router = APIRouter(prefix="/v1/outbox", tags=["outbox"], responses=errors(*COMMON))


class OutboxOut(BaseModel):
    id: int
    message_id: int
    to_address: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


def _out(item) -> OutboxOut:
    return OutboxOut(id=item.id, message_id=item.message_id, to_address=item.to_address, subject=item.subject, status=item.status,
                     attempts=item.attempts, last_error=item.last_error, created_at=as_utc(item.created_at),
                     next_attempt_at=as_utc(item.next_attempt_at), sent_at=as_utc(item.sent_at))


@router.get("", response_model=list[OutboxOut])
def list_outbox(session: SessionDep, _: AgentKey,
                status: Annotated[Literal["pending", "sending", "sent", "failed"] | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[OutboxOut]:
    """Replies by status, newest first (`?status=failed` for what needs a person)."""
    return [_out(item) for item in outbox.listing(session=session, status=status, limit=limit)]


@router.post("/{item_id}/retry", response_model=OutboxOut, responses=errors(404, 409, e409="Only a failed reply can be sent again"))
def retry_outbox(item_id: RowId, session: SessionDep, _: AgentKey) -> OutboxOut:
    """Send a failed reply again (after fixing the address or the mail server)."""
    item = outbox.retry(session=session, item_id=item_id)
    session.commit()
    return _out(item)
