"""SMTP delivery of one reply, with the headers that thread it in the buyer's mail client."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.config import Settings
from app.models import OutboxItem
from app.services import feedback
from app.services.outbox import PermanentFailure


def build(item: OutboxItem, *, sender: str, footer: str = "") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = item.to_address
    mail["Subject"] = item.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{item.rfc_message_id}>" if item.rfc_message_id else make_msgid()
    if item.in_reply_to:
        mail["In-Reply-To"] = item.in_reply_to
    if item.references_header:
        mail["References"] = item.references_header
    # our replies are answers, not conversation starters: robots must not answer them (RFC 3834)
    mail["Auto-Submitted"] = "auto-replied" if item.created_by == "auto" else "no"
    if item.language:
        mail["Content-Language"] = item.language
    mail.set_content(f"{item.body.rstrip()}\n\n{footer}" if footer else item.body)
    return mail


def feedback_footer(item: OutboxItem, settings: Settings) -> str:
    """The signed "did this solve your problem?" links, when TRIAGE_FEEDBACK_SECRET and
    TRIAGE_PUBLIC_URL are set."""
    if not settings.feedback_secret or not settings.public_url:
        return ""
    return feedback.footer(templates_dir=settings.templates_dir, language=item.language, base_url=settings.public_url,
                           message_id=item.message_id, secret=settings.feedback_secret.get_secret_value())


class SmtpSender:
    """Sends one reply per call over a fresh connection (replies are few; a dead connection is
    never reused)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise ValueError("set TRIAGE_SMTP_HOST and TRIAGE_SMTP_FROM to deliver replies")
        self.settings = settings

    def __call__(self, item: OutboxItem) -> None:
        s = self.settings
        mail = build(item, sender=s.smtp_from, footer=feedback_footer(item, s))
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if s.smtp_security == "tls" else smtplib.SMTP
        kwargs = {"context": context} if s.smtp_security == "tls" else {}
        try:
            with smtp_class(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, **kwargs) as client:
                if s.smtp_security == "starttls":
                    client.starttls(context=context)
                if s.smtp_username:
                    client.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"the mail server refused the recipient ({', '.join(map(str, sorted(codes)))})") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise PermanentFailure(f"the mail server refused the reply: {exc.smtp_code}") from exc
            raise
