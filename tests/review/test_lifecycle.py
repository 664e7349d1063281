"""Every decision of the case lifecycle, through the staff pages, with its email."""

import io
import re
from datetime import timedelta

import pytest
from peewee import DatabaseError

from app.models import AuditEvent, Case, Event, IssuedDocument, Upload, db

from ..conftest import (confirm_video, case_of, decide, jpeg_bytes, pdf_bytes, refuse, shown,
                        sign_in, smtp, submitted_case, today)


def bodies(collector):
    return [(m["Subject"], m.get_body(("plain",)).get_content()) for _to, m in collector.messages]


def future(days=10):
    return (today() + timedelta(days=days)).isoformat()


def queue_rows(page) -> dict:
    """``{reference: row}`` of the queue's case table, in the order shown (on the whole
    page and on its htmx partial alike)."""
    scope = page.first("#queue-table") or page.soup
    return {row.select_one("td a").get_text(strip=True): row
            for row in scope.select("table.queue tbody tr")}


def listed(client, url) -> list[str]:
    """The references the queue at ``url`` lists."""
    return list(queue_rows(client.page(url)))


def after_heading(page, heading: str):
    """The element that follows the ``<h2>`` reading ``heading``."""
    found = [h for h in page.select("main h2") if h.get_text(strip=True) == heading]
    assert len(found) == 1, f"{len(found)} headings {heading!r} on {page!r}"
    return found[0].find_next_sibling()


def timeline(page) -> list[str]:
    """The entries of a case's timeline, as read."""
    return page.texts("ol.timeline li")


