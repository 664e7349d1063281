"""Retention (issue 14, finding 10): an applicant deletes an unsent draft; at night, drafts
untouched for 30 days go, an ended case's files after 180 days and its personal details
after two years, audit events after five years (never younger than a year: the database
refuses), staff sessions and the outbox's copies after a month. The audit trail keeps the
reference of what went, not its content."""

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.dates import format_date

from app import clock
from app.models import AuditEvent, Case, CaseGrant, CaseNote, Event, IssuedDocument, Upload, db
from app.uploads.service import path_for

from ..conftest import (Journey, case_of, confirm_video, decide, fill_driving_licence, jpeg_bytes, sign_in,
                        submitted_case)
from ..pages import Page


def test_an_applicant_deletes_an_unsent_draft_with_its_files(app, client):
    journey = Journey(client)
    journey.start()
    fill_driving_licence(journey)
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    assert client.get(f"{journey.base}/documents/form.pdf").status_code == 200
    from app.documents.service import document_path
    with app.app_context(), db.connection_context():
        stored = path_for(Upload.get().stored_name)
        issued = document_path(IssuedDocument.get())
    assert stored.exists() and issued.exists()
    status = Page(client.get(journey.base))
    assert f"{journey.base}/delete" in status.links()
    page = Page(client.get(f"{journey.base}/delete"))
    assert page.one("h1").text == "Delete this unsent application?"
    done = client.post(f"{journey.base}/delete", data={"csrf_token": page.csrf()})
    assert done.status_code == 303 and done.headers["Location"].endswith("/en/")
    assert client.get(journey.base).status_code == 404
    assert not stored.exists(), "the file's bytes are gone"
    assert not issued.exists(), "and the PDF made of the draft"
    with app.app_context(), db.connection_context():
        assert not Case.select().where(Case.reference == journey.reference).exists()
        trail = AuditEvent.get(AuditEvent.action == "draft_deleted")
        assert trail.target == journey.reference
        assert "LIN" not in str(trail.data) and "example.it" not in str(trail.data)


def test_a_sent_application_cannot_be_deleted_this_way(app):
    journey = submitted_case(app)
    page = Page(journey.client.get(journey.base))
    assert f"{journey.base}/delete" not in page.links()
    answer = journey.client.post(f"{journey.base}/delete", data={"csrf_token": page.csrf()})
    assert answer.status_code == 303
    assert journey.client.get(journey.base).status_code == 200


def test_drafts_untouched_for_30_days_are_purged_at_night(app):
    from app.cases.retention import purge_old_drafts
    old, recent = Journey(app.test_client()), Journey(app.test_client())
    start = clock.now()
    with clock.clock_at(start - timedelta(days=31)):
        old.start()
    recent.start()
    sent = submitted_case(app)
    with app.test_request_context(), db.connection_context():
        assert purge_old_drafts() == 1
        references = {c.reference for c in Case.select()}
    assert old.reference not in references
    assert {recent.reference, sent.reference} <= references


# -- Ended cases: files after ENDED_FILES_DAYS, personal details after ENDED_DETAILS_DAYS --

def _delivered(app):
    """A case sent, accepted, decided and delivered; its form PDF issued once."""
    journey = submitted_case(app, defer=False)
    clerk = sign_in(app, "clerk@test")
    confirm_video(app, journey.reference, agent=False)
    assert journey.client.get(f"{journey.base}/documents/form.pdf").status_code == 200
    for action, data in (("accept", {}), ("approve", {}),
                         ("result", {"note": "Licence No. 330328 issued to LIN Mei"}),
                         ("deliver", {"method": "courier", "tracking": "SF1234567890"})):
        decide(clerk, journey.reference, action, **data)
    return journey, clerk


def _files(app, reference):
    from app.documents.service import document_path
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        uploads = [path_for(u.stored_name) for u in Upload.select().where(Upload.case == case)]
        documents = [document_path(d) for d in
                     IssuedDocument.select().where(IssuedDocument.case == case)]
    return uploads, documents


def _run(app, step, days_later):
    """Run a retention step as the nightly job would, ``days_later`` than now."""
    from app.cases import retention
    with clock.clock_at(clock.now() + timedelta(days=days_later)), \
            app.test_request_context(), db.connection_context():
        return getattr(retention, step)()


