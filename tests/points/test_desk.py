"""A volunteer's desk at a service point: assisted cases and what a volunteer can see."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from app.models import Case, Event, Staff, db
from tests.conftest import (APPLICANT, LICENCE, Journey, agent_form, case_of, jpeg_bytes,
                            make_point, make_staff, pdf_bytes, sign_in, staff_post,
                            submitted_case, today)

DESK = "/staff/point/"

#: How the window's bookkeeping events are named on the staff timeline; neither the
#: applicant's nor the volunteer's timeline shows them.
BOOKKEEPING = {"Answers changed", "Entrustment changed", "Materials to send later changed",
               "File added", "File removed", "Verdict on a material", "Internal note"}


@pytest.fixture
def points_app(staff_app):
    make_point(staff_app, "paris", "Paris", tz="Europe/Paris", country="FR")
    make_staff(staff_app, "volunteer.paris@test", "volunteer", service_point="paris")
    make_staff(staff_app, "volunteer2@test", "volunteer", service_point="milan")
    return staff_app


START = {"item": "JJ-JZ-001", "language": "it", "email": "hu.walkin@example.it", "phone": "",
         "city": "Milano", "consent": "yes"}


def start_assisted(volunteer, status=303, **overrides):
    """The volunteer starts a driving-licence case at the desk; returns the answer and the
    reference (None when refused)."""
    page = volunteer.submit(f"{DESK}start", {**START, **overrides}, status=status,
                            csrf_from=DESK)
    if status != 303:
        return page, None
    return page, re.search(r"/cases/(OV-[\d-]+)", page.location).group(1)


def fill_as_volunteer(volunteer, reference, lang="it", send=True):
    """Go through the same journey pages as the applicant, in the volunteer's browser
    (up to sending the application, unless ``send`` is false)."""
    base = f"/{lang}/cases/{reference}"
    volunteer.submit(f"{base}/steps/applicant", APPLICANT)
    volunteer.submit(f"{base}/steps/licence", LICENCE)
    volunteer.submit(f"{base}/steps/medical", {"needs_glasses": "no"})
    volunteer.submit(f"{base}/entrustment", agent_form())
    for key in ("passport_page", "driving_licence", "id_photo"):
        volunteer.submit(f"{base}/materials/{key}",
                         {"file": (io.BytesIO(jpeg_bytes()), "scan.jpg")},
                         csrf_from=f"{base}/materials", content_type="multipart/form-data")
    volunteer.submit(f"{base}/materials/medical_certificate/later", {"later": "yes"},
                     csrf_from=f"{base}/materials")
    if send:
        send_application(volunteer, reference, lang)


def send_application(client, reference, lang="it"):
    """Tick the declaration and send the application."""
    url = f"/{lang}/cases/{reference}/declaration"
    declaration = client.page(url).form_data()
    declaration["declare"] = "yes"
    client.submit(url, declaration)


def access_code(page) -> str:
    """The access code the desk's case page shows this browser."""
    code = page.one(".files strong.mono").get_text(strip=True)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    return code


def timeline(page) -> list[str]:
    """The entries of the page's timeline, without their times."""
    return [" ".join(" ".join(text for text in item.find_all(string=True)
                              if text.find_parent("time") is None).split())
            for item in page.select("ol.timeline li")]


def labels(entries) -> set[str]:
    """What each timeline entry says happened, without who did it or the details."""
    return {re.split(r" — |: ", entry)[0] for entry in entries}


def queue_references(page) -> list[str]:
    return [ref for ref in page.texts("table a") if ref.startswith("OV-")]