def test_queue_shows_the_office_cases_with_counts(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page("/staff/queue")
    row = queue_rows(page)[journey.reference]
    cells = row.select("td")
    assert cells[1].get_text(" ", strip=True) == "林美 LIN Mei Prato, Italy"
    waiting = cells[4].get_text(" ", strip=True)
    assert "Beijing time" in waiting and "Italy" in waiting  # both clocks
    assert "Waiting for review (1)" in page.texts("ul.counts li")
    # Filters work as plain links and as an htmx partial.
    assert journey.reference in listed(clerk, "/staff/queue?q=LIN")
    assert journey.reference in listed(clerk, f"/staff/queue?q={journey.reference}")
    nobody = clerk.page("/staff/queue?q=NOBODY")
    assert not queue_rows(nobody)
    assert nobody.one("#queue-table").get_text(strip=True) == "No case matches."
    partial = clerk.page("/staff/queue?status=submitted", headers={"HX-Request": "true"})
    assert partial.soup.find("html") is None and partial.soup.find("main") is None
    assert list(queue_rows(partial)) == [journey.reference]
    assert journey.reference not in listed(clerk, "/staff/queue?status=accepted")
    clerk.page("/staff/queue?status=bogus&sort=bogus&after=garbage")


def test_return_for_supplement_and_resubmit_comes_back_to_the_top(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    first = submitted_case(staff_app)
    second = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, first.reference, "claim")
    decide(clerk, first.reference, "review", material="id_photo", verdict="correction",
           reason="The photo is blurry")
    decide(clerk, first.reference, "return", materials="id_photo",
           reason_id_photo="The photo is blurry: take it again in daylight",
           note="Only the photo, the rest is fine.", due=future())
    case = case_of(staff_app, first.reference)
    assert case.status == "returned"
    assert case.supplement["items"][0]["material"] == "id_photo"
    subject, body = bodies(collector)[-1]
    assert "needs corrections" in subject
    assert "blurry" in body
    assert "/en/cases/access/" in body
    # The applicant sees exactly what to fix, replaces the photo and sends again.
    status = first.client.page(f"/en/cases/{first.reference}")
    notice = status.one(".notice.warn:not(#video)")
    assert notice.h2.get_text(strip=True) == "What to correct"
    # The clerk's words are marked as theirs (written in the applicant's language here).
    assert [li.get_text(strip=True) for li in notice.select(":scope > ul > li")] == [
        "Recent ID photo (white background):The clerk's own words:"
        "The photo is blurry: take it again in daylight"]
    assert "Only the photo, the rest is fine." in notice.get_text()
    with staff_app.app_context(), db.connection_context():
        old = Upload.get(Upload.case == case, Upload.material_key == "id_photo",
                         Upload.removed == False)  # noqa: E712
    first.client.submit(f"/en/cases/{first.reference}/materials/id_photo/files/{old.id}/remove",
                        csrf_from=f"/en/cases/{first.reference}/materials")
    assert first.upload("id_photo", jpeg_bytes(color=(10, 200, 30))).status == 303
    assert first.submit().status == 303
    assert case_of(staff_app, first.reference).status == "submitted"
    order = listed(clerk, "/staff/queue")
    assert order.index(first.reference) < order.index(second.reference)  # back at the top


def test_accept_with_deferred_material_issues_the_commitment_letter(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    case = case_of(staff_app, journey.reference)
    assert case.status == "accepted"
    assert case.due_date > today()
    assert case.deferred_due is not None
    with staff_app.app_context(), db.connection_context():
        assert IssuedDocument.select().where(IssuedDocument.case == case,
                                             IssuedDocument.doc_type == "commitment").exists()
    subject, body = bodies(collector)[-1]
    assert "accepted" in subject
    assert "Medical certificate" in body
    # The applicant later sends the deferred material; it is no longer owed.
    status = journey.client.page(f"/en/cases/{journey.reference}")
    assert "Send the materials you owe" in status.texts(".notice.warn a.button")
    assert journey.upload("medical_certificate", jpeg_bytes()).status == 303
    case = case_of(staff_app, journey.reference)
    assert case.deferred == []
    assert case.status == "accepted"
    # Other slots cannot be changed any more (the materials page is closed now).
    refused = journey.client.submit(
        f"/en/cases/{journey.reference}/materials/passport_page",
        {"file": (io.BytesIO(jpeg_bytes()), "p.jpg")}, csrf_from=journey.base)
    assert refused.location.endswith(journey.reference)
    with staff_app.app_context(), db.connection_context():
        assert Upload.select().where(Upload.case == case, Upload.material_key == "passport_page",
                                     Upload.removed == False).count() == 1  # noqa: E712


def test_transfer_department_result_delivery_close(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    officer = sign_in(staff_app, "officer@test")
    officer.page(f"/staff/cases/{journey.reference}", status=404)
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    decide(clerk, journey.reference, "transfer", department="traffic-vehicle-office",
           note="Please verify the licence record")
    assert "responsible department" in bodies(collector)[-1][0]
    assert journey.reference in listed(officer, "/staff/queue")
    decide(officer, journey.reference, "accept", status=403)
    decide(officer, journey.reference, "transfer_back", note="Record checked, no penalty points")
    assert case_of(staff_app, journey.reference).status == "accepted"
    decide(clerk, journey.reference, "approve")
    decide(clerk, journey.reference, "result", note="New licence No. 330328...")
    assert "is ready" in bodies(collector)[-1][0]
    refused = refuse(clerk, journey.reference, "deliver", method="courier", tracking="")
    assert refused.one("#e-deliver-tracking").text == "Error: Enter the courier's tracking number."
    decide(clerk, journey.reference, "deliver", method="courier", tracking="SF1234567890")
    subject, body = bodies(collector)[-1]
    assert "on its way" in subject
    assert "SF1234567890" in body
    status = journey.client.page(f"/en/cases/{journey.reference}")
    assert status.one("p.status strong").text == "Delivered"
    delivery = after_heading(status, "How the result was delivered").get_text(" ", strip=True)
    assert delivery == "By courier to your address abroad · Tracking number: SF1234567890"
    events = timeline(status)
    for text in ("The result was delivered", "The office accepted the application",
                 "Passed to the responsible department", "The result is ready"):
        assert any(text in entry for entry in events), text
    assert "Please verify the licence record" not in status.text  # the note was for the department
    decide(clerk, journey.reference, "close")
    assert case_of(staff_app, journey.reference).status == "closed"


def test_reject_needs_a_reason(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    refused = refuse(clerk, journey.reference, "reject", reason="  ")
    assert refused.one("#e-reject-reason").text == "Error: Give a reason: the applicant will read it."
    assert case_of(staff_app, journey.reference).status == "submitted"
    decide(clerk, journey.reference, "reject", reason="The licence was revoked in 2024")
    assert "revoked in 2024" in bodies(collector)[-1][1]
    status = journey.client.page(f"/en/cases/{journey.reference}")
    assert status.one("p.status strong").text == "Rejected"
    assert "The licence was revoked in 2024" in status.texts("ol.timeline li .hint")


def test_illegal_stale_and_replayed_decisions_are_refused(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    other = sign_in(staff_app, "clerk2@test")
    url = f"/staff/cases/{journey.reference}"
    refused = refuse(clerk, journey.reference, "deliver", method="courier", tracking="X1")
    assert refused.one("#d-deliver .error-summary li").text == (
        "This decision is not possible in the case's current state.")
    # Both clerks load the case; one accepts; the other's decision is stale.
    seen = other.page(url)
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    stale = shown(other, journey.reference, other.submit(
        f"{url}/decide/reject", dict(seen.form_data("#d-reject"), reason="no")))
    assert "changed this case a moment ago" in stale.one("#d-reject .error-summary").text
    # A decision posted twice (double press, or replayed after a dropped connection).
    form = dict(clerk.page(url).form_data("#d-transfer"), department="traffic-vehicle-office",
                note="please check")
    clerk.submit(f"{url}/decide/transfer", form)
    shown(clerk, journey.reference, clerk.submit(f"{url}/decide/transfer", form))
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert Event.select().where(Event.case == case, Event.kind == "accepted").count() == 1
        assert Event.select().where(Event.case == case, Event.kind == "transferred").count() == 1
        assert case.status == "transferred"


def test_return_needs_materials_reasons_and_a_future_due_date(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    nothing = refuse(clerk, journey.reference, "return", due=future())
    assert nothing.one("#f-return-materials p.error").text == (
        "Error: Choose at least one material the applicant must fix, with what is wrong.")
    no_reason = refuse(clerk, journey.reference, "return", materials="id_photo",
                       reason_id_photo="", due=future())
    assert no_reason.one("#e-return-reason_id_photo").text == (
        "Error: Choose a standard reason or write what is wrong: the applicant will read it.")
    past = refuse(clerk, journey.reference, "return", materials="id_photo",
                  reason_id_photo="blurry", due=(today() - timedelta(days=1)).isoformat())
    assert past.one("#e-return-due").text == "Error: The due date must be after today."
    same_day = refuse(clerk, journey.reference, "return", materials="id_photo",
                      reason_id_photo="blurry", due=today().isoformat())
    assert same_day.one("#e-return-due").text == "Error: The due date must be after today."
    assert case_of(staff_app, journey.reference).status == "submitted"


@pytest.mark.parametrize("lang,subject_word,body_word", [
    ("zh", "补正", "补正"), ("en", "corrections", "correct")])
def test_notifications_in_the_applicants_language(staff_app, smtp_server, lang, subject_word, body_word):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, lang=lang)
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "return", materials="passport_page",
           reason_passport_page="glare", due=future())
    subject, body = bodies(collector)[-1]
    assert subject_word in subject
    assert body_word in body
    assert journey.reference in subject
    assert f"/{lang}/cases/access/" in body
    # The link in the email opens the case on another device.
    link = re.search(r"http://onevisit.test(/\w\w/cases/access/\S+)", body).group(1)
    phone = staff_app.test_client()
    phone.page(link, status=303)
    page = phone.page(f"/{lang}/cases/{journey.reference}")
    assert page.one("h1").text.endswith(journey.reference)


def test_deferred_material_reminders(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    from app.cases.reminders import send_due_reminders
    with staff_app.app_context(), db.connection_context():
        assert send_due_reminders() == 0  # not due yet
        Case.update(deferred_due=today() + timedelta(days=1)).execute()
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0  # once a day
    subject, body = bodies(collector)[-1]
    assert "Reminder" in subject
    assert "Medical certificate" in body
    owed = queue_rows(clerk.page("/staff/queue?deferred=1"))
    assert list(owed) == [journey.reference]
    assert owed[journey.reference].select_one(".badge").get_text(strip=True).startswith(
        "Materials owed by")


def test_time_limit_overdue_is_flagged(staff_app):
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    with staff_app.app_context(), db.connection_context():
        Case.update(due_date=today() - timedelta(days=2)).execute()
    overdue = queue_rows(clerk.page("/staff/queue?due=overdue"))
    assert list(overdue) == [journey.reference]
    row = overdue[journey.reference]
    assert "overdue" in row.get("class", [])
    assert row.select_one(".badge.late").get_text(strip=True) == "Overdue"
    assert journey.reference not in listed(clerk, "/staff/queue?due=soon")


def test_staff_actions_are_audited_and_the_trail_is_append_only(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    supervisor = sign_in(staff_app, "supervisor@test")
    clerk.page(f"/staff/cases/{journey.reference}")
    case = case_of(staff_app, journey.reference)
    with staff_app.app_context(), db.connection_context():
        upload = Upload.select().where(Upload.case == case).first()
    preview = clerk.get(f"/staff/cases/{journey.reference}/files/{upload.id}?preview=1")
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    with staff_app.app_context(), db.connection_context():
        # The page's previews are part of its view: no write of their own.
        assert not AuditEvent.select().where(AuditEvent.action == "file_preview").exists()
    # A preview opened without the page (or long after it) is recorded.
    supervisor.get(f"/staff/cases/{journey.reference}/files/{upload.id}?preview=1")
    document = clerk.get(f"/staff/cases/{journey.reference}/documents/form.pdf")
    assert document.status_code == 200 and document.data.startswith(b"%PDF")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    with staff_app.app_context(), db.connection_context():
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
        for action in ("login", "login_mfa", "case_view", "file_preview", "document_download",
                       "decision"):
            assert action in actions, action
        with pytest.raises(DatabaseError, match="append-only"):
            AuditEvent.update(action="tampered").execute()
        with pytest.raises(DatabaseError, match="append-only"):
            AuditEvent.delete().execute()
    trail = supervisor.page(f"/staff/cases/{journey.reference}/audit")
    rows = [[td.get_text(strip=True) for td in tr.select("td")]
            for tr in trail.select("table.audit tbody tr")]
    downloads = [row for row in rows if row[2] == "document_download"]
    assert downloads and downloads[0][1] == "clerk"
    assert downloads[0][3].startswith("form/")
    clerk.page(f"/staff/cases/{journey.reference}/audit", status=403)


def test_internal_notes_stay_internal_and_messages_reach_the_applicant(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "note", body="Called the police station")
    decide(clerk, journey.reference, "note", body="Your photo is fine now", to_applicant="yes")
    status = journey.client.page(f"/en/cases/{journey.reference}")
    assert "Your photo is fine now" in status.texts("ol.timeline li .hint")
    assert "Called the police station" not in status.text
    assert "Your photo is fine now" in bodies(collector)[-1][1]
    notes = [li.get_text(" ", strip=True) for li in after_heading(
        clerk.page(f"/staff/cases/{journey.reference}"), "Notes and messages").select("li")]
    assert any(n.startswith("Internal") and "Called the police station" in n for n in notes)
    assert any(n.startswith("To the applicant") and "Your photo is fine now" in n for n in notes)


def test_result_document_reaches_the_applicant(staff_app):
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    decide(clerk, journey.reference, "approve")
    decide(clerk, journey.reference, "result", note="Certificate No. 2026-118",
           document=(io.BytesIO(pdf_bytes()), "result.pdf"))
    status = journey.client.page(f"/en/cases/{journey.reference}")
    links = [a for a in status.select("a.button") if a.get_text(strip=True) == "Your result document"]
    assert len(links) == 1
    assert re.fullmatch(rf"/en/cases/{journey.reference}/files/\d+", links[0]["href"])
    download = journey.client.get(links[0]["href"])
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")


def test_a_reference_finds_its_case_in_any_state(staff_app):
    """Issue 15, part 14: a withdrawn case vanished from the clerk's search (the default
    tab lists cases waiting for the window). A reference is looked up in every state the
    account may see, whatever the tab and filters; a name still follows the tab."""
    journey = submitted_case(staff_app)
    page = journey.client.page(f"{journey.base}/withdraw")
    journey.client.submit(f"{journey.base}/withdraw", {"csrf_token": page.csrf()})
    assert case_of(staff_app, journey.reference).status == "withdrawn"
    clerk = sign_in(staff_app, "clerk@test")
    spelled = journey.reference.lower().replace("-", " ")
    for url in (f"/staff/queue?q={spelled}", f"/staff/queue?q={journey.reference}&status=todo",
                f"/staff/queue?q={journey.reference}&status=delivered&due=overdue"):
        assert listed(clerk, url) == [journey.reference], url
    assert journey.reference not in listed(clerk, "/staff/queue?q=LIN")
    assert journey.reference in listed(clerk, "/staff/queue?q=LIN&status=withdrawn")
    tabs = clerk.page("/staff/queue").texts("ul.counts a")
    assert any(tab.startswith("Withdrawn (1)") for tab in tabs), tabs
    other = sign_in(staff_app, "other.clerk@test")
    assert listed(other, f"/staff/queue?q={journey.reference}") == [], "not theirs to see"


def test_a_result_waits_for_the_materials_promised_or_a_supervisors_waiver(staff_app):
    """Issue 15, part 12: a case accepted with the medical certificate deferred was
    approved, given its result and delivered, and the certificate never came. Owed
    materials block approval and the result until they arrive, or the window's
    supervisor waives them with a reason (audited); reminders go on until then."""
    from app.models import AuditEvent, db
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    refused = refuse(clerk, journey.reference, "approve")
    assert "Materials promised for later have not arrived yet: Medical certificate" in (
        refused.one("#d-approve .error-summary").text)
    assert case_of(staff_app, journey.reference).status == "accepted"
    assert not refused.select("#d-waive"), "a clerk is offered no waiver"
    decide(clerk, journey.reference, "waive", reason="x", status=403)

    supervisor = sign_in(staff_app, "supervisor@test")
    empty = refuse(supervisor, journey.reference, "waive", reason=" ")
    assert empty.one("#e-waive-reason").text.startswith("Error: ")
    decide(supervisor, journey.reference, "waive",
           reason="The traffic police checked the medical record directly")
    waived = case_of(staff_app, journey.reference)
    assert waived.deferred == [] and waived.deferred_due is None
    decide(clerk, journey.reference, "approve")
    status = journey.client.page(journey.base)
    assert any("no longer needs the materials you promised" in e for e in timeline(status))
    with staff_app.app_context(), db.connection_context():
        assert AuditEvent.get(AuditEvent.target == "waive").staff.email == "supervisor@test"


def test_the_result_also_waits_for_promised_materials(staff_app):
    """A case approved before the rule (or by a department) still owes the materials:
    the result is refused until they arrive."""
    from app.cases import lifecycle
    from app.models import Case, db
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    with staff_app.app_context(), db.connection_context():
        lifecycle.change(Case.get(Case.reference == journey.reference), action="approve",
                         actor="staff")
    refused = refuse(clerk, journey.reference, "result", note="Licence issued")
    assert "have not arrived yet" in refused.one("#d-result .error-summary").text
    assert journey.upload("medical_certificate", jpeg_bytes()).status_code == 303
    decide(clerk, journey.reference, "result", note="Licence issued")


def test_emails_print_dates_for_their_reader_and_the_windows_real_calendar(staff_app,
                                                                           smtp_server):
    """Issue 15, part 7: emails printed ISO dates ("au plus tard le 2026-12-09") and said
    the window works "Monday to Friday". Dates are written for the reader's language with
    the zone they count in; the window's next working day comes from its calendar."""
    import re as regex
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, lang="fr", defer=True)
    received = next(body for subject, body in bodies(collector) if "bien reçu" in subject)
    assert "jours ouvrés chinois" in received and "lundi au vendredi" not in received
    assert "à votre heure" in received
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    collector.messages.clear()
    decide(clerk, journey.reference, "accept")
    accepted = bodies(collector)[-1][1]
    assert not regex.search(r"\d{4}-\d{2}-\d{2}", accepted), accepted
    assert regex.search(r"\d{1,2} \w+ 20\d\d \(heure de Pékin\)", accepted), accepted
