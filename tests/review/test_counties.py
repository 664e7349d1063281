"""Staff work within their county: a case goes to the window of the county whose item it
is, that county's staff see it, another county's get 404 on every route of it, and the
province's supervisor reads every county's cases and changes nothing."""

import pytest

from app.models import Case, Office, Staff, db

from ..conftest import (confirm_video, case_of, copy_item, jpeg_bytes, make_point, make_staff, sign_in,
                        staff_post, submitted_case)
from ..pages import Page

#: Qingtian's own driving-licence renewal (a copy of Wencheng's, at Qingtian's traffic police).
QT_ITEM = "QT-TEST-001"


@pytest.fixture
def counties(staff_app):
    copy_item(staff_app, "JJ-JZ-001", QT_ITEM, "qingtian-traffic")
    return staff_app


def case_routes(reference, upload_id):
    """The staff URLs of one case that any reader of the case may GET."""
    base = f"/staff/cases/{reference}"
    return [base, f"{base}/files/{upload_id}", f"{base}/documents/receipt.pdf"]


def first_upload(app, reference):
    from app.models import Upload
    with app.app_context(), db.connection_context():
        return Upload.select().join(Case).where(Case.reference == reference).first().id


def decide_blind(client, reference, action, **data):
    """POST a decision on a case the client cannot open (the token from its own queue)."""
    token = Page(client.get("/staff/queue")).csrf()
    return client.post(f"/staff/cases/{reference}/decide/{action}",
                       data={"csrf_token": token, "version": "1", **data})


def listed(client, reference) -> bool:
    page = Page(client.get("/staff/queue?status=all"))
    assert page.status == 200
    return reference in page.texts("#queue-table tbody tr td:first-child a")


def test_each_county_sees_its_own_cases_and_nobody_elses(counties):
    app = counties
    wencheng = submitted_case(app).reference
    qingtian = submitted_case(app, code=QT_ITEM).reference
    assert case_of(app, qingtian).office.key == "qingtian-police-window"
    assert case_of(app, wencheng).office.key == "police-global-window"

    county_clerk = sign_in(app, "county.clerk@test")
    clerk = sign_in(app, "clerk@test")
    for client, own, other in ((county_clerk, qingtian, wencheng), (clerk, wencheng, qingtian)):
        assert listed(client, own) and not listed(client, other)
        for url in case_routes(own, first_upload(app, own)):
            assert client.get(url).status_code == 200, url
        for url in case_routes(other, first_upload(app, other)):
            assert client.get(url).status_code == 404, url
        assert decide_blind(client, other, "claim").status_code == 404
    assert case_of(app, wencheng).assigned_to is None
    assert case_of(app, qingtian).assigned_to is None

    # A county's admin: every window of the county, no other county.
    admin = sign_in(app, "county.admin@test")
    assert listed(admin, qingtian) and not listed(admin, wencheng)
    assert admin.get(f"/staff/cases/{qingtian}").status_code == 200
    assert admin.get(f"/staff/cases/{wencheng}").status_code == 404
    assert admin.get(f"/staff/cases/{wencheng}/audit").status_code == 404


