"""The window's question figures on a small hand-made set with known answers (issue 17,
point 7): questions per week, median time to a first answer, share answered in time,
suggestions that resolved a question. Runs on SQLite and on PostgreSQL."""

import secrets
from datetime import date, datetime, timedelta

from app.models import (Jurisdiction, Office, Question, SuggestionShown, db)
from app.questions.figures import county_figures, window_figures
from tests.conftest import sign_in

#: Two ISO weeks at the window: Monday 2026-11-09 and Monday 2026-11-16 (Beijing).
WEEK1, WEEK2 = date(2026, 11, 9), date(2026, 11, 16)


def utc(day: date, hour: int) -> datetime:
    """``hour`` o'clock at the window on ``day``, as naive UTC."""
    return datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)


def make(office, county, created, answered_after=None, in_time=None):
    """A question made directly (figures read rows; the service is tested elsewhere)."""
    return Question.create(
        reference=f"QA-{secrets.token_hex(6)}", jurisdiction=county, office=office,
        locale="it", access_token_hash=secrets.token_hex(32),
        access_token_expires=created + timedelta(days=90), access_code_hash="x",
        start_key=secrets.token_hex(16), created_at=created, updated_at=created,
        first_answered_at=created + timedelta(hours=answered_after)
        if answered_after is not None else None,
        answered_in_time=in_time, status="answered" if answered_after is not None else "waiting")


def setup_set(app):
    wencheng = Jurisdiction.local_by_key("wencheng")
    qingtian = Jurisdiction.local_by_key("qingtian")
    office = Office.get(Office.key == "police-global-window")
    other = Office.get(Office.key == "qingtian-police-window")
    # Week 1: three questions, answered after 2, 10 and 30 hours (the last one late).
    make(office, wencheng, utc(WEEK1, 9), 2, True)
    make(office, wencheng, utc(WEEK1 + timedelta(days=2), 15), 10, True)
    make(office, wencheng, utc(WEEK1 + timedelta(days=6), 23), 30, False)
    # Week 2: four questions, three answered (4, 8 h in time; 50 h late), one waiting.
    # Sunday 23:00 of week 1 at the window is still week 1 (Monday 00:00 starts week 2).
    make(office, wencheng, utc(WEEK2, 0), 4, True)
    make(office, wencheng, utc(WEEK2, 10), 8, True)
    make(office, wencheng, utc(WEEK2 + timedelta(days=1), 10), 50, False)
    make(office, wencheng, utc(WEEK2 + timedelta(days=1), 11))
    # Outside the range, and another county's window: not counted.
    make(office, wencheng, utc(WEEK1 - timedelta(days=1), 12), 1, True)
    make(other, qingtian, utc(WEEK1, 12), 1, True)
    # Suggestions in week 2: four shown to Wencheng askers, two opened; of those, one
    # sent the question anyway, one resolved; Qingtian's is not counted.
    sent = Question.select().where(Question.office == office).first()
    moment = utc(WEEK2, 11)
    for opened, question, county in ((True, None, wencheng), (True, sent, wencheng),
                                     (False, None, wencheng), (False, None, wencheng),
                                     (True, None, qingtian)):
        SuggestionShown.create(key=secrets.token_hex(8), jurisdiction=county, locale="it",
                               opened_at=moment + timedelta(minutes=1) if opened else None,
                               question=question, created_at=moment)
    # Opened a minute ago: too early to say it resolved anything.
    from app.clock import utcnow
    SuggestionShown.create(key=secrets.token_hex(8), jurisdiction=wencheng, locale="it",
                           opened_at=utcnow(), created_at=utcnow() - timedelta(minutes=2))
    return office


