"""The emails an event causes, written in the recipient's language.

:func:`messages` turns one recorded event and one recipient into the email(s)
to send, from the event's own data (what was decided, when, for which
appointment) and the secrets sealed into it. :mod:`.outbox` sends them.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _

from ..clock import now
from ..i18n import N_, language_name, localized
from ..points.window import format_span, next_open_span
from ..templating import format_day, format_locale, format_slot, format_when
from ..mail import build_message
from ..models import AccessToken, Department, Rating, Staff
from ..reasons import library as reason_library
from ..sealing import unseal
from .access import access_expiry, new_access_token
from .invites import video_message
from .next_steps import deferred_due, owed_materials, video_state


#: Subjects of the update emails, by the kind of email.
SUBJECTS = {
    "returned": N_("Your application %(reference)s needs corrections"),
    "accepted": N_("Your application %(reference)s is accepted"),
    "transferred": N_("Your application %(reference)s is with the responsible department"),
    "approved": N_("Your application %(reference)s is approved"),
    "rejected": N_("Decision on your application %(reference)s"),
    "result_ready": N_("The result of your application %(reference)s is ready"),
    "delivered": N_("The result of your application %(reference)s is on its way"),
    "reminder": N_("Reminder: materials owed for your application %(reference)s"),
    "message": N_("A message about your application %(reference)s"),
    "agent_code": N_("Your relative's access code for application %(reference)s"),
    "converted": N_("Your matter %(reference)s: the service for it, and what is still needed"),
    "answered": N_("An answer to your matter %(reference)s"),
}
#: Subjects of the emails about ratings (app/ratings/).
RATING_SUBJECTS = {
    "rating_invited": N_("How was the service for your application %(reference)s?"),
    "follow_up_reply": N_("The window's answer to your rating of application %(reference)s"),
}
#: The delivered email's subject says what happened, by the way the result went.
DELIVERED_SUBJECTS = {
    "courier": SUBJECTS["delivered"],
    "agent_pickup": N_("The result of your application %(reference)s was collected"),
    "self_pickup": N_("The result of your application %(reference)s was collected"),
    "electronic": N_("The result of your application %(reference)s was sent to you"),
}
#: The update email each event kind sends (named like the event, but for one).
UPDATE_KINDS = dict({kind: kind for kind in SUBJECTS if kind != "agent_code"},
                    agent_code_issued="agent_code")
VIDEO_KINDS = {"video_booked": "booked", "video_rescheduled": "rescheduled",
               "video_cancelled": "cancelled"}


def _public(path: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}{path}"


def access_link(case, token: str | None = None) -> str:
    """An access link to the case: ``token`` if given, else a new one just for this email."""
    if token is None:
        token, token_hash = new_access_token()
        AccessToken.create(case=case, token_hash=token_hash, expires_at=access_expiry())
    return _public(f"/{case.locale}/cases/access/{token}")


def rating_link(case, stage: str, token: str | None = None) -> str:
    """A private link that opens the case and lands on its rating page at ``stage``:
    ``token`` if given (sealed into the event), else a new one just for this email."""
    if token is None:
        token, token_hash = new_access_token()
        AccessToken.create(case=case, token_hash=token_hash, expires_at=access_expiry())
    return _public(f"/{case.locale}/cases/access/{token}/rating/{stage}")


def _rating_details(event, case, secrets: dict) -> dict:
    """What an email about a rating prints: the invitation (when the result was
    delivered), or the window's reply to a rating (its text, the language it was written
    in when not the applicant's, and until when the rating can be changed)."""
    data = event.data or {}
    stage = data.get("stage", "delivered")
    link = rating_link(case, stage, secrets.get("token"))
    zone = case.timezone or "Asia/Shanghai"
    if event.kind == "rating_invited":
        return {"link": link, "item": localized(case.spec.names, case.locale),
                "delivered_on": format_when(case.ended_at, zone)}
    rating = Rating.get_or_none((Rating.case == case.id) & (Rating.stage == stage))
    written = data.get("lang") or case.locale
    return {"link": link, "reply": event.note or "",
            "written_in": language_name(written) if written != case.locale else "",
            "until": format_when(rating.changeable_until, zone)
            if rating is not None and rating.changeable() else ""}


