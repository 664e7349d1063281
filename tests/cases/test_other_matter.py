"""Another matter: an applicant whose matter is not in the catalog describes it, chooses
the county and gets a reference; the county's window turns it into an application for a
catalog item (asking only for what is missing), or answers it."""

from datetime import timedelta

import pytest

from app.models import Case, Event, db

from ..conftest import (APPLICANT, LICENCE, Journey, case_of, copy_item, jpeg_bytes,
                        make_staff, shown, sign_in, staff_post, today)
from ..pages import Page

def due() -> str:
    """A due date three weeks after the day the test runs on (the suite's clock)."""
    return (today() + timedelta(days=21)).isoformat()

MATTER = {"matter_title": "My late father's shop licence",
          "matter_area": "business",
          "matter_description": "My father ran a shop in Qingtian; he died in Prato. I need to "
                                "close his business licence from abroad.",
          "matter_deadline": ""}


def sent_matter(app, lang="en", code="OT-QT-001", files=1):
    """Another matter described and sent, with ``files`` optional documents."""
    journey = Journey(app.test_client(), lang=lang, code=code)
    assert journey.start().status == 303
    assert journey.step("applicant", APPLICANT).status == 303
    assert journey.step("matter", MATTER).status == 303
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    for _ in range(files):
        assert journey.upload("matter_documents", jpeg_bytes()).status == 303
    assert journey.submit().status == 303
    return journey


def test_another_matter_is_sent_with_or_without_documents_to_its_countys_window(app):
    with_files = sent_matter(app, files=2)
    without = sent_matter(app, lang="pt", files=0)
    for journey in (with_files, without):
        case = case_of(app, journey.reference)
        assert case.status == "submitted" and case.office.key == "qingtian-qiaohaitong"
    receipt = without.client.get(f"{without.base}/documents/receipt.pdf")
    assert receipt.status_code == 200
    guide = app.test_client().page("/en/services/OT-QT-001")
    assert "Optional" in " ".join(guide.texts(".tag"))


@pytest.fixture
def window(app):
    make_staff(app, "qiaohaitong@test", "clerk", office="qingtian-qiaohaitong")
    make_staff(app, "qt.police@test", "clerk", office="qingtian-police-window")
    copy_item(app, "JJ-JZ-001", "QT-TEST-001", "qingtian-traffic")
    return app


def test_the_window_turns_a_matter_into_an_application_and_only_the_rest_is_asked(window):
    app = window
    journey = sent_matter(app, files=1)
    reference = journey.reference
    clerk = sign_in(app, "qiaohaitong@test")
    page = Page(clerk.get(f"/staff/cases/{reference}"))
    assert "Optional" in page.texts(".tag"), "the optional documents are marked so"
    choices = [o["value"] for o in page.select("#d-convert select[name=item] option") if o["value"]]
    assert "QT-TEST-001" in choices and not any(c.startswith("OT-") for c in choices)
    assert choices.index("QT-TEST-001") < choices.index("JJ-JZ-001"), "its own county first"

    # Bad input: no service chosen; everything typed comes back.
    refused = shown(clerk, reference, Page(staff_post(
        clerk, reference, "convert", item="", due=due(), note="Please add your licence details.")))
    assert refused.field("note", refused.form("#d-convert")) == "Please add your licence details."
    assert case_of(app, reference).status == "submitted"

    done = staff_post(clerk, reference, "convert", item="QT-TEST-001", due=due(),
                      note="This is a driving licence renewal at Qingtian's traffic police.")
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/staff/queue"), "the case left this window"
    case = case_of(app, reference)
    assert case.status == "returned" and case.item.code == "QT-TEST-001"
    assert case.office.key == "qingtian-police-window"
    assert case.answers["matter_title"] == MATTER["matter_title"]

    # The applicant is asked only for what the service needs beyond what was sent.
    status = Page(journey.client.get(journey.base))
    assert "driving licence" in status.text.lower()
    resume = journey.client.get(f"{journey.base}/resume")
    assert resume.headers["Location"].endswith("/steps/licence")
    assert journey.step("licence", LICENCE).status == 303
    assert journey.step("medical", {"needs_glasses": "no"}).status == 303
    assert journey.entrust({"mode": "self"}).status == 303
    materials = Page(journey.client.get(f"{journey.base}/materials"))
    assert "✓" in " ".join(materials.texts("#m-passport_page .state")), "kept"
    for key in ("driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303
    assert journey.submit().status == 303
    assert case_of(app, reference).status == "submitted"

    # The police window has it, with what was sent before it became an application.
    police = sign_in(app, "qt.police@test")
    page = Page(police.get(f"/staff/cases/{reference}"))
    assert page.status == 200
    assert MATTER["matter_description"] in page.text
    assert page.select(".files a[href*='/files/']")
    assert clerk.get(f"/staff/cases/{reference}").status_code == 404, "no longer its window"


def test_the_window_answers_a_matter(window, smtp_server):
    from ..conftest import smtp
    app = window
    collector = smtp(app, smtp_server)
    journey = sent_matter(app, files=0)
    clerk = sign_in(app, "qiaohaitong@test")
    answer = "This is done by the market regulator, not at home: call the Qingtian office."
    shown(clerk, journey.reference, Page(staff_post(clerk, journey.reference, "answer", answer="")))
    assert staff_post(clerk, journey.reference, "answer", answer=answer).status_code == 303
    assert case_of(app, journey.reference).status == "closed"
    status = Page(journey.client.get(journey.base))
    assert answer in status.text
    answered = [m for _to, m in collector.messages if "An answer to your matter" in m["Subject"]]
    assert len(answered) == 1 and answer in answered[0].get_content()


def test_ordinary_applications_cannot_be_converted_or_answered(window):
    from ..conftest import submitted_case
    app = window
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    journey = submitted_case(app)
    clerk = sign_in(app, "clerk@test")
    page = Page(clerk.get(f"/staff/cases/{journey.reference}"))
    assert not page.select("#d-convert") and not page.select("#d-answer")
    refused = shown(clerk, journey.reference,
                    Page(staff_post(clerk, journey.reference, "answer", answer="No.")))
    assert refused.errors() == ["This decision is not possible in the case's current state."]
    assert case_of(app, journey.reference).status == "submitted"
    with app.app_context(), db.connection_context():
        assert not Event.select().where(Event.kind == "answered").exists()
        assert Case.select().count() == 1