def test_figures_on_a_known_set(staff_app):
    app = staff_app
    with app.app_context(), db.connection_context():
        office = setup_set(app)
        figures = window_figures([office.id], WEEK1, WEEK2 + timedelta(days=7))
    one, two = figures["weeks"]
    assert (one["week"], one["start"], two["week"]) == ("2026-W46", WEEK1, "2026-W47")
    assert (one["asked"], one["answered"], one["answered_in_time"]) == (3, 3, 2)
    assert one["median_hours"] == 10.0
    assert abs(one["share_in_time"] - 2 / 3) < 1e-9
    assert (two["asked"], two["answered"], two["answered_in_time"]) == (4, 3, 2)
    assert abs(two["median_hours"] - 8.0) < 1e-6
    # Five shown (the one opened a minute ago too), three opened, one resolved.
    assert (two["suggestions_shown"], two["suggestions_opened"],
            two["suggestions_resolved"]) == (5, 3, 1)
    totals = figures["totals"]
    assert (totals["asked"], totals["answered"], totals["answered_in_time"]) == (7, 6, 4)
    # Six answered: 2, 4, 8, 10, 30, 50 hours: the median is (8 + 10) / 2.
    assert abs(totals["median_hours"] - 9.0) < 1e-6
    assert totals["suggestions_resolved"] == 1


def test_county_figures_and_empty_windows(staff_app):
    app = staff_app
    with app.app_context(), db.connection_context():
        setup_set(app)
        wencheng = Jurisdiction.local_by_key("wencheng")
        figures = county_figures([wencheng.id], WEEK1, WEEK2 + timedelta(days=7))
        assert figures["totals"]["asked"] == 7
        empty = window_figures([], WEEK1, WEEK2 + timedelta(days=7))
        assert empty["weeks"] == [] and empty["totals"]["asked"] == 0
        none = window_figures([Office.get(Office.key == "overseas-centre").id], WEEK1,
                              WEEK2 + timedelta(days=7))
        assert [w["asked"] for w in none["weeks"]] == [0, 0]
        assert none["totals"]["median_hours"] is None
        assert none["totals"]["share_in_time"] is None


def test_figures_page(staff_app):
    app = staff_app
    with app.app_context(), db.connection_context():
        office = setup_set(app)
    supervisor = sign_in(app, "supervisor@test")
    page = supervisor.page(f"/staff/questions/figures?office={office.id}&weeks=4")
    rows = page.select("#figures tbody tr")
    assert len(rows) == 4
    # The suite's clock is in week 47 (2026-11-17): newest first.
    assert "16 Nov 2026" in rows[0].text and "9 Nov 2026" in rows[1].text
    cells = [c.get_text(strip=True) for c in rows[0].select("td")]
    assert cells[:4] == ["4", "3", "8 h", "67%"]
    total = [c.get_text(strip=True) for c in page.select("#figures tfoot td")]
    # Four weeks hold the Sunday before week 46 too: 1, 2, 4, 8, 10, 30, 50 hours.
    assert total[:4] == ["8", "7", "8 h", "71%"]
    # A bad choice falls back to the defaults (12 weeks, all the account's windows).
    page = supervisor.page("/staff/questions/figures?office=abc&weeks=7")
    assert len(page.select("#figures tbody tr")) == 12
    # The province reads it; clerks, officers and volunteers do not.
    sign_in(app, "province@test").page("/staff/questions/figures")
    for email in ("clerk@test", "officer@test", "volunteer@test"):
        assert sign_in(app, email).get("/staff/questions/figures").status_code == 403
    # Another county's supervisor sees only their own windows.
    county = sign_in(app, "county.supervisor@test").page(
        f"/staff/questions/figures?office={office.id}&weeks=4")
    assert "police-global" not in county.html
    # (Qingtian's own one question, not Wencheng's eight.)
    assert [c.get_text(strip=True) for c in county.select("#figures tfoot td")][0] == "1"


