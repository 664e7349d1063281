"""The follow-up of a bad rating, staff side: the list, the page, every step, the due date
across a Chinese holiday, the applicant's side of the loop, and who may do what."""

from datetime import datetime

import pytest

from app import clock
from app.models import AuditEvent, Event, FollowUp, FollowUpEvent, StatCell, db
from app.ratings import service
from tests.conftest import smtp, sign_in
from tests.pages import facts

from .follow_helpers import bad_rating, follow_up_of, rate, step
from .helpers import delivered_case


def at(moment: str):
    """The clock at ``moment`` (UTC; Beijing is 8 hours ahead)."""
    return clock.clock_at(datetime.fromisoformat(moment + "+00:00"))


def whole(app, month):
    """The statistics' row of every case for ``month`` (yyyymm)."""
    with app.app_context(), db.connection_context():
        return StatCell.get((StatCell.county == 0) & (StatCell.item == 0)
                            & (StatCell.point == 0) & (StatCell.month == month))


def audited(app, follow_up_id) -> list[str]:
    """The audit actions about a follow-up, oldest first."""
    with app.app_context(), db.connection_context():
        return [e.action for e in AuditEvent.select().where(
            AuditEvent.target == f"follow_up:{follow_up_id}").order_by(AuditEvent.id)]


def list_rows(page) -> dict:
    """``{reference: {column: text}}`` of the follow-ups table."""
    heads = page.texts("table.queue thead th")
    return {row.select_one("td a").get_text(strip=True):
            dict(zip(heads, (td.get_text(" ", strip=True) for td in row.select("td"))))
            for row in page.select("table.queue tbody tr")}


def test_the_whole_loop_across_national_day(staff_app):
    """Rated 不满意 the day before National Day 2026: due 15 Chinese working days later
    (22 October, Oct 1-8 off, Oct 10 a working Saturday); verified, visited, replied; the
    applicant, whose week to change the rating was over, may rate again; closed on time."""
    with at("2026-09-24T06:30:00"):
        journey, _clerk = delivered_case(staff_app)
    reference = journey.reference
    with at("2026-09-25T06:30:00"):
        rate(staff_app, reference, 2, comment="Nobody told me the medical certificate was needed.")
        supervisor = sign_in(staff_app, "supervisor@test")
        follow_up = follow_up_of(staff_app, reference)
        assert follow_up.due_date.isoformat() == "2026-10-22"
        row = list_rows(supervisor.page("/staff/follow-ups"))[reference]
        assert row["Due (Beijing time)"] == "22 Oct 2026"
        assert row["Working days left"] == "15"
        assert row["Rating"] == "Dissatisfied"
        page = supervisor.page(f"/staff/follow-ups/{follow_up.id}")
        assert facts(page)["Due"] == "22 Oct 2026 (Beijing time) 15 working days left"
        assert "Nobody told me the medical certificate" in page.one("#comment").text
    fid = follow_up.id

    # The supervisor signs in each day (a session ends after 30 idle minutes).
    with at("2026-09-28T07:00:00"):
        supervisor = sign_in(staff_app, "supervisor@test")
        step(supervisor, fid, "assign", to=str(supervisor_id(staff_app)))
        step(supervisor, fid, "verify", holds="yes",
             note="The guide lists the certificate, but the clerk's email did not.")
        step(supervisor, fid, "visit", channel="call", lang="en",
             note="Called Ms Lin: she had to send the certificate twice.")
        page = supervisor.page(f"/staff/follow-ups/{fid}")
        assert facts(page)["Handled by"] == "supervisor"
    with at("2026-10-09T03:00:00"):
        # The week to change the rating is over: the applicant cannot change it yet.
        with pytest.raises(service.Refused) as refused:
            rate(staff_app, reference, 4)
        assert refused.value.reason == "closed"
        supervisor = sign_in(staff_app, "supervisor@test")
        step(supervisor, fid, "reply", text="We are sorry: the email forgot the "
             "certificate. We have corrected our email templates.")
        page = supervisor.page(f"/staff/follow-ups/{fid}")
        assert "The reply is sent to the applicant." in page.texts(".flash")
    with staff_app.app_context(), db.connection_context():
        event = Event.get((Event.case == follow_up.case_id) & (Event.kind == "follow_up_reply"))
        assert "corrected our email templates" in event.note
        assert event.data["lang"] == "en"
        assert FollowUp.get_by_id(fid).status == "replied"

    with at("2026-10-12T02:00:00"):
        rate(staff_app, reference, 4)  # open again for a week after the reply
        supervisor = sign_in(staff_app, "supervisor@test")
        page = supervisor.page(f"/staff/follow-ups/{fid}")
        assert "The applicant rated again" in page.texts("#steps .meta strong")
        assert facts(page)["Rating"].startswith("Satisfied")
        step(supervisor, fid, "close", note="Templates fixed; the applicant is satisfied.")
        closed = list_rows(supervisor.page("/staff/follow-ups?tab=closed"))[reference]
        assert "On time" in closed["State"]
        assert reference not in list_rows(supervisor.page("/staff/follow-ups"))
    done = follow_up_of(staff_app, reference)
    assert (done.status, done.closed_on_time) == ("closed", True)
    cell = whole(staff_app, 202609)
    assert (cell.follow_ups, cell.follow_ups_closed, cell.follow_ups_on_time) == (1, 1, 1)
    assert (cell.level_2, cell.level_4) == (0, 1)
    # Every step is audited, and so is each view of the page (it shows personal data).
    actions = audited(staff_app, fid)
    for action in ("follow_up_view", "follow_up_assigned", "follow_up_verified",
                   "follow_up_visit", "follow_up_reply", "follow_up_closed"):
        assert action in actions, (action, actions)
    with staff_app.app_context(), db.connection_context():
        kinds = [e.kind for e in FollowUpEvent.select().where(FollowUpEvent.follow_up == fid)
                 .order_by(FollowUpEvent.id)]
    assert kinds == ["opened", "assigned", "verified", "visit", "reply", "rerated", "closed"]


