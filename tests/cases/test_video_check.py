"""Video identity checks: slots, booking races, links, emails with .ics, outcomes, agents."""

import re
import threading
from datetime import datetime, timezone

import pytest

from tests.conftest import (case_of, confirm_video, csrf_token, sign_in, smtp, staff_post,
                            submitted_case)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def free_slot(app, reference, index=0):
    """The form value of the case's ``index``-th free slot (first day)."""
    from app.cases import appointments as appts
    from app.models import Case, db
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        days = appts.slot_days(appts.office_id_of(case))
        free = [s for s, ok in days[0].slots if ok]
        return appts.slot_value(free[index])


def book(journey, slot, tz=None):
    url = f"/{journey.lang}/cases/{journey.reference}/video-check"
    data = {"csrf_token": csrf_token(journey.client, url), "slot": slot}
    if tz:
        data["tz"] = tz
    return journey.client.post(url, data=data)


# --- slots inside the window's hours -------------------------------------------------

def test_slots_lie_inside_the_window_hours_on_working_days(app):
    from app.cases import appointments as appts
    from app.points.window import BEIJING
    with app.test_request_context():
        now = utc(2026, 9, 30, 0, 0)  # the National Day holiday starts on 1 October
        days = appts.slot_days(1, now=now)
    assert days, "some working days are bookable"
    for day in days:
        local = [s.astimezone(BEIJING) for s, _free in day.slots]
        assert all(14 <= t.hour < 22 for t in local)
        assert local[0].strftime("%H:%M") in {"14:00", "14:20", "14:40"} or day.day == days[0].day
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
    with app.test_request_context():
        with pytest.raises(appts.SlotError) as caught:
            appts.check_slot(moment, now=utc(2026, 11, 21, 0, 0))
    assert caught.value.reason == reason


