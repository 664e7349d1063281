"""The one module that writes ratings, follow-ups and their steps.

A rating is the applicant's (or agent's) answer at a stage of their case. A bad one
(不满意, 非常不满意) opens a follow-up, due in ``FOLLOW_UP_DAYS`` Chinese working days:
the window's supervisors verify it, record the return visit (回访: a call or a message in
the applicant's language), put things right or explain, and reply. The reply reaches the
applicant on their case's timeline and by email (a case event, through the case's
outbox) and opens the rating for change again. A staff member may appeal a rating they
find unfair; a supervisor other than the appellant and the follow-up's holder decides.

Every change here is one transaction with its audit record and the statistics' counts
(:mod:`.tally`).
"""

import sys
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError

from .. import audit
from ..cases import lifecycle
from ..cases.access import access_expiry, new_access_token
from ..cases.fields import clean_text
from ..cases.workdays import add_working_days
from ..clock import beijing_today, utcnow
from ..models import AccessToken, Case, FollowUp, FollowUpEvent, Rating, Staff
from ..models.base import together
from ..models.ratings import ASPECTS, BAD_LEVELS, CHANGEABLE_DAYS, GUIDE_ANSWERS, LEVELS, VISITS
from . import tally

#: The longest comment, note or reply (characters).
MAX_TEXT = 2000
#: How a return visit was made.
VISIT_CHANNELS = ("call", "message", "video", "in_person")


class Refused(Exception):
    """The change is not allowed now; ``reason`` says why (a stable key the views word):
    ``not_rateable``, ``closed`` (the week to change it is over), ``no_visit``,
    ``no_reply``, ``already_closed``, ``appeal_pending``, ``no_appeal``, ``own_appeal``,
    ``stale``, ``invalid``; for a rating also ``excluded`` (an appeal against it was
    upheld: it stays as it is) and ``not_yours`` (the other of applicant and agent rated
    the stage first: it is theirs)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Answers:
    """What the applicant answered: ``level`` and ``visits`` are required."""

    level: int
    visits: int
    guide: str | None = None
    speed: int | None = None
    service: int | None = None
    website: int | None = None
    comment: str = ""

    def check(self) -> None:
        """Refuse values outside the scales (the form checks first; this is the rule)."""
        aspects = [getattr(self, name) for name in ASPECTS]
        if (self.level not in LEVELS or self.visits not in VISITS
                or (self.guide is not None and self.guide not in GUIDE_ANSWERS)
                or any(v is not None and v not in LEVELS for v in aspects)
                or len(plain(self.comment)) > MAX_TEXT):
            raise Refused("invalid")

    def values(self) -> dict:
        """The columns of a rating."""
        return {"level": self.level, "visits": self.visits, "guide": self.guide,
                "speed": self.speed, "service": self.service, "website": self.website,
                "comment": plain(self.comment)}


def plain(text: str | None) -> str:
    """Typed text as stored: without control, bidi or zero-width characters (PostgreSQL
    refuses NUL), line ends as ``\\n``, trimmed. The forms clean first; this is the rule."""
    return clean_text({"type": "textarea", "max_length": sys.maxsize},
                      (text or "").replace("\r\n", "\n"))


# -- Rating ---------------------------------------------------------------------------

def stage_reached(case: Case, stage: str) -> bool:
    """The case has reached ``stage`` (delivered: its result was handed over)."""
    if stage == "delivered":
        return bool(case.delivery) and case.ended_at is not None
    return case.accepted_at is not None


def rateable_stages(case: Case) -> list[str]:
    """The stages of this case its applicant may rate now (configured and reached)."""
    return [stage for stage in current_app.config["RATING_STAGES"] if stage_reached(case, stage)]


def rating_of(case: Case, stage: str) -> Rating | None:
    """The case's rating at ``stage``, if any."""
    return Rating.get_or_none((Rating.case == case.id) & (Rating.stage == stage))


def open_follow_up(rating: Rating) -> FollowUp | None:
    """The follow-up of this rating not closed yet."""
    return (FollowUp.select().where((FollowUp.rating == rating.id) & (FollowUp.status != "closed"))
            .order_by(FollowUp.id.desc()).first())


