"""Building and delivering email: SMTP when configured, otherwise an outbox directory.

The outbox directory keeps each message as an ``.eml`` file, so a one-machine
install needs no mail server and a developer can read what would have been
sent. The log records that a message went out, never to whom or what it says.
Nothing here knows about jobs: :mod:`app.cases.outbox` decides when to send.
"""

import logging
import smtplib
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from .storage import write_atomically

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The message could not be handed to the mail server (try again later)."""


def build_message(to: str, subject: str, text: str, message_id: str | None = None
                  ) -> EmailMessage:
    """A UTF-8 plain-text email; ``message_id`` lets a resent message be recognised."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="onevisit")
    message.set_content(text)
    return message


def deliver(message: EmailMessage) -> str:
    """Deliver one message now; return ``smtp`` or ``outbox``, or raise
    :class:`DeliveryError`."""
    config = current_app.config
    try:
        if config.get("SMTP_HOST"):
            timeout = config.get("SMTP_TIMEOUT_S", 10)
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout) as smtp:
                if config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if config.get("SMTP_USER"):
                    smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
                smtp.send_message(message)
            log.info("mail sent by SMTP (%s)", message["Message-ID"])
            return "smtp"
        path = write_atomically(Path(config["OUTBOX_DIR"]) / (
            f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"), bytes(message))
        log.info("mail written to outbox (%s)", path.name)
        return "outbox"
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail could not be sent (%s): %s", message["Message-ID"],
                    type(error).__name__)
        raise DeliveryError(f"{type(error).__name__}: {error}"[:200]) from error
