"""What the applicant sees from the start form's answer to the pages after sending:
a start whose answer was lost, the access code on every page after sending, the
documents on the confirmation, the date of the materials owed (page and email), the
files by material, and next steps that follow the applicant's own choices."""

import email
import email.policy
import io
import re
from datetime import timedelta
from pathlib import Path

from PIL import Image

from app.models import Case, db

from ..conftest import (Journey, case_of, confirm_video, fill_driving_licence, jpeg_bytes,
                        submitted_case)
from ..pages import Page

START = "/en/services/JJ-JZ-001/apply"
CODE_RE = re.compile(r"Access code:? ([A-Z0-9]{4}-[A-Z0-9]{4})")


def _start_data(client):
    form = client.page(START).form_data("#journey-form")
    return dict(form, email="a@example.it", phone="", language="en", country="IT",
                city="Milano", tz="Europe/Rome")


def _shown_code(page: Page) -> str | None:
    found = CODE_RE.search(" ".join(page.main.split()))
    return found.group(1) if found else None


def _cases(app) -> int:
    with app.app_context(), db.connection_context():
        return Case.select().count()


# -- 5. The start form's answer was lost -------------------------------------------------

def test_a_start_whose_answer_was_lost_is_opened_by_the_browser_that_posted_it(app, client):
    data = _start_data(client)
    before = client.get_cookie("session").value  # what the browser holds while it posts
    first = client.submit(START, data)
    code = _shown_code(client.page(first.location))
    assert code
    # The 303 and its cookie never arrived: the browser still has its old cookie and
    # posts the same form again.
    client.set_cookie("session", before)
    again = client.submit(START, data)
    assert again.location == first.location
    page = client.page(again.location)
    assert _shown_code(page) == code  # the code the lost answer would have shown
    assert _cases(app) == 1
    # It holds the case for good: the status page opens.
    reference = re.search(r"/cases/(OV-[\d-]+)/", first.location).group(1)
    client.page(f"/en/cases/{reference}")


def test_the_start_form_replayed_elsewhere_or_after_removing_access_opens_nothing(app,
                                                                                   client):
    data = _start_data(client)
    before = client.get_cookie("session").value
    first = client.submit(START, data)
    reference = re.search(r"/cases/(OV-[\d-]+)/", first.location).group(1)
    # Another browser with its own session (and CSRF token) but the same form: 409.
    stranger = client.application.test_client()
    token = stranger.page(START).csrf()
    stranger.submit(START, dict(data, csrf_token=token), status=409)
    # The answer arrived here; the applicant removes the case from this (shared)
    # browser; someone replaying the form from its history gets nothing.
    status = client.page(f"/en/cases/{reference}")
    client.submit(f"/en/cases/{reference}/forget", {"csrf_token": status.csrf()})
    client.submit(START, data, status=409)
    # Nor does a copy of the cookie taken after the answer arrived (the key is spent).
    assert before != client.get_cookie("session").value
    assert _cases(app) == 1


def test_a_start_key_smuggled_through_the_language_switch_opens_nothing(app, client):
    """Another browser that learnt a form's key cannot make it "its own" by posting it
    with the language switch (kept answers) and then replaying the start form."""
    data = _start_data(client)
    before = client.get_cookie("session").value
    client.submit(START, data)
    client.set_cookie("session", before)  # the victim's answer was lost: key not spent
    stranger = client.application.test_client()
    token = stranger.page(START).csrf()
    switched = stranger.post(START, data=dict(data, csrf_token=token, switch_lang="fr"))
    assert switched.status_code == 303
    shown = stranger.page("/fr/services/JJ-JZ-001/apply").form_data("#journey-form")
    assert shown["start_key"] != data["start_key"]  # a key of its own, not the one posted
    stranger.submit(START, dict(data, csrf_token=stranger.page(START).csrf()), status=409)
    assert _cases(app) == 1


def test_a_lost_answer_opens_only_a_recent_draft(app, client):
    data = _start_data(client)
    before = client.get_cookie("session").value
    first = client.submit(START, data)
    reference = re.search(r"/cases/(OV-[\d-]+)/", first.location).group(1)
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        Case.update(created_at=case.created_at - timedelta(hours=2)).where(
            Case.id == case.id).execute()
    client.set_cookie("session", before)  # an old copy of the cookie, kept somewhere
    client.submit(START, data, status=409)


# -- 2, 3. After sending: the code on every page, the documents on the confirmation ------

def test_every_page_after_sending_keeps_the_access_code_in_sight(app):
    journey = submitted_case(app, entrust=True)
    client = journey.client
    confirmation = client.page(f"{journey.base}/confirmation")
    code = confirmation.texts(".panel strong.big")[1]
    for url in (journey.base, f"{journey.base}/video-check"):
        assert _shown_code(client.page(url)) == code, url
    # A second press of "Send" (the form posted again) lands on a page with the code too.
    token = client.page(journey.base).csrf()
    answer = client.post(f"{journey.base}/declaration", data={"csrf_token": token,
                                                              "declare": "yes", "version": "1"})
    assert answer.status_code == 303
    assert _shown_code(client.page(answer.location)) == code