def rate(case: Case, stage: str, answers: Answers, *, locale: str, by: str = "applicant"
         ) -> Rating:
    """Record (or, within its week, change) the rating of ``case`` at ``stage``.

    A bad level opens a follow-up unless one is open already (then the new answers are a
    step of it). Whoever rated the stage first (``by``: the applicant or the entrusted
    agent) owns the rating: only they change it, and not once an appeal against it was
    upheld. Raises :class:`Refused` (``not_rateable``, ``closed``, ``invalid``,
    ``excluded``, ``not_yours``).
    """
    if stage not in current_app.config["RATING_STAGES"] or not stage_reached(case, stage):
        raise Refused("not_rateable")
    answers.check()
    try:
        return _rate(case, stage, answers, locale=locale, by=by)
    except IntegrityError:  # two first ratings at once: the second changes the first
        return _rate(case, stage, answers, locale=locale, by=by)


def _rate(case: Case, stage: str, answers: Answers, *, locale: str, by: str) -> Rating:
    now = utcnow()
    with together():
        before = Rating.select().where((Rating.case == case.id) & (Rating.stage == stage)) \
            .for_update().first() if _locks() else rating_of(case, stage)
        if before is not None:
            refusal = locked(before, by, now)
            if refusal:
                raise Refused(refusal)
        values = answers.values()
        if before is None:
            rating = Rating.create(case=case.id, stage=stage, locale=locale, by=by,
                                   office=case.office_id, staff=case.assigned_to_id,
                                   created_at=now, updated_at=now,
                                   changeable_until=now + timedelta(days=CHANGEABLE_DAYS),
                                   **values)
        else:
            earlier = {name: getattr(before, name) for name in values}
            history = list(before.history or []) + [dict(earlier, at=before.updated_at.isoformat())]
            Rating.update(**values, locale=locale, by=by, updated_at=now, history=history).where(
                Rating.id == before.id).execute()
            rating = Rating.get_by_id(before.id)
        tally.rating_changed(case, before, rating)
        lifecycle.record(case, "rated" if before is None else "rating_changed", actor=by,
                         data={"stage": stage, "level": rating.level, "by": by})
        _follow_bad_rating(case, rating, before)
    return rating


def locked(rating: Rating | None, by: str, now=None) -> str | None:
    """Why ``by`` (``applicant`` or ``agent``) may not change ``rating`` now (a
    :class:`Refused` reason), or None when they may (or when there is none to change)."""
    if rating is None:
        return None
    if rating.by != by:
        return "not_yours"
    if rating.excluded:
        return "excluded"
    return None if rating.changeable(now) else "closed"


def _locks() -> bool:
    from peewee import PostgresqlDatabase
    from ..models import db
    return isinstance(db.obj, PostgresqlDatabase)


def _follow_bad_rating(case: Case, rating: Rating, before: Rating | None) -> None:
    if rating.excluded:  # found unfair: nothing to follow up (and it cannot change)
        return
    following = open_follow_up(rating)
    if following is not None:
        _step(following, "rerated", None, data={"level": rating.level,
                                                "from": before.level if before else None})
        return
    if rating.level not in BAD_LEVELS:
        return
    if before is not None and before.level in BAD_LEVELS and not FollowUp.select().where(
            FollowUp.rating == rating.id).exists():
        return  # bad before and after, with no follow-up ever: nothing new (cannot happen)
    if before is not None and before.level == rating.level and not FollowUp.select().where(
            (FollowUp.rating == rating.id) & (FollowUp.status == "closed")).exists():
        return
    due, _exact = add_working_days(beijing_today(), current_app.config["FOLLOW_UP_DAYS"])
    follow_up = FollowUp.create(rating=rating.id, case=case.id, office=rating.office_id,
                                level=rating.level, opened_at=utcnow(), due_date=due)
    _step(follow_up, "opened", None, data={"level": rating.level})
    tally.follow_up_changed(case, rating, None, follow_up)


def reopen_for_change(rating: Rating) -> None:
    """The applicant may change the rating for another week (a follow-up replied)."""
    Rating.update(changeable_until=utcnow() + timedelta(days=CHANGEABLE_DAYS)).where(
        Rating.id == rating.id).execute()


# -- Follow-up --------------------------------------------------------------------------

