"""A volunteer's desk at a service point: assisted cases and what a volunteer can see."""

import io
import re

import pytest

from tests.conftest import (APPLICANT, LICENCE, agent_form, csrf_token, jpeg_bytes, make_point,
                            make_staff, pdf_bytes, sign_in, submitted_case)


@pytest.fixture
def points_app(staff_app):
    make_point(staff_app, "paris", "Paris", tz="Europe/Paris", country="FR")
    make_staff(staff_app, "volunteer.paris@test", "volunteer", service_point="paris")
    make_staff(staff_app, "volunteer2@test", "volunteer", service_point="milan")
    return staff_app


def start_assisted(app, volunteer, **overrides):
    """The volunteer starts a driving-licence case at the desk; returns the reference."""
    data = {"csrf_token": csrf_token(volunteer, "/staff/point/"), "item": "JJ-JZ-001",
            "language": "it", "email": "hu.walkin@example.it", "phone": "", "city": "Milano",
            "consent": "yes"}
    data.update(overrides)
    response = volunteer.post("/staff/point/start", data=data)
    if response.status_code != 303:
        return response, None
    return response, re.search(r"/cases/(OV-[\d-]+)", response.headers["Location"]).group(1)


def fill_as_volunteer(volunteer, reference, lang="it"):
    """Go through the same journey pages as the applicant, in the volunteer's browser."""
    def post(url, data):
        return volunteer.post(url, data={"csrf_token": csrf_token(volunteer, url), **data})
    base = f"/{lang}/cases/{reference}"
    assert post(f"{base}/steps/applicant", APPLICANT).status_code == 303
    assert post(f"{base}/steps/licence", LICENCE).status_code == 303
    assert post(f"{base}/steps/medical", {"needs_glasses": "no"}).status_code == 303
    assert post(f"{base}/entrustment", agent_form()).status_code == 303
    for key in ("passport_page", "driving_licence", "id_photo"):
        url = f"{base}/materials/{key}"
        token = csrf_token(volunteer, f"{base}/materials")
        assert volunteer.post(url, data={"csrf_token": token, "file": (io.BytesIO(jpeg_bytes()),
                                                                       "scan.jpg")},
                              content_type="multipart/form-data").status_code == 303
    token = csrf_token(volunteer, f"{base}/materials")
    assert volunteer.post(f"{base}/materials/medical_certificate/later",
                          data={"csrf_token": token, "later": "yes"}).status_code == 303
    page = volunteer.get(f"{base}/declaration").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert volunteer.post(f"{base}/declaration", data={
        "csrf_token": token, "version": version, "declare": "yes"}).status_code == 303


def test_a_volunteer_starts_an_assisted_case_with_consent(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    assert volunteer.get("/staff/").headers["Location"].endswith("/staff/point/")
    home = volunteer.get("/staff/point/").get_data(as_text=True)
    assert "Milano" in home and "Start an application" in home
    response, reference = start_assisted(points_app, volunteer)
    assert response.headers["Location"].startswith(f"/it/cases/{reference}/resume")
    from app.models import Case, Event, Staff, db
    with points_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        volunteer_row = Staff.get(Staff.email == "volunteer@test")
        assert case.service_point_id == volunteer_row.service_point_id
        assert case.assisted_by_id == volunteer_row.id
        assert case.locale == "it" and case.timezone == "Europe/Rome"
        event = Event.get((Event.case == case) & (Event.kind == "assisted"))
        assert event.data == {"volunteer": "volunteer", "consent": True}
    # The same journey, in the volunteer's browser; the timeline names the volunteer.
    fill_as_volunteer(volunteer, reference)
    status = volunteer.get(f"/en/cases/{reference}").get_data(as_text=True)
    assert "Started with a volunteer at a service point: volunteer" in status
    desk = volunteer.get("/staff/point/").get_data(as_text=True)
    assert reference in desk
    # The clerk sees where it came from, and can filter the queue by service point.
    clerk = sign_in(points_app, "clerk@test")
    page = clerk.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "Started with volunteer volunteer" in page
    filtered = clerk.get("/staff/queue?point=milan&status=all").get_data(as_text=True)
    assert reference in filtered
    assert reference not in clerk.get("/staff/queue?point=paris&status=all").get_data(as_text=True)


@pytest.mark.parametrize("overrides, message", [
    ({"consent": ""}, "Tick the box once the applicant has agreed"),
    ({"item": "NOPE-1"}, "Choose the service the applicant needs"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "", "phone": ""}, "Give an email address or a phone number"),
])
def test_bad_start_input_keeps_what_was_typed(points_app, overrides, message):
    volunteer = sign_in(points_app, "volunteer@test")
    response, reference = start_assisted(points_app, volunteer, city="Brescia", **overrides)
    assert reference is None and response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Brescia"' in page
    if overrides.get("email"):
        assert f'value="{overrides["email"]}"' in page


