"""The case state machine: the one place where a case changes status.

``draft → submitted → (returned ↔ submitted) → accepted → (transferred) →
approved → result_ready → delivered → closed``; ``submitted|accepted →
rejected``; ``draft|submitted|returned → withdrawn``.

Every transition is written with optimistic locking (the row's ``version``)
and records an :class:`~app.models.Event` for the timeline.
"""

from flask_babel import lazy_gettext as _l

from ..models import Case, Event, db, utcnow

STATUSES = ("draft", "submitted", "returned", "accepted", "transferred", "approved",
            "rejected", "result_ready", "delivered", "closed", "withdrawn")

#: action -> (allowed from-statuses, to-status)
TRANSITIONS = {
    "submit": ({"draft"}, "submitted"),
    "resubmit": ({"returned"}, "submitted"),
    "return": ({"submitted"}, "returned"),
    "accept": ({"submitted"}, "accepted"),
    "transfer": ({"accepted"}, "transferred"),
    "transfer_back": ({"transferred"}, "accepted"),
    "approve": ({"accepted", "transferred"}, "approved"),
    "reject": ({"submitted", "accepted", "transferred"}, "rejected"),
    "result_ready": ({"approved"}, "result_ready"),
    "deliver": ({"result_ready"}, "delivered"),
    "close": ({"delivered", "rejected"}, "closed"),
    "withdraw": ({"draft", "submitted", "returned"}, "withdrawn"),
}

#: How each status is named to applicants.
STATUS_LABELS = {
    "draft": _l("Not sent yet"),
    "submitted": _l("Sent, waiting for review"),
    "returned": _l("Needs your corrections"),
    "accepted": _l("Accepted"),
    "transferred": _l("With the responsible department"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "result_ready": _l("Result ready"),
    "delivered": _l("Delivered"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}

#: How each event is worded on the applicant's timeline.
EVENT_LABELS = {
    "started": _l("You started the application"),
    "submitted": _l("You sent the application"),
    "resubmitted": _l("You sent your corrections"),
    "returned": _l("The office asked for corrections"),
    "accepted": _l("The office accepted the application"),
    "transferred": _l("Passed to the responsible department"),
    "transfer_back": _l("The department returned its result to the office"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "result_ready": _l("The result is ready"),
    "delivered": _l("The result was delivered"),
    "closed": _l("Closed"),
    "withdrawn": _l("You withdrew the application"),
    "claimed": _l("A clerk is handling your application"),
    "reminder": _l("Reminder sent about materials you owe"),
    "deferred_supplied": _l("You sent a material you had promised"),
    "message": _l("Message from the office"),
    "assisted": _l("Started with a volunteer at a service point"),
    "signed_scan": _l("A scan of a signed paper form was added"),
    "video_booked": _l("Video identity check booked"),
    "video_rescheduled": _l("Video identity check moved to another time"),
    "video_cancelled": _l("Video identity check cancelled"),
    "video_confirmed": _l("Identity confirmed in the video check"),
    "video_not_confirmed": _l("The video check could not confirm the identity"),
    "access_code_replaced": _l("A new access code was made at the service point"),
    "agent_code_issued": _l("Your entrusted relative received their own access code"),
}

#: The event kind each action records.
ACTION_EVENTS = {"submit": "submitted", "resubmit": "resubmitted", "return": "returned",
                 "accept": "accepted", "transfer": "transferred",
                 "transfer_back": "transfer_back", "approve": "approved",
                 "reject": "rejected", "result_ready": "result_ready",
                 "deliver": "delivered", "close": "closed", "withdraw": "withdrawn"}


class TransitionError(Exception):
    """The action is not allowed now; ``reason`` is ``illegal`` or ``stale``."""

    def __init__(self, reason, case=None):
        super().__init__(reason)
        self.reason = reason
        self.case = case


def can(case: Case, action: str) -> bool:
    """Whether ``action`` is allowed from the case's current status."""
    allowed, _to = TRANSITIONS[action]
    return case.status in allowed


def transition(case: Case, action: str, *, actor: str = "applicant", actor_id=None,
               note: str | None = None, data: dict | None = None,
               expected_version: int | None = None, **changes) -> Case:
    """Apply ``action`` to ``case`` atomically, or raise :class:`TransitionError`.

    ``expected_version`` is the version the actor saw; if someone changed the
    case since, the transition is refused as ``stale``. Extra ``changes`` are
    column values written in the same UPDATE.
    """
    allowed, target = TRANSITIONS[action]
    version = case.version if expected_version is None else expected_version
    now = utcnow()
    with db.atomic():
        query = (Case.update(status=target, version=Case.version + 1, updated_at=now, **changes)
                 .where((Case.id == case.id) & (Case.version == version)
                        & (Case.status.in_(sorted(allowed)))))
        if query.execute() != 1:
            fresh = Case.get_by_id(case.id)
            reason = "stale" if fresh.version != version else "illegal"
            raise TransitionError(reason, fresh)
        Event.create(case=case.id, kind=ACTION_EVENTS[action], actor=actor, actor_id=actor_id,
                     note=note, data=data, created_at=now)
    return Case.get_by_id(case.id)