def test_the_page_refuses_a_forged_slot_with_a_message_and_keeps_the_page(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    response = book(journey, "20261122T0700")  # a Sunday, 15:00 Beijing
    assert response.status_code in (409, 422)
    page = response.get_data(as_text=True)
    assert "outside the window" in page or "too soon" in page
    assert 'name="slot"' in page  # the list is shown again
    garbage = book(journey, "next tuesday")
    assert garbage.status_code == 422 and "Choose a time from the list" in garbage.get_data(as_text=True)


# --- booking, the race for the last slot ---------------------------------------------------

def test_two_applicants_racing_for_one_slot_get_one_winner(staff_app):
    first = submitted_case(staff_app, entrust=True)
    second = submitted_case(staff_app, entrust=True)
    slot = free_slot(staff_app, first.reference)
    barrier = threading.Barrier(2)
    results = {}

    def race(journey):
        url = f"/en/cases/{journey.reference}/video-check"
        token = csrf_token(journey.client, url)
        barrier.wait()
        results[journey.reference] = journey.client.post(url, data={"csrf_token": token,
                                                                     "slot": slot})

    threads = [threading.Thread(target=race, args=(j,)) for j in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [303, 409], codes
    loser = next(r for r in results.values() if r.status_code == 409)
    assert "Someone booked this time a moment ago" in loser.get_data(as_text=True)
    from app.models import Appointment, db
    with staff_app.app_context(), db.connection_context():
        assert Appointment.select().where(Appointment.status == "booked").count() == 1


def test_a_taken_slot_is_shown_as_taken(staff_app):
    first = submitted_case(staff_app, entrust=True)
    second = submitted_case(staff_app, entrust=True)
    slot = free_slot(staff_app, first.reference)
    assert book(first, slot).status_code == 303
    page = second.client.get(f"/en/cases/{second.reference}/video-check").get_data(as_text=True)
    assert re.search(rf'value="{slot}" disabled', page)
    again = book(second, slot)
    assert again.status_code == 409


def test_cases_without_a_video_check_have_no_booking_page(staff_app):
    from app.models import Item, db
    with staff_app.app_context(), db.connection_context():
        Item.update(video_check=False).where(Item.code == "JJ-JZ-001").execute()
    journey = submitted_case(staff_app, entrust=False)
    assert journey.client.get(f"/en/cases/{journey.reference}/video-check").status_code == 404


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
    assert book(journey, slot).status_code == 303
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
    path = link.split("127.0.0.1:8000", 1)[-1]
    other = journey.client.application.test_client()
    assert other.get(path).status_code == 200
    collector.messages.clear()
    new_slot = free_slot(staff_app, journey.reference, index=1)
    token = csrf_token(other, path)
    assert other.post(path, data={"csrf_token": token, "slot": new_slot}).status_code == 303
    moved = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    moved_event = Calendar.from_ical(_ics(moved)).walk("VEVENT")[0]
    assert str(moved_event["uid"]) == str(event["uid"])
    assert int(moved_event["sequence"]) == int(event["sequence"]) + 1

    # Cancelling through the link: a METHOD:CANCEL, and the link is dead afterwards.
    collector.messages.clear()
    cancel_url = path + "/cancel"
    kept = csrf_token(other, path)
    assert other.get(cancel_url).status_code == 200
    response = other.post(cancel_url, data={"csrf_token": csrf_token(other, cancel_url)})
    assert response.status_code == 200
    cancelled = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    assert str(Calendar.from_ical(_ics(cancelled))["METHOD"]) == "CANCEL"
    reused = other.get(path)
    assert reused.status_code == 410
    assert "cancelled" in reused.get_data(as_text=True)
    assert other.post(path, data={"csrf_token": kept, "slot": new_slot}).status_code == 410
    assert other.post(cancel_url, data={"csrf_token": kept}).status_code == 410
    # The freed slot can be booked again.
    assert book(journey, new_slot).status_code == 303


def test_an_unknown_appointment_link_is_a_404(client):
    assert client.get("/en/appointments/not-a-real-token").status_code == 404


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


def test_email_and_page_times_across_the_october_change(staff_app, smtp_server, monkeypatch):
    """Booked on Friday 23 October 2026 (CEST) for Monday 26 October (CET)."""
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, entrust=True)
    from app.points import window
    from app.cases import appointments as appts
    monkeypatch.setattr(window, "now_utc", lambda: utc(2026, 10, 23, 8, 0))
    monkeypatch.setattr(appts, "now_utc", lambda: utc(2026, 10, 23, 8, 0))
    page = journey.client.get(f"/en/cases/{journey.reference}/video-check?day=2026-10-26")
    html = page.get_data(as_text=True)
    assert "26 Oct 2026" in html and "07:00 (Italy Time, UTC+1)" in html
    assert "14:00 (Beijing time, UTC+8)" in html
    collector.messages.clear()
    assert book(journey, "20261026T0600").status_code == 303
    mail = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    body = mail.get_body(("plain",)).get_content()
    assert "Monday, 26 October 2026 07:00" in body and "UTC+1" in body
    assert "14:00 (Beijing time, UTC+8)" in body
    # Friday's slots (still summer time) read 08:00 in Milan for 14:00 Beijing.
    friday = journey.client.get(f"/en/cases/{journey.reference}/video-check?day=2026-10-23")
    assert "15:40 (Italy Time, UTC+2)" in friday.get_data(as_text=True)  # 21:40 in Beijing
    # Far west, the Beijing afternoon is the night before: the local date is spelled out.
    west = journey.client.get(f"/en/cases/{journey.reference}/video-check?day=2026-10-26"
                              "&tz=America/Los_Angeles").get_data(as_text=True)
    assert "Sunday, 25 October 2026 23:00" in west and "UTC-7" in west


def test_a_wrong_time_zone_from_the_browser_is_flagged_and_can_be_changed(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    from app.models import Case, db
    with staff_app.app_context(), db.connection_context():
        # The browser said Shanghai although the applicant lives in Italy.
        Case.update(timezone="Asia/Shanghai").where(Case.reference == journey.reference).execute()
    page = journey.client.get(f"/en/cases/{journey.reference}/video-check")
    html = page.get_data(as_text=True)
    assert "Your browser reported the time zone Asia/Shanghai, which is not in Italy" in html
    assert '<option value="Europe/Rome">' in html
    shown = journey.client.get(f"/en/cases/{journey.reference}/video-check?tz=Europe/Rome")
    assert "(Italy" in shown.get_data(as_text=True)
    bad = journey.client.get(f"/en/cases/{journey.reference}/video-check?tz=Mars/Olympus<b>")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "We do not know the time zone" in text and "<b>" not in text.split("<main", 1)[1].split(
        "We do not know", 1)[1][:80]
    slot = free_slot(staff_app, journey.reference)
    refused = book(journey, slot, tz="Not/AZone")
    assert refused.status_code == 422 and "We do not know the time zone" in refused.get_data(
        as_text=True)


# --- the clerk records the outcome; entrustments wait for it ---------------------------------

def test_an_entrustment_cannot_be_accepted_before_the_video_check(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, entrust=True)
    clerk = sign_in(staff_app, "clerk@test")
    refused = staff_post(clerk, journey.reference, "accept")
    assert refused.status_code == 409
    assert "only be accepted after a video check" in refused.get_data(as_text=True)

    assert book(journey, free_slot(staff_app, journey.reference)).status_code == 303
    queue = clerk.get("/staff/queue").get_data(as_text=True)
    # The queue lists the day's calls; the slot may be on a later day.
    assert "Video checks on" in queue
    page = clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    assert "Record the video check" in page and "meet.onevisit.example" in page

    # Identity not confirmed: still not acceptable, and the applicant may book again.
    assert staff_post(clerk, journey.reference, "video", identity="not_confirmed",
                      participants=["applicant"]).status_code == 303
    assert staff_post(clerk, journey.reference, "accept").status_code == 409
    status = journey.client.get(f"/en/cases/{journey.reference}/video-check").get_data(as_text=True)
    assert "could not confirm your identity" in status

    # Confirmed, but the agent did not take part: an entrustment still waits.
    assert book(journey, free_slot(staff_app, journey.reference)).status_code == 303
    assert staff_post(clerk, journey.reference, "video", identity="confirmed",
                      participants=["applicant"]).status_code == 303
    assert staff_post(clerk, journey.reference, "accept").status_code == 409

    # Both confirmed: the agent's code is shown once and emailed to the applicant.
    assert book(journey, free_slot(staff_app, journey.reference)).status_code == 303
    collector.messages.clear()
    recorded = staff_post(clerk, journey.reference, "video", identity="confirmed",
                          participants=["applicant", "agent"], agent_confirmed="yes")
    assert recorded.status_code == 303
    shown = clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    code = re.search(r"Agent&#39;s code for 林建国: ([0-9A-Z]{5}-[0-9A-Z]{5})", shown).group(1)
    mail = next(m for rcpts, m in collector.messages if "lin.mei@example.it" in rcpts)
    assert code in mail.get_body(("plain",)).get_content()
    assert code not in clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    assert staff_post(clerk, journey.reference, "accept").status_code == 303


def test_the_outcome_needs_a_verdict_and_the_applicant(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    clerk = sign_in(staff_app, "clerk@test")
    assert staff_post(clerk, journey.reference, "video",
                      identity="confirmed").status_code == 409  # nothing booked
    assert book(journey, free_slot(staff_app, journey.reference)).status_code == 303
    missing = staff_post(clerk, journey.reference, "video", participants=["applicant"])
    assert missing.status_code == 409 and "Say whether" in missing.get_data(as_text=True)
    nobody = staff_post(clerk, journey.reference, "video", identity="confirmed",
                        participants=["agent"], agent_confirmed="yes")
    assert nobody.status_code == 409 and "applicant must take part" in nobody.get_data(as_text=True)
    absent = staff_post(clerk, journey.reference, "video", identity="confirmed",
                        participants=["applicant"], agent_confirmed="yes")
    assert absent.status_code == 409


def test_a_recording_is_kept_by_content_type_and_never_shown_to_the_applicant(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    clerk = sign_in(staff_app, "clerk@test")
    assert book(journey, free_slot(staff_app, journey.reference)).status_code == 303
    import io
    page = clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fake = clerk.post(f"/staff/cases/{journey.reference}/decide/video", data={
        "csrf_token": token, "version": version, "identity": "confirmed",
        "participants": ["applicant", "agent"], "agent_confirmed": "yes",
        "recording": (io.BytesIO(b"MZ\x90\x00 not a video at all"), "call.mp4")},
        content_type="multipart/form-data")
    assert fake.status_code == 409 and "video or audio file" in fake.get_data(as_text=True)
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * 2000
    saved = clerk.post(f"/staff/cases/{journey.reference}/decide/video", data={
        "csrf_token": token, "version": version, "identity": "confirmed",
        "participants": ["applicant", "agent"], "agent_confirmed": "yes",
        "recording": (io.BytesIO(webm), "call.webm")}, content_type="multipart/form-data")
    assert saved.status_code == 303
    from app.models import Upload, db
    with staff_app.app_context(), db.connection_context():
        recording = Upload.get(Upload.material_key == "_recording")
        assert recording.content_type == "video/webm" and recording.size == len(webm)
    page = clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    assert "Recording of the video check" in page
    assert journey.client.get(
        f"/en/cases/{journey.reference}/files/{recording.id}").status_code == 404


# --- the agent's own access ---------------------------------------------------------------

def _agent_signs_in(app, reference, code):
    agent = app.test_client()
    url = "/zh/agent"
    response = agent.post(url, data={"csrf_token": csrf_token(agent, url),
                                     "reference": reference, "code": code})
    return agent, response


def test_the_agent_sees_status_and_pickup_code_but_never_the_uploads(staff_app):
    journey = submitted_case(staff_app, entrust=True, defer=False)
    code = confirm_video(staff_app, journey.reference)
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    clerk = sign_in(staff_app, "clerk@test")
    for action, data in (("accept", {}), ("approve", {}),
                         ("result", {"note": "驾驶证已制好 Licence printed"})):
        assert staff_post(clerk, journey.reference, action, **data).status_code == 303, action

    wrong, response = _agent_signs_in(staff_app, journey.reference, "AAAAA-AAAAA")
    assert response.status_code == 422
    agent, response = _agent_signs_in(staff_app, journey.reference, code.lower().replace("-", " "))
    assert response.status_code == 303
    page = agent.get(f"/zh/agent/cases/{journey.reference}").get_data(as_text=True)
    pickup = case_of(staff_app, journey.reference).result["pickup_code"]
    assert re.fullmatch(r"\d{6}", pickup) and pickup in page
    assert "驾驶证已制好" in page

    # The agent's browser opens none of the applicant's routes: uploads, documents, journey.
    from app.models import Upload, db
    with staff_app.app_context(), db.connection_context():
        upload_id = Upload.select().join_from(Upload, Upload.case.rel_model).where(
            Upload.case.rel_model.reference == journey.reference).first().id
    for url in (f"/zh/cases/{journey.reference}", f"/zh/cases/{journey.reference}/files/{upload_id}",
                f"/zh/cases/{journey.reference}/materials",
                f"/zh/cases/{journey.reference}/documents/form.pdf"):
        assert agent.get(url).status_code == 404, url
    # The agent code is not an access code.
    token = csrf_token(agent, "/zh/cases/find")
    found = agent.post("/zh/cases/find", data={"csrf_token": token, "reference": journey.reference,
                                               "code": code})
    assert found.status_code == 422

    # Delivery to the agent needs the code the agent shows.
    wrong_code = staff_post(clerk, journey.reference, "deliver", method="agent_pickup",
                            pickup_code="000000" if pickup != "000000" else "111111")
    assert wrong_code.status_code == 409
    assert staff_post(clerk, journey.reference, "deliver", method="agent_pickup",
                      pickup_code=pickup).status_code == 303
    assert case_of(staff_app, journey.reference).delivery["pickup_code"] == pickup


def test_the_agent_page_needs_the_code_even_in_the_applicants_browser(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    confirm_video(staff_app, journey.reference)
    assert journey.client.get(f"/en/agent/cases/{journey.reference}").status_code == 404