def supervisor_id(app):
    from app.models import Staff
    with app.app_context(), db.connection_context():
        return Staff.get(Staff.email == "supervisor@test").id


def test_closed_after_the_due_date_counts_as_late(staff_app):
    journey, _clerk, fid = bad_rating(staff_app, level=1)
    supervisor = sign_in(staff_app, "supervisor@test")
    step(supervisor, fid, "visit", channel="message", lang="en", note="Wrote on WhatsApp.")
    step(supervisor, fid, "reply", text="We have looked into it.")
    due = follow_up_of(staff_app, journey.reference).due_date
    with at(f"{due.isoformat()}T20:00:00"):  # the next day in Beijing
        supervisor = sign_in(staff_app, "supervisor@test")
        page = supervisor.page(f"/staff/follow-ups/{fid}")
        assert "1 working day overdue" in facts(page)["Due"] or "overdue" in facts(page)["Due"]
        row = list_rows(supervisor.page("/staff/follow-ups?tab=overdue"))[journey.reference]
        assert "overdue" in row["Working days left"]
        step(supervisor, fid, "close")
    done = follow_up_of(staff_app, journey.reference)
    assert (done.status, done.closed_on_time) == ("closed", False)
    with staff_app.app_context(), db.connection_context():
        month = int(done.opened_at.strftime("%Y%m"))
    cell = whole(staff_app, month)
    assert (cell.follow_ups, cell.follow_ups_closed, cell.follow_ups_on_time) == (1, 1, 0)