def test_the_province_reads_every_county_and_changes_nothing(counties):
    app = counties
    cases = [submitted_case(app).reference, submitted_case(app, code=QT_ITEM).reference]
    province = sign_in(app, "province@test")
    for reference in cases:
        assert listed(province, reference)
        page = Page(province.get(f"/staff/cases/{reference}"))
        assert page.status == 200
        assert not page.select("form[action*='/decide/']"), "no decision is offered"
        assert province.get(f"/staff/cases/{reference}/audit").status_code == 200
        before = case_of(app, reference).version
        assert staff_post(province, reference, "claim").status_code == 403
        assert staff_post(province, reference, "note", body="looked at it").status_code == 403
        assert case_of(app, reference).version == before
    # It reads the documents already made, and makes none.
    from app.models import IssuedDocument
    reference = cases[0]
    url = f"/staff/cases/{reference}/documents/form.pdf"
    assert province.get(url).status_code == 404
    assert sign_in(app, "clerk@test").get(url).status_code == 200
    with app.app_context(), db.connection_context():
        made = IssuedDocument.select().count()
    assert province.get(url).status_code == 200
    with app.app_context(), db.connection_context():
        assert IssuedDocument.select().count() == made
    accounts = Page(province.get("/staff/accounts"))
    assert not accounts.select("form[action*='/disable']"), "no buttons it may not use"
    shown = " ".join(accounts.texts("main"))
    assert "clerk@test" in shown and "county.clerk@test" in shown
    with app.app_context(), db.connection_context():
        target = Staff.get(Staff.email == "clerk@test").id
    token = accounts.csrf()
    response = province.post(f"/staff/accounts/{target}/disable", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context(), db.connection_context():
        assert Staff.get_by_id(target).active


def test_accounts_and_service_points_are_managed_within_the_county(counties):
    app = counties
    make_point(app, "milan", "Milano", serves=("wencheng", "qingtian"))
    make_point(app, "paris", "Paris", tz="Europe/Paris", country="FR")  # Wencheng only
    with app.app_context(), db.connection_context():
        from app.models import ServicePoint
        # Qingtian's Qiaohaitong centre looks after Milan; Paris serves Qingtian too, but
        # Wencheng's window looks after it: it is Wencheng's admins' to change.
        qiaohaitong = Office.get(Office.key == "qingtian-qiaohaitong").id
        ServicePoint.update(office=qiaohaitong).where(ServicePoint.key == "milan").execute()
        ServicePoint.update(office=Office.get(Office.key == "overseas-centre").id).where(
            ServicePoint.key == "paris").execute()
    make_point(app, "paris", "Paris", serves=("wencheng", "qingtian"))
    admin = sign_in(app, "county.admin@test")
    shown = " ".join(Page(admin.get("/staff/accounts")).texts("main"))
    assert "county.clerk@test" in shown and "county.supervisor@test" in shown
    others = shown.replace("county.clerk@test", "").replace("county.supervisor@test", "")
    assert "clerk@test" not in others and "supervisor@test" not in others
    with app.app_context(), db.connection_context():
        wencheng_clerk = Staff.get(Staff.email == "clerk@test").id
        points = {p.key: p.id for p in __import__("app.models", fromlist=["ServicePoint"])
                  .ServicePoint.select()}
    page = Page(admin.get("/staff/accounts"))
    response = admin.post(f"/staff/accounts/{wencheng_clerk}/disable",
                          data={"csrf_token": page.csrf()})
    assert response.status_code == 404
    listed_points = " ".join(Page(admin.get("/staff/admin/service-points")).texts("main"))
    assert "Milano" in listed_points and "Paris" not in listed_points
    assert admin.get(f"/staff/admin/service-points/{points['milan']}").status_code == 200
    assert admin.get(f"/staff/admin/service-points/{points['paris']}").status_code == 404
    # Its own point can go only to its own windows.
    page = Page(admin.get(f"/staff/admin/service-points/{points['milan']}"))
    offices = {o.get_text() for o in page.select("select[name=office] option") if o["value"]}
    assert offices and all("Qingtian" in name or "Qiaohaitong" in name for name in offices)


def test_a_point_serving_two_counties_starts_cases_for_both(counties):
    """A Milan volunteer starts cases for Wencheng and for Qingtian; each goes to its
    county's window."""
    app = counties
    make_point(app, "milan", "Milano", serves=("wencheng", "qingtian"))
    make_staff(app, "vol.milan@test", "volunteer", service_point="milan")
    volunteer = sign_in(app, "vol.milan@test")
    desk = Page(volunteer.get("/staff/point/"))
    options = {o["value"]: o.get_text() for o in desk.select("select[name=item] option")
               if o["value"]}
    assert "JJ-JZ-001" in options and QT_ITEM in options
    assert options["JJ-JZ-001"].startswith("Wencheng County")
    assert options[QT_ITEM].startswith("Qingtian County")
    assert not any(code.startswith("LD-") for code in options), "Liandu is not served"

    from ..conftest import Journey, fill_driving_licence
    offices = {}
    for code in ("JJ-JZ-001", QT_ITEM):
        started = volunteer.post("/staff/point/start", data={
            "csrf_token": Page(volunteer.get("/staff/point/")).csrf(), "item": code,
            "language": "en", "email": "walk.in@example.it", "consent": "yes"})
        assert started.status_code == 303, started.get_data(as_text=True)[-400:]
        journey = Journey(volunteer, lang="en", code=code)
        journey.reference = started.headers["Location"].split("/cases/", 1)[1].split("/")[0]
        fill_driving_licence(journey)
        for key in ("passport_page", "driving_licence", "id_photo"):
            assert journey.upload(key, jpeg_bytes()).status == 303
        assert journey.defer("medical_certificate").status == 303
        assert journey.submit().status == 303
        offices[code] = case_of(app, journey.reference).office.key
    assert offices == {"JJ-JZ-001": "police-global-window", QT_ITEM: "qingtian-police-window"}

    # An item of a county the point does not serve is refused at the desk.
    from app.models import Item
    copy_item(app, "JJ-JZ-001", "LD-TEST-001", "liandu-traffic")
    refused = volunteer.post("/staff/point/start", data={
        "csrf_token": Page(volunteer.get("/staff/point/")).csrf(), "item": "LD-TEST-001",
        "language": "en", "email": "walk.in@example.it", "consent": "yes"})
    assert refused.status_code == 422
    with app.app_context(), db.connection_context():
        item = Item.get(Item.code == "LD-TEST-001")
        assert not Case.select().where(Case.item == item).exists()
        assert Office.get(Office.key == "liandu-police-liaison").jurisdiction.key == "liandu"


def holder(client, reference) -> str:
    """What the applicant's status page says about who holds the case now."""
    page = Page(client.get(f"/en/cases/{reference}"))
    assert page.status == 200
    return " ".join(page.texts("#holder"))


def test_nearest_office_passes_a_case_to_another_county_and_gets_the_result_back(counties):
    """就近办: Wencheng's window receives a case that Qingtian's traffic police must
    decide; it passes it point to point, Qingtian records the result, the case comes back
    to Wencheng's window, and the applicant sees who holds it at every step."""
    app = counties
    make_staff(app, "qt.officer@test", "officer", department="qingtian-traffic")
    journey = submitted_case(app, defer=False)  # nothing owed: the decision may be taken
    reference = journey.reference
    assert "Global Access" in holder(journey.client, reference)
    assert "Wencheng County" in holder(journey.client, reference)

    clerk = sign_in(app, "clerk@test")
    confirm_video(app, reference, agent=False)
    assert staff_post(clerk, reference, "accept").status_code == 303
    page = Page(clerk.get(f"/staff/cases/{reference}"))
    choices = {o["value"]: o.get_text() for o in page.select("select[name=department] option")}
    assert choices["qingtian-traffic"].startswith("Qingtian County · ")
    assert " · " not in choices["traffic-vehicle-office"]  # its own county, named plainly
    assert list(choices).index("traffic-vehicle-office") < list(choices).index("qingtian-traffic")
    assert staff_post(clerk, reference, "transfer", department="qingtian-traffic",
                      note="The licence was issued in Qingtian: please decide.").status_code == 303

    # Qingtian's officer has it; the applicant is told who.
    officer = sign_in(app, "qt.officer@test")
    assert listed(officer, reference)
    assert officer.get(f"/staff/cases/{reference}").status_code == 200
    now = holder(journey.client, reference)
    assert "Qingtian County" in now and "Vehicle" in now
    timeline = " ".join(Page(journey.client.get(f"/en/cases/{reference}")).texts(".timeline li"))
    assert "Passed to the responsible department" in timeline and "Qingtian" in timeline

    # Qingtian records the result; the case is back at Wencheng's window.
    assert staff_post(officer, reference, "approve", note="Checked in Qingtian's records.") \
        .status_code == 303
    case = case_of(app, reference)
    assert case.status == "approved" and case.office.key == "police-global-window"
    assert "Global Access" in holder(journey.client, reference)
    assert "Approved" in " ".join(Page(journey.client.get(f"/en/cases/{reference}"))
                                  .texts(".status"))
    # Qingtian's decisions are over; Wencheng's window finishes the case.
    assert decide_blind(officer, reference, "reject", reason="Changed my mind.").status_code in (
        403, 404)
    assert case_of(app, reference).status == "approved"
    assert listed(clerk, reference)
    # Another county's department saw the case while it held it, and no longer.
    assert officer.get(f"/staff/cases/{reference}").status_code == 404
    assert not listed(officer, reference)
