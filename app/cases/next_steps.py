"""What happens next for one sent application, from the applicant's own choices.

The item's text on the guide page speaks to everyone ("your relative can collect it, or
it can be sent to you"); once the case is sent, the confirmation and status pages say
what follows for this applicant: the video check still to book (or booked, or done),
the materials owed and their date, who acts in China, how the result comes back.
"""

from datetime import date

from babel.lists import format_list
from flask_babel import gettext as _

from ..documents.context import commitment_due
from ..i18n import localized
from ..templating import current_locale, format_day, format_slot
from .appointments import current_appointment, identity_confirmed
from .journey import material_states
from .labels import DELIVERY_LABELS

#: Statuses in which the list is shown (before the result is on its way).
SHOWN_FOR = ("submitted", "accepted", "transferred", "approved")


def deferred_due(case) -> date | None:
    """When the deferred materials are due: the date recorded at acceptance, else the one
    the commitment letter counts from the submission (as the receipt prints it)."""
    if not case.deferred:
        return None
    return case.deferred_due or commitment_due(case)[0]


def owed_materials(case, states=None) -> list:
    """The material states the applicant said they will send later (``states``: the
    case's material states when the caller has them already)."""
    if not case.deferred:
        return []
    return [s for s in (material_states(case) if states is None else states) if s.deferred]


def video_state(case) -> tuple[str, object]:
    """Where the applicant's video identity check stands, for the pages and the emails:
    ``("", None)`` none asked now, ``("confirmed", None)``, ``("booked", appointment)`` or
    ``("to_book", None)``."""
    if not (case.needs_video_check and case.identity_check_matters):
        return "", None
    if identity_confirmed(case):
        return "confirmed", None
    booked = current_appointment(case)
    return ("booked", booked) if booked is not None else ("to_book", None)


def _video_step(case) -> str | None:
    state, booked = video_state(case)
    if state == "confirmed":
        return _("Your identity is confirmed: no video call is needed any more.")
    if state == "booked":
        return _("Join the video identity check you booked for %(when)s.",
                 when=format_slot(booked.starts_at, booked.timezone or case.timezone))
    if state == "to_book":
        return _("Book your video identity check: the window accepts the application only "
                 "after it has confirmed your identity in a short video call.")
    return None


def _agent_step(case) -> str:
    if case.is_entrusted:
        return _("Your relative %(name)s does the formalities in China for you, with the "
                 "powers you gave.", name=(case.entrustment or {}).get("agent_name_zh", ""))
    if case.spec.agent_allowed:
        return _("You chose to do the formalities yourself: no relative acts for you in China.")
    return ""


def _delivery_step(case) -> str:
    if case.agent_collects:
        return _("Your relative %(name)s collects the result at the office in China.",
                 name=(case.entrustment or {}).get("agent_name_zh", ""))
    methods = [str(DELIVERY_LABELS[m]) for m in case.delivery_methods if m in DELIVERY_LABELS]
    if not methods:
        return ""
    return _("How you receive the result: %(ways)s.", ways=format_list(methods, style="or", locale=current_locale()))


def what_next(case, states=None) -> list[str]:
    """The next steps for this applicant, in order (empty once the result is on its way;
    ``states``: the case's material states when the caller has them already)."""
    if case.status not in SHOWN_FOR:
        return []
    steps = []
    if case.awaits_review:
        steps.append(_("The one-stop window at home checks your application on a working day "
                       "and accepts it, or tells you what to correct."))
    steps.append(_video_step(case))
    owed = owed_materials(case, states)
    if owed:
        steps.append(_("Send %(materials)s by %(date)s, as your commitment letter says.",
                       materials=format_list([localized(s.material.names) for s in owed],
                                               locale=current_locale()),
                       date=format_day(deferred_due(case))))
    steps.append(_agent_step(case))
    steps.append(_delivery_step(case))
    return [s for s in steps if s]