def _message_id(event, recipient: str) -> str:
    host = current_app.config["PUBLIC_URL"].split("//", 1)[-1].split("/", 1)[0] or "onevisit"
    return f"<event-{event.id}-{recipient.replace(':', '-')}@{host}>"


def _names(case, keys) -> list[str]:
    materials = {m.key: m for m in case.spec.ordered_materials()}
    return [localized(materials[k].names, case.locale) if k in materials else k
            for k in keys or []]


def _deadline(iso: str) -> str:
    """A due day (a Beijing calendar day, stored as ISO) in the reader's language."""
    if not iso:
        return ""
    day = date.fromisoformat(str(iso)[:10])
    return _("%(date)s (Beijing time)", date=format_date(day, "long", locale=format_locale()))


def _next_window(case) -> dict:
    """When the window next works (its calendar: Chinese working days, holidays and
    swapped working days), in Beijing time and in the applicant's."""
    span = next_open_span(now())
    if span is None:
        return {"window_day": "", "window_local": ""}
    locale = format_locale()
    return {"window_day": format_skeleton("MMMMEEEEd", span.start, locale=locale),
            "window_local": format_span(span, ZoneInfo(case.timezone), locale)}


def _update_details(event, case, secrets: dict) -> dict:
    """What the update email of ``event`` prints beside the case itself."""
    data = event.data or {}
    kind = event.kind
    if kind == "returned":
        names = dict(zip([i["material"] for i in data.get("items", [])],
                         _names(case, [i["material"] for i in data.get("items", [])])))
        reasons = reason_library.for_case(case)
        supplement = dict(data, items=[dict(i, name=names.get(i["material"], i["material"]),
                                            said=reason_library.explain(i, reasons, case.locale))
                                       for i in data.get("items", [])])
        return {"supplement": supplement, "due": _deadline(data.get("due", ""))}
    if kind == "accepted":
        return {"due": _deadline(data.get("due_date", "")),
                "deferred": _names(case, data.get("deferred")),
                "deferred_due": _deadline(data.get("deferred_due", ""))}
    if kind == "transferred":
        department = Department.get_or_none(Department.key == data.get("department"))
        if department is None:
            return {"department": ""}
        name = localized(department.names, case.locale)
        if department.jurisdiction_id and case.office_id and (
                department.jurisdiction_id != case.office.jurisdiction_id):
            # Passed point to point to another county: say which.
            name = f"{name}, {localized(department.jurisdiction.names, case.locale)}"
        return {"department": name}
    if kind == "reminder":
        return {"deferred": _names(case, data.get("deferred")),
                "deferred_due": _deadline(data.get("deferred_due", ""))}
    if kind == "delivered":
        # When it happened, in the applicant's time zone (the window's clock beside it).
        return {"method": data.get("method", ""), "tracking": data.get("tracking", ""),
                "agent_name": (case.entrustment or {}).get("agent_name_zh", ""),
                "at": format_when(event.created_at, case.timezone or "Asia/Shanghai")}
    if kind == "converted":
        return {"item": localized(case.spec.names, case.locale), "note": event.note or "",
                "due": _deadline((case.supplement or {}).get("due", ""))}
    if kind == "agent_code_issued":
        return {"agent_code": secrets.get("agent_code", ""),
                "agent_name": (case.entrustment or {}).get("agent_name_zh", "")}
    # rejected (the reason), result_ready (the result), message (the text)
    return {"reason": event.note or "", "note": event.note or "", "body": event.note or ""}