def test_the_figures_count_exactly_what_each_account_may_open(staff_app):
    """The page's figures are of the questions the account may open (Question.visible_to),
    role by role: a clerk's county-wide windows, a department's questions for an admin, a
    question passed to another county gone from the first one's figures."""
    from werkzeug.datastructures import MultiDict

    from app.models import Department, Staff
    from app.questions import service
    from app.questions.figures import parse_choice, staff_figures
    from tests.conftest import make_staff
    make_staff(staff_app, "admin@test", "admin")  # Wencheng's admin
    with staff_app.app_context(), db.connection_context():
        wencheng = Jurisdiction.local_by_key("wencheng")
        qingtian = Jurisdiction.local_by_key("qingtian")
        clerk = Staff.get(Staff.email == "clerk@test")

        def asked(county):
            return service.ask(county=county, locale="it", text="Una domanda?",
                               start_key=secrets.token_hex(8))[0]

        asked(wencheng)
        asked(qingtian)
        service.transfer(asked(wencheng), clerk,
                         office=Office.get(Office.key == "police-global-window"))
        service.transfer(asked(wencheng), clerk,
                         department=Department.get(Department.key == "traffic-vehicle-office"))
        service.transfer(asked(wencheng), clerk,
                         department=Department.get(Department.key == "qingtian-traffic"))
        # Held by a Wencheng department with no window (as a county without one would be).
        held = asked(wencheng)
        service.transfer(held, clerk, department=Department.get(Department.key == "notary-office"))
        Question.update(office=None).where(Question.id == held.id).execute()
        for email in ("clerk@test", "other.clerk@test", "supervisor@test", "admin@test",
                      "officer@test", "province@test", "county.clerk@test",
                      "county.supervisor@test", "county.admin@test"):
            staff = Staff.get(Staff.email == email)
            figures = staff_figures(staff, parse_choice(MultiDict(), staff))
            visible = Question.select().where(Question.visible_to(staff)).count()
            assert figures["totals"]["asked"] == visible, email
        # One window chosen: its questions among those.
        supervisor = Staff.get(Staff.email == "supervisor@test")
        office = Office.get(Office.key == "police-global-window")
        choice = parse_choice(MultiDict({"office": str(office.id)}), supervisor)
        mine = Question.select().where(Question.visible_to(supervisor)
                                       & (Question.office == office.id)).count()
        assert staff_figures(supervisor, choice)["totals"]["asked"] == mine >= 1


def test_month_figures_for_the_public_statistics(staff_app):
    """Per month at the window (Beijing), one county or all; small groups not shown."""
    from app.questions.figures import month_figures
    app = staff_app
    with app.app_context(), db.connection_context():
        setup_set(app)
        wencheng = Jurisdiction.local_by_key("wencheng")
        # 2026-10-31 23:00 Beijing (15:00 UTC): October at the window, though not in UTC+0's
        # November. Answered after 3 h.
        make(Office.get(Office.key == "police-global-window"), wencheng,
             datetime(2026, 10, 31, 15), 3, True)
        county = month_figures([wencheng.id], date(2026, 10, 1), date(2026, 12, 1))
        every = month_figures(None, date(2026, 10, 1), date(2026, 12, 1))
        small = month_figures([wencheng.id], date(2026, 10, 1), date(2026, 12, 1), smallest=5)
    october, november = county["months"]
    assert (october["month"], october["asked"], october["median_hours"]) == (202610, 1, 3.0)
    # November: week 1's 3, week 2's 4 and the one the day before week 1 (1 h).
    assert (november["asked"], november["answered"], november["answered_in_time"]) == (8, 7, 5)
    # Answered after 1, 2, 4, 8, 10, 30, 50 hours: the median is 8.
    assert november["median_hours"] == 8.0
    assert abs(november["share_in_time"] - 5 / 7) < 1e-9
    assert county["totals"]["asked"] == 9
    # Eight answered: 1, 2, 3, 4, 8, 10, 30, 50: (4 + 8) / 2.
    assert county["totals"]["median_hours"] == 6.0
    assert every["totals"]["asked"] == 10  # Qingtian's too
    # Fewer than five: not shown, nor the shares and medians of fewer than five answers.
    assert not small["months"][0]["shown"] and small["months"][0]["median_hours"] is None
    assert small["months"][1]["shown"] and small["months"][1]["median_hours"] == 8.0
    # The totals are of the months shown: October's one question is not in them.
    assert small["totals"]["asked"] == 8 and small["totals"]["median_hours"] == 8.0
    assert abs(small["totals"]["share_in_time"] - 5 / 7) < 1e-9