def _step(follow_up: FollowUp, kind: str, staff: Staff | None, *, note: str = "",
          lang: str = "", data: dict | None = None) -> FollowUpEvent:
    return FollowUpEvent.create(follow_up=follow_up.id, kind=kind,
                                staff=staff.id if staff is not None else None,
                                note=note, lang=lang, data=data, created_at=utcnow())


def _clean(text: str, required: bool = True) -> str:
    text = plain(text)
    if (required and not text) or len(text) > MAX_TEXT:
        raise Refused("invalid")
    return text


def _change(follow_up: FollowUp, staff: Staff, kind: str, *, expected_version: int | None,
            changes: dict, note: str = "", lang: str = "", data: dict | None = None,
            audit_action: str | None = None) -> FollowUp:
    """One step of a follow-up, version-guarded: the columns, the step, the audit record
    and the counts, in one transaction."""
    version = follow_up.version if expected_version is None else expected_version
    with together():
        updated = FollowUp.update(**changes, version=FollowUp.version + 1).where(
            (FollowUp.id == follow_up.id) & (FollowUp.version == version)).execute()
        if updated != 1:
            raise Refused("stale")
        after = FollowUp.get_by_id(follow_up.id)
        _step(after, kind, staff, note=note, lang=lang, data=data)
        audit.record(audit_action or f"follow_up_{kind}", staff=staff, case=follow_up.case,
                     target=f"follow_up:{follow_up.id}", data={"kind": kind, **(data or {})})
        if any(name in changes for name in ("closed_at", "closed_on_time")):
            tally.follow_up_changed(follow_up.case, follow_up.rating, follow_up, after)
    return after


def _open(follow_up: FollowUp) -> None:
    if follow_up.status == "closed":
        raise Refused("already_closed")


def assign(follow_up: FollowUp, staff: Staff, holder: Staff | None,
           expected_version: int | None = None) -> FollowUp:
    """Give the follow-up to a supervisor of the window (None: nobody); not while an
    appeal waits (the holder would otherwise hand it over and decide it)."""
    _open(follow_up)
    if follow_up.appeal_pending:
        raise Refused("appeal_pending")
    return _change(follow_up, staff, "assigned", expected_version=expected_version,
                   changes={"assigned_to": holder.id if holder else None},
                   data={"to": holder.name if holder else None})


def verify(follow_up: FollowUp, staff: Staff, holds: bool, note: str,
           expected_version: int | None = None) -> FollowUp:
    """Record what checking the complaint found (``holds``: the applicant was right)."""
    _open(follow_up)
    return _change(follow_up, staff, "verified", expected_version=expected_version,
                   changes={"verified_at": utcnow(), "verified": bool(holds)},
                   note=_clean(note), data={"holds": bool(holds)})


def record_visit(follow_up: FollowUp, staff: Staff, *, channel: str, lang: str, note: str,
                 expected_version: int | None = None) -> FollowUp:
    """Record the return visit (回访): how the applicant was reached, in which language,
    and what they said."""
    _open(follow_up)
    if channel not in VISIT_CHANNELS or not lang:
        raise Refused("invalid")
    return _change(follow_up, staff, "visit", expected_version=expected_version,
                   changes={"visited_at": utcnow()}, note=_clean(note), lang=lang,
                   data={"channel": channel})


def reply(follow_up: FollowUp, staff: Staff, text: str, lang: str,
          expected_version: int | None = None) -> FollowUp:
    """Answer the applicant: what was found and put right. It goes on the case's
    timeline and by email, and the rating can be changed for another week."""
    _open(follow_up)
    text = _clean(text)
    case = follow_up.case
    with together():
        after = _change(follow_up, staff, "reply", expected_version=expected_version,
                        changes={"replied_at": utcnow(), "status": "replied"}, note=text,
                        lang=lang)
        lifecycle.record(case, "follow_up_reply", actor="staff", staff=staff, note=text,
                         data={"lang": lang, "follow_up": follow_up.id,
                               "stage": follow_up.rating.stage},
                         notify=["applicant"], **_sealed_link(case))
        reopen_for_change(follow_up.rating)
    return after


def _sealed_link(case: Case) -> dict:
    """The private link of an email to the applicant: a new access token, stored with the
    event and sealed into it (however many times the email is tried, one token)."""
    if not case.contact_email:
        return {}
    token, token_hash = new_access_token()
    return {"secrets": {"token": token},
            "within": lambda: AccessToken.create(case=case.id, token_hash=token_hash,
                                                 expires_at=access_expiry())}


