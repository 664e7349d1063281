"""Delivery of the emails that recorded events cause (the transactional outbox).

A change records its event, with who must hear of it, in the same
transaction as the change itself. After the commit the job queue calls
:func:`deliver`; :func:`sweep` (every minute) picks up whatever was not
delivered: a job lost with a worker, a mail server that did not answer.
Each recipient of an event is sent its email once: a worker takes the event
for a while (a lease), marks each recipient as it is served, and on failure
leaves the event for a later attempt, waiting longer each time.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..clock import utcnow
from ..mail import DeliveryError, deliver as deliver_message
from ..models import Event
from . import lifecycle
from .notify import messages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outbox:
    """The events of one kind that owe emails: their ``model`` (with the outbox columns),
    the attribute naming what they belong to (``owner``), and ``messages(event, owner,
    recipient)``, the emails to send."""

    model: type
    owner: str
    messages: object


#: A case's events (:mod:`.notify`); a question's are :data:`app.questions.notify.QUESTIONS`.
CASES = Outbox(Event, "case", messages)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most 6 h."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def deliver(event_id: int, box: Outbox = CASES) -> str:
    """Send what the event still owes; ``sent``, ``retry``, ``failed`` or ``busy`` (another
    worker holds it, or it is not due)."""
    event = lifecycle.claim_delivery(event_id, current_app.config["OUTBOX_LEASE_S"], box.model)
    if event is None:
        return "busy"
    owner = getattr(event, box.owner)
    for recipient in event.recipients or []:
        if recipient in (event.delivered_to or []):
            continue
        try:
            for message in box.messages(event, owner, recipient):
                deliver_message(message)
        except Exception as error:  # noqa: BLE001 - any failure waits for the next attempt
            return _failed(event, error)
        # Recorded as soon as the server took it (a database error here is not a failed
        # delivery: the lease runs out and the sweep tries the ones still owed).
        lifecycle.mark_delivered(event, recipient)
    lifecycle.delivery_done(event)
    return "sent"


def _failed(event, error: Exception) -> str:
    """Leave the event for a later attempt, or give it up after the last one."""
    if not isinstance(error, DeliveryError):
        log.exception("event %s: the email could not be written", event.id)
    last = event.outbox_attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    lifecycle.delivery_failed(event, str(error),
                              None if last else utcnow() + backoff(event.outbox_attempts))
    if last:
        log.error("event %s: email given up after %d attempts", event.id, event.outbox_attempts)
    return "failed" if last else "retry"


def sweep(limit: int = 100, boxes=(CASES,)) -> int:
    """Deliver every pending event of ``boxes`` that is due; return how many were sent."""
    return sum(deliver(event_id, box) == "sent" for box in boxes
               for event_id in lifecycle.due_deliveries(limit, box.model))