def test_a_volunteer_starts_an_assisted_case_with_consent(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    assert volunteer.page("/staff/", status=303).location.endswith(DESK)
    home = volunteer.page(DESK)
    assert home.one("h1").get_text(strip=True) == "Service point desk: Milano"
    assert home.one("section#start h2").get_text(strip=True) == \
        "Start an application for a walk-in applicant"
    assert home.field("language") == "zh"
    response, reference = start_assisted(volunteer)
    assert response.location.startswith(f"/it/cases/{reference}/resume")
    with points_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        volunteer_row = Staff.get(Staff.email == "volunteer@test")
        assert case.service_point_id == volunteer_row.service_point_id
        assert case.assisted_by_id == volunteer_row.id
        assert case.locale == "it"
        assert case.timezone == "Europe/Rome"
        event = Event.get((Event.case == case) & (Event.kind == "assisted"))
        assert event.data == {"volunteer": "volunteer", "consent": True}
    # The same journey, in the volunteer's browser; the timeline names the volunteer.
    fill_as_volunteer(volunteer, reference)
    status = volunteer.page(f"/en/cases/{reference}")
    assert "Started with a volunteer at a service point: volunteer" in timeline(status)
    assert reference in volunteer.page(DESK).texts("table.queue td a")
    # The clerk sees where it came from, and can filter the queue by service point.
    clerk = sign_in(points_app, "clerk@test")
    page = clerk.page(f"/staff/cases/{reference}")
    assert "Started with volunteer volunteer, with the applicant's consent" in page.main
    assert reference in queue_references(clerk.page("/staff/queue?point=milan&status=all"))
    assert reference not in queue_references(clerk.page("/staff/queue?point=paris&status=all"))


@pytest.mark.parametrize("overrides, field, message", [
    ({"consent": ""}, "consent",
     "Tick the box once the applicant has agreed that you fill in the application with them."),
    ({"item": "NOPE-1"}, "item", "Choose the service the applicant needs."),
    ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com."),
    ({"email": "", "phone": ""}, "email",
     "Give an email address or a phone number, so we can reach you."),
])
def test_bad_start_input_keeps_what_was_typed(points_app, overrides, field, message):
    volunteer = sign_in(points_app, "volunteer@test")
    with points_app.app_context(), db.connection_context():
        before = Case.select().count()
    page, _reference = start_assisted(volunteer, status=422, city="Brescia", **overrides)
    assert page.field_error(field) == message
    linked = page.texts(f'.error-summary a[href="#f-{field}"]')
    assert len(linked) == 1
    assert linked[0].endswith(message)
    assert page.field("city") == "Brescia"
    assert page.field("email") == overrides.get("email", START["email"])
    assert page.field("language") == "it"
    if "item" not in overrides:
        assert page.field("item") == "JJ-JZ-001"
    assert page.one("#f-consent").has_attr("checked") == ("consent" not in overrides)
    with points_app.app_context(), db.connection_context():
        assert Case.select().count() == before


def test_a_volunteer_sees_only_their_own_service_points_cases(points_app):
    milan = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(milan)
    paris = sign_in(points_app, "volunteer.paris@test")
    # Another point's case: every desk route answers 404, and the desk list does not show it.
    for url in (f"{DESK}cases/{reference}", f"{DESK}cases/{reference}/pack.pdf",
                f"{DESK}cases/{reference}/slip.pdf"):
        paris.page(url, status=404)
    token = paris.page(DESK).csrf()
    for action in ("open", "new-code", "scans"):
        paris.submit(f"{DESK}cases/{reference}/{action}", {"csrf_token": token}, status=404)
    assert reference not in paris.page(DESK).texts("table.queue td a")
    # Nor through the applicant routes, nor the clerks' queue.
    paris.page(f"/it/cases/{reference}", status=404)
    paris.page("/staff/queue", status=403)
    paris.page(f"/staff/cases/{reference}", status=403)
    # A case an applicant started alone belongs to no service point: no volunteer sees it.
    own = submitted_case(points_app)
    milan.page(f"{DESK}cases/{own.reference}", status=404)
    milan.page(f"/en/cases/{own.reference}", status=404)
    # A second volunteer of the same point does see it.
    colleague = sign_in(points_app, "volunteer2@test")
    assert colleague.page(f"{DESK}cases/{reference}").one("h1").get_text(" ", strip=True) \
        .startswith(reference)


def test_the_volunteers_case_access_ends_when_they_sign_out(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    volunteer.page(f"/it/cases/{reference}")
    code = access_code(volunteer.page(f"{DESK}cases/{reference}"))
    volunteer.submit("/staff/logout", {}, csrf_from=DESK)
    # The browser still carries the case in its cookie, but it no longer opens.
    volunteer.page(f"/it/cases/{reference}", status=404)
    # The applicant's own code opens it in that browser again (e.g. the applicant at home).
    volunteer.submit("/it/cases/find", {"reference": reference, "code": code})
    assert reference in volunteer.page(f"/it/cases/{reference}").one("h1").get_text()


def test_the_applicant_keeps_their_own_access(points_app, smtp_server):
    controller, collector = smtp_server
    points_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    mail = next(m for rcpts, m in collector.messages if "hu.walkin@example.it" in rcpts)
    body = mail.get_body(("plain",)).get_content()
    link = re.search(r"(/it/cases/access/\S+)", body).group(1)
    applicant = points_app.test_client()
    applicant.page(link, status=303)
    assert reference in applicant.page(f"/it/cases/{reference}").one("h1").get_text()


def test_signed_scans_and_the_access_slip(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    fill_as_volunteer(volunteer, reference)
    case_url = f"{DESK}cases/{reference}"
    code = access_code(volunteer.page(case_url))

    url = f"{case_url}/scans"
    bad = volunteer.submit(url, {"kind": "_signed_entrustment",
                                 "file": (io.BytesIO(b"GIF89a nope"), "x.gif")},
                           status=422, csrf_from=case_url, content_type="multipart/form-data")
    assert bad.field("kind") == "_signed_entrustment"  # the choice is kept
    assert bad.field_error("file")
    assert bad.one(".error-summary a[href='#f-file']")
    nokind = volunteer.submit(url, {"kind": "passport",
                                    "file": (io.BytesIO(pdf_bytes()), "x.pdf")},
                              status=422, csrf_from=case_url, content_type="multipart/form-data")
    assert nokind.field_error("kind") == "Choose which signed paper this is."
    nofile = volunteer.submit(url, {"kind": "_signed_entrustment"}, status=422,
                              csrf_from=case_url, content_type="multipart/form-data")
    assert nofile.field_error("file") == "Choose the scan to upload."
    assert volunteer.page(case_url).texts("ul.files li") == nokind.texts("ul.files li")
    volunteer.submit(url, {"kind": "_signed_entrustment",
                           "file": (io.BytesIO(pdf_bytes()), "weituo.pdf")},
                     csrf_from=case_url, content_type="multipart/form-data")
    page = volunteer.page(case_url)
    assert page.texts(".flash") == ["The scan is added to the application."]
    assert any(t.startswith("Signed entrustment letter: weituo.pdf")
               for t in page.texts("ul.files li"))
    assert "A scan of a signed paper form was added" in timeline(page)
    clerk = sign_in(points_app, "clerk@test")
    kept = clerk.page(f"/staff/cases/{reference}").texts("ul.files li")
    assert any(t.startswith("Signed entrustment letter: weituo.pdf") for t in kept)

    slip = volunteer.get(f"{case_url}/slip.pdf")
    assert slip.status_code == 200
    assert slip.mimetype == "application/pdf"
    assert slip.headers["Cache-Control"] == "private, no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(slip.data)).pages)
    assert code in text
    assert reference in text

    # A fresh browser session of the same volunteer no longer knows the code: a new one.
    again = sign_in(points_app, "volunteer@test")
    refused = again.page(f"{case_url}/slip.pdf", status=303)
    assert refused.location.endswith(case_url)
    page = again.page(case_url)
    assert page.texts(".flash") == [
        "This browser no longer knows the access code. Make a new one to print the slip."]
    assert not page.select(".files strong.mono")
    assert page.one("form[action$='/new-code'] button").get_text(strip=True) == \
        "Make a new access code"
    again.submit(f"{case_url}/new-code", {}, csrf_from=case_url)
    new_code = access_code(again.page(case_url))
    assert new_code != code
    applicant = points_app.test_client()
    refused = applicant.submit("/it/cases/find", {"reference": reference, "code": code},
                               status=422)
    assert refused.errors()
    applicant.submit("/it/cases/find", {"reference": reference, "code": new_code})


def test_a_new_access_code_ends_every_other_browsers_hold(points_app):
    """The applicant's phone (and any copy of its cookie) holds the case no more once a
    volunteer makes a new access code (issue 14, finding 1)."""
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    case_url = f"{DESK}cases/{reference}"
    code = access_code(volunteer.page(case_url))
    phone = points_app.test_client()
    phone.submit("/it/cases/find", {"reference": reference, "code": code})
    phone.page(f"/it/cases/{reference}")
    copy = points_app.test_client()
    copy.set_cookie("session", phone.get_cookie("session").value)
    copy.page(f"/it/cases/{reference}")
    volunteer.submit(f"{case_url}/new-code", {}, csrf_from=case_url)
    phone.page(f"/it/cases/{reference}", status=404)
    copy.page(f"/it/cases/{reference}", status=404)
    assert access_code(volunteer.page(case_url)) != code, "the volunteer's browser holds it"


def test_a_new_access_code_is_a_change_of_the_case(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    case_url = f"{DESK}cases/{reference}"
    before = case_of(points_app, reference)
    again = sign_in(points_app, "volunteer@test")
    again.submit(f"{case_url}/new-code", {}, csrf_from=case_url)
    after = case_of(points_app, reference)
    assert after.version == before.version + 1
    assert after.access_code_hash != before.access_code_hash
    with points_app.app_context(), db.connection_context():
        events = list(Event.select().where((Event.case == after.id)
                                           & (Event.kind == "access_code_replaced")))
        assert len(events) == 1
        assert events[0].actor_staff.email == "volunteer@test"
    page = again.page(case_url)
    assert page.texts(".flash") == [("A new access code is ready; the old one no longer works. "
                                     "Print the slip for the applicant.")]
    assert "A new access code was made at the service point" in timeline(page)


def test_the_volunteers_timeline_leaves_out_the_windows_bookkeeping(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    fill_as_volunteer(volunteer, reference)
    case_url = f"{DESK}cases/{reference}"
    code = access_code(volunteer.page(case_url))
    # A clerk adds an internal note and asks for the back of the licence ...
    clerk = sign_in(points_app, "clerk@test")
    assert staff_post(clerk, reference, "claim").status_code == 303
    assert staff_post(clerk, reference, "note", body="Called the applicant.").status_code == 303
    assert staff_post(clerk, reference, "return", materials="driving_licence",
                      reason_driving_licence="Add the back of the licence",
                      due=(today() + timedelta(days=10)).isoformat()).status_code == 303
    # ... the applicant, at home, corrects an answer, uploads it and sends again.
    applicant = points_app.test_client()
    applicant.submit("/it/cases/find", {"reference": reference, "code": code})
    journey = Journey(applicant, lang="it")
    journey.reference = reference
    assert journey.step("licence", dict(LICENCE, licence_number="330328196804120022")
                        ).status_code == 303
    assert journey.upload("driving_licence", jpeg_bytes(), "back.jpg").status_code == 303
    send_application(applicant, reference)
    with points_app.app_context(), db.connection_context():
        kinds = {e.kind for e in Event.select().where(Event.case == case_of(points_app,
                                                                            reference).id)}
    assert {"note", "file_added", "answers_changed"} <= kinds
    # The clerks' timeline has them ...
    staff_side = timeline(clerk.page(f"/staff/cases/{reference}"))
    assert {"Internal note", "File added", "Answers changed"} <= labels(staff_side)
    # ... the volunteer's shows what happened to the application, and none of them.
    entries = timeline(volunteer.page(case_url))
    assert {"Started with a volunteer at a service point", "The applicant sent the application",
            "Returned to the applicant for corrections",
            "The applicant sent corrections"} <= labels(entries)
    assert not labels(entries) & BOOKKEEPING
    assert not [entry for entry in entries if "Called the applicant" in entry]
    # The applicant's own status page leaves them out too.
    applicant_side = timeline(applicant.page(f"/en/cases/{reference}"))
    assert "You sent your corrections" in labels(applicant_side)
    assert not labels(applicant_side) & BOOKKEEPING


def test_print_pack_and_blank_batch(points_app):
    volunteer = sign_in(points_app, "volunteer@test")
    _r, reference = start_assisted(volunteer)
    fill_as_volunteer(volunteer, reference)
    for size, box in (("a4", (595, 842)), ("letter", (612, 792))):
        pack = volunteer.get(f"{DESK}cases/{reference}/pack.pdf?size={size}")
        assert pack.status_code == 200
        assert pack.mimetype == "application/pdf"
        reader = PdfReader(io.BytesIO(pack.data))
        assert len(reader.pages) >= 4  # cover, form, entrustment, commitment
        width, height = (round(float(v)) for v in reader.pages[0].mediabox.upper_right)
        assert (width, height) == box
        assert reference in reader.pages[0].extract_text()
    volunteer.page(f"{DESK}cases/{reference}/pack.pdf?size=a3", status=404)

    batch = volunteer.get(f"{DESK}blanks.pdf?items=JJ-JZ-001&items=GA-HJ-001&language=fr&size=a4")
    assert batch.status_code == 200
    assert batch.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(batch.data)).pages) >= 3
    empty = volunteer.page(f"{DESK}blanks.pdf?language=fr&size=letter", status=422)
    assert empty.field_error("items") == "Tick at least one service to print its blank forms."
    batch_form = empty.form("form[action$='/blanks.pdf']")
    assert empty.field("language", form=batch_form) == "fr"  # the choices are kept
    assert empty.field("size", form=batch_form) == "letter"
    many = volunteer.page(f"{DESK}blanks.pdf?" + "&".join(["items=JJ-JZ-001"] * 21), status=422)
    assert many.field_error("items") == "Print at most 20 services at a time."


def test_other_roles_have_no_desk(points_app):
    clerk = sign_in(points_app, "clerk@test")
    clerk.page(DESK, status=403)
    points_app.test_client().page(DESK, status=403)
