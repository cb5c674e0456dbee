"""Buyers' feedback: posted by a gateway relaying a marketplace survey, or given through the
signed links in our replies (a confirmation page, then a POST: mail scanners that open every
link must not vote for the buyer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from app.api.errors_doc import COMMON, errors
from app.console.render import page
from app.deps import IngestKey, RowId, SessionDep
from app.errors import Conflict
from app.models import Message
from app.services import feedback

router = APIRouter(tags=["feedback"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    solved: bool


class FeedbackOut(BaseModel):
    message_id: int
    solved: bool
    source: str
    created_at: datetime


@router.post("/v1/messages/{message_id}/feedback", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED,
             responses=errors(*COMMON, 404, 409, e409="The message already has the buyer's answer"))
def post_feedback(message_id: RowId, payload: FeedbackIn, session: SessionDep, _: IngestKey) -> FeedbackOut:
    """Record the buyer's answer to "did this solve your problem?" (one per message), e.g. relayed
    from the marketplace's survey."""
    vote = feedback.record(session=session, message_id=message_id, solved=payload.solved, source="api")
    session.commit()
    return FeedbackOut(message_id=vote.message_id, solved=vote.solved, source=vote.source, created_at=vote.created_at)


# --- the buyer's side: links in the reply footers ---------------------------------------------

TEXT = {
    "en": ("Did our answer solve your problem?", "Yes, it did", "No, it did not", "Send my answer",
           "Thank you: your answer has been recorded.", "Your answer was already recorded. Thank you."),
    "de": ("Hat unsere Antwort Ihr Anliegen gelöst?", "Ja", "Nein", "Antwort senden",
           "Vielen Dank, Ihre Antwort wurde gespeichert.", "Ihre Antwort liegt uns bereits vor. Vielen Dank."),
    "fr": ("Notre réponse a-t-elle résolu votre problème ?", "Oui", "Non", "Envoyer ma réponse",
           "Merci, votre réponse a bien été enregistrée.", "Votre réponse a déjà été enregistrée. Merci."),
    "es": ("¿Nuestra respuesta ha resuelto su problema?", "Sí", "No", "Enviar mi respuesta",
           "Gracias, hemos registrado su respuesta.", "Ya teníamos registrada su respuesta. Gracias."),
    "it": ("La nostra risposta ha risolto il suo problema?", "Sì", "No", "Invia la risposta",
           "Grazie, la sua risposta è stata registrata.", "La sua risposta era già stata registrata. Grazie."),
    "ja": ("この回答で問題は解決しましたか？", "はい", "いいえ", "回答を送信",
           "ご回答ありがとうございました。", "ご回答はすでに承っております。ありがとうございました。"),
    "zh": ("我们的答复解决您的问题了吗？", "是", "否", "提交回答", "谢谢，您的回答已记录。", "您的回答此前已记录，谢谢。"),
}
Answer = Literal["yes", "no"]


def _words(language: str | None) -> dict[str, str]:
    question, yes, no, send, thanks, already = TEXT.get(language or "en", TEXT["en"])
    return {"question": question, "yes": yes, "no": no, "send": send, "thanks": thanks, "already": already}


def _link_target(request: Request, session: SessionDep, token: str) -> Message | None:
    secret = request.app.state.settings.feedback_secret
    message_id = feedback.message_of(token, secret.get_secret_value()) if secret else None
    return session.get(Message, message_id) if message_id is not None else None


def _not_found(request: Request) -> Response:
    return page(request, "feedback.html", status_code=404, words=_words("en"), state="unknown", token="", answer="yes",
                language="en")


@router.get("/feedback/{token}", include_in_schema=False)
def feedback_page(request: Request, session: SessionDep, token: str, answer: Annotated[Answer, Query()] = "yes") -> Response:
    message = _link_target(request, session, token)
    if message is None:
        return _not_found(request)
    language = message.draft_language or message.language
    state = "already" if feedback.answer_for(session=session, message_id=message.id) else "ask"
    return page(request, "feedback.html", words=_words(language), state=state, token=token, answer=answer, language=language)


@router.post("/feedback/{token}", include_in_schema=False)
def feedback_vote(request: Request, session: SessionDep, token: str, answer: Annotated[Answer, Form()]) -> Response:
    message = _link_target(request, session, token)
    if message is None:
        return _not_found(request)
    language = message.draft_language or message.language
    try:
        feedback.record(session=session, message_id=message.id, solved=answer == "yes", source="link")
        session.commit()
        state = "thanks"
    except Conflict:
        session.rollback()
        state = "already"
    return page(request, "feedback.html", words=_words(language), state=state, token=token, answer=answer, language=language)
