"""Every decision of the case lifecycle, through the staff pages, with its email."""

import re
from datetime import date, timedelta

import pytest

from app.models import AuditEvent, Case, Event, IssuedDocument, Upload, db

from ..conftest import (Journey, case_of, csrf_token, jpeg_bytes, sign_in, smtp, staff_post,
                        submitted_case)


def bodies(collector):
    return [(m["Subject"], m.get_content()) for _to, m in collector.messages]


def future(days=10):
    return (date.today() + timedelta(days=days)).isoformat()


def test_queue_shows_the_office_cases_with_counts(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    html = clerk.get("/staff/queue").get_data(as_text=True)
    assert journey.reference in html and "LIN Mei" in html
    assert "Beijing time" in html and "Italy" in html  # both clocks
    assert re.search(r"Sent, waiting for review \(1\)", html)
    # Filters work as plain links and as an htmx partial.
    assert journey.reference in clerk.get("/staff/queue?q=LIN").get_data(as_text=True)
    assert journey.reference in clerk.get(f"/staff/queue?q={journey.reference}").get_data(as_text=True)
    assert journey.reference not in clerk.get("/staff/queue?q=NOBODY").get_data(as_text=True)
    partial = clerk.get("/staff/queue?status=submitted", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True)
    assert journey.reference in partial.get_data(as_text=True)
    assert journey.reference not in clerk.get("/staff/queue?status=accepted").get_data(as_text=True)
    assert clerk.get("/staff/queue?status=bogus&sort=bogus&after=garbage").status_code == 200


def test_return_for_supplement_and_resubmit_comes_back_to_the_top(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    first = submitted_case(staff_app)
    second = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    assert staff_post(clerk, first.reference, "claim").status_code == 303
    assert staff_post(clerk, first.reference, "review", material="id_photo", verdict="correction",
                      reason="The photo is blurry").status_code == 303
    response = staff_post(clerk, first.reference, "return", materials="id_photo",
                          reason_id_photo="The photo is blurry: take it again in daylight",
                          note="Only the photo, the rest is fine.", due=future())
    assert response.status_code == 303
    case = case_of(staff_app, first.reference)
    assert case.status == "returned" and case.supplement["items"][0]["material"] == "id_photo"
    subject, body = bodies(collector)[-1]
    assert "needs corrections" in subject and "blurry" in body and "/en/cases/access/" in body
    # The applicant sees exactly what to fix, replaces the photo and sends again.
    status = first.client.get(f"/en/cases/{first.reference}").get_data(as_text=True)
    assert "What to correct" in status and "take it again in daylight" in status
    with staff_app.app_context(), db.connection_context():
        old = Upload.get(Upload.case == case, Upload.material_key == "id_photo", Upload.removed == False)  # noqa: E712
    token = first.token(f"/en/cases/{first.reference}/materials")
    assert first.client.post(f"/en/cases/{first.reference}/materials/id_photo/files/{old.id}/remove",
                             data={"csrf_token": token}).status_code == 303
    assert first.upload("id_photo", jpeg_bytes(color=(10, 200, 30))).status_code == 303
    assert first.submit().status_code == 303
    assert case_of(staff_app, first.reference).status == "submitted"
    html = clerk.get("/staff/queue").get_data(as_text=True)
    assert html.index(first.reference) < html.index(second.reference)  # back at the top


def test_accept_with_deferred_material_issues_the_commitment_letter(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    assert staff_post(clerk, journey.reference, "accept").status_code == 303
    case = case_of(staff_app, journey.reference)
    assert case.status == "accepted" and case.due_date and case.deferred_due
    assert case.due_date > date.today()
    with staff_app.app_context(), db.connection_context():
        assert IssuedDocument.select().where(IssuedDocument.case == case,
                                             IssuedDocument.doc_type == "commitment").exists()
    subject, body = bodies(collector)[-1]
    assert "accepted" in subject and "Medical certificate" in body
    # The applicant later sends the deferred material; it is no longer owed.
    status = journey.client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)
    assert "Send the materials you owe" in status
    assert journey.upload("medical_certificate", jpeg_bytes()).status_code == 303
    case = case_of(staff_app, journey.reference)
    assert case.deferred == [] and case.status == "accepted"
    # Other slots cannot be changed any more (the materials page is closed now).
    import io
    token = journey.token()
    response = journey.client.post(f"/en/cases/{journey.reference}/materials/passport_page",
                                   data={"csrf_token": token, "file": (io.BytesIO(jpeg_bytes()), "p.jpg")},
                                   content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith(journey.reference)
    with staff_app.app_context(), db.connection_context():
        assert Upload.select().where(Upload.case == case, Upload.material_key == "passport_page",
                                     Upload.removed == False).count() == 1  # noqa: E712


def test_transfer_department_result_delivery_close(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    officer = sign_in(staff_app, "officer@test")
    assert officer.get(f"/staff/cases/{journey.reference}").status_code == 404
    assert staff_post(clerk, journey.reference, "accept").status_code == 303
    assert staff_post(clerk, journey.reference, "transfer", department="traffic-vehicle-office",
                      note="Please verify the licence record").status_code == 303
    assert "responsible department" in bodies(collector)[-1][0]
    html = officer.get("/staff/queue").get_data(as_text=True)
    assert journey.reference in html
    assert staff_post(officer, journey.reference, "accept").status_code == 403
    assert staff_post(officer, journey.reference, "transfer_back",
                      note="Record checked, no penalty points").status_code == 303
    assert case_of(staff_app, journey.reference).status == "accepted"
    assert staff_post(clerk, journey.reference, "approve").status_code == 303
    assert staff_post(clerk, journey.reference, "result", note="New licence No. 330328...").status_code == 303
    assert "is ready" in bodies(collector)[-1][0]
    response = staff_post(clerk, journey.reference, "deliver", method="courier", tracking="")
    assert response.status_code == 409 and "tracking number" in response.get_data(as_text=True)
    assert staff_post(clerk, journey.reference, "deliver", method="courier",
                      tracking="SF1234567890").status_code == 303
    subject, body = bodies(collector)[-1]
    assert "on its way" in subject and "SF1234567890" in body
    status = journey.client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)
    for text in ("Delivered", "SF1234567890", "The office accepted the application",
                 "Passed to the responsible department", "The result is ready"):
        assert text in status, text
    assert "Please verify the licence record" not in status  # the note was for the department
    assert staff_post(clerk, journey.reference, "close").status_code == 303
    assert case_of(staff_app, journey.reference).status == "closed"


def test_reject_needs_a_reason(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    response = staff_post(clerk, journey.reference, "reject", reason="  ")
    assert response.status_code == 409 and "Give a reason" in response.get_data(as_text=True)
    assert staff_post(clerk, journey.reference, "reject",
                      reason="The licence was revoked in 2024").status_code == 303
    assert "revoked in 2024" in bodies(collector)[-1][1]
    assert "revoked in 2024" in journey.client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)


def test_illegal_stale_and_replayed_decisions_are_refused(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    other = sign_in(staff_app, "clerk2@test")
    response = staff_post(clerk, journey.reference, "deliver", method="courier", tracking="X1")
    assert response.status_code == 409 and "not possible" in response.get_data(as_text=True)
    # Both clerks load the case; one accepts; the other's decision is stale.
    page = other.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert staff_post(clerk, journey.reference, "accept").status_code == 303
    response = other.post(f"/staff/cases/{journey.reference}/decide/reject",
                          data={"csrf_token": token, "version": version, "reason": "no"})
    assert response.status_code == 409
    assert "changed this case a moment ago" in response.get_data(as_text=True)
    # A decision posted twice (double press, or replayed after a dropped connection).
    page = clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "version": re.search(r'name="version" value="(\d+)"', page).group(1),
            "department": "traffic-vehicle-office", "note": "please check"}
    assert clerk.post(f"/staff/cases/{journey.reference}/decide/transfer", data=form).status_code == 303
    response = clerk.post(f"/staff/cases/{journey.reference}/decide/transfer", data=form)
    assert response.status_code == 409
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert Event.select().where(Event.case == case, Event.kind == "accepted").count() == 1
        assert Event.select().where(Event.case == case, Event.kind == "transferred").count() == 1


def test_return_needs_materials_reasons_and_a_future_due_date(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    response = staff_post(clerk, journey.reference, "return", due=future())
    assert response.status_code == 409 and "at least one material" in response.get_data(as_text=True)
    response = staff_post(clerk, journey.reference, "return", materials="id_photo",
                          reason_id_photo="", due=future())
    assert response.status_code == 409 and "Give a reason" in response.get_data(as_text=True)
    response = staff_post(clerk, journey.reference, "return", materials="id_photo",
                          reason_id_photo="blurry", due=(date.today() - timedelta(days=1)).isoformat())
    assert response.status_code == 409 and "after today" in response.get_data(as_text=True)
    assert case_of(staff_app, journey.reference).status == "submitted"


@pytest.mark.parametrize("lang,subject_word,body_word", [
    ("zh", "补正", "补正"), ("en", "corrections", "correct")])
def test_notifications_in_the_applicants_language(staff_app, smtp_server, lang, subject_word, body_word):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, lang=lang)
    clerk = sign_in(staff_app, "clerk@test")
    staff_post(clerk, journey.reference, "return", materials="passport_page",
               reason_passport_page="glare", due=future())
    subject, body = bodies(collector)[-1]
    assert subject_word in subject and body_word in body and journey.reference in subject
    assert f"/{lang}/cases/access/" in body
    # The link in the email opens the case on another device.
    link = re.search(r"http://onevisit.test(/\w\w/cases/access/\S+)", body).group(1)
    phone = staff_app.test_client()
    assert phone.get(link).status_code == 303
    assert phone.get(f"/{lang}/cases/{journey.reference}").status_code == 200


def test_deferred_material_reminders(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    staff_post(clerk, journey.reference, "accept")
    from app.cases.reminders import send_due_reminders
    with staff_app.app_context(), db.connection_context():
        assert send_due_reminders() == 0  # not due yet
        Case.update(deferred_due=date.today() + timedelta(days=1)).execute()
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0  # once a day
    subject, body = bodies(collector)[-1]
    assert "Reminder" in subject and "Medical certificate" in body
    overdue = clerk.get("/staff/queue?deferred=1").get_data(as_text=True)
    assert journey.reference in overdue


def test_time_limit_overdue_is_flagged(staff_app):
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    staff_post(clerk, journey.reference, "accept")
    with staff_app.app_context(), db.connection_context():
        Case.update(due_date=date.today() - timedelta(days=2)).execute()
    html = clerk.get("/staff/queue?due=overdue").get_data(as_text=True)
    assert journey.reference in html and "Overdue" in html
    assert journey.reference not in clerk.get("/staff/queue?due=soon").get_data(as_text=True)


def test_staff_actions_are_audited_and_the_trail_is_append_only(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    supervisor = sign_in(staff_app, "supervisor@test")
    clerk.get(f"/staff/cases/{journey.reference}")
    case = case_of(staff_app, journey.reference)
    with staff_app.app_context(), db.connection_context():
        upload = Upload.select().where(Upload.case == case).first()
    assert clerk.get(f"/staff/cases/{journey.reference}/files/{upload.id}?preview=1").status_code == 200
    assert clerk.get(f"/staff/cases/{journey.reference}/documents/form.pdf").status_code == 200
    staff_post(clerk, journey.reference, "accept")
    with staff_app.app_context(), db.connection_context():
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
        for action in ("login", "login_mfa", "case_view", "file_preview", "document_download",
                       "decision"):
            assert action in actions, action
        with pytest.raises(Exception):
            AuditEvent.update(action="tampered").execute()
        with pytest.raises(Exception):
            AuditEvent.delete().execute()
    trail = supervisor.get(f"/staff/cases/{journey.reference}/audit").get_data(as_text=True)
    assert "document_download" in trail and "clerk" in trail
    assert clerk.get(f"/staff/cases/{journey.reference}/audit").status_code == 403


def test_internal_notes_stay_internal_and_messages_reach_the_applicant(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    assert staff_post(clerk, journey.reference, "note", body="Called the police station").status_code == 303
    assert staff_post(clerk, journey.reference, "note", body="Your photo is fine now",
                      to_applicant="yes").status_code == 303
    status = journey.client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)
    assert "Your photo is fine now" in status and "Called the police station" not in status
    assert "Your photo is fine now" in bodies(collector)[-1][1]


def test_result_document_reaches_the_applicant(staff_app):
    import io
    from ..conftest import pdf_bytes
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    staff_post(clerk, journey.reference, "accept")
    staff_post(clerk, journey.reference, "approve")
    page = clerk.get(f"/staff/cases/{journey.reference}").get_data(as_text=True)
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "version": re.search(r'name="version" value="(\d+)"', page).group(1),
            "note": "Certificate No. 2026-118", "document": (io.BytesIO(pdf_bytes()), "result.pdf")}
    response = clerk.post(f"/staff/cases/{journey.reference}/decide/result", data=form,
                          content_type="multipart/form-data")
    assert response.status_code == 303
    status = journey.client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)
    link = re.search(r'href="(/en/cases/[^"]+/files/\d+)">Your result document', status).group(1)
    download = journey.client.get(link)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