def test_a_volunteer_sees_only_their_own_service_points_cases(points_app):
    milan = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(points_app, milan)
    paris = sign_in(points_app, "volunteer.paris@test")
    # Another point's case: every desk route answers 404, and the desk list does not show it.
    for url in (f"/staff/point/cases/{reference}", f"/staff/point/cases/{reference}/pack.pdf",
                f"/staff/point/cases/{reference}/slip.pdf"):
        assert paris.get(url).status_code == 404, url
    token = csrf_token(paris, "/staff/point/")
    for action in ("open", "new-code", "scans"):
        assert paris.post(f"/staff/point/cases/{reference}/{action}",
                          data={"csrf_token": token}).status_code == 404, action
    assert reference not in paris.get("/staff/point/").get_data(as_text=True)
    # Nor through the applicant routes, nor the clerks' queue.
    assert paris.get(f"/it/cases/{reference}").status_code == 404
    assert paris.get("/staff/queue").status_code == 403
    assert paris.get(f"/staff/cases/{reference}").status_code == 403
    # A case an applicant started alone belongs to no service point: no volunteer sees it.
    own = submitted_case(points_app)
    assert milan.get(f"/staff/point/cases/{own.reference}").status_code == 404
    assert milan.get(f"/en/cases/{own.reference}").status_code == 404
    # A second volunteer of the same point does see it.
    colleague = sign_in(points_app, "volunteer2@test")
    assert colleague.get(f"/staff/point/cases/{reference}").status_code == 200