def test_close_refused_without_return_visit_or_reply(staff_app):
    _journey, _clerk, fid = bad_rating(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    page = step(supervisor, fid, "close", status=409, note="Nothing to add")
    assert "Record the return visit first" in " ".join(page.errors())
    assert page.field("note", page.form("#d-close")) == "Nothing to add"
    step(supervisor, fid, "visit", channel="call", lang="zh", note="Called.")
    page = step(supervisor, fid, "close", status=409)
    assert "Reply to the applicant first" in " ".join(page.errors())
    assert follow_up_of(staff_app, _journey.reference).status == "open"


def test_bad_input_is_refused_with_a_message_and_kept(staff_app):
    _journey, _clerk, fid = bad_rating(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    page = step(supervisor, fid, "verify", status=422, note="Checked the emails.")
    assert page.field_error("holds") == "Say whether the complaint holds."
    assert page.field("note", page.form("#d-verify")) == "Checked the emails."
    page = step(supervisor, fid, "visit", status=422, channel="pigeon", lang="xx", note="")
    assert page.field_error("channel") == "Choose how the applicant was reached."
    page = step(supervisor, fid, "reply", status=422, text="x" * 2001)
    assert "2,000 characters" in page.field_error("text")
    page = step(supervisor, fid, "assign", status=422, to="999999")
    assert page.field_error("to") == "Choose a supervisor of the window."
    # A post without the page's version (a form from nowhere) is refused too.
    token = supervisor.page(f"/staff/follow-ups/{fid}").csrf()
    response = supervisor.post(f"/staff/follow-ups/{fid}/verify",
                               data={"csrf_token": token, "holds": "no", "note": "x"})
    assert response.status_code == 422
    with staff_app.app_context(), db.connection_context():
        assert FollowUp.get_by_id(fid).version == 1


def test_a_stale_page_is_409_and_keeps_what_was_typed(staff_app):
    _journey, _clerk, fid = bad_rating(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    other = sign_in(staff_app, "county.supervisor@test")  # noqa: F841 (another county)
    old = supervisor.page(f"/staff/follow-ups/{fid}")
    version = old.first("input[name=version]").get("value")
    step(supervisor, fid, "verify", holds="no", note="Handled as it should be.")
    page = step(supervisor, fid, "visit", status=409, version=version, channel="call",
                lang="en", note="Called her at noon.")
    assert "changed this follow-up meanwhile" in " ".join(page.errors())
    assert page.field("note", page.form("#d-visit")) == "Called her at noon."
    # Sent again from the page as it is now: done.
    supervisor.submit(f"/staff/follow-ups/{fid}/visit", page.form_data("#d-visit"))
    assert follow_up_of(staff_app, _journey.reference).visited_at is not None


def test_closed_follow_up_refuses_steps_with_409(staff_app):
    journey, _clerk, fid = bad_rating(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    step(supervisor, fid, "visit", channel="call", lang="en", note="Called.")
    step(supervisor, fid, "reply", text="Sorry.")
    page = supervisor.page(f"/staff/follow-ups/{fid}")
    version = page.first("#d-close input[name=version]").get("value")
    step(supervisor, fid, "close")
    token = supervisor.page(f"/staff/follow-ups/{fid}").csrf()
    response = supervisor.post(f"/staff/follow-ups/{fid}/reply", data={
        "csrf_token": token, "version": version, "text": "Once more"})
    assert response.status_code == 409
    assert "This follow-up is closed" in response.get_data(as_text=True)
    # A note may still be added to the file.
    step(supervisor, fid, "note", note="Applicant called back to thank us.")


def test_who_may_open_and_act(staff_app):
    journey, _clerk, fid = bad_rating(staff_app)
    url = f"/staff/follow-ups/{fid}"
    for email in ("county.supervisor@test", "county.admin@test", "other.clerk@test"):
        client = sign_in(staff_app, email)
        assert client.get(url).status_code == 404, email
        assert journey.reference not in client.page("/staff/follow-ups").text, email
        token = client.page("/staff/follow-ups").csrf()
        assert client.post(f"{url}/appeal", data={"csrf_token": token, "reason": "x",
                                                  "version": "1"}).status_code == 404, email
    officer = sign_in(staff_app, "officer@test")
    assert officer.get(url).status_code == 403
    assert officer.get("/staff/follow-ups").status_code == 403
    assert sign_in(staff_app, "volunteer@test").get(url).status_code == 403
    assert staff_app.test_client().get(url).status_code == 403  # signed out: the sign-in page
    # The province's supervisor reads, and changes nothing.
    province = sign_in(staff_app, "province@test")
    page = province.page(url)
    assert "Your account reads and changes nothing." in page.text
    assert not page.select("form.decision")
    token = page.csrf()
    for action in ("verify", "visit", "reply", "note", "close", "appeal", "assign", "decide"):
        assert province.post(f"{url}/{action}", data={"csrf_token": token}).status_code == 403
    # A clerk of the window reads it and may appeal, nothing more.
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(url)
    assert [f.get("id") for f in page.select("form.decision")] == ["d-appeal"]
    token = page.csrf()
    assert clerk.post(f"{url}/verify", data={"csrf_token": token}).status_code == 403
    assert journey.reference in clerk.page("/staff/follow-ups").text
    assert "Follow-ups" in clerk.page("/staff/queue").texts("header nav a")
    assert "Follow-ups" not in officer.page("/staff/queue").texts("header nav a")
    assert 404 == sign_in(staff_app, "supervisor@test").get("/staff/follow-ups/999999").status_code


def test_scripts_in_comments_notes_and_replies_are_text(staff_app):
    attack = "<script>alert('x')</script>"
    journey, _clerk, fid = bad_rating(staff_app, comment=attack)
    supervisor = sign_in(staff_app, "supervisor@test")
    step(supervisor, fid, "note", note=attack)
    step(supervisor, fid, "visit", channel="call", lang="en", note=attack)
    step(supervisor, fid, "reply", text=attack)
    for client, url in ((supervisor, f"/staff/follow-ups/{fid}"),
                        (supervisor, f"/staff/cases/{journey.reference}"),
                        (journey.client, f"/en/cases/{journey.reference}")):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
    html = supervisor.get(f"/staff/follow-ups/{fid}").get_data(as_text=True)
    assert html.count("&lt;script&gt;alert(") >= 4  # the comment, the note, the visit, the reply


def test_staff_case_page_shows_the_ratings_and_links_the_follow_up(staff_app):
    journey, clerk, fid = bad_rating(staff_app, comment="Too slow")
    page = clerk.page(f"/staff/cases/{journey.reference}")
    assert page.one("#ratings").text == "Ratings"
    assert f"/staff/follow-ups/{fid}" in page.links()
    assert "Too slow" in page.main


def test_polite_template_in_the_applicants_language(staff_app):
    _journey, _clerk, fid = bad_rating(staff_app, lang="en")
    supervisor = sign_in(staff_app, "supervisor@test")
    page = supervisor.page(f"/staff/follow-ups/{fid}?template=1")
    text = page.field("text", page.form("#d-reply"))
    assert text.startswith("Thank you for telling us how your application")
    assert _journey.reference in text


def test_the_applicant_reads_the_reply_on_the_status_page_and_by_email(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey, _clerk, fid = bad_rating(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    step(supervisor, fid, "visit", channel="call", lang="en", note="Called.")
    before = len(collector.messages)
    step(supervisor, fid, "reply", text="We checked: your licence was posted on 3 March.")
    status = journey.client.page(f"/en/cases/{journey.reference}")
    assert "your licence was posted on 3 March" in status.text
    mails = [m for to, m in collector.messages[before:] if "lin.mei@example.it" in to]
    assert mails and journey.reference in mails[-1]["Subject"]
    assert "posted on 3 March" in mails[-1].get_body(("plain",)).get_content()
