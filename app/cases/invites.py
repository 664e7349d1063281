"""Emails about video checks, each with an iCalendar (.ics) invitation.

The applicant gets the call link and a private link to move or cancel the
appointment; the window's clerks and the helping volunteer get the same event
(:func:`app.cases.appointments.staff_recipients`).
Every update of one appointment keeps its UID and raises its SEQUENCE, so
calendar programs replace the entry instead of adding another.
"""

from datetime import timedelta, timezone
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from icalendar import Calendar, Event as VEvent, vCalAddress, vText

from ..mail import build_message


def _subjects():
    # Marked here so that the extractor sees them; translated when the email is written.
    return {"booked": _("Video identity check booked: %(reference)s"),
            "rescheduled": _("Video identity check moved: %(reference)s"),
            "cancelled": _("Video identity check cancelled: %(reference)s")}


def meeting_url(appointment) -> str:
    """The video-call link of one appointment (one room each)."""
    return current_app.config["MEETING_URL_TEMPLATE"].format(room=appointment.room)


def calendar_bytes(appointment, cancelled: bool = False, summary: str = "",
                   description: str = "") -> bytes:
    """The appointment as an iCalendar object (METHOD REQUEST, or CANCEL)."""
    calendar = Calendar()
    calendar.add("prodid", "-//OneVisit//Video identity check//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = VEvent()
    start = appointment.starts_at.replace(tzinfo=timezone.utc)
    host = current_app.config["PUBLIC_URL"].split("//", 1)[-1].split("/", 1)[0]
    event.add("uid", f"video-check-{appointment.id}@{host}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", appointment.updated_at.replace(tzinfo=timezone.utc))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=appointment.minutes))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", meeting_url(appointment))
    event.add("url", meeting_url(appointment))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress("mailto:" + parseaddr(current_app.config["MAIL_FROM"])[1])
    organizer.params["cn"] = vText("OneVisit")
    event.add("organizer", organizer)
    calendar.add_component(event)
    return calendar.to_ical()


def video_message(to: str, locale: str, kind: str, case, appointment, link: str | None,
                  zone: str, for_staff: bool, message_id: str):
    """The email about a booking, move or cancellation, with its ``.ics`` invitation."""
    with force_locale(locale):
        subject = _subjects()[kind] % {"reference": case.reference}
        text = render_template("emails/video.txt", kind=kind, case=case, appointment=appointment,
                               meeting=meeting_url(appointment), manage=link, zone=zone,
                               for_staff=for_staff)
        summary = _("Video identity check %(reference)s", reference=case.reference)
    message = build_message(to, subject, text, message_id)
    ics = calendar_bytes(appointment, cancelled=kind == "cancelled", summary=summary,
                         description=text)
    method = "CANCEL" if kind == "cancelled" else "REQUEST"
    message.add_attachment(ics, maintype="text", subtype="calendar", filename="video-check.ics",
                           params={"method": method})
    return message
