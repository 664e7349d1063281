"""Booking, moving and cancelling the video identity check (applicant side).

Two ways in: the applicant's own session (status page → book), and the
private link in the booking email (``/appointments/<token>``), which works on
any device but only for that appointment, and stops working once it is
cancelled or held.
"""

from datetime import date

from babel.core import get_global
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...auth.sessions import current_staff
from ...authz import applicant_case, guard
from ...points.window import BEIJING, zone
from .. import appointments as appts
from ..blueprint import bp
from ..invites import meeting_url
from ..access import shown_access_code


def _helper_volunteer(case):
    """The volunteer of the case's service point, when one is signed in here."""
    staff = current_staff()
    if (staff and staff.role == "volunteer" and staff.active and case.service_point_id
            and staff.service_point_id == case.service_point_id):
        return staff
    return None


def zone_choices(case, shown: str) -> list[str]:
    """Time zones offered: the country's, the one the browser reported, Beijing."""
    zones = list(get_global("territory_zones").get(case.country, []))
    for extra in (case.timezone, shown):
        if extra and extra not in zones and zone(extra):
            zones.append(extra)
    return zones


def _chosen_zone(case) -> tuple[str, str | None]:
    """The zone to show times in (``?tz=``, else the case's), and an error if the asked
    one is unknown."""
    asked = (request.values.get("tz") or "").strip()
    if asked and zone(asked) is None:
        return case.timezone, _("We do not know the time zone “%(zone)s”. Times are shown in "
                                "%(shown)s; choose your zone from the list.",
                                zone=asked[:64], shown=case.timezone)
    return (asked or case.timezone), None


def _day(value: str, days: list):
    try:
        wanted = date.fromisoformat(value)
    except (TypeError, ValueError):
        return days[0] if days else None
    return next((d for d in days if d.day == wanted), days[0] if days else None)


def _slot_message(error: appts.SlotError) -> str:
    return {
        "taken": _("Someone booked this time a moment ago. Please choose another time."),
        "past": _("This time is too soon or has passed. Please choose a later time."),
        "outside": _("This time is outside the window's working hours (14:00–22:00 Beijing "
                     "time, working days). Please choose a time from the list."),
        "often": _("The video check of this application was changed many times today, and "
                   "each change sends emails. Please try again tomorrow, or ask your service "
                   "point or the window for help."),
    }.get(error.reason, _("The video check cannot be booked or changed in this application's "
                          "current state."))


def _page(case, appointment=None, token=None, error=None, status=200, chosen_slot=""):
    tz, tz_error = _chosen_zone(case)
    days = appts.slot_days(appts.office_id_of(case))
    country_zones = get_global("territory_zones").get(case.country, [])
    return render_template(
        "cases/video.html", case=case, item=case.spec, appointment=appointment, token=token,
        days=days, day=_day(request.values.get("day", ""), days), tz=tz,
        zones=zone_choices(case, tz), error=error or tz_error,
        zone_doubt=bool(country_zones) and case.timezone not in country_zones,
        slot_value=appts.slot_value, chosen_slot=chosen_slot,
        meeting=meeting_url(appointment) if appointment else None,
        confirmed=appts.identity_confirmed(case), held=appts.last_held(case),
        access_code=None if token else shown_access_code(case),
        BEIJING=BEIJING.key), (400 if tz_error and status == 200 else status)


def _refused(case, appointment, error, token=None):
    status = {"taken": 409, "state": 409, "often": 429}.get(error.reason, 422)
    return _page(case, appointment, token=token, error=_slot_message(error), status=status,
                 chosen_slot=request.form.get("slot", ""))


@bp.route("/cases/<reference>/video-check", methods=["GET", "POST"])
@applicant_case
def video_check(case):
    """Choose a time for the video identity check (or see the one booked)."""
    if not case.needs_video_check:
        abort(404)
    current = appts.current_appointment(case)
    if request.method == "GET":
        return _page(case, current)
    tz, tz_error = _chosen_zone(case)
    start = appts.parse_slot(request.form.get("slot", ""))
    if start is None or tz_error:
        return _page(case, current, error=tz_error or _("Choose a time from the list."),
                     status=422, chosen_slot=request.form.get("slot", ""))
    helper = _helper_volunteer(case)
    try:
        if current is not None:
            appts.reschedule(current, start, staff=helper)
            flash(_("Your video identity check has moved."), "info")
        else:
            appts.book(case, start, tz, "volunteer" if helper else "applicant", staff=helper)
            flash(_("Your video identity check is booked. We sent the details by email."), "info")
    except appts.SlotError as error:
        return _refused(case, current, error)
    return redirect(url_for("cases.video_check", reference=case.reference, tz=tz), 303)


@bp.route("/cases/<reference>/video-check/cancel", methods=["GET", "POST"])
@applicant_case
def video_cancel(case):
    """Confirm, then cancel the booked video check."""
    current = appts.current_appointment(case)
    back = url_for("cases.video_check", reference=case.reference)
    if current is None:
        return redirect(back, 303)
    if request.method == "GET":
        return render_template("cases/video_cancel.html", case=case, appointment=current,
                               action=url_for("cases.video_cancel", reference=case.reference),
                               back=back)
    try:
        appts.cancel(current, staff=_helper_volunteer(case))
    except appts.SlotError as error:
        if error.reason == "often":
            flash(_slot_message(error), "error")
        return redirect(back, 303)
    flash(_("The video identity check is cancelled. You can book another time."), "info")
    return redirect(back, 303)


def _booked_by_token(kwargs):
    """The emailed link's appointment while it is booked; 404 or 410 otherwise."""
    appointment, state = appts.appointment_for_token(kwargs["token"])
    if state == "unknown":
        return render_template("cases/link_problem.html", problem="unknown"), 404
    if state != "booked":
        return render_template("cases/video_gone.html", appointment=appointment,
                               state=state), 410
    kwargs["appointment"] = appointment
    return None


#: Anyone with the emailed link (a secret) may see, move or cancel that one appointment.
appointment_link = guard("public", _booked_by_token)


@bp.route("/appointments/<token>", methods=["GET", "POST"])
@appointment_link
def appointment(token, appointment):
    """The emailed private link: see, move or cancel one appointment."""
    case = appointment.case
    if request.method == "GET":
        return _page(case, appointment, token=token)
    start = appts.parse_slot(request.form.get("slot", ""))
    if start is None:
        return _page(case, appointment, token=token, error=_("Choose a time from the list."),
                     status=422, chosen_slot=request.form.get("slot", ""))
    try:
        appts.reschedule(appointment, start)
    except appts.SlotError as error:
        return _refused(case, appointment, error, token)
    flash(_("Your video identity check has moved."), "info")
    return redirect(url_for("cases.appointment", token=token,
                            tz=request.form.get("tz") or None), 303)


@bp.route("/appointments/<token>/cancel", methods=["GET", "POST"])
@appointment_link
def appointment_cancel(token, appointment):
    """Confirm, then cancel through the emailed link."""
    if request.method == "GET":
        return render_template("cases/video_cancel.html", case=appointment.case,
                               appointment=appointment,
                               action=url_for("cases.appointment_cancel", token=token),
                               back=url_for("cases.appointment", token=token))
    try:
        cancelled = appts.cancel(appointment)
    except appts.SlotError as error:
        if error.reason == "often":
            return _refused(appointment.case, appointment, error, token)
        abort(409)
    return render_template("cases/video_gone.html", appointment=cancelled, state="cancelled",
                           just_now=True)
