"""The one invitation to rate: three days after delivery, when no rating came.

:func:`invite_due` runs from a periodic job (``app/tasks.py``). Each invitation is a
case event (``rating_invited``) that sets ``rating_invited_at`` in the same
version-guarded change: two workers that pick the same case cannot both send it, and a
case invited once is never invited again. Its email carries a private link (a new
access token, sealed into the event for that email only) that opens the case and lands
on its rating page.
"""

import logging
from datetime import timedelta

from flask import current_app
from peewee import PostgresqlDatabase, fn

from ..cases import lifecycle
from ..cases.access import access_expiry, new_access_token
from ..clock import utcnow
from ..models import AccessToken, Case, Rating, db

log = logging.getLogger(__name__)

#: Cases delivered longer ago than this are not invited any more (an invitation months
#: after the result, say when the feature is first switched on, is noise).
INVITE_WITHIN_DAYS = 30
#: At most this many invitations a run (the next run takes the rest).
BATCH = 200


def due_cases(limit: int = BATCH) -> list[Case]:
    """Delivered cases owed their invitation: delivered ``RATING_INVITE_DAYS`` days ago or
    more (but within :data:`INVITE_WITHIN_DAYS`), not rated at delivery, never invited,
    with an email address; demo cases never."""
    now = utcnow()
    rated = Rating.select(Rating.id).where((Rating.case == Case.id)
                                           & (Rating.stage == "delivered"))
    return list(Case.select().where(
        Case.delivery.is_null(False) & Case.ended_at.is_null(False)
        & (Case.ended_at <= now - timedelta(days=current_app.config["RATING_INVITE_DAYS"]))
        & (Case.ended_at > now - timedelta(days=INVITE_WITHIN_DAYS))
        & Case.rating_invited_at.is_null() & Case.contact_email.is_null(False)
        & (Case.contact_email != "") & Case.anonymised_at.is_null() & (Case.demo == False)  # noqa: E712
        & ~fn.EXISTS(rated)).order_by(Case.ended_at, Case.id).limit(limit))


class _Rated(Exception):
    """The case was rated after it was found owed its invitation: none is sent."""


def _unless_rated(case: Case, token_hash: str) -> None:
    """Inside the invitation's transaction: stop if the delivered stage was rated since
    :func:`due_cases` read it (a rating does not move the case's version), else store the
    link's token."""
    if isinstance(db.obj, PostgresqlDatabase):  # a rating being recorded finishes first
        Case.select(Case.id).where(Case.id == case.id).for_update().first()
    if Rating.select().where((Rating.case == case.id)
                             & (Rating.stage == "delivered")).exists():
        raise _Rated()
    AccessToken.create(case=case.id, token_hash=token_hash, expires_at=access_expiry())


def invite(case: Case) -> bool:
    """Record the invitation of ``case`` (its email goes through the outbox); False when
    another worker, or another change, came first, or the case was rated meanwhile."""
    if "delivered" not in current_app.config["RATING_STAGES"]:
        return False
    token, token_hash = new_access_token()
    try:
        lifecycle.change(case, "rating_invited", actor="system",
                         changes={"rating_invited_at": utcnow()},
                         data={"stage": "delivered"}, notify=["applicant"],
                         secrets={"token": token},
                         within=lambda: _unless_rated(case, token_hash))
    except lifecycle.TransitionError:
        return False  # someone else changed the case since we read it: their turn
    except _Rated:
        return False  # rated meanwhile: nothing to invite to (no event, no token)
    return True


def invite_due() -> int:
    """Invite every case owed its invitation; return how many were invited."""
    if "delivered" not in current_app.config["RATING_STAGES"]:
        return 0
    sent = 0
    for case in due_cases():
        sent += invite(case)
    if sent:
        log.info("rating invitations sent: %d", sent)
    return sent
