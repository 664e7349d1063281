"""The shift's day sheet (issue 15, part 9): the day's video checks in both time zones, the
time limits due and passed, the deferred materials owed; only what the account may see."""

from datetime import date, datetime, timedelta

from app.models import Appointment, AuditEvent, Case, db
from tests.conftest import confirm_video, decide, sign_in, submitted_case, today
from tests.pages import Page

SHEET = "/staff/day-sheet"


def _text(page, css) -> str:
    """The text of the elements matching ``css``, spaces squashed."""
    return " ".join(page.texts(css))


def _update(app, reference, **values):
    """Set columns of a case directly (the test's own arrangement, not a decision)."""
    with app.app_context(), db.connection_context():
        Case.update(**values).where(Case.reference == reference).execute()


def _book_at(app, reference, starts_at: datetime):
    """Book the case's video check (its first free slot), then move it to ``starts_at``
    (naive UTC): the sheet reads stored times, whatever day the suite runs on."""
    from app.cases import appointments as appts
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        start = next(s for d in appts.slot_days(appts.office_id_of(case)) for s, free in d.slots
                     if free)
        appointment, _token = appts.book(case, start, case.timezone)
        Appointment.update(starts_at=starts_at, slot_key=None).where(
            Appointment.id == appointment.id).execute()


