"""`triage worker`: deliver the outbox over SMTP."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.cli_common import fail, open_session, print_json, progress, settings_or_exit
from app.config import Settings
from app.services import alerts, outbox

log = logging.getLogger(__name__)


def retry_policy(settings: Settings) -> outbox.RetryPolicy:
    return outbox.RetryPolicy(max_attempts=settings.outbox_max_attempts, base_seconds=settings.outbox_backoff_seconds)


def check_alerts(session: Session, settings: Settings) -> None:
    """Raise the early warnings that hold now and post them to the webhook, between deliveries."""
    raised = alerts.check(session=session, settings=settings)
    for alert in raised:
        log.warning("alert: %s", alert.detail)
    alerts.notify(session=session, settings=settings)
    session.commit()


def message_id_domain(settings: Settings) -> str:
    address = (settings.smtp_from or "").rstrip(">").rpartition("@")[2]
    return address or socket.getfqdn() or "localhost"


def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print the counts as JSON")] = False,
) -> None:
    """Deliver approved and automatic replies over SMTP, retrying with backoff; raise early
    warnings every TRIAGE_ALERT_CHECK_MINUTES and post them to TRIAGE_ALERT_WEBHOOK_URL.

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
            check_alerts(session, settings)
            print_json(counts) if as_json else typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
            return
        progress(f"worker {name} delivering through {settings.smtp_host}:{settings.smtp_port}; Ctrl+C stops")
        next_alert_check = 0.0
        try:
            while True:
                try:
                    counts = outbox.deliver_due(session=session, worker=name, send=sender, policy=policy, domain=domain)
                    if time.monotonic() >= next_alert_check:
                        check_alerts(session, settings)
                        next_alert_check = time.monotonic() + settings.alert_check_minutes * 60
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
