"""How the staff pages word a rating and its follow-up: the levels, the answers, the steps,
the states, and why a step was refused."""

from flask_babel import lazy_gettext as _l

from .labels import ASPECT_NAMES as ASPECT_LABELS, LEVEL_LABELS, VISIT_LABELS as VISITS_LABELS  # noqa: F401  (re-exported for the staff pages)

#: Whether the guide's list of materials matched what was asked.
GUIDE_LABELS = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}
#: The stages a case is rated at.
STAGE_LABELS = {"delivered": _l("After delivery"), "accepted": _l("After acceptance")}
#: Who rated.
BY_LABELS = {"applicant": _l("The applicant"), "agent": _l("The entrusted agent")}
#: Where a follow-up stands.
FOLLOW_UP_STATUS_LABELS = {"open": _l("Waiting for the return visit and reply"),
                           "replied": _l("Replied"), "closed": _l("Closed")}
#: Where an appeal stands.
APPEAL_LABELS = {"pending": _l("Appeal waiting for a decision"),
                 "upheld": _l("Appeal upheld: the rating is left out of the figures"),
                 "dismissed": _l("Appeal dismissed")}
#: How a return visit was made.
CHANNEL_LABELS = {"call": _l("Phone call"), "message": _l("Message"),
                  "video": _l("Video call"), "in_person": _l("In person")}
#: How each step is named.
STEP_LABELS = {
    "opened": _l("Bad rating received: follow-up opened"),
    "assigned": _l("Handed to a supervisor"),
    "verified": _l("Complaint checked"),
    "visit": _l("Return visit recorded"),
    "reply": _l("Reply sent to the applicant"),
    "note": _l("Internal note"),
    "closed": _l("Follow-up closed"),
    "rerated": _l("The applicant rated again"),
    "appealed": _l("Rating appealed as unfair"),
    "appeal_upheld": _l("Appeal upheld"),
    "appeal_dismissed": _l("Appeal dismissed"),
}
#: Why a step was refused (the service's :class:`~.service.Refused` reasons), and the
#: HTTP status that says so.
REFUSALS = {
    "stale": (_l("Someone else changed this follow-up meanwhile. Read its steps again, "
                 "then send the form again."), 409),
    "already_closed": (_l("This follow-up is closed: nothing more can be done on it."), 409),
    "no_visit": (_l("Record the return visit first: a follow-up closes only once the "
                    "applicant has been contacted."), 409),
    "no_reply": (_l("Reply to the applicant first: a follow-up closes only once they have "
                    "been answered."), 409),
    "appeal_pending": (_l("An appeal against this rating waits for a decision: until it is "
                          "decided, the follow-up cannot be handed over, closed or appealed "
                          "again."),
                       409),
    "no_appeal": (_l("No appeal waits for a decision."), 409),
    "own_appeal": (_l("You made this appeal, held this follow-up when it was made or since, "
                      "or handled the case that was rated: another supervisor decides it."),
                   403),
    "appealed": (_l("This rating was appealed already: an appeal is decided once."), 409),
    "invalid": (_l("Check what you typed and send it again."), 422),
}
