"""Inbound mail: one endpoint per gateway format, each answering with the status codes that make
that gateway's retries do the right thing (2xx only once the message is stored)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from app import metrics
from app.api import inbound_bodies as bodies
from app.api.errors_doc import errors
from app.deps import IngestKey, enforce_rate_limit
from app.gateways import mailgun, mime, postmark, sendgrid
from app.gateways.assemble import Limits
from app.gateways.form import parse_form
from app.gateways.normalized import NormalizedMessage, RefusedMessage
from app.models import Decision
from app.services import inbound

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/inbound", tags=["inbound mail"])

ChannelQuery = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$",
                                           description="Channel to file the mail under (default: the gateway's name)")]
_STORED = {200: {"description": "Stored (or already stored: a retry); the decision", "model": Decision}}


def _answer(decision: Decision, created: bool, *, created_status: int = 200) -> Response:
    return Response(decision.model_dump_json(), status_code=created_status if created else 200, media_type="application/json")


def _refuse(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _basic_auth_ok(request: Request, expected: SecretStr) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return secrets.compare_digest(given, expected.get_secret_value().encode())


async def _store(request: Request, mail: NormalizedMessage, token: tuple[str, str] | None = None) -> tuple[Decision, bool]:
    analyzer = request.app.state.analyzer
    prepared = inbound.prepare(mail=mail, analyzer=analyzer)  # on the loop, as for POST /v1/messages
    decision, created = await request.app.state.writer.run_async(
        lambda session: inbound.store(session=session, prepared=prepared, analyzer=analyzer, token=token))
    if created:
        metrics.count_message(intent=decision.intent, language=decision.language, route=decision.route)
        log.info("stored mail as message %s via %s (%s)", decision.id, mail.channel, decision.route)
    return decision, created


def _limits(request: Request) -> Limits:
    settings = request.app.state.settings
    return Limits(max_attachments=settings.max_attachments, max_attachment_bytes=settings.max_attachment_bytes,
                  max_header_bytes=settings.max_header_bytes)


async def _receive(request: Request, parse: Callable[[], NormalizedMessage], refused_status: int,
                   token: tuple[str, str] | None = None, created_status: int = 200) -> Response:
    try:
        mail = await run_in_threadpool(parse)
    except RefusedMessage as exc:
        return _refuse(refused_status, str(exc))
    try:
        decision, created = await _store(request, mail, token)
    except RefusedMessage as exc:
        return _refuse(refused_status, str(exc))
    except inbound.ReplayedToken as exc:
        return _refuse(401, str(exc))
    return _answer(decision, created, created_status=created_status)


@router.post("/postmark", openapi_extra=bodies.POSTMARK, responses={**_STORED, **errors(
    400, 401, 403, 422, 429, 503, e401="Wrong basic-auth credentials", e403="Not a usable message, or too large (Postmark stops retrying)",
    e503="Not configured, or the database is down (Postmark retries)")})
async def postmark_inbound(request: Request, channel: ChannelQuery = None) -> Response:
    """Postmark's inbound webhook. Put the credentials in the webhook URL:
    `https://user:password@host/v1/inbound/postmark` with TRIAGE_POSTMARK_BASIC_AUTH=user:password."""
    expected = request.app.state.settings.postmark_basic_auth
    if expected is None:
        return _refuse(503, "the Postmark endpoint is not configured: set TRIAGE_POSTMARK_BASIC_AUTH", {"Retry-After": "300"})
    if not _basic_auth_ok(request, expected):
        return _refuse(401, "wrong or missing basic-auth credentials", {"WWW-Authenticate": 'Basic realm="inbound"'})
    enforce_rate_limit(request, "gateway postmark")
    body = await request.body()

    def parse() -> NormalizedMessage:
        try:
            payload = json.loads(body)
        except ValueError:
            raise RefusedMessage("the body is not valid JSON") from None
        return postmark.parse(payload, channel=channel or "postmark", limits=_limits(request))

    return await _receive(request, parse, refused_status=403)


@router.post("/sendgrid", openapi_extra=bodies.SENDGRID, responses={**_STORED, **errors(
    400, 401, 413, 422, 429, 503, e400="Not a usable message (SendGrid still retries for up to three days)",
    e401="Wrong basic-auth credentials", e503="Not configured, or the database is down")})
async def sendgrid_inbound(request: Request, channel: ChannelQuery = None) -> Response:
    """SendGrid Inbound Parse, parsed fields or raw mode (`email`). Put the credentials in the
    Parse URL: `https://user:password@host/v1/inbound/sendgrid`, TRIAGE_SENDGRID_BASIC_AUTH=user:password."""
    expected = request.app.state.settings.sendgrid_basic_auth
    if expected is None:
        return _refuse(503, "the SendGrid endpoint is not configured: set TRIAGE_SENDGRID_BASIC_AUTH", {"Retry-After": "300"})
    if not _basic_auth_ok(request, expected):
        return _refuse(401, "wrong or missing basic-auth credentials", {"WWW-Authenticate": 'Basic realm="inbound"'})
    enforce_rate_limit(request, "gateway sendgrid")
    body, content_type = await request.body(), request.headers.get("content-type", "")
    return await _receive(
        request, lambda: sendgrid.parse(parse_form(body, content_type), channel=channel or "sendgrid", limits=_limits(request)),
        refused_status=400,
    )


@router.post("/mailgun", openapi_extra=bodies.MAILGUN, responses={**_STORED, **errors(
    400, 401, 406, 422, 429, 503, e401="Bad, stale or replayed signature", e406="Not a usable message, or too large (Mailgun stops retrying)",
    e503="Not configured, or the database is down (Mailgun retries)")})
async def mailgun_inbound(request: Request, channel: ChannelQuery = None) -> Response:
    """A Mailgun route's `forward()` target, urlencoded or multipart, signed with
    TRIAGE_MAILGUN_SIGNING_KEY; stale (over 5 minutes) and reused tokens are refused."""
    key = request.app.state.settings.mailgun_signing_key
    if key is None:
        return _refuse(503, "the Mailgun endpoint is not configured: set TRIAGE_MAILGUN_SIGNING_KEY", {"Retry-After": "300"})
    body, content_type = await request.body(), request.headers.get("content-type", "")
    try:
        form = await run_in_threadpool(parse_form, body, content_type)
    except RefusedMessage as exc:
        return _refuse(406, str(exc))
    problem = mailgun.signature_problem(form, signing_key=key.get_secret_value())
    if problem:
        return _refuse(401, problem)
    enforce_rate_limit(request, "gateway mailgun")
    token = ("mailgun", form.text("token") or "")
    return await _receive(
        request, lambda: mailgun.parse(form, channel=channel or "mailgun", limits=_limits(request)), refused_status=406, token=token,
    )


@router.post("/mime", status_code=201, openapi_extra=bodies.MIME, responses={
    200: {"description": "Already received (a retry): the stored decision", "model": Decision},
    201: {"description": "Stored: the decision", "model": Decision},
    **errors(400, 401, 403, 413, 422, 429, 503, e422="Not a usable message, or an invalid channel"),
})
async def mime_inbound(request: Request, _: IngestKey, channel: ChannelQuery = None) -> Response:
    """A raw RFC 5322 message as the body (`Content-Type: message/rfc822`), with an ingest API key."""
    body = await request.body()
    return await _receive(
        request, lambda: mime.parse(body, channel=channel or "email", limits=_limits(request)), refused_status=422, created_status=201,
    )