def _accepted(app, clerk):
    """A case accepted at the window, with the medical certificate deferred."""
    journey = submitted_case(app)
    confirm_video(app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.status == "accepted" and case.deferred == ["medical_certificate"]
    return journey.reference


def test_video_checks_in_both_time_zones_across_the_dst_change(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    ref = journey.reference
    # 14:00 in Beijing is 06:00 UTC: 07:00 in Rome on Friday 26 March 2027 (CET, UTC+1),
    # 08:00 on Monday 29 March, the day after Europe moved its clocks (CEST, UTC+2).
    clerk = sign_in(staff_app, "clerk@test")
    for day, local in (("2027-03-26", "07:00"), ("2027-03-29", "08:00")):
        with staff_app.app_context(), db.connection_context():
            Appointment.delete().where(Appointment.case == Case.get(
                Case.reference == ref)).execute()
        _book_at(staff_app, ref, datetime.fromisoformat(f"{day}T06:00"))
        page = clerk.page(f"{SHEET}?day={day}")
        row = page.first("#video tbody tr")
        assert row is not None, _text(page, "#video")
        cells = [c.get_text(" ", strip=True) for c in row.find_all("td")]
        assert cells[0].startswith("14:00") and "Beijing time" in cells[0] and "UTC+8" in cells[0]
        assert cells[1].startswith(local) and "Italy" in cells[1] and "Europe/Rome" in cells[1]
        assert ("UTC+2" if local == "08:00" else "UTC+1") in cells[1]
        assert ref in cells[2] and ("LIN Mei" in cells[2] or "林美" in cells[2])
        assert "The applicant" in cells[3] and "The entrusted agent" in cells[3]
        assert cells[4] == "Booked"
        assert cells[5].startswith("http"), cells[5]
        assert "1 video check" in _text(page, ".sheet-counts")
    # The day before shows none; a held check shows its outcome.
    assert "No video checks booked" in _text(clerk.page(f"{SHEET}?day=2027-03-28"), "#video")


def test_a_held_check_shows_its_outcome(staff_app):
    ref = submitted_case(staff_app).reference
    confirm_video(staff_app, ref, agent=False)
    with staff_app.app_context(), db.connection_context():
        held = Appointment.get(Appointment.status == "held")
        day = (held.starts_at + timedelta(hours=8)).date().isoformat()
    page = sign_in(staff_app, "clerk@test").page(f"{SHEET}?day={day}")
    cells = [c.get_text(" ", strip=True) for c in page.first("#video tbody tr").find_all("td")]
    assert cells[4] == "Held: identity confirmed" and cells[5] == "—"
    assert cells[3] == "The applicant"


def test_due_overdue_and_owed_materials(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    due, late = _accepted(staff_app, clerk), _accepted(staff_app, clerk)
    day = today()
    _update(staff_app, due, due_date=day, deferred_due=day)
    _update(staff_app, late, due_date=day - timedelta(days=3), deferred_due=day + timedelta(days=2))
    page = clerk.page(SHEET)  # today by default
    assert page.status == 200
    assert due in _text(page, "#due") and late not in _text(page, "#due")
    assert late in _text(page, "#overdue") and due not in _text(page, "#overdue")
    assert "Overdue" in _text(page, "#overdue")
    assert "clerk" in _text(page, "#due")  # accepting it, the clerk took the case
    owed = _text(page, "#owed")
    assert due in owed and late not in owed  # the late one owes its materials in two days
    assert "Medical certificate of fitness to drive" in owed
    assert "lin.mei@example.it" in owed and "+39 312 345 6789" in owed
    counts = _text(page, ".sheet-counts")
    assert "1 case due on this day" in counts and "1 case past its time limit" in counts
    assert "1 case owing materials" in counts
    # Seen two days later, both owe their materials; the first is overdue too.
    later = clerk.page(f"{SHEET}?day={(day + timedelta(days=2)).isoformat()}")
    assert due in _text(later, "#owed") and late in _text(later, "#owed")
    assert {due, late} <= set(_text(later, "#overdue").split())
    # Showing contact details is a view of personal data: on the case's audit trail.
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == due)
        assert AuditEvent.select().where((AuditEvent.case_id == case.id)
                                         & (AuditEvent.action == "day_sheet_view")).exists()
    # A case taken by a clerk says who.
    decide(clerk, due, "claim")
    assert "clerk" in _text(clerk.page(SHEET), "#due tbody")


def test_other_windows_and_counties_see_none_of_it(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    ref = _accepted(staff_app, clerk)
    day = today()
    _update(staff_app, ref, due_date=day, deferred_due=day)
    with staff_app.app_context(), db.connection_context():
        held = Appointment.get(Appointment.status == "held")
        video_day = (held.starts_at + timedelta(hours=8)).date().isoformat()
    for url in (SHEET, f"{SHEET}?day={video_day}"):
        assert ref in _text(clerk.page(url), "main")
        for email in ("county.clerk@test", "county.supervisor@test", "county.admin@test",
                      "other.clerk@test"):
            page = sign_in(staff_app, email).page(url)
            assert page.status == 200 and ref not in _text(page, "main"), (email, url)
    # The province's supervisor reads every county's sheet.
    assert ref in _text(sign_in(staff_app, "province@test").page(SHEET), "main")
    # An officer has no window: no video checks, and no case before it is passed to them.
    officer = sign_in(staff_app, "officer@test").page(SHEET)
    assert "this account belongs to none" in _text(officer, "#video")
    assert ref not in _text(officer, "main")


def test_volunteers_and_strangers_are_refused(staff_app):
    assert sign_in(staff_app, "volunteer@test").get(SHEET).status_code == 403
    assert staff_app.test_client().get(SHEET).status_code in (302, 303, 401, 403)


def test_bad_days_are_refused_with_a_message(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    for typed, says in (("garbage", "is not a date"), ("2027-02-30", "is not a date"),
                        ("0001-01-01", "Choose a day between"),
                        ("9999-12-31", "Choose a day between"), ("2027-3-1", "is not a date")):
        page = Page(clerk.get(f"{SHEET}?day={typed}"))
        assert page.status == 400, typed
        assert says in _text(page, "#day-error"), typed
        assert page.first("input#day")["value"] == typed  # what was typed is kept
    # In the staff member's language.
    clerk.post("/staff/language", data={"csrf_token": clerk.page("/staff/sessions").csrf(),
                                        "lang": "it", "next": "/staff/sessions"})
    page = Page(clerk.get(f"{SHEET}?day=garbage"))
    assert page.status == 400 and "is not a date" not in _text(page, "#day-error")
    # The queue's ?vday= falls back to today, as before, even far off.
    assert clerk.get("/staff/queue?vday=0001-01-01").status_code == 200


def test_previous_and_next_day_links(staff_app):
    page = sign_in(staff_app, "clerk@test").page(f"{SHEET}?day=2027-03-01")
    assert page.first('a[rel="prev"]')["href"].endswith("day=2027-02-28")
    assert page.first('a[rel="next"]')["href"].endswith("day=2027-03-02")
    assert "Monday" in _text(page, "h1")
    assert date(2027, 3, 1).weekday() == 0
