"""Staff pages word the case for staff ("the applicant"), the applicant's pages for the
applicant ("you"); record names from the catalog on staff pages and documents."""

from ..conftest import csrf_token, sign_in, staff_post, submitted_case
from ..pages import Page

APPLICANT_WORDING = ("About you", "Your phone number abroad", "Name as in your passport",
                     "Your address abroad", "Needs your corrections", "You sent the application",
                     "You started the application", "Your relative", "Your driving licence",
                     "Your current driving licence", "Where you live")


def test_the_window_reads_the_case_in_staff_words(staff_app):
    journey = submitted_case(staff_app, entrust=True)
    ref = journey.reference
    clerk = sign_in(staff_app, "clerk@test")
    assert staff_post(clerk, ref, "return", materials="id_photo", reason_id_photo="Blurred",
                      due="2099-01-01").status_code == 303
    page = Page(clerk.get(f"/staff/cases/{ref}"))
    main = page.first("main").get_text(" ")
    for text in APPLICANT_WORDING:
        assert text not in main, text
    answers = dict(zip(page.texts("dl.answers dt"), page.texts("dl.answers dd")))
    assert answers["Phone number abroad"] == "+39 312 345 6789"
    assert answers["Name as in the passport"] == "LIN Mei"
    assert "Identity and contact details" in page.texts("h3")
    # Materials by their record names too, in the headings and the return form.
    assert any(h.startswith("Current driving licence") for h in page.texts("h3"))
    fresh = Page(clerk.get(f"/staff/cases/{submitted_case(staff_app).reference}"))
    assert "Current driving licence (front and back)" in fresh.texts(
        "form.decision label.choice")
    assert page.first("h1 .badge").text == "Returned to the applicant for corrections"
    timeline = " ".join(page.texts("ol.timeline li"))
    assert "The applicant sent the application" in timeline
    assert "The applicant started the application" in timeline
    # The queue's status column and tabs.
    queue = Page(clerk.get("/staff/queue?status=all"))
    assert "Returned to the applicant for corrections" in " ".join(queue.texts("main"))
    # The applicant keeps their own words.
    status = journey.client.page(f"/en/cases/{ref}")
    assert "Needs your corrections" in status.one("p.status").text
    assert "You sent the application" in " ".join(status.texts("ol.timeline li"))
    step = journey.client.page(f"/en/cases/{ref}/steps/applicant")
    assert step.first("h1").text == "About you"
    materials = journey.client.page(f"/en/cases/{ref}/materials")
    assert "Your current driving licence (front and back)" in materials.first("main").text


def test_the_volunteer_desk_reads_in_staff_words(staff_app):
    volunteer = sign_in(staff_app, "volunteer@test")
    started = volunteer.post("/staff/point/start", data={
        "csrf_token": csrf_token(volunteer, "/staff/point/"), "item": "JJ-JZ-001",
        "language": "en", "email": "walk.in@example.it", "consent": "yes"})
    ref = started.headers["Location"].split("/cases/", 1)[1].split("/", 1)[0]
    main = Page(volunteer.get(f"/staff/point/cases/{ref}")).first("main").get_text(" ")
    assert "The applicant started the application" in main
    assert "You started the application" not in main
