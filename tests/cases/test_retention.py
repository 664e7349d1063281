"""Retention (issue 14, finding 10): an applicant deletes an unsent draft, drafts untouched
for 30 days are purged at night; the audit trail keeps the reference, not the data."""

from datetime import timedelta

from app import clock
from app.models import AuditEvent, Case, Upload, db
from app.uploads.service import path_for

from ..conftest import Journey, fill_driving_licence, jpeg_bytes, submitted_case
from ..pages import Page


def test_an_applicant_deletes_an_unsent_draft_with_its_files(app, client):
    journey = Journey(client)
    journey.start()
    fill_driving_licence(journey)
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    with app.app_context(), db.connection_context():
        stored = path_for(Upload.get().stored_name)
    assert stored.exists()
    status = Page(client.get(journey.base))
    assert f"{journey.base}/delete" in status.links()
    page = Page(client.get(f"{journey.base}/delete"))
    assert page.one("h1").text == "Delete this unsent application?"
    done = client.post(f"{journey.base}/delete", data={"csrf_token": page.csrf()})
    assert done.status_code == 303 and done.headers["Location"].endswith("/en/")
    assert client.get(journey.base).status_code == 404
    assert not stored.exists(), "the file's bytes are gone"
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
    from app.cases.journey import purge_old_drafts
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
