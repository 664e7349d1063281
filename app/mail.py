"""Sending email: SMTP when configured, otherwise an outbox directory.

The outbox keeps each message as an ``.eml`` file, so a one-machine install
needs no mail server and a developer can read what would have been sent.
The log records that a message went out, never to whom or what it says.
"""

import logging
import smtplib
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A UTF-8 email with a plain-text part (and an HTML part if given)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="onevisit")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def mail_config() -> dict:
    """The mail settings of the current app, as plain data for a background job."""
    config = current_app.config
    return {key: config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER",
                                             "SMTP_PASSWORD", "SMTP_STARTTLS", "OUTBOX_DIR")}


def deliver(message: EmailMessage, config: dict) -> str:
    """Deliver one message now; return ``smtp``, ``outbox`` or ``failed``.

    Failures are logged and reported, never raised: a mail problem must not
    lose an applicant's work (pages show the same link and code).
    """
    try:
        if config.get("SMTP_HOST"):
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
                if config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if config.get("SMTP_USER"):
                    smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
                smtp.send_message(message)
            log.info("mail sent by SMTP (%s)", message["Message-ID"])
            return "smtp"
        outbox = Path(config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        log.info("mail written to outbox (%s)", path.name)
        return "outbox"
    except (OSError, smtplib.SMTPException):
        log.exception("mail could not be sent (%s)", message["Message-ID"])
        return "failed"


def send(message: EmailMessage) -> str:
    """Deliver now, in this request (the applicant's own access link)."""
    return deliver(message, mail_config())


def enqueue(message: EmailMessage) -> None:
    """Hand a message to the background job queue (notifications)."""
    from .tasks import deliver_mail
    deliver_mail(bytes(message), mail_config())
