"""Secrets an email must carry, sealed while they wait in the outbox.

A new access code, an agent's code or an appointment link is shown once and
emailed once. Between the change that makes it and the delivery of the email,
it rests in the event row encrypted (Fernet: AES with an HMAC, from the
``cryptography`` library) under a key derived from ``SECRET_KEY``; the outbox
erases it once the email is sent.
"""

import base64
import hashlib
import json
import logging

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"onevisit-outbox:" + current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal(values: dict) -> str:
    """``values`` (plain JSON data) encrypted and authenticated."""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def unseal(token: str | None) -> dict:
    """The values sealed in ``token``; empty when there is none or it cannot be read."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        # A SECRET_KEY changed since the email was queued: it goes out without its secret.
        logging.getLogger(__name__).warning("a sealed value could not be read")
        return {}
