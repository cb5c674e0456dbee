"""`triage worker`: deliver the outbox over SMTP."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from app.cli_common import fail, open_session, print_json, progress, settings_or_exit
from app.config import Settings
from app.services import outbox

log = logging.getLogger(__name__)


def retry_policy(settings: Settings) -> outbox.RetryPolicy:
    return outbox.RetryPolicy(max_attempts=settings.outbox_max_attempts, base_seconds=settings.outbox_backoff_seconds)


def message_id_domain(settings: Settings) -> str:
    address = (settings.smtp_from or "").rstrip(">").rpartition("@")[2]
    return address or socket.getfqdn() or "localhost"


def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print the counts as JSON")] = False,
) -> None:
    """Deliver approved and automatic replies over SMTP, retrying with backoff.

    Run as many as you like: each reply is leased to one worker at a time.

    Example: TRIAGE_SMTP_HOST=smtp.example.com TRIAGE_SMTP_FROM="Shop <care@shop.example>" triage worker
    """
    from app.mailer import SmtpSender

    from app.logs import configure

    settings = settings_or_exit()
    configure(settings.log_level)
    try:
        sender = SmtpSender(settings)
    except ValueError as exc:
        fail(str(exc))
    name = f"{socket.gethostname()}:{os.getpid()}"
    policy, domain = retry_policy(settings), message_id_domain(settings)
    with open_session(settings) as session:
        if once:
            counts = outbox.deliver_due(session=session, worker=name, send=sender, policy=policy, domain=domain)
            print_json(counts) if as_json else typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
            return
        progress(f"worker {name} delivering through {settings.smtp_host}:{settings.smtp_port}; Ctrl+C stops")
        try:
            while True:
                try:
                    counts = outbox.deliver_due(session=session, worker=name, send=sender, policy=policy, domain=domain)
                except OperationalError as exc:  # the database went away: wait for it
                    session.rollback()
                    log.warning("database unavailable (%s); retrying", type(exc).__name__)
                    counts = {}
                if any(counts.values()):
                    log.info("outbox: %s", counts)
                else:
                    time.sleep(settings.worker_poll_seconds)
        except KeyboardInterrupt:
            progress("worker stopped")
