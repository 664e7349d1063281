"""The questions queue: tabs as links, due times with their zone, keyset pages."""

from datetime import timedelta

from app import clock
from app.models import Question, Staff, db
from tests.conftest import sign_in

from .conftest import ask


def test_tabs_due_time_and_overdue(staff_app):
    late = ask(staff_app, text="Domanda vecchia")
    with clock.clock_at(clock.utcnow() + timedelta(days=3)):
        fresh = ask(staff_app, text="Domanda nuova")
        clerk = sign_in(staff_app, "clerk@test")
        page = clerk.page("/staff/questions")
        rows = page.select("#questions-table tbody tr")
        assert [r.a.get_text() for r in rows] == [late, fresh]  # due first
        assert "overdue" in rows[0]["class"] and "Overdue" in rows[0].get_text()
        assert "(Beijing time)" in rows[1].get_text()
        assert rows[0].find("time")["datetime"].endswith("Z")
        assert "Waiting for us (2)" in page.main and "Overdue (1)" in page.main
        overdue = clerk.page("/staff/questions?tab=overdue")
        assert overdue.texts("#questions-table tbody tr td:first-child a") == [late]
        with staff_app.app_context(), db.connection_context():
            me = Staff.get(Staff.email == "clerk@test")
            from app.questions import service
            service.assign(Question.get(Question.reference == fresh), me, me)
            service.close(Question.get(Question.reference == late), me)
        assert clerk.page("/staff/questions?tab=mine").texts(
            "#questions-table tbody td:first-child a") == [fresh]
        assert clerk.page("/staff/questions?tab=nobody").texts(
            "#questions-table tbody td:first-child a") == []
        assert clerk.page("/staff/questions?tab=closed").texts(
            "#questions-table tbody td:first-child a") == [late]
        # Unknown tab and place: the defaults, not an error.
        assert clerk.page("/staff/questions?tab=nope&place=x9&after=garbage").status == 200


def test_a_window_or_department_at_a_time(staff_app):
    from app.models import Office
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    with staff_app.app_context(), db.connection_context():
        centre = Office.get(Office.key == "overseas-centre").id
        police = Office.get(Office.key == "police-global-window").id
    assert reference in clerk.page(f"/staff/questions?place=o{centre}").main
    assert reference not in clerk.page(f"/staff/questions?place=o{police}").main


def test_keyset_pages_walk_every_question_once(staff_app):
    from app.questions.queue import PAGE_SIZE
    made = [ask(staff_app, text=f"Domanda {n}", email=None) for n in range(PAGE_SIZE + 7)]
    clerk = sign_in(staff_app, "clerk@test")
    seen, url = [], "/staff/questions"
    for _ in range(5):
        page = clerk.page(url)
        seen += page.texts("#questions-table tbody td:first-child a")
        nxt = page.first("a[rel=next]")
        if nxt is None:
            break
        url = nxt["href"]
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))


def test_queue_fragment_for_htmx(staff_app):
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    response = clerk.get("/staff/questions?tab=waiting", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert reference in html and "<html" not in html


def test_queue_reads_a_page_in_a_fixed_number_of_queries(staff_app):
    """No query per row: the page reads names, first lines and holders once each."""
    from app.questions import queue as queues
    for n in range(12):
        ask(staff_app, text=f"Domanda {n}", item=None)
    with staff_app.test_request_context(), db.connection_context():
        staff = Staff.get(Staff.email == "clerk@test")
        choices = queues.places(staff)
        filters = queues.parse_filters({}, choices)
        rows, _cursor, _counts = queues.queue(staff, filters, choices)
        queries = []
        engine = db.obj
        original = engine.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            queries.append(sql)
            return original(sql, params, *args, **kwargs)

        engine.execute_sql = counting
        try:
            queues.first_lines(rows)
            queues.names(rows)
        finally:
            del engine.execute_sql
        assert len(rows) == 12 and len(queries) == 5
