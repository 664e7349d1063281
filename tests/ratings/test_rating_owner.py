"""Who may change a rating, and what is stored of it: the comment is plain text (no NUL,
control or bidi characters, on SQLite and PostgreSQL alike); whoever rated a stage first
(the applicant or the entrusted agent) owns the rating, and the other sees that it was
rated and its levels, not its comment; a rating an upheld appeal left out of the figures
can no longer be changed, and opens no follow-up."""

from app.models import Event, FollowUp, Rating, db
from app.ratings import service, tally
from tests.conftest import confirm_video, decide, make_staff, sign_in, submitted_case

from .follow_helpers import bad_rating, step
from .helpers import fresh_case
from .test_rate import GOOD, rate, rating_url
from .test_tally import _snapshot


def stored(app, reference):
    with app.app_context(), db.connection_context():
        return Rating.get(Rating.case == fresh_case(app, reference).id)


def test_control_and_bidi_characters_are_dropped_from_the_comment(staff_app):
    from .helpers import delivered_case
    journey, _clerk = delivered_case(staff_app)
    rate(journey, dict(GOOD, comment="a\x00b\u202ec\u200bd\x07 \r\nsecond line "))
    assert stored(staff_app, journey.reference).comment == "abcd \nsecond line"
    # A comment of nothing but such characters is no comment.
    rate(journey, dict(GOOD, comment="\x00\u202e\u200b"))
    assert stored(staff_app, journey.reference).comment == ""


def test_the_service_cleans_the_comment_too(staff_app):
    from .helpers import delivered_case
    journey, _clerk = delivered_case(staff_app)
    with staff_app.test_request_context(), db.connection_context():
        rating = service.rate(fresh_case(staff_app, journey.reference), "delivered",
                              service.Answers(level=4, visits=0, comment="x\x00y\u2066z"),
                              locale="en")
        assert Rating.get_by_id(rating.id).comment == "xyz"


def _agent_case(app):
    """A delivered case with an entrusted agent: ``(journey, agent client)``."""
    journey = submitted_case(app, entrust=True, defer=False)
    clerk = sign_in(app, "clerk@test")
    code = confirm_video(app, journey.reference, agent=True)
    for action, data in (("accept", {}), ("approve", {}), ("result", {"note": "Printed"}),
                         ("deliver", {"method": "courier", "tracking": "SF1"})):
        decide(clerk, journey.reference, action, **data)
    agent = app.test_client()
    agent.submit("/en/agent", {"reference": journey.reference, "code": code})
    return journey, agent


def test_the_applicants_rating_is_theirs_the_agent_sees_levels_only(staff_app):
    journey, agent = _agent_case(staff_app)
    private = "PRIVATE remark about my brother"
    old_tab = agent.page(rating_url(journey))  # opened before the applicant rated
    rate(journey, dict(GOOD, level="2", comment=private))

    page = agent.page(f"/en/agent/cases/{journey.reference}")
    block = page.one("#rating-delivered").get_text(" ")
    assert "The applicant rated this service" in block and "Dissatisfied" in block
    assert private not in page.text and "Change your rating" not in block
    form = agent.page(rating_url(journey))
    assert private not in form.text
    assert form.first("#rating-form") is None
    assert "The applicant rated this service. Only they can change this rating." in form.main
    # Posted anyway (an old tab): 409, what was typed kept, nothing changed.
    answer = agent.post(rating_url(journey), data=dict(GOOD, level="5", comment="mine now",
                                                        csrf_token=old_tab.csrf()))
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "The applicant already rated this service: only they can change the rating." in html
    assert "mine now" in html and private not in html
    rating = stored(staff_app, journey.reference)
    assert (rating.level, rating.comment, rating.by) == (2, private, "applicant")
    # The applicant still changes their own.
    rate(journey, dict(GOOD, level="4", comment=private))
    assert stored(staff_app, journey.reference).level == 4


def test_the_agents_rating_is_theirs_and_the_applicants_timeline_says_so(staff_app):
    journey, agent = _agent_case(staff_app)
    old_tab = journey.client.page(rating_url(journey))  # the applicant's, before
    form = agent.page(rating_url(journey))
    agent.submit(rating_url(journey), dict(GOOD, level="5", comment="Agent's own words",
                                           csrf_token=form.csrf()))
    status = journey.client.page(journey.base)
    block = status.one("#rating-delivered").get_text(" ")
    assert "Your entrusted agent rated this service" in block and "Very satisfied" in block
    assert "Agent's own words" not in status.text and "Change your rating" not in block
    assert "Your entrusted agent rated this service" in status.one(".timeline").get_text(" ")
    assert "You rated this service" not in status.text
    page = journey.client.page(rating_url(journey))
    assert page.first("#rating-form") is None and "Agent's own words" not in page.text
    answer = journey.client.post(rating_url(journey), data=dict(
        GOOD, level="1", csrf_token=old_tab.csrf()))
    assert answer.status_code == 409
    assert "Your entrusted agent already rated this service" in answer.get_data(as_text=True)
    assert stored(staff_app, journey.reference).level == 5
    # The staff's timeline names the agent too.
    clerk = sign_in(staff_app, "clerk@test")
    assert "The entrusted agent rated the service" in clerk.page(
        f"/staff/cases/{journey.reference}").text
    with staff_app.app_context(), db.connection_context():
        event = Event.get((Event.case == fresh_case(staff_app, journey.reference).id)
                          & (Event.kind == "rated"))
        assert (event.actor, event.data["by"]) == ("agent", "agent")


def test_an_upheld_appeal_freezes_the_rating_and_opens_no_follow_up(staff_app):
    journey, clerk, fid = bad_rating(staff_app, level=1)
    old_tab = journey.client.page(rating_url(journey))
    make_staff(staff_app, "supervisor2@test", "supervisor", office="police-global-window")
    step(clerk, fid, "appeal", reason="About another service.")
    step(sign_in(staff_app, "supervisor2@test"), fid, "decide", outcome="upheld",
         note="Agreed.")
    assert stored(staff_app, journey.reference).excluded

    status = journey.client.page(journey.base)
    block = status.one("#rating-delivered").get_text(" ")
    assert "appeal was upheld" in block and "Change your rating" not in block
    page = journey.client.page(rating_url(journey))
    assert page.first("#rating-form") is None
    assert "can no longer be changed" in page.main
    answer = journey.client.post(rating_url(journey), data=dict(
        GOOD, level="1", comment="Still bad", csrf_token=old_tab.csrf()))
    assert answer.status_code == 409
    assert "the appeal was upheld" in answer.get_data(as_text=True)
    with staff_app.test_request_context(), db.connection_context():
        case = fresh_case(staff_app, journey.reference)
        try:
            service.rate(case, "delivered", service.Answers(level=2, visits=0), locale="en")
        except service.Refused as refused:
            assert refused.reason == "excluded"
        else:
            raise AssertionError("an excluded rating was changed")
        rating = Rating.get(Rating.case == case.id)
        assert (rating.level, rating.excluded) == (1, True)
        assert [f.status for f in FollowUp.select().where(FollowUp.rating == rating.id)] == [
            "closed"]
        running = _snapshot()
        tally.rebuild()
        assert _snapshot() == running