def test_an_ended_cases_files_are_kept_180_days_then_deleted(staff_app):
    journey, clerk = _delivered(staff_app)
    uploads, documents = _files(staff_app, journey.reference)
    assert len(uploads) == 4 and len(documents) == 1 and all(p.exists() for p in uploads + documents)
    ended = case_of(staff_app, journey.reference).ended_at
    assert ended is not None
    status = journey.client.page(journey.base)
    until = format_date((ended + timedelta(days=180)).date(), "medium", locale="en_GB")
    assert f"are kept until {until}. Download what you want to keep" in status.one("#retention").text
    first_upload = status.links(".files a[href*='/files/']")[0]
    code = None
    with staff_app.app_context(), db.connection_context():
        code = IssuedDocument.get().code

    assert _run(staff_app, "delete_ended_files", 179) == 0, "not yet"
    assert _run(staff_app, "delete_ended_files", 181) == 1
    assert not any(p.exists() for p in uploads + documents), "the bytes are gone"
    assert _run(staff_app, "delete_ended_files", 182) == 0, "once"

    status = journey.client.page(journey.base)
    assert "were deleted on" in status.one("#retention").text
    assert not status.select(".files"), "no documents or files are offered"
    assert journey.client.get(first_upload).status_code == 404
    assert journey.client.get(f"{journey.base}/documents/form.pdf").status_code == 404
    assert "LIN Mei" in clerk.page(f"/staff/cases/{journey.reference}").text, "details stay"
    assert "Files deleted on" in clerk.page(f"/staff/cases/{journey.reference}").one(
        "#retention").text
    verified = journey.client.page(f"/verify/{code}", headers={"Accept-Language": "en"})
    assert "This document was issued by OneVisit." in verified.text, "a printed copy verifies"
    with staff_app.app_context(), db.connection_context():
        trail = AuditEvent.get(AuditEvent.action == "retention_files")
        assert trail.target == journey.reference and trail.data == {"files": 4, "documents": 1}


def test_an_ended_cases_personal_details_go_after_two_years(staff_app):
    journey, clerk = _delivered(staff_app)
    decide(clerk, journey.reference, "note", body="Called LIN Mei at +39 312 345 6789")
    reference = journey.reference
    with staff_app.app_context(), db.connection_context():
        events = Event.select().where(Event.case == Case.get(Case.reference == reference)).count()
    assert _run(staff_app, "anonymise_ended", 729) == 0
    assert _run(staff_app, "anonymise_ended", 731) == 1
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        assert case.answers == {} and case.contact_email is None and case.contact_phone is None
        assert case.applicant_name == "" and case.city == "" and case.entrustment is None
        assert case.delivery == {"method": "courier"} and "note" not in case.result
        assert case.status == "delivered" and case.item_id and case.submitted_at and case.country
        assert Event.select().where(Event.case == case).count() == events + 1, "timeline kept"
        assert not Event.select().where((Event.case == case) & (
            Event.note.is_null(False) | Event.data.is_null(False))).exists()
        assert not CaseNote.select().where(CaseNote.case == case).exists()
        assert not CaseGrant.select().where(CaseGrant.case == case).exists()
        assert not Upload.select().where(Upload.case == case).exists()
        assert AuditEvent.select().where(AuditEvent.target == reference).exists()
    page = clerk.page(f"/staff/cases/{reference}")
    for personal in ("LIN Mei", "林美", "example.it", "312 345", "SF1234567890", "330328"):
        assert personal not in page.text, personal
    assert "Files and personal details deleted on" in page.one("#retention").text
    assert journey.client.get(journey.base).status_code != 200, "the browser's hold ended"
    found = clerk.page("/staff/queue?q=LIN+Mei&status=all").texts("#queue-table tbody tr td a")
    assert reference not in found, "the name no longer finds it"


def test_open_cases_and_recent_ends_keep_everything(staff_app):
    journey = submitted_case(staff_app)
    uploads, _ = _files(staff_app, journey.reference)
    assert _run(staff_app, "delete_ended_files", 3000) == 0
    assert _run(staff_app, "anonymise_ended", 3000) == 0
    assert all(p.exists() for p in uploads)
    assert case_of(staff_app, journey.reference).answers


def test_audit_events_go_after_five_years_and_the_database_keeps_a_year(app):
    from peewee import DatabaseError, IntegrityError
    now = datetime.utcnow()
    with app.app_context(), db.connection_context():
        old = AuditEvent.create(action="case_view", target="OV-OLD", created_at=now - timedelta(
            days=7 * 365))
        middle = AuditEvent.create(action="case_view", target="OV-MID",
                                   created_at=now - timedelta(days=400))
        recent = AuditEvent.create(action="case_view", target="OV-NEW", created_at=now)
    assert _run(app, "purge_old_audit", 0) == 1
    with app.app_context(), db.connection_context():
        left = {e.id for e in AuditEvent.select()}
        assert old.id not in left and {middle.id, recent.id} <= left
        with pytest.raises((IntegrityError, DatabaseError)), db.atomic():
            AuditEvent.delete().where(AuditEvent.id == recent.id).execute()
        with pytest.raises((IntegrityError, DatabaseError)), db.atomic():
            AuditEvent.update(target="changed").where(AuditEvent.id == middle.id).execute()
        assert AuditEvent.get_by_id(recent.id).target == "OV-NEW"


def test_staff_sessions_and_the_outbox_copies_go_after_a_month(staff_app):
    sign_in(staff_app, "clerk@test")
    outbox = Path(staff_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "old.eml").write_text("Subject: old")
    fresh = outbox / "fresh.eml"
    fresh.write_text("Subject: fresh")
    old_time = (clock.utcnow() - timedelta(days=40)).replace(tzinfo=timezone.utc).timestamp()
    os.utime(outbox / "old.eml", (old_time, old_time))
    assert _run(staff_app, "purge_mail_outbox", 0) == 1
    assert fresh.exists() and not (outbox / "old.eml").exists()
    assert _run(staff_app, "purge_staff_sessions", 0) == 0
    assert _run(staff_app, "purge_staff_sessions", 31) >= 1
