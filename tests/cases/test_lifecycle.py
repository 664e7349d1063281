"""The one write path of a case: each change bumps the version with its event, a stale one
is refused, and changes that do not depend on what someone saw are made again on the case
as it is now."""

import io

import pytest

from app.cases import lifecycle
from app.cases.access import check_access_code
from app.cases.assisted import replace_access_code
from app.cases.journey import add_file
from app.cases.reference import normalize_access_code
from app.models import Case, Event, Material, Staff, Upload, db
from app.uploads.service import UploadError, storage_root

from ..conftest import (confirm_video, Journey, case_of, decide, fill_driving_licence, jpeg_bytes, make_staff,
                        pdf_bytes, sign_in, submitted_case)


def events(app, reference):
    with app.app_context(), db.connection_context():
        return [e.kind for e in Event.select().join(Case).where(Case.reference == reference)
                .order_by(Event.id)]


def test_a_change_bumps_the_version_and_records_one_event(app):
    journey = Journey(app.test_client())
    journey.start()
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        changed = lifecycle.change(case, "answers_changed", changes={"applicant_name": "X"},
                                   data={"step": "applicant"})
        assert changed.case.version == case.version + 1
        assert changed.event.kind == "answers_changed" and changed.event.data == {
            "step": "applicant"}
        # The case object that was read before is stale now: its change is refused whole.
        with pytest.raises(lifecycle.TransitionError) as refused:
            lifecycle.change(case, "answers_changed", changes={"applicant_name": "Y"})
        assert refused.value.reason == "stale" and refused.value.case.version == case.version + 1
        # A status action the lifecycle does not allow now is refused as illegal.
        with pytest.raises(lifecycle.TransitionError) as illegal:
            lifecycle.change(changed.case, action="accept")
        assert illegal.value.reason == "illegal"
        fresh = Case.get_by_id(case.id)
        assert (fresh.applicant_name, fresh.status) == ("X", "draft")
    assert events(app, journey.reference) == ["started", "answers_changed"]


def test_what_runs_inside_a_refused_change_is_undone(app):
    journey = Journey(app.test_client())
    journey.start()
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        lifecycle.change(case, "answers_changed")
        before = Upload.select().count()
        with pytest.raises(lifecycle.TransitionError):
            lifecycle.change(case, "file_added", within=lambda: Upload.create(
                case=case, material_key="x", stored_name="y" * 32, original_name="a.jpg",
                content_type="image/jpeg", size=1, sha256="0" * 64))
        assert Upload.select().count() == before


def test_a_volunteers_change_is_made_again_on_the_case_as_it_is_now(app):
    """A new access code does not depend on what the volunteer saw: when the applicant's
    change comes first, it is made on the latest version instead of failing."""
    make_staff(app, "volunteer@test", "volunteer")
    journey = Journey(app.test_client())
    journey.start()
    with app.test_request_context(), db.connection_context():
        seen = Case.get(Case.reference == journey.reference)
        lifecycle.change(Case.get_by_id(seen.id), "answers_changed")  # the applicant, meanwhile
        code = replace_access_code(seen, Staff.get(Staff.email == "volunteer@test"))
        fresh = Case.get_by_id(seen.id)
        assert fresh.version == seen.version + 2
        assert check_access_code(fresh, normalize_access_code(code))
    assert events(app, journey.reference)[-1] == "access_code_replaced"


def test_sending_goes_through_when_the_window_wrote_meanwhile(staff_app):
    """The applicant opened the declaration before a clerk's message to them changed the
    case: sending still works (the case is checked again as it is), it is not a replay."""
    journey = Journey(staff_app.test_client())
    journey.start()
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo", "medical_certificate"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    journey.submit()
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "return", materials="id_photo",
           reason_id_photo="Blurred", due="2026-12-30")
    form = journey.declaration_form()
    decide(clerk, journey.reference, "note", body="Call us if you need help.",
           to_applicant="y")
    page = journey.submit(form=form)
    assert page.status == 303 and page.location.endswith("/confirmation")
    assert case_of(staff_app, journey.reference).status == "submitted"
    assert events(staff_app, journey.reference)[-2:] == ["message", "resubmitted"]


def test_saving_a_step_unchanged_writes_nothing(app):
    journey = Journey(app.test_client())
    journey.start()
    fill_driving_licence(journey)
    before = case_of(app, journey.reference)
    assert journey.step("medical", {"needs_glasses": "no"}).status == 303
    after = case_of(app, journey.reference)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert journey.step("medical", {"needs_glasses": "yes"}).status == 303
    assert case_of(app, journey.reference).version == before.version + 1


def test_a_file_that_comes_after_the_case_was_sent_is_refused_and_not_kept(app):
    """A slow upload that ends after the case was sent (a second tab, a resumed upload)
    finds the slot closed: refused, and its bytes are not left on disk."""
    journey = submitted_case(app)
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        material = Material.get((Material.item == case.item_id)
                                & (Material.key == "passport_page"))
        on_disk = sorted(p.name for p in storage_root().rglob("*") if p.is_file())
        with pytest.raises(UploadError) as refused:
            add_file(case, material, jpeg_bytes(), "late.jpg")
        assert refused.value.status == 409
        assert sorted(p.name for p in storage_root().rglob("*") if p.is_file()) == on_disk
        assert Upload.select().where(Upload.original_name == "late.jpg").count() == 0


def test_a_refused_result_leaves_no_file_behind(staff_app):
    """The result document is kept in the same change as the decision: a stale decision
    keeps neither its row nor its bytes."""
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    decide(clerk, journey.reference, "approve")
    with staff_app.app_context(), db.connection_context():
        on_disk = sorted(p.name for p in storage_root().rglob("*") if p.is_file())
    stale = case_of(staff_app, journey.reference).version - 1
    page = clerk.page(f"/staff/cases/{journey.reference}")
    response = clerk.post(f"/staff/cases/{journey.reference}/decide/result", data={
        "csrf_token": page.csrf(), "version": str(stale), "note": "Licence no. 123",
        "document": (io.BytesIO(pdf_bytes()), "result.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 303  # refused: back to the case page, which says why
    assert response.headers["Location"].endswith("#error-summary")
    with staff_app.app_context(), db.connection_context():
        assert sorted(p.name for p in storage_root().rglob("*") if p.is_file()) == on_disk
        assert not Upload.select().where(Upload.material_key == "_result").exists()
    assert case_of(staff_app, journey.reference).status == "approved"
