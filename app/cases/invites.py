"""Emails about video checks, each with an iCalendar (.ics) invitation.

The applicant gets the call link and a private link to move or cancel the
appointment; the window's clerks and the helping volunteer get the same event.
Every update of one appointment keeps its UID and raises its SEQUENCE, so
calendar programs replace the entry instead of adding another.
"""

from datetime import timedelta, timezone
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from icalendar import Calendar, Event as VEvent, vCalAddress, vText

from .. import mail
from ..models import Staff
from .appointments import meeting_url



def _subjects():
    # Marked here so that the extractor sees them; translated when the email is written.
    return {"booked": _("Video identity check booked: %(reference)s"),
            "rescheduled": _("Video identity check moved: %(reference)s"),
            "cancelled": _("Video identity check cancelled: %(reference)s")}


def manage_link(appointment, token: str) -> str:
    """Absolute URL of the private link that moves or cancels an appointment."""
    return f"{current_app.config['PUBLIC_URL']}/{appointment.case.locale}/appointments/{token}"


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


def _message(to: str, locale: str, kind: str, appointment, link: str | None, zone: str,
             for_staff: bool):
    case = appointment.case
    with force_locale(locale):
        subject = _subjects()[kind] % {"reference": case.reference}
        text = render_template("emails/video.txt", kind=kind, case=case, appointment=appointment,
                               meeting=meeting_url(appointment), manage=link, zone=zone,
                               for_staff=for_staff)
        summary = _("Video identity check %(reference)s", reference=case.reference)
    message = mail.build_message(to, subject, text)
    ics = calendar_bytes(appointment, cancelled=kind == "cancelled", summary=summary,
                         description=text)
    method = "CANCEL" if kind == "cancelled" else "REQUEST"
    message.add_attachment(ics, maintype="text", subtype="calendar", filename="video-check.ics",
                           params={"method": method})
    return message


def staff_recipients(appointment) -> list[Staff]:
    """Who at the window hears about it: the assigned clerk, else the office's clerks;
    and the volunteer who booked it."""
    case = appointment.case
    people = []
    if case.assigned_to_id:
        people = list(Staff.select().where((Staff.id == case.assigned_to_id)
                                           & (Staff.active == True)))  # noqa: E712
    if not people:
        people = list(Staff.select().where((Staff.office == appointment.office_id)
                                           & (Staff.role == "clerk")
                                           & (Staff.active == True)))  # noqa: E712
    if appointment.booked_by_id:
        volunteer = Staff.get_or_none((Staff.id == appointment.booked_by_id)
                                      & (Staff.active == True))  # noqa: E712
        if volunteer and volunteer not in people:
            people.append(volunteer)
    return people


def send_video_emails(appointment, kind: str, token: str | None = None) -> int:
    """Queue the emails about a booking, a move or a cancellation; return how many."""
    case = appointment.case
    sent = 0
    if case.contact_email:
        link = manage_link(appointment, token) if token and kind != "cancelled" else None
        mail.enqueue(_message(case.contact_email, case.locale, kind, appointment, link,
                              appointment.timezone or case.timezone, for_staff=False))
        sent += 1
    for person in staff_recipients(appointment):
        zone = "Asia/Shanghai"
        if person.role == "volunteer" and person.service_point_id:
            from ..models import ServicePoint
            point = ServicePoint.get_or_none(ServicePoint.id == person.service_point_id)
            zone = point.timezone if point else zone
        mail.enqueue(_message(person.email, "zh", kind, appointment, None, zone,
                              for_staff=True))
        sent += 1
    return sent
