"""Appeals against unfair ratings (申诉): a clerk or supervisor of the window appeals; a
supervisor who neither appealed nor holds the follow-up decides; upheld, the rating leaves
the figures and the follow-up closes; dismissed, the follow-up goes on. All audited."""

from app.models import AuditEvent, FollowUp, Rating, Staff, StatCell, db
from tests.conftest import make_staff, sign_in

from .follow_helpers import bad_rating, follow_up_of, step


def staff_id(app, email):
    with app.app_context(), db.connection_context():
        return Staff.get(Staff.email == email).id


def whole(app):
    """Every case's statistics row of the suite's month."""
    with app.app_context(), db.connection_context():
        return StatCell.get((StatCell.county == 0) & (StatCell.item == 0)
                            & (StatCell.point == 0) & (StatCell.month == 202611))


def appeal_tab(client) -> str:
    return client.page("/staff/follow-ups?tab=appeals").main


def test_appeal_by_a_clerk_upheld_by_another_supervisor(staff_app):
    journey, clerk, fid = bad_rating(staff_app, level=1, comment="I wanted a passport, not a "
                                     "driving licence.")
    make_staff(staff_app, "supervisor2@test", "supervisor", office="police-global-window")
    supervisor = sign_in(staff_app, "supervisor@test")
    other = sign_in(staff_app, "supervisor2@test")
    step(supervisor, fid, "assign", to=str(staff_id(staff_app, "supervisor@test")))
    assert (whole(staff_app).rated, whole(staff_app).level_1) == (1, 1)

    step(clerk, fid, "appeal", reason="The applicant rated another service than this one.")
    page = clerk.page(f"/staff/follow-ups/{fid}")
    assert "Appeal waiting for a decision" in page.text
    assert not page.select("form.decision")  # appealed once: nothing more for a clerk
    # The appellant (a clerk: not a supervisor) and the holder may not decide.
    token = clerk.page(f"/staff/follow-ups/{fid}").csrf()
    assert clerk.post(f"/staff/follow-ups/{fid}/decide", data={
        "csrf_token": token, "version": "3", "outcome": "upheld", "note": "mine"}
    ).status_code == 403
    page = supervisor.page(f"/staff/follow-ups/{fid}")
    assert page.first("#d-decide") is None
    assert journey.reference not in appeal_tab(supervisor)
    page = step(supervisor, fid, "decide", status=403, version="3", outcome="upheld",
                note="I hold it, but still.")
    assert "another supervisor decides it" in " ".join(page.errors())
    # Another supervisor of the window sees it waiting for them, and upholds it.
    assert journey.reference in appeal_tab(other)
    page = other.page(f"/staff/follow-ups/{fid}")
    assert "The applicant rated another service than this one." in page.one("#d-decide").text
    step(other, fid, "decide", outcome="upheld", note="The comment is about another service.")

    done = follow_up_of(staff_app, journey.reference)
    assert (done.status, done.appeal, done.decided_by_id) == (
        "closed", "upheld", staff_id(staff_app, "supervisor2@test"))
    with staff_app.app_context(), db.connection_context():
        assert Rating.get_by_id(done.rating_id).excluded
        actions = [e.action for e in AuditEvent.select().where(
            AuditEvent.target == f"follow_up:{fid}").order_by(AuditEvent.id)]
    assert "follow_up_appealed" in actions and "follow_up_appeal_upheld" in actions
    cell = whole(staff_app)
    assert (cell.rated, cell.level_1, cell.excluded) == (0, 0, 1)
    page = other.page(f"/staff/follow-ups/{fid}")
    assert "Left out of the figures" in page.text
    assert journey.reference not in appeal_tab(other)