def _subject(event, email_kind: str) -> str:
    """The subject (a message id) of the update email ``email_kind`` about ``event``."""
    if event.kind == "delivered":
        return DELIVERED_SUBJECTS.get((event.data or {}).get("method"), SUBJECTS[email_kind])
    return SUBJECTS[email_kind]


def _still_to_do(case) -> dict:
    """What the submission email says is still to do: the materials owed with their due
    date, and whether a video check is still to book (or when it is booked)."""
    state, booked = video_state(case)
    return {"owed": [localized(s.material.names) for s in owed_materials(case)],
            "owed_by": format_day(deferred_due(case)) if case.deferred else "",
            "video": "" if state == "confirmed" else state,
            "video_when": format_slot(booked.starts_at, booked.timezone or case.timezone)
            if booked else "",
            "video_link": _public(f"/{case.locale}/cases/{case.reference}/video-check")}


def _applicant_message(event, case, secrets: dict):
    """The applicant's email about ``event`` in the case's language, or None."""
    kind = event.kind
    with force_locale(case.locale):
        if kind == "started":
            subject = _("Your OneVisit application %(reference)s: link to continue",
                        reference=case.reference)
            text = render_template("emails/access.txt", case=case, item_name=case.spec.names,
                                   question=(event.data or {}).get("question"),
                                   link=access_link(case, secrets.get("token")),
                                   access_code=secrets.get("code", ""))
        elif kind in ("submitted", "resubmitted"):
            subject = _("We received your application %(reference)s", reference=case.reference)
            text = render_template("emails/submitted.txt", case=case,
                                   find_link=_public(f"/{case.locale}/cases/find"),
                                   **_next_window(case), **_still_to_do(case))
        elif kind in RATING_SUBJECTS:
            subject = _(RATING_SUBJECTS[kind], reference=case.reference)
            text = render_template("emails/rating.txt", case=case, kind=kind,
                                   **_rating_details(event, case, secrets))
        elif kind in UPDATE_KINDS:
            email_kind = UPDATE_KINDS[kind]
            subject = _(_subject(event, email_kind), reference=case.reference)
            text = render_template("emails/update.txt", case=case, kind=email_kind,
                                   link=access_link(case), **_update_details(event, case, secrets))
        else:
            return None
        return build_message(case.contact_email, subject, text, _message_id(event, "applicant"))


def _appointment(data: dict) -> SimpleNamespace:
    """The appointment as it was when the event happened."""
    return SimpleNamespace(id=data["appointment"], minutes=data["minutes"], room=data["room"],
                           sequence=data["sequence"], timezone=data["timezone"],
                           starts_at=datetime.fromisoformat(data["starts_at"]),
                           updated_at=datetime.fromisoformat(data["updated_at"]))


def messages(event, case, recipient: str) -> list:
    """The email(s) ``event`` sends to ``recipient`` (``applicant`` or ``staff:<id>``)."""
    secrets = unseal(event.sealed)
    if event.kind in VIDEO_KINDS:
        appointment = _appointment(event.data)
        kind = VIDEO_KINDS[event.kind]
        if recipient == "applicant":
            token = secrets.get("manage")
            link = (_public(f"/{case.locale}/appointments/{token}")
                    if token and kind != "cancelled" else None)
            return [video_message(case.contact_email, case.locale, kind, case, appointment, link,
                                  appointment.timezone or case.timezone, False,
                                  _message_id(event, recipient))]
        person = Staff.get_or_none(Staff.id == int(recipient.split(":", 1)[1]))
        if person is None:
            return []
        zone = "Asia/Shanghai"
        if person.role == "volunteer" and person.service_point_id:
            zone = person.service_point.timezone
        return [video_message(person.email, person.lang or "zh", kind, case, appointment, None, zone, True,
                              _message_id(event, recipient))]
    if recipient != "applicant" or not case.contact_email:
        return []
    message = _applicant_message(event, case, secrets)
    return [message] if message is not None else []
