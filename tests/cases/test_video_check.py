"""Video identity checks: slots, booking races, links, emails with .ics, outcomes, agents."""

import io
import re
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from app import clock
from tests.conftest import (Page, case_of, confirm_video, decide, refuse, sign_in, slot_started,
                            smtp, submitted_case, today)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def free_slots(app, reference) -> list[tuple[str, str]]:
    """Every slot the case may book now, in order, as ``(day, form value)``: whatever the
    hour, some of the window's next working days have free times."""
    from app.cases import appointments as appts
    from app.models import Case, db
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        return [(day.day.isoformat(), appts.slot_value(start))
                for day in appts.slot_days(appts.office_id_of(case))
                for start, free in day.slots if free]


def free_slot(app, reference, index=0) -> str:
    """The form value of the case's ``index``-th free slot (on whichever day it falls)."""
    return free_slots(app, reference)[index][1]


def video_url(journey) -> str:
    return f"/{journey.lang}/cases/{journey.reference}/video-check"


def book(journey, slot, tz=None, status=303) -> Page:
    """Book (or move to) ``slot`` from the applicant's video-check page."""
    data = {"slot": slot}
    if tz:
        data["tz"] = tz
    return journey.client.submit(video_url(journey), data, status=status)


def slot_labels(page) -> dict:
    """``{slot value: label text}`` of the times the page offers."""
    return {radio.get("value"): re.sub(r"\s+", " ", radio.find_parent("label").get_text(" "))
            .strip() for radio in page.select("input[name=slot]")}


def error_text(page) -> str:
    """The message of the page's error summary."""
    return page.one(".error-summary").get_text(" ", strip=True)


# --- slots inside the window's hours -------------------------------------------------

def test_slots_lie_inside_the_window_hours_on_working_days(app):
    from app.cases import appointments as appts
    from app.points.window import BEIJING
    # The National Day holiday starts on 1 October.
    with app.test_request_context(), clock.clock_at(utc(2026, 9, 30, 0, 0), frozen=True):
        days = appts.slot_days(1)
    assert days, "some working days are bookable"
    for day in days:
        local = [s.astimezone(BEIJING) for s, _free in day.slots]
        assert all(14 <= t.hour < 22 for t in local)
        if day.day != days[0].day:  # the first day may have begun already
            assert local[0].strftime("%H:%M") == "14:00"
        assert local[-1].strftime("%H:%M") == "21:40"
    # 1–8 October 2026 are holidays at home: no slots then.
    assert not [d for d in days if d.day.month == 10 and d.day.day <= 7]


@pytest.mark.parametrize("moment, reason", [
    (utc(2026, 11, 23, 5, 0), "outside"),    # 13:00 Beijing, before the window opens
    (utc(2026, 11, 23, 14, 0), "outside"),   # 22:00 Beijing, the window has closed
    (utc(2026, 11, 23, 6, 10), "outside"),   # 14:10 is not on the 20-minute grid
    (utc(2026, 11, 22, 7, 0), "outside"),    # a Sunday
    (utc(2026, 11, 20, 7, 0), "past"),       # before now
])
def test_a_slot_outside_the_hours_is_refused(app, moment, reason):
    from app.cases import appointments as appts
    with app.test_request_context(), clock.clock_at(utc(2026, 11, 21, 0, 0), frozen=True):
        with pytest.raises(appts.SlotError) as caught:
            appts.check_slot(moment)
    assert caught.value.reason == reason