def test_appeal_by_a_supervisor_dismissed_the_follow_up_goes_on(staff_app):
    journey, _clerk, fid = bad_rating(staff_app)
    make_staff(staff_app, "supervisor2@test", "supervisor", office="police-global-window")
    appellant = sign_in(staff_app, "supervisor2@test")
    supervisor = sign_in(staff_app, "supervisor@test")
    step(appellant, fid, "appeal", reason="She rated before the courier came.")
    # Their own appeal: not in their tab, no form, and a post is refused.
    assert journey.reference not in appeal_tab(appellant)
    assert appellant.page(f"/staff/follow-ups/{fid}").first("#d-decide") is None
    step(appellant, fid, "decide", status=403, outcome="upheld", note="Mine.")
    # Closing waits for the decision.
    step(supervisor, fid, "visit", channel="call", lang="en", note="Called.")
    step(supervisor, fid, "reply", text="Sorry for the wait.")
    page = step(supervisor, fid, "close", status=409)
    assert "An appeal against this rating waits for a decision" in " ".join(page.errors())
    step(supervisor, fid, "decide", outcome="dismissed", note="The courier was late indeed.")
    following = follow_up_of(staff_app, journey.reference)
    assert (following.status, following.appeal) == ("replied", "dismissed")
    with staff_app.app_context(), db.connection_context():
        assert not Rating.get_by_id(following.rating_id).excluded
    assert whole(staff_app).excluded == 0
    # Decided once: no second appeal, and nothing left to decide.
    page = step(supervisor, fid, "appeal", status=409, reason="Again.")
    assert "appealed already" in " ".join(page.errors())
    assert page.field("reason", page.form("#d-appeal")) == "Again."
    page = step(supervisor, fid, "decide", status=409, outcome="upheld", note="x")
    assert "No appeal waits for a decision." in page.errors()
    step(supervisor, fid, "close")
    with staff_app.app_context(), db.connection_context():
        assert FollowUp.get_by_id(fid).status == "closed"


def test_appeal_needs_a_reason_and_a_clerk_of_another_window_cannot(staff_app):
    _journey, clerk, fid = bad_rating(staff_app)
    page = step(clerk, fid, "appeal", status=422, reason="  ")
    assert page.field_error("reason") == "Say why the rating is unfair."
    other = sign_in(staff_app, "other.clerk@test")
    token = other.page("/staff/follow-ups").csrf()
    assert other.post(f"/staff/follow-ups/{fid}/appeal", data={
        "csrf_token": token, "version": "1", "reason": "Unfair"}).status_code == 404
    assert follow_up_of(staff_app, _journey.reference).appeal is None


def test_the_holder_cannot_hand_it_over_and_then_decide(staff_app):
    """While an appeal waits, the follow-up is not handed over (409, and no form); whoever
    held it when the appeal was made stays out of the decision even if it changed hands
    since, and so does the staff member whose handling was rated."""
    from app.ratings import service
    journey, clerk, fid = bad_rating(staff_app)
    make_staff(staff_app, "supervisor2@test", "supervisor", office="police-global-window")
    make_staff(staff_app, "supervisor3@test", "supervisor", office="police-global-window")
    supervisor = sign_in(staff_app, "supervisor@test")
    step(supervisor, fid, "assign", to=str(staff_id(staff_app, "supervisor@test")))
    step(clerk, fid, "appeal", reason="Not about us.")
    assert follow_up_of(staff_app, journey.reference).appeal_holder_id == staff_id(
        staff_app, "supervisor@test")

    page = supervisor.page(f"/staff/follow-ups/{fid}")
    assert page.first("#d-assign") is None
    page = step(supervisor, fid, "assign", status=409, to="nobody")
    assert "cannot be handed over" in " ".join(page.errors())
    assert follow_up_of(staff_app, journey.reference).assigned_to_id == staff_id(
        staff_app, "supervisor@test")

    with staff_app.test_request_context(), db.connection_context():
        follow_up = FollowUp.get_by_id(fid)
        try:
            service.assign(follow_up, Staff.get(Staff.email == "supervisor@test"), None)
        except service.Refused as refused:
            assert refused.reason == "appeal_pending"
        else:
            raise AssertionError("handed over while an appeal waits")
        # Handed over anyway (a change made before this rule): still not theirs to decide.
        FollowUp.update(assigned_to=None).where(FollowUp.id == fid).execute()
        follow_up = FollowUp.get_by_id(fid)
        holder = Staff.get(Staff.email == "supervisor@test")
        assert not service.may_decide_appeal(follow_up, holder)
        # The supervisor who handled the rated case does not decide either.
        rated = Staff.get(Staff.email == "supervisor3@test")
        Rating.update(staff=rated.id).where(Rating.id == follow_up.rating_id).execute()
        assert not service.may_decide_appeal(follow_up, rated)
        assert service.may_decide_appeal(follow_up, Staff.get(Staff.email == "supervisor2@test"))
    step(supervisor, fid, "decide", status=403, outcome="upheld", note="Mine after all.")
    assert journey.reference not in appeal_tab(supervisor)
    assert journey.reference not in appeal_tab(sign_in(staff_app, "supervisor3@test"))
    other = sign_in(staff_app, "supervisor2@test")
    assert journey.reference in appeal_tab(other)
    step(other, fid, "decide", outcome="dismissed", note="The rating is about us.")
    assert follow_up_of(staff_app, journey.reference).decided_by_id == staff_id(
        staff_app, "supervisor2@test")
    # Decided: it can be handed over again.
    step(other, fid, "assign", to=str(staff_id(staff_app, "supervisor2@test")))
