"""Messages: post one, read one, list the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict

from app import metrics
from app.api.errors_doc import COMMON, errors
from app.deps import AgentKey, AnalyzerDep, IngestKey, ReaderKey, RowId, SessionDep, SettingsDep, WriterDep
from app.models import Decision, MessageIn, ReviewQueuePage, as_utc
from app.services import labels, review, triage
from classifier import INTENTS

router = APIRouter(prefix="/v1", tags=["messages"], responses=errors(*COMMON))

_RESPONSES = {200: {"description": "Already received (a retry): the stored decision", "model": Decision}}


@router.post("/messages", status_code=status.HTTP_201_CREATED, response_model=Decision, responses=_RESPONSES)
async def post_message(payload: MessageIn, analyzer: AnalyzerDep, writer: WriterDep, _: IngestKey) -> Response:
    """Store a buyer message and return its decision: language, intent, draft, SOP and route.

    Posting the same `external_id` on the same `channel` again returns the stored decision with
    200 and creates nothing."""
    # The analysis (about a millisecond of CPU) runs on the event loop: a thread would not run it
    # any sooner under the GIL, and the hand-offs cost more than the work. Each worker process
    # thus uses one core; run one per core (triage serve --workers N).
    prepared = triage.prepare(message=payload, analyzer=analyzer)
    decision, created = await writer.run_async(lambda session: triage.store(session=session, prepared=prepared, analyzer=analyzer))
    if created:
        metrics.count_message(intent=decision.intent, language=decision.language, route=decision.route)
    # serialised once by pydantic-core; the Decision was built by this code, so it needs no re-validation
    return Response(decision.model_dump_json(), status_code=201 if created else 200, media_type="application/json")


@router.get("/messages/{message_id}", response_model=Decision, responses=errors(404))
def get_message(message_id: RowId, session: SessionDep, analyzer: AnalyzerDep, _: ReaderKey) -> Decision:
    return triage.get_decision(session=session, message_id=message_id, analyzer=analyzer)


@router.get("/review-queue", response_model=ReviewQueuePage)
def get_review_queue(
    session: SessionDep,
    analyzer: AnalyzerDep,
    settings: SettingsDep,
    _: AgentKey,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ReviewQueuePage:
    """Messages routed to review, earliest `due_at` first."""
    return triage.review_queue(session=session, analyzer=analyzer, limit=min(limit, settings.review_page_max), offset=offset)


class ClaimedItem(BaseModel):
    claimed_by: str
    claimed_until: datetime
    message: Decision


@router.post("/review-queue/claim", response_model=ClaimedItem,
             responses={204: {"description": "Nothing is waiting that another agent does not hold"}})
def claim_next(session: SessionDep, analyzer: AnalyzerDep, settings: SettingsDep, key: AgentKey) -> ClaimedItem | Response:
    """Claim the waiting message with the earliest deadline that no other agent holds, for
    TRIAGE_CLAIM_MINUTES. Agents asking at the same moment never get the same message."""
    row = review.claim_next(session=session, user=f"key:{key.name}", minutes=settings.claim_minutes)
    if row is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    session.commit()
    return ClaimedItem(claimed_by=row.claimed_by or "", claimed_until=as_utc(row.claimed_until),
                       message=triage.to_decision(row, analyzer))


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intent: Literal[INTENTS]  # type: ignore[valid-type]  (the tuple of intents, one place to add one)


class LabelOut(BaseModel):
    message_id: int
    intent: str
    suggested_intent: str | None
    actor: str
    created_at: datetime


@router.post("/messages/{message_id}/label", response_model=LabelOut, status_code=status.HTTP_201_CREATED,
             responses=errors(404))
def post_label(message_id: RowId, payload: LabelIn, session: SessionDep, key: AgentKey) -> LabelOut:
    """Record the right intent for a message (labelled history for retraining; the latest wins)."""
    label = labels.add_label(session=session, message_id=message_id, intent=payload.intent, actor=f"key:{key.name}", source="api")
    session.commit()
    return LabelOut(message_id=label.message_id, intent=label.intent, suggested_intent=label.suggested_intent,
                    actor=label.actor, created_at=label.created_at)