def test_the_page_refuses_a_forged_slot_with_a_message_and_keeps_the_page(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    # A Sunday within the booking days, 15:00 Beijing: not a working day.
    sunday = today() + timedelta(days=2)
    while sunday.weekday() != 6:
        sunday += timedelta(days=1)
    page = book(journey, f"{sunday:%Y%m%d}T0700", status=422)
    assert "outside the window's working hours" in error_text(page)
    assert page.select("input[name=slot]"), "the list of times is shown again"
    garbage = book(journey, "next tuesday", status=422)
    assert error_text(garbage) == "Choose a time from the list."
    assert garbage.select("input[name=slot]")


# --- booking, the race for the last slot ---------------------------------------------------

def test_two_applicants_racing_for_one_slot_get_one_winner(staff_app):
    first = submitted_case(staff_app, entrust=True)
    second = submitted_case(staff_app, entrust=True)
    slot = free_slot(staff_app, first.reference)
    barrier = threading.Barrier(2)
    results = {}

    def race(journey):
        url = video_url(journey)
        token = journey.client.page(url).csrf()
        barrier.wait()
        results[journey.reference] = Page(journey.client.post(url, data={"csrf_token": token,
                                                                         "slot": slot}))

    threads = [threading.Thread(target=race, args=(j,)) for j in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(page.status for page in results.values())
    assert codes == [303, 409], codes
    loser = next(page for page in results.values() if page.status == 409)
    assert error_text(loser) == ("Someone booked this time a moment ago. "
                                 "Please choose another time.")
    from app.models import Appointment, db
    with staff_app.app_context(), db.connection_context():
        assert Appointment.select().where(Appointment.status == "booked").count() == 1


def test_a_taken_slot_is_shown_as_taken(staff_app):
    first = submitted_case(staff_app, entrust=True)
    second = submitted_case(staff_app, entrust=True)
    day, slot = free_slots(staff_app, first.reference)[0]
    book(first, slot)
    page = second.client.page(f"{video_url(second)}?day={day}")
    radio = page.one(f"input[name=slot][value='{slot}']")
    assert radio.has_attr("disabled")
    assert slot_labels(page)[slot].endswith("· taken")
    book(second, slot, status=409)


def test_cases_without_a_video_check_have_no_booking_page(staff_app):
    from app.models import Item, ItemVersion, db
    with staff_app.app_context(), db.connection_context():
        Item.update(video_check=False).where(Item.code == "JJ-JZ-001").execute()
        ItemVersion.keep(Item.get(Item.code == "JJ-JZ-001"))  # the published text too
    journey = submitted_case(staff_app, entrust=False)
    journey.client.page(video_url(journey), status=404)


# --- emails with an .ics invitation, links to move and cancel ---------------------------------

def _ics(message):
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_content()
    return None


def test_booking_emails_the_applicant_and_the_clerks_with_an_ics(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, entrust=True)
    collector.messages.clear()
    slot = free_slot(staff_app, journey.reference)
    book(journey, slot)
    recipients = {r for rcpts, _m in collector.messages for r in rcpts}
    assert "lin.mei@example.it" in recipients
    assert {"clerk@test", "clerk2@test"} <= recipients  # nobody claimed it yet: all clerks
    applicant = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    ics = _ics(applicant)
    from icalendar import Calendar
    calendar = Calendar.from_ical(ics)
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "REQUEST"
    start = event.decoded("dtstart")
    assert start.strftime("%Y%m%dT%H%M") == slot
    assert "https://meet.onevisit.example/OneVisit-" in str(event["location"])
    body = applicant.get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/en/appointments/\S+)", body).group(1)
    assert "Beijing time" in body and "Italy" in body

    # The private link shows the appointment and moves it; the event keeps its UID.
    path = urlsplit(link).path
    other = staff_app.test_client()
    shown = other.page(path)
    assert shown.one(".notice.ok h2").text == "Your appointment"
    assert shown.one(".notice.ok a[href^='https://meet.onevisit.example/OneVisit-']")
    collector.messages.clear()
    new_slot = free_slot(staff_app, journey.reference, index=1)
    assert new_slot != slot
    other.submit(path, {"slot": new_slot})
    moved = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    moved_event = Calendar.from_ical(_ics(moved)).walk("VEVENT")[0]
    assert str(moved_event["uid"]) == str(event["uid"])
    assert int(moved_event["sequence"]) == int(event["sequence"]) + 1
    assert moved_event.decoded("dtstart").strftime("%Y%m%dT%H%M") == new_slot

    # Cancelling through the link: a METHOD:CANCEL, and the link is dead afterwards.
    collector.messages.clear()
    cancel_url = path + "/cancel"
    kept = other.page(path).csrf()
    confirm = other.page(cancel_url)
    assert confirm.one("h1").text == "Cancel the video identity check?"
    done = other.submit(cancel_url, status=200)
    assert done.one("h1").text == "This appointment is cancelled"
    cancelled = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    assert str(Calendar.from_ical(_ics(cancelled))["METHOD"]) == "CANCEL"
    reused = other.page(path, status=410)
    assert reused.one("h1").text == "This appointment is cancelled"
    assert "was cancelled, so this link no longer works" in reused.main
    other.submit(path, {"csrf_token": kept, "slot": new_slot}, status=410)
    other.submit(cancel_url, {"csrf_token": kept}, status=410)
    # The freed slot can be booked again.
    book(journey, new_slot)


def test_an_unknown_appointment_link_is_a_404(client):
    client.page("/en/appointments/not-a-real-token", status=404)


# --- time zones: DST changes in Europe, a wrong time zone from the browser ---------------------

@pytest.mark.parametrize("moment, milan", [
    (utc(2026, 3, 27, 6, 0), "07:00"),   # Friday before the last Sunday of March: CET (UTC+1)
    (utc(2026, 3, 30, 6, 0), "08:00"),   # Monday after: CEST (UTC+2)
    (utc(2026, 10, 23, 6, 0), "08:00"),  # Friday before the last Sunday of October: CEST
    (utc(2026, 10, 26, 6, 0), "07:00"),  # Monday after: CET again
])
def test_appointment_times_follow_daylight_saving_in_europe(app, moment, milan):
    """14:00 Beijing is 07:00 in Milan in winter and 08:00 in summer."""
    from app.templating import format_slot
    with app.test_request_context("/en/"):
        from flask import g
        g.lang = "en"
        text = format_slot(moment, "Europe/Rome")
        beijing = format_slot(moment, "Asia/Shanghai")
    assert f" {milan} " in text
    assert ("UTC+2" in text) == (milan == "08:00")
    assert "14:00" in beijing and "Beijing time" in beijing


def test_email_and_page_times_across_the_october_change(staff_app, smtp_server):
    """Booked on Friday 23 October 2026 (CEST) for Monday 26 October (CET)."""
    collector = smtp(staff_app, smtp_server)
    with clock.clock_at(utc(2026, 10, 23, 8, 0)):  # 16:00 in Beijing, 10:00 in Milan
        journey = submitted_case(staff_app, entrust=True)
        monday = journey.client.page(f"{video_url(journey)}?day=2026-10-26")
        assert monday.one("form[method=post] legend").text == "Times on 26 Oct 2026"
        labels = slot_labels(monday)
        assert labels["20261026T0600"] == "07:00 (Italy Time, UTC+1) · 14:00 (Beijing time, UTC+8)"
        collector.messages.clear()
        book(journey, "20261026T0600")
        mail = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
        body = mail.get_body(("plain",)).get_content()
        assert "Monday, 26 October 2026 07:00" in body and "UTC+1" in body
        assert "14:00 (Beijing time, UTC+8)" in body
        # Friday's slots (still summer time) read 15:40 in Milan for 21:40 Beijing.
        friday = slot_labels(journey.client.page(f"{video_url(journey)}?day=2026-10-23"))
        assert friday["20261023T1340"].startswith("15:40 (Italy Time, UTC+2) · 21:40 (Beijing")
        # Far west, the Beijing afternoon is the night before: the local date is spelled out.
        west = slot_labels(journey.client.page(f"{video_url(journey)}?day=2026-10-26"
                                               "&tz=America/Los_Angeles"))
        assert west["20261026T0600"].startswith("Sunday, 25 October 2026 23:00 (")
        assert "UTC-7)" in west["20261026T0600"]


def test_a_wrong_time_zone_from_the_browser_is_flagged_and_can_be_changed(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    from app.models import Case, db
    with staff_app.app_context(), db.connection_context():
        # The browser said Shanghai although the applicant lives in Italy.
        Case.update(timezone="Asia/Shanghai").where(Case.reference == journey.reference).execute()
    page = journey.client.page(video_url(journey))
    assert page.one("p.notice.warn").text.startswith(
        "Your browser reported the time zone Asia/Shanghai, which is not in Italy.")
    assert page.one("#f-tz option[value='Europe/Rome']").get_text(strip=True) == \
        "Italy Time (Europe/Rome)"
    shown = journey.client.page(f"{video_url(journey)}?tz=Europe/Rome")
    assert shown.field("tz") == "Europe/Rome"
    assert all("(Italy Time, UTC+1)" in label for label in slot_labels(shown).values())
    bad = journey.client.page(f"{video_url(journey)}?tz=Mars/Olympus<b>", status=400)
    summary = bad.one(".error-summary")
    assert "We do not know the time zone “Mars/Olympus<b>”" in summary.get_text()
    assert summary.find("b") is None, "the zone typed is shown as text, not as markup"
    slot = free_slot(staff_app, journey.reference)
    refused = book(journey, slot, tz="Not/AZone", status=422)
    assert error_text(refused).startswith("We do not know the time zone “Not/AZone”")


# --- the clerk records the outcome; entrustments wait for it ---------------------------------

def test_an_entrustment_cannot_be_accepted_before_the_video_check(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, entrust=True)
    clerk = sign_in(staff_app, "clerk@test")
    refused = refuse(clerk, journey.reference, "accept")
    assert "only be accepted after a video check" in refused.one("#d-accept .error-summary").text
    assert case_of(staff_app, journey.reference).status == "submitted"

    day, slot = free_slots(staff_app, journey.reference)[0]
    book(journey, slot)
    # The queue lists the calls of a day; the slot may be on a later one.
    queue = clerk.page(f"/staff/queue?vday={day}")
    assert queue.one("#vday-h").text.startswith("Video checks on")
    assert journey.reference in queue.texts(".vday td a")
    page = clerk.page(f"/staff/cases/{journey.reference}")
    assert page.one("#d-video h3").text == "Record the video check"
    assert page.links("#video a[href^='https://meet.onevisit.example/']")

    # Identity not confirmed: still not acceptable, and the applicant may book again.
    slot_started(staff_app, journey.reference)
    decide(clerk, journey.reference, "video", identity="not_confirmed",
           participants=["applicant"])
    refuse(clerk, journey.reference, "accept")
    status = journey.client.page(video_url(journey))
    assert "could not confirm your identity" in status.one(".notice.warn").text

    # Confirmed, but the agent did not take part: an entrustment still waits.
    book(journey, free_slot(staff_app, journey.reference))
    slot_started(staff_app, journey.reference)
    decide(clerk, journey.reference, "video", identity="confirmed", participants=["applicant"])
    refuse(clerk, journey.reference, "accept")

    # Both confirmed: the agent's code is shown once and emailed to the applicant.
    book(journey, free_slot(staff_app, journey.reference))
    collector.messages.clear()
    slot_started(staff_app, journey.reference)
    decide(clerk, journey.reference, "video", identity="confirmed",
           participants=["applicant", "agent"], agent_confirmed="yes")
    shown = clerk.page(f"/staff/cases/{journey.reference}")
    flash = shown.one(".flash.code").text
    code = re.match(r"Agent's code for 林建国: ([0-9A-Z]{5}-[0-9A-Z]{5})\.", flash).group(1)
    mail = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    assert code in mail.get_body(("plain",)).get_content()
    again = clerk.page(f"/staff/cases/{journey.reference}")
    assert not again.select(".flash.code")
    assert code not in again.text
    decide(clerk, journey.reference, "accept")
    assert case_of(staff_app, journey.reference).status == "accepted"


def test_the_outcome_needs_a_verdict_and_the_applicant(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    clerk = sign_in(staff_app, "clerk@test")
    slot_started(staff_app, journey.reference)
    nothing = refuse(clerk, journey.reference, "video", identity="confirmed")
    assert "No video check is booked for this case." in nothing.one("#video .error-summary").text
    book(journey, free_slot(staff_app, journey.reference))
    slot_started(staff_app, journey.reference)
    missing = refuse(clerk, journey.reference, "video", participants=["applicant"])
    assert missing.one("#e-video-identity").text == (
        "Error: Say whether the video check confirmed the applicant's identity.")
    slot_started(staff_app, journey.reference)
    nobody = refuse(clerk, journey.reference, "video", identity="confirmed",
                    participants=["agent"], agent_confirmed="yes")
    assert nobody.one("#e-video-participants").text == (
        "Error: The applicant must take part for their identity to be confirmed.")
    # What was typed is kept: the verdict, who took part, the agent's box.
    assert nobody.field("identity") == "confirmed"
    assert nobody.field("participants") == ["agent"]
    assert nobody.one("#f-video-agent_confirmed").has_attr("checked")
    slot_started(staff_app, journey.reference)
    absent = refuse(clerk, journey.reference, "video", identity="confirmed",
                    participants=["applicant"], agent_confirmed="yes")
    assert absent.one("#e-video-agent_confirmed").text == (
        "Error: The agent can only be confirmed if they took part in the call.")
    from app.models import Appointment, db
    with staff_app.app_context(), db.connection_context():
        assert Appointment.select().where(Appointment.status == "held").count() == 0


def test_a_recording_is_kept_by_content_type_and_never_shown_to_the_applicant(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    clerk = sign_in(staff_app, "clerk@test")
    book(journey, free_slot(staff_app, journey.reference))
    outcome = {"identity": "confirmed", "participants": ["applicant", "agent"],
               "agent_confirmed": "yes"}
    slot_started(staff_app, journey.reference)
    fake = refuse(clerk, journey.reference, "video",
                  recording=(io.BytesIO(b"MZ\x90\x00 not a video at all"), "call.mp4"),
                  **outcome)
    assert "video or audio file" in fake.one("#e-video-recording").text
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * 2000
    slot_started(staff_app, journey.reference)
    decide(clerk, journey.reference, "video", recording=(io.BytesIO(webm), "call.webm"),
           **outcome)
    from app.models import Upload, db
    with staff_app.app_context(), db.connection_context():
        recording = Upload.get(Upload.material_key == "_recording")
        assert recording.content_type == "video/webm" and recording.size == len(webm)
    page = clerk.page(f"/staff/cases/{journey.reference}")
    kept = page.one(f"ul.files a[href$='/files/{recording.id}']")
    assert kept.find_parent("li").get_text(" ", strip=True).startswith(
        "Recording of the video check: call.webm")
    journey.client.page(f"/en/cases/{journey.reference}/files/{recording.id}", status=404)


# --- the agent's own access ---------------------------------------------------------------

def _agent_signs_in(app, reference, code, status=303):
    agent = app.test_client()
    page = agent.submit("/zh/agent", {"reference": reference, "code": code}, status=status)
    return agent, page


def test_the_agent_sees_status_and_pickup_code_but_never_the_uploads(staff_app):
    journey = submitted_case(staff_app, entrust=True, defer=False)
    code = confirm_video(staff_app, journey.reference)
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    clerk = sign_in(staff_app, "clerk@test")
    for action, data in (("accept", {}), ("approve", {}),
                         ("result", {"note": "驾驶证已制好 Licence printed"})):
        decide(clerk, journey.reference, action, **data)

    _agent_signs_in(staff_app, journey.reference, "AAAAA-AAAAA", status=422)
    agent, _page = _agent_signs_in(staff_app, journey.reference,
                                   code.lower().replace("-", " "))
    page = agent.page(f"/zh/agent/cases/{journey.reference}")
    pickup = case_of(staff_app, journey.reference).result["pickup_code"]
    assert re.fullmatch(r"\d{6}", pickup)
    assert page.one(".notice.ok p.big strong").text == pickup
    assert "驾驶证已制好 Licence printed" in page.texts(".notice.ok p")

    # The agent's browser opens none of the applicant's routes: uploads, documents, journey.
    from app.models import Upload, db
    with staff_app.app_context(), db.connection_context():
        upload_id = Upload.select().join_from(Upload, Upload.case.rel_model).where(
            Upload.case.rel_model.reference == journey.reference).first().id
    for url in (f"/zh/cases/{journey.reference}", f"/zh/cases/{journey.reference}/files/{upload_id}",
                f"/zh/cases/{journey.reference}/materials",
                f"/zh/cases/{journey.reference}/documents/form.pdf"):
        agent.page(url, status=404)
    # The agent code is not an access code.
    agent.submit("/zh/cases/find", {"reference": journey.reference, "code": code}, status=422)

    # Delivery to the agent needs the code the agent shows.
    refused = refuse(clerk, journey.reference, "deliver", method="agent_pickup",
                     pickup_code="000000" if pickup != "000000" else "111111")
    assert refused.one("#e-deliver-pickup_code").text == (
        "Error: Enter the pickup code the agent shows; this one does not match.")
    decide(clerk, journey.reference, "deliver", method="agent_pickup", pickup_code=pickup)
    assert case_of(staff_app, journey.reference).delivery["pickup_code"] == pickup


def test_the_agent_page_needs_the_code_even_in_the_applicants_browser(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    confirm_video(staff_app, journey.reference)
    journey.client.page(f"/en/agent/cases/{journey.reference}", status=404)


def test_an_applicant_changes_the_video_check_six_times_a_day_at_most(staff_app, smtp_server):
    """Each booking, move or cancellation emails the applicant and every clerk of the
    window: an applicant (or anyone with the case) may make six a day, then is told in
    their language; the window's own changes are not counted."""
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, lang="fr", entrust=True)
    slots = [free_slot(staff_app, journey.reference, index=n) for n in range(3)]
    book(journey, slots[0])
    for number in range(1, 6):
        book(journey, slots[number % 3])
    collector.messages.clear()
    refused = book(journey, slots[0], status=429)
    assert "modifiée de nombreuses fois aujourd'hui" in error_text(refused)
    assert collector.messages == [], "no email for a refused change"
    page = journey.client.page(f"{video_url(journey)}/cancel")
    journey.client.submit(f"{video_url(journey)}/cancel", {"csrf_token": page.csrf()})
    assert "modifiée de nombreuses fois" in " ".join(journey.client.page(video_url(journey))
                                                     .texts(".flash"))
    assert collector.messages == []


def test_an_outcome_is_recorded_from_the_slots_start_or_early_by_a_supervisor(staff_app):
    """Issue 15, part 4: an outcome saved at 18:52 for a 21:00 slot is refused; from the
    slot's start it is taken; a supervisor may record it early with a reason, audited."""
    from app.models import Appointment, AuditEvent, db
    journey = submitted_case(staff_app, entrust=True)
    book(journey, free_slot(staff_app, journey.reference))
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/cases/{journey.reference}")
    assert page.one("#video-early").text == "The outcome can be recorded from the slot's start."
    assert not page.select("[name=early_reason]"), "a clerk is offered no early record"
    outcome = {"identity": "confirmed", "participants": ["applicant", "agent"],
               "agent_confirmed": "yes"}
    refused = refuse(clerk, journey.reference, "video", **outcome)
    assert "Its outcome can be recorded from then on." in refused.one(
        "#d-video .error-summary").text
    assert "(Beijing time)" in refused.one("#d-video .error-summary").text
    assert refused.field("identity") == "confirmed", "what was chosen is kept"

    supervisor = sign_in(staff_app, "supervisor@test")
    page = supervisor.page(f"/staff/cases/{journey.reference}")
    assert page.select("[name=early_reason]")
    no_reason = refuse(supervisor, journey.reference, "video", **outcome)
    assert no_reason.field_error("early_reason").endswith(
        "Say why the outcome is recorded before the booked time.")
    decide(supervisor, journey.reference, "video", early_reason="The call was moved to 18:40 "
           "by phone with the applicant", **outcome)
    with staff_app.app_context(), db.connection_context():
        held = Appointment.get(Appointment.status == "held")
        assert held.outcome["early_reason"].startswith("The call was moved")
        trail = AuditEvent.get(AuditEvent.action == "video_recorded_early")
        assert trail.staff.email == "supervisor@test"
    assert "Recorded before the booked time by a supervisor" in clerk.page(
        f"/staff/cases/{journey.reference}").text

    # From the slot's start, a clerk records it.
    other = submitted_case(staff_app, entrust=True)
    book(other, free_slot(staff_app, other.reference))
    with staff_app.app_context(), db.connection_context():
        starts = Appointment.get(Appointment.status == "booked").starts_at
    with clock.clock_at(starts.replace(tzinfo=timezone.utc)):
        clerk = sign_in(staff_app, "clerk@test")
        decide(clerk, other.reference, "video", **outcome)


def test_the_status_page_shows_the_booked_time_in_beijing_too(staff_app):
    """Issue 15, part 10: the applicant's status page showed the call in local time only;
    the window works in Beijing time, and every other page shows both."""
    journey = submitted_case(staff_app, entrust=True)
    book(journey, free_slot(staff_app, journey.reference))
    page = journey.client.page(journey.base)
    assert "Italy" in page.one("#video").text
    assert "Beijing" in page.one("#video-beijing").text


def test_an_item_that_asks_for_a_video_check_needs_it_for_every_case(staff_app):
    """Issue 15, part 13: "Video identity check: required" held only for entrustments; an
    applicant acting alone was accepted with no check booked. The item's flag now holds
    for every case of it; an item without it is accepted without one."""
    from app.models import Item, ItemVersion, db
    journey = submitted_case(staff_app, entrust=False)
    clerk = sign_in(staff_app, "clerk@test")
    refused = refuse(clerk, journey.reference, "accept")
    assert "only after a video check has confirmed the applicant's identity" in refused.one(
        "#d-accept .error-summary").text
    assert case_of(staff_app, journey.reference).status == "submitted"
    assert "Video identity check" in journey.client.page(journey.base).one("#video").text
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")

    with staff_app.app_context(), db.connection_context():
        Item.update(video_check=False).where(Item.code == "JJ-JZ-001").execute()
        ItemVersion.keep(Item.get(Item.code == "JJ-JZ-001"))
    plain = submitted_case(staff_app, entrust=False)
    decide(clerk, plain.reference, "accept")
