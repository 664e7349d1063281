"""Who sees which question: one condition (Question.visible_to), one guard (staff_question)."""

from app.models import Department, Office, Staff, db
from tests.conftest import make_point, make_staff, sign_in

from .conftest import ask, question_of


def _transfer(app, reference, **target):
    from app.questions import service
    with app.app_context(), db.connection_context():
        question = question_of(app, reference)
        clerk = Staff.get(Staff.email == "clerk@test")
        place = {}
        if "department" in target:
            place["department"] = Department.get(Department.key == target["department"])
        if "office" in target:
            place["office"] = Office.get(Office.key == target["office"])
        service.transfer(question, clerk, why="theirs", **place)


def test_county_staff_see_their_county_others_get_404(staff_app):
    reference = ask(staff_app)
    url = f"/staff/questions/{reference}"
    for email in ("clerk@test", "supervisor@test", "other.clerk@test", "province@test"):
        assert sign_in(staff_app, email).get(url).status_code == 200, email
    for email in ("county.clerk@test", "county.supervisor@test", "county.admin@test",
                  "officer@test", "other.officer@test"):
        client = sign_in(staff_app, email)
        assert client.get(url).status_code == 404, email
        assert reference not in client.page("/staff/questions").main, email
    # An unknown reference says nothing either.
    assert sign_in(staff_app, "clerk@test").get("/staff/questions/QA-0000-0000-00").status_code == 404


def test_officer_sees_only_what_was_passed_to_the_department(staff_app):
    reference = ask(staff_app)
    _transfer(staff_app, reference, department="traffic-vehicle-office")
    officer = sign_in(staff_app, "officer@test")
    assert officer.get(f"/staff/questions/{reference}").status_code == 200
    assert reference in officer.page("/staff/questions").main
    assert sign_in(staff_app, "other.officer@test").get(
        f"/staff/questions/{reference}").status_code == 404
    # Still the county's window's: its clerks keep it in sight.
    assert sign_in(staff_app, "clerk@test").get(f"/staff/questions/{reference}").status_code == 200


def test_passed_to_another_county_leaves_the_first_county(staff_app):
    reference = ask(staff_app)
    _transfer(staff_app, reference, office="qingtian-police-window")
    assert sign_in(staff_app, "clerk@test").get(f"/staff/questions/{reference}").status_code == 404
    assert sign_in(staff_app, "county.clerk@test").get(
        f"/staff/questions/{reference}").status_code == 200
    assert sign_in(staff_app, "province@test").get(
        f"/staff/questions/{reference}").status_code == 200


def test_volunteer_sees_only_their_points_questions(staff_app):
    from app.models import ServicePoint
    milan = make_point(staff_app, "milan", "Milano")
    paris = make_point(staff_app, "paris", "Paris", tz="Europe/Paris", country="FR")
    make_staff(staff_app, "volunteer.paris@test", "volunteer", service_point="paris")
    with staff_app.app_context(), db.connection_context():
        logged = ask(staff_app, channel="desk", service_point=ServicePoint.get_by_id(milan),
                     logged_by=Staff.get(Staff.email == "volunteer@test"))
        other = ask(staff_app, channel="phone", service_point=ServicePoint.get_by_id(paris))
    online = ask(staff_app)
    volunteer = sign_in(staff_app, "volunteer@test")
    assert volunteer.get(f"/staff/desk/questions/{logged}").status_code == 200
    for reference in (other, online):
        assert volunteer.get(f"/staff/desk/questions/{reference}").status_code == 404
    listed = volunteer.page("/staff/desk/questions").main
    assert logged in listed and other not in listed and online not in listed
    # The window's pages are not the desk's.
    assert volunteer.get(f"/staff/questions/{logged}").status_code == 403
    assert volunteer.get("/staff/questions").status_code == 403
    assert sign_in(staff_app, "clerk@test").get(f"/staff/desk/questions/{logged}").status_code == 403


def test_read_only_account_reads_and_changes_nothing(staff_app):
    reference = ask(staff_app)
    province = sign_in(staff_app, "province@test")
    page = province.page(f"/staff/questions/{reference}")
    assert not page.select("form.decision[method=post]")
    assert province.post(f"/staff/questions/{reference}/close", data={
        "csrf_token": page.csrf()}).status_code == 403
    assert question_of(staff_app, reference).status == "waiting"