def test_the_confirmation_offers_the_documents_of_the_status_page(app):
    journey = submitted_case(app)
    client = journey.client
    status = client.page(journey.base).links("#documents a")
    offered = client.page(f"{journey.base}/confirmation").links("#documents a")
    assert offered == status
    assert any("/documents/receipt" in link for link in offered), offered
    for link in offered[:2]:
        response = client.get(link)
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF")


# -- 4. The date of the materials owed ----------------------------------------------------

def _emails(app, subject_part):
    found = []
    for path in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if subject_part in message["Subject"]:
            found.append(message.get_content())
    return found


def test_the_due_date_of_deferred_materials_on_the_status_page_and_in_the_email(app):
    journey = submitted_case(app, defer=True, entrust=True)
    from app.cases.next_steps import deferred_due
    from app.templating import format_day
    from flask_babel import force_locale
    with app.test_request_context("/en/"), db.connection_context(), force_locale("en"):
        due = format_day(deferred_due(Case.get(Case.reference == journey.reference)))
    status = journey.client.page(journey.base)
    assert due in status.one("#deferred-due").text
    [body] = _emails(app, "We received your application")
    assert "Medical certificate of fitness to drive" in body
    assert f"due by {due}" in body
    # The entrusted case needs a video check, not booked yet: the email says so.
    assert "video identity check is still to book" in body
    assert f"/en/cases/{journey.reference}/video-check" in body


def test_the_email_of_a_case_owing_nothing_mentions_no_due_date(app):
    journey = submitted_case(app, defer=False)
    [body] = _emails(app, "We received your application")
    assert "due by" not in body
    assert case_of(app, journey.reference).deferred == []


# -- 6. Files by material -----------------------------------------------------------------

def _heic_bytes():
    import pillow_heif
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), (120, 60, 30)))
    buffer = io.BytesIO()
    heif.save(buffer, quality=70)
    return buffer.getvalue()


def test_status_lists_files_by_material_in_the_items_order_with_their_names(app):
    journey = Journey(app.test_client())
    journey.start()
    fill_driving_licence(journey)
    # Uploaded out of the item's order, with a phone's file names, one HEIC.
    assert journey.upload("id_photo", _heic_bytes(), "IMG_4012_q.HEIC").status_code == 303
    assert journey.upload("driving_licence", jpeg_bytes(), "IMG_4013.jpg").status_code == 303
    assert journey.upload("driving_licence", jpeg_bytes(), "IMG_4014.jpg").status_code == 303
    assert journey.upload("passport_page", jpeg_bytes(), "IMG_4011.jpg").status_code == 303
    assert journey.defer("medical_certificate").status_code == 303
    assert journey.submit().status_code == 303
    page = journey.client.page(journey.base)
    assert "IMG_" not in page.main
    headings = page.texts("h3.material")
    licence = "Your current driving licence (front and back)"
    assert headings == ["Passport photo page", licence, "Recent ID photo (white background)"]
    assert page.texts("#files-driving_licence a") == [f"{licence}: Photo 1",
                                                      f"{licence}: Photo 2"]
    assert page.texts("#files-id_photo a") == ["Recent ID photo (white background): Photo"]
    for link in page.links("#files-id_photo a"):
        response = journey.client.get(link)
        assert response.status_code == 200 and response.data[:3] == b"\xff\xd8\xff"


# -- 8. What happens next ------------------------------------------------------------------

def test_what_happens_next_follows_the_applicants_choices(app):
    myself = submitted_case(app, defer=False, entrust=False)
    steps = " ".join(myself.client.page(f"{myself.base}/confirmation").texts("#next-steps li"))
    assert "You chose to do the formalities yourself" in steps
    assert "By courier to your address abroad" in steps
    assert "relative" not in steps.replace("no relative acts for you", "")
    assert "Send " not in steps  # nothing owed

    entrusted = submitted_case(app, defer=True, entrust=True)
    steps = entrusted.client.page(f"{entrusted.base}/confirmation").texts("#next-steps li")
    text = " ".join(steps)
    assert "Your relative 林建国 does the formalities in China for you" in text
    assert "Your relative 林建国 collects the result" in text
    assert "Book your video identity check" in text
    assert "Medical certificate of fitness to drive" in text
    # The status page says the same.
    assert entrusted.client.page(entrusted.base).texts("#next-steps li") == steps


def test_what_happens_next_follows_the_video_check(staff_app):
    journey = submitted_case(staff_app, defer=False, entrust=True)
    url = f"{journey.base}/confirmation"
    assert "Book your video identity check" in journey.client.page(url).main
    confirm_video(staff_app, journey.reference)
    steps = " ".join(journey.client.page(url).texts("#next-steps li"))
    assert "Your identity is confirmed: no video call is needed any more." in steps
    assert "Book your video identity check" not in steps