def note(follow_up: FollowUp, staff: Staff, text: str) -> FollowUpEvent:
    """An internal note on the follow-up (not for the applicant)."""
    with together():
        step = _step(follow_up, "note", staff, note=_clean(text))
        audit.record("follow_up_note", staff=staff, case=follow_up.case,
                     target=f"follow_up:{follow_up.id}")
    return step


def close(follow_up: FollowUp, staff: Staff, text: str = "",
          expected_version: int | None = None) -> FollowUp:
    """Close a follow-up: only once the return visit is recorded and the applicant was
    replied to (an upheld appeal closes it on its own)."""
    _open(follow_up)
    if follow_up.appeal_pending:
        raise Refused("appeal_pending")
    if follow_up.visited_at is None:
        raise Refused("no_visit")
    if follow_up.replied_at is None:
        raise Refused("no_reply")
    return _change(follow_up, staff, "closed", expected_version=expected_version,
                   changes=_closing(follow_up), note=_clean(text, required=False))


def _closing(follow_up: FollowUp) -> dict:
    return {"status": "closed", "closed_at": utcnow(),
            "closed_on_time": beijing_today() <= follow_up.due_date}


def appeal(follow_up: FollowUp, staff: Staff, reason: str,
           expected_version: int | None = None) -> FollowUp:
    """Appeal the rating as unfair (申诉): another supervisor decides."""
    _open(follow_up)
    if follow_up.appeal is not None:
        raise Refused("appeal_pending" if follow_up.appeal_pending else "invalid")
    return _change(follow_up, staff, "appealed", expected_version=expected_version,
                   changes={"appeal": "pending", "appealed_by": staff.id,
                            "appeal_holder": follow_up.assigned_to_id},
                   note=_clean(reason), data={"holder": follow_up.assigned_to_id})


def may_decide_appeal(follow_up: FollowUp, staff: Staff) -> bool:
    """A supervisor or admin who did not make the appeal, neither holds the follow-up nor
    held it when the appeal was made, and did not handle the rated case."""
    if staff.role not in ("supervisor", "admin") or not follow_up.appeal_pending:
        return False
    rated_clerk = Rating.select(Rating.staff).where(Rating.id == follow_up.rating_id).scalar()
    return staff.id not in (follow_up.appealed_by_id, follow_up.assigned_to_id,
                            follow_up.appeal_holder_id, rated_clerk)


def decide_appeal(follow_up: FollowUp, staff: Staff, upheld: bool, text: str,
                  expected_version: int | None = None) -> FollowUp:
    """Decide an appeal. Upheld: the rating stays on record, out of the figures, and the
    follow-up closes; dismissed: the follow-up goes on."""
    if not follow_up.appeal_pending:
        raise Refused("no_appeal")
    if not may_decide_appeal(follow_up, staff):
        raise Refused("own_appeal")
    changes = {"appeal": "upheld" if upheld else "dismissed", "decided_by": staff.id}
    if upheld:
        changes.update(_closing(follow_up))
    with together():
        after = _change(follow_up, staff, "appeal_upheld" if upheld else "appeal_dismissed",
                        expected_version=expected_version, changes=changes,
                        note=_clean(text))
        if upheld:
            rating = follow_up.rating
            Rating.update(excluded=True).where(Rating.id == rating.id).execute()
            tally.rating_changed(follow_up.case, rating, Rating.get_by_id(rating.id))
    return after


# -- Retention --------------------------------------------------------------------------

def forget_words(_sender=None, *, before: Case, after: Case) -> None:
    """When a case's personal details are stripped (retention), its ratings' comments and
    the words of their follow-ups go too (connected to ``lifecycle.changed``: the same
    transaction). What was rated, and when, stays for the figures."""
    if after.anonymised_at is None or before.anonymised_at is not None:
        return
    for rating in Rating.select().where(Rating.case == after.id):
        history = [dict(earlier, comment="") for earlier in rating.history or []]
        Rating.update(comment="", history=history).where(Rating.id == rating.id).execute()
    follow_ups = FollowUp.select(FollowUp.id).where(FollowUp.case == after.id)
    FollowUpEvent.update(note="").where(FollowUpEvent.follow_up.in_(follow_ups)).execute()