def test_the_volunteers_case_access_ends_when_they_sign_out(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(points_app, volunteer)
    assert volunteer.get(f"/it/cases/{reference}").status_code == 200
    token = csrf_token(volunteer, "/staff/point/")
    volunteer.post("/staff/logout", data={"csrf_token": token})
    # The browser still carries the case in its cookie, but it no longer opens.
    assert volunteer.get(f"/it/cases/{reference}").status_code == 404
    # The applicant's own code opens it in that browser again (e.g. the applicant at home).
    from app.models import Staff, db
    with points_app.app_context(), db.connection_context():
        Staff.update(active=False).where(Staff.email == "volunteer2@test").execute()


def test_the_applicant_keeps_their_own_access(points_app, smtp_server):
    controller, collector = smtp_server
    points_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(points_app, volunteer)
    mail = next(m for rcpts, m in collector.messages if "hu.walkin@example.it" in rcpts)
    body = mail.get_body(("plain",)).get_content()
    link = re.search(r"(/it/cases/access/\S+)", body).group(1)
    applicant = points_app.test_client()
    assert applicant.get(link).status_code == 303
    assert applicant.get(f"/it/cases/{reference}").status_code == 200


def test_signed_scans_and_the_access_slip(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(points_app, volunteer)
    fill_as_volunteer(volunteer, reference)
    page = volunteer.get(f"/staff/point/cases/{reference}").get_data(as_text=True)
    code = re.search(r'<strong class="mono">([A-Z0-9]{4}-[A-Z0-9]{4})</strong>', page).group(1)

    url = f"/staff/point/cases/{reference}/scans"
    token = csrf_token(volunteer, f"/staff/point/cases/{reference}")
    bad = volunteer.post(url, data={"csrf_token": token, "kind": "_signed_entrustment",
                                    "file": (io.BytesIO(b"GIF89a nope"), "x.gif")},
                         content_type="multipart/form-data")
    assert bad.status_code == 422
    assert 'value="_signed_entrustment" selected' in bad.get_data(as_text=True)
    nokind = volunteer.post(url, data={"csrf_token": token, "kind": "passport",
                                       "file": (io.BytesIO(pdf_bytes()), "x.pdf")},
                            content_type="multipart/form-data")
    assert nokind.status_code == 422
    good = volunteer.post(url, data={"csrf_token": token, "kind": "_signed_entrustment",
                                     "file": (io.BytesIO(pdf_bytes()), "weituo.pdf")},
                          content_type="multipart/form-data")
    assert good.status_code == 303
    clerk = sign_in(points_app, "clerk@test")
    assert "Signed entrustment letter" in clerk.get(f"/staff/cases/{reference}").get_data(
        as_text=True)

    slip = volunteer.get(f"/staff/point/cases/{reference}/slip.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    assert slip.headers["Cache-Control"] == "private, no-store"
    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(slip.data)).pages)
    assert code in text and reference in text

    # A fresh browser session of the same volunteer no longer knows the code: a new one.
    again = sign_in(points_app, "volunteer@test")
    assert again.get(f"/staff/point/cases/{reference}/slip.pdf").status_code == 303
    token = csrf_token(again, f"/staff/point/cases/{reference}")
    assert again.post(f"/staff/point/cases/{reference}/new-code",
                      data={"csrf_token": token}).status_code == 303
    page = again.get(f"/staff/point/cases/{reference}").get_data(as_text=True)
    new_code = re.search(r'<strong class="mono">([A-Z0-9]{4}-[A-Z0-9]{4})</strong>', page).group(1)
    assert new_code != code
    applicant = points_app.test_client()
    for typed, expected in ((code, 422), (new_code, 303)):
        token = csrf_token(applicant, "/it/cases/find")
        assert applicant.post("/it/cases/find", data={"csrf_token": token, "reference": reference,
                                                      "code": typed}).status_code == expected


def test_print_pack_and_blank_batch(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(points_app, volunteer)
    fill_as_volunteer(volunteer, reference)
    from pypdf import PdfReader
    for size, box in (("a4", (595, 842)), ("letter", (612, 792))):
        pack = volunteer.get(f"/staff/point/cases/{reference}/pack.pdf?size={size}")
        assert pack.status_code == 200 and pack.mimetype == "application/pdf"
        reader = PdfReader(io.BytesIO(pack.data))
        assert len(reader.pages) >= 4  # cover, form, entrustment, commitment
        width, height = (round(float(v)) for v in reader.pages[0].mediabox.upper_right)
        assert (width, height) == box
        assert reference in reader.pages[0].extract_text()
    assert volunteer.get(f"/staff/point/cases/{reference}/pack.pdf?size=a3").status_code == 404

    batch = volunteer.get("/staff/point/blanks.pdf?items=JJ-JZ-001&items=GA-HJ-001"
                          "&language=fr&size=a4")
    assert batch.status_code == 200 and len(PdfReader(io.BytesIO(batch.data)).pages) >= 3
    empty = volunteer.get("/staff/point/blanks.pdf?language=fr&size=letter")
    assert empty.status_code == 422
    assert "Tick at least one service" in empty.get_data(as_text=True)
    many = volunteer.get("/staff/point/blanks.pdf?" + "&".join(["items=JJ-JZ-001"] * 21))
    assert many.status_code == 422 and "at most 20" in many.get_data(as_text=True)


def test_other_roles_have_no_desk(points_app):
    clerk = sign_in(points_app, "clerk@test")
    assert clerk.get("/staff/point/").status_code == 403
    anonymous = points_app.test_client()
    assert anonymous.get("/staff/point/").status_code == 403
