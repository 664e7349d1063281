"""A refused decision keeps what the clerk typed; a decision whose letter cannot be made
is done all the same and says so (503, never a 500)."""

from datetime import timedelta

from app.models import Case, Event, IssuedDocument, db

from ..conftest import (confirm_video, case_of, decide, refuse, shown, sign_in, smtp,
                        submitted_case, today)

TYPED = {"materials": ["passport_page", "id_photo"],
         "reason_passport_page": "Glare over the number: photograph it without the flash",
         "reason_id_photo": "The background is not white",
         "note": "Everything else is fine. 谢谢!"}


def return_form(page):
    """The return-for-corrections form of a case page."""
    return page.form("#d-return")


def assert_typed_kept(page, due):
    """The return form shows again everything in :data:`TYPED`, and ``due``."""
    form = return_form(page)
    assert page.field("materials", form=form) == TYPED["materials"]
    for name in ("reason_passport_page", "reason_id_photo", "note"):
        assert page.field(name, form=form) == TYPED[name], name
    assert page.field("due", form=form) == due


def test_a_refused_return_keeps_everything_the_clerk_typed(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    before = case_of(staff_app, journey.reference)
    yesterday = (today() - timedelta(days=1)).isoformat()
    page = refuse(clerk, journey.reference, "return", due=yesterday, **TYPED)

    assert page.title.startswith("Error: ")
    assert_typed_kept(page, yesterday)
    form = return_form(page)
    # The error is next to the due field, and the form's summary links to it.
    due_box = form.select_one("#f-return-due").find_parent(class_="field")
    assert "has-error" in due_box["class"]
    assert due_box.select_one("p.error").get_text(" ", strip=True) == (
        "Error: The due date must be after today.")
    assert form.select_one("#f-return-due")["aria-invalid"] == "true"
    summary = form.select_one(".error-summary")
    assert summary.h2.get_text(strip=True) == "Not done"
    assert [(a["href"], a.get_text(strip=True)) for a in summary.select("li a")] == [
        ("#f-return-due", "Due date: The due date must be after today.")]
    # Only that decision's form carries errors; nothing happened to the case.
    assert len(page.select(".error-summary")) == 1
    after = case_of(staff_app, journey.reference)
    assert (after.status, after.version) == ("submitted", before.version)

    # Corrected, the same form is accepted.
    data = dict(page.form_data("#d-return"), due=(today() + timedelta(days=7)).isoformat())
    clerk.submit(f"/staff/cases/{journey.reference}/decide/return", data)
    returned = case_of(staff_app, journey.reference)
    assert returned.status == "returned"
    assert [(i["material"], i["reason"]) for i in returned.supplement["items"]] == [
        ("passport_page", TYPED["reason_passport_page"]), ("id_photo", TYPED["reason_id_photo"])]
    assert returned.supplement["note"] == TYPED["note"]


def test_a_stale_return_keeps_what_was_typed_and_can_be_sent_again(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    colleague = sign_in(staff_app, "clerk2@test")
    url = f"/staff/cases/{journey.reference}"
    seen = clerk.page(url)
    version_seen = seen.field("version", form=return_form(seen))
    # A colleague takes the case meanwhile: the version the clerk saw is stale.
    decide(colleague, journey.reference, "claim")
    latest = case_of(staff_app, journey.reference).version
    assert str(latest) != version_seen

    due = (today() + timedelta(days=10)).isoformat()
    data = dict(seen.form_data("#d-return"), due=due, **TYPED)
    page = shown(clerk, journey.reference, clerk.submit(f"{url}/decide/return", data))
    summary = return_form(page).select_one(".error-summary")
    assert summary.h2.get_text(strip=True) == "Not done"
    assert summary.select_one("li").get_text(strip=True) == (
        "Someone changed this case a moment ago. Look at the latest state below and decide "
        "again.")
    assert_typed_kept(page, due)
    assert page.field("version", form=return_form(page)) == str(latest)
    assert case_of(staff_app, journey.reference).status == "submitted"
    # The page shows the latest state: the colleague handles it now.
    handled = [d for d in page.select("dl.facts div") if d.dt.get_text(strip=True) == "Handled by"]
    assert handled[0].dd.get_text(strip=True) == "clerk2"

    # Sending the form again as shown carries the latest version, and it is done.
    clerk.submit(f"{url}/decide/return", page.form_data("#d-return"))
    case = case_of(staff_app, journey.reference)
    assert case.status == "returned"
    assert [i["material"] for i in case.supplement["items"]] == TYPED["materials"]
    assert case.supplement["due"] == due
    with staff_app.app_context(), db.connection_context():
        assert Event.select().where(Event.case == case, Event.kind == "returned").count() == 1


def test_accepting_with_deferred_materials_when_the_letter_cannot_be_made(staff_app,
                                                                          smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=True)
    clerk = sign_in(staff_app, "clerk@test")
    timeout = staff_app.config["RENDER_TIMEOUT_S"]
    staff_app.config["RENDER_TIMEOUT_S"] = 0.001  # no PDF can be made that fast
    try:
        confirm_video(staff_app, journey.reference, agent=False)
        page = decide(clerk, journey.reference, "accept", status=503)
    finally:
        staff_app.config["RENDER_TIMEOUT_S"] = timeout
    assert page.one("h1").text == "The document could not be made"
    assert page.one(".notice.ok").text == (
        "The decision is saved. The letter it issues will be made when it is next opened.")
    assert page.links("main a.button") == [f"/staff/cases/{journey.reference}"]

    # The case is accepted all the same, once, and the applicant is told.
    case = case_of(staff_app, journey.reference)
    assert case.status == "accepted"
    assert case.deferred_due is not None
    with staff_app.app_context(), db.connection_context():
        assert Event.select().where(Event.case == case, Event.kind == "accepted").count() == 1
        assert not IssuedDocument.select().where(IssuedDocument.case == case,
                                                 IssuedDocument.doc_type == "commitment").exists()
    subject = collector.messages[-1][1]["Subject"]
    assert "accepted" in subject
    shown = clerk.page(f"/staff/cases/{journey.reference}")
    assert shown.one("h1 .badge").text == "Accepted"

    # The letter is made when it is next opened.
    letter = clerk.get(f"/staff/cases/{journey.reference}/documents/commitment.pdf")
    assert letter.status_code == 200
    assert letter.data.startswith(b"%PDF")
    with staff_app.app_context(), db.connection_context():
        assert IssuedDocument.select().where(
            IssuedDocument.case == Case.get_by_id(case.id),
            IssuedDocument.doc_type == "commitment").count() == 1


def test_a_stale_decision_is_refused_in_the_audit_trail_too(staff_app):
    from app.models import AuditEvent
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    stale = case_of(staff_app, journey.reference).version - 1
    refuse(clerk, journey.reference, "claim", version=str(stale))
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        trail = [(a.action, a.target) for a in AuditEvent.select().where(
            AuditEvent.case_id == case.id).order_by(AuditEvent.id)]
    assert ("decision_refused", "claim") in trail
    assert ("decision", "claim") not in trail


def test_a_decision_not_possible_now_is_refused_and_changes_nothing(staff_app):
    """Assigning a withdrawn case is not on offer, and posting it anyway changes nothing."""
    journey = submitted_case(staff_app)
    page = journey.client.page(f"/en/cases/{journey.reference}/withdraw")
    journey.client.submit(f"/en/cases/{journey.reference}/withdraw",
                          {"csrf_token": page.csrf()})
    clerk = sign_in(staff_app, "clerk@test")
    before = case_of(staff_app, journey.reference)
    assert before.status == "withdrawn"
    assert clerk.page(f"/staff/cases/{journey.reference}").first("#d-claim") is None
    page = refuse(clerk, journey.reference, "claim", version=str(before.version))
    assert "This decision is not possible in the case's current state." in page.texts(
        "#d-claim .error-summary li")
    after = case_of(staff_app, journey.reference)
    assert (after.version, after.assigned_to_id) == (before.version, None)


def test_emails_given_up_are_shown_on_the_case(staff_app):
    """When the mail server refused an email every time, the clerk sees which ones."""
    import socket
    from app.cases import outbox
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    staff_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port, OUTBOX_MAX_ATTEMPTS=1)
    journey = submitted_case(staff_app)
    with staff_app.app_context(), db.connection_context():
        outbox.sweep()
        failed = [e.kind for e in Event.select().where(Event.outbox_state == "failed")]
    assert failed == ["started", "submitted"]
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/cases/{journey.reference}")
    notice = page.one(".notice.warn[role=status]")
    assert "could not be delivered" in notice.get_text()
    assert [li.get_text(" ", strip=True).split(" · ")[0] for li in notice.select("li")] == [
        "The applicant started the application", "The applicant sent the application"]


def test_a_decision_and_its_audit_record_commit_together(staff_app, monkeypatch):
    """No decision without its audit record: when the record cannot be written, the
    decision is undone and nobody is told of it."""
    from app import audit
    from app.cases import lifecycle
    from app.models import AuditEvent
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    before = case_of(staff_app, journey.reference)
    announced = []
    lifecycle.recorded.connect(lambda _sender, event_ids: announced.extend(event_ids),
                               weak=False)
    real = audit.record

    def failing(action, **kwargs):
        if action == "decision":
            raise RuntimeError("the audit table is unreachable")
        return real(action, **kwargs)
    monkeypatch.setattr(audit, "record", failing)
    decide(clerk, journey.reference, "claim", status=500)
    after = case_of(staff_app, journey.reference)
    assert (after.version, after.status, after.assigned_to_id) == (
        before.version, before.status, before.assigned_to_id)
    assert announced == []

    # Written together, the decision's emails are queued once it has committed.
    monkeypatch.setattr(audit, "record", real)
    decide(clerk, journey.reference, "claim")
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.assigned_to_id is not None
        assert AuditEvent.select().where(AuditEvent.case_id == case.id,
                                         AuditEvent.action == "decision").count() == 1
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    with staff_app.app_context(), db.connection_context():
        accepted = Event.get(Event.case == case, Event.kind == "accepted")
    assert accepted.id in announced, "queued after the commit, not left to the sweep"
