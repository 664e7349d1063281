"""The applicant (or the entrusted agent) rates a delivered case (issue 18, part 1), and
the bad input: a case not delivered, a browser without the case, a stage not rated, values
off the scales, a change after the week, a script in the comment."""

from datetime import timedelta

from app import clock
from app.models import Event, FollowUp, Rating, db
from tests.conftest import (confirm_video, decide, sign_in, submitted_case)
from tests.pages import Page

from .helpers import delivered_case, fresh_case

GOOD = {"level": "4", "visits": "0", "guide": "yes", "speed": "5", "service": "4",
        "website": "3", "comment": "Quick and kind."}


def rating_url(journey, stage="delivered"):
    return f"{journey.base}/rating/{stage}"


def rate(journey, data, status=303, url=None):
    """POST the rating form as the page would (its CSRF token)."""
    url = url or rating_url(journey)
    page = journey.client.page(url)
    return journey.client.submit(url, dict(data, csrf_token=page.csrf()), status=status)


def ratings_of(app, reference):
    with app.app_context(), db.connection_context():
        case = fresh_case(app, reference)
        return list(Rating.select().where(Rating.case == case.id))


def test_rate_from_the_status_page_then_change_it_within_the_week(staff_app):
    journey, _clerk = delivered_case(staff_app)
    client = journey.client
    status = client.page(journey.base)
    invitation = status.one("#rating-delivered")
    assert "Rate this service" in invitation.get_text()
    assert rating_url(journey) in status.links("#rating-delivered a")

    form = client.page(rating_url(journey))
    assert form.title.startswith("Rate this service")
    # Radio groups as fieldsets with legends; the level and the visits are asked for.
    legends = form.texts("#rating-form fieldset legend")
    assert len(legends) == 6 and "(optional)" not in legends[0] + legends[1]
    assert all("(optional)" in text for text in legends[2:])
    assert [o.get("value") for o in form.select("input[name=level]")] == ["5", "4", "3", "2", "1"]
    assert [o.get("value") for o in form.select("input[name=visits]")] == ["0", "1", "2", "3"]
    assert "within 15 working days" in form.main and "for 7 days" in form.main

    answer = rate(journey, GOOD)
    assert answer.location == journey.base
    status = client.page(journey.base)
    assert "Thank you: your rating is saved." in status.text
    block = status.one("#rating-delivered").get_text(" ")
    for shown in ("Your rating", "Satisfied", "Not once", "Yes, it matched", "Quick and kind.",
                  "You can change it until", "(Italy Time)"):
        assert shown in block, shown
    assert "You rated this service" in status.texts("ol.timeline li")[0]

    # Changed within the week: the same row, the first answers kept in its history.
    rate(journey, dict(GOOD, level="2", comment="On second thought, it was slow."))
    rows = ratings_of(staff_app, journey.reference)
    assert len(rows) == 1
    rating = rows[0]
    assert (rating.level, rating.by, rating.locale) == (2, "applicant", "en")
    assert [entry["level"] for entry in rating.history] == [4]
    assert rating.history[0]["comment"] == "Quick and kind."
    status = client.page(journey.base)
    assert "Thank you: your rating is changed." in status.text
    assert "Dissatisfied" in status.one("#rating-delivered").get_text()
    assert "contact you within 15 working days" in status.one("#rating-delivered").get_text()
    assert "You changed your rating" in status.texts("ol.timeline li")[0]
    # Bad now: a follow-up is open for the window.
    with staff_app.app_context(), db.connection_context():
        assert FollowUp.select().where(FollowUp.rating == rating.id).count() == 1
    # The form shows the answers given, to change them.
    again = client.page(rating_url(journey))
    assert again.field("level") == "2" and again.field("comment") == "On second thought, it was slow."


def test_after_the_week_the_form_is_gone_and_a_post_is_refused_with_what_was_typed(staff_app):
    journey, _clerk = delivered_case(staff_app)
    rate(journey, GOOD)
    client = journey.client
    token = client.page(rating_url(journey)).csrf()
    with clock.clock_at(clock.now() + timedelta(days=7, minutes=5)):
        status = client.page(journey.base)
        block = status.one("#rating-delivered")
        assert "Change your rating" not in block.get_text()
        assert "You can change it until" not in block.get_text()
        page = client.page(rating_url(journey))
        assert page.first("#rating-form") is None
        assert "The week to change this rating is over" in page.main
        assert "Satisfied" in page.main
        refused = client.submit(rating_url(journey), dict(
            GOOD, level="1", comment="Too late <b>now</b>", csrf_token=token), status=409)
        assert "can no longer be changed" in " ".join(refused.errors())
        assert refused.field("comment") == "Too late <b>now</b>"
        assert refused.field("level") == "1"
        assert refused.first("#rating-form button[type=submit]") is None
    (rating,) = ratings_of(staff_app, journey.reference)
    assert (rating.level, rating.comment, rating.history) == (4, "Quick and kind.", [])


def test_a_case_not_delivered_or_not_held_or_a_stage_not_rated_is_404(staff_app):
    journey = submitted_case(staff_app)
    client = journey.client
    token = client.page(journey.base).csrf()
    for url in (rating_url(journey), rating_url(journey, "accepted"),
                rating_url(journey, "nonsense")):
        assert client.get(url).status_code == 404
        assert client.post(url, data=dict(GOOD, csrf_token=token)).status_code == 404
    # No invitation before delivery.
    assert client.page(journey.base).first("#rating-delivered") is None

    delivered, _clerk = delivered_case(staff_app)
    assert delivered.client.get(rating_url(delivered)).status_code == 200
    for url in (rating_url(delivered, "accepted"), rating_url(delivered, "nonsense"),
                rating_url(delivered, "x" * 300)):
        assert delivered.client.get(url).status_code == 404, url
    # Another browser, the other applicant's browser, and a staff member: 404.
    for other in (staff_app.test_client(), client, sign_in(staff_app, "clerk@test")):
        response = other.get(rating_url(delivered))
        assert response.status_code == 404
        assert "Page not found" in Page(response).title or response.status_code == 404
        assert other.post(rating_url(delivered), data=GOOD).status_code in (400, 404)
    with staff_app.app_context(), db.connection_context():
        assert Rating.select().count() == 0


def test_the_accepted_stage_when_configured(staff_app):
    staff_app.config["RATING_STAGES"] = ("delivered", "accepted")
    journey, _clerk = delivered_case(staff_app, defer=True)  # accepted, not delivered
    status = journey.client.page(journey.base)
    assert status.first("#rating-accepted") is not None
    assert status.first("#rating-delivered") is None
    assert journey.client.get(rating_url(journey)).status_code == 404
    rate(journey, GOOD, url=rating_url(journey, "accepted"))
    (rating,) = ratings_of(staff_app, journey.reference)
    assert rating.stage == "accepted"


def test_the_entrusted_agent_rates_from_their_own_page(staff_app):
    journey = submitted_case(staff_app, entrust=True, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    code = confirm_video(staff_app, journey.reference, agent=True)
    for action, data in (("accept", {}), ("approve", {}), ("result", {"note": "Printed"}),
                         ("deliver", {"method": "courier", "tracking": "SF1"})):
        decide(clerk, journey.reference, action, **data)
    agent = staff_app.test_client()
    agent.submit("/en/agent", {"reference": journey.reference, "code": code})
    page = agent.page(f"/en/agent/cases/{journey.reference}")
    link = page.links("#rating-delivered a")
    assert link == [rating_url(journey)]
    form = agent.page(link[0])
    assert form.links("main a")[-1] == f"/en/agent/cases/{journey.reference}"
    answer = agent.submit(link[0], dict(GOOD, level="5", csrf_token=form.csrf()))
    assert answer.location == f"/en/agent/cases/{journey.reference}"
    page = agent.page(answer.location)
    assert "Very satisfied" in page.one("#rating-delivered").get_text()
    assert "(Beijing time)" in page.one("#rating-delivered").get_text()
    (rating,) = ratings_of(staff_app, journey.reference)
    assert rating.by == "agent"
    # The agent's access opens the rating page only: the applicant's pages stay closed.
    assert agent.get(journey.base).status_code == 404


def test_values_off_the_scales_are_refused_with_messages_and_kept(staff_app):
    journey, _clerk = delivered_case(staff_app)
    url = rating_url(journey)
    token = journey.client.page(url).csrf()
    cases = [
        ({"level": "9", "visits": "-1", "comment": "kept"}, {"level", "visits"}),
        ({"visits": "2", "comment": "no level"}, {"level"}),
        ({"level": "3", "visits": "1", "guide": "maybe", "speed": "0"}, {"guide", "speed"}),
        ({"level": "3", "visits": "1", "comment": "x" * 2001}, {"comment"}),
    ]
    for data, wrong in cases:
        page = journey.client.submit(url, dict(data, csrf_token=token), status=422)
        assert page.title.startswith("Error:")
        for name in wrong:
            assert page.field_error(name), (data, name)
        for name in {"level", "visits", "guide", "speed"} - wrong - {"guide"}:
            if name in data:
                assert page.field(name) == data[name]
        if "comment" in data:
            assert page.field("comment") == data["comment"]
    assert page.field_error("comment") == "Write at most 2000 characters."
    assert journey.client.page(url).field_error("level") is None
    assert ratings_of(staff_app, journey.reference) == []


def test_a_script_in_the_comment_is_shown_as_text(staff_app):
    journey, clerk = delivered_case(staff_app)
    script = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    rate(journey, dict(GOOD, level="1", comment=script))
    status = journey.client.page(journey.base)
    assert script in status.one("#rating-delivered").get_text()
    assert "<script>alert" not in status.html and "<img src=x" not in status.html
    staff_page = clerk.page(f"/staff/cases/{journey.reference}")
    assert "<script>alert" not in staff_page.html and "<img src=x" not in staff_page.html


def test_the_rating_page_switches_language_keeping_the_answers(staff_app):
    journey, _clerk = delivered_case(staff_app)
    url = rating_url(journey)
    token = journey.client.page(url).csrf()
    answer = journey.client.submit(url, {"csrf_token": token, "level": "3", "visits": "2",
                                         "comment": "da tradurre", "switch_lang": "it"})
    assert answer.location == f"/it/cases/{journey.reference}/rating/delivered"
    page = journey.client.page(answer.location)
    assert page.soup.html["lang"] == "it"
    assert (page.field("level"), page.field("visits"), page.field("comment")) == (
        "3", "2", "da tradurre")
    assert ratings_of(staff_app, journey.reference) == []


def test_the_windows_reply_is_on_the_timeline_in_its_language(staff_app):
    from app.models import Staff
    from app.ratings import service
    journey, _clerk = delivered_case(staff_app, lang="pt")
    rate(journey, dict(GOOD, level="2"))
    with staff_app.test_request_context(), db.connection_context():
        follow_up = FollowUp.get()
        supervisor = Staff.get(Staff.email == "supervisor@test")
        service.record_visit(follow_up, supervisor, channel="call", lang="pt", note="Ligámos.")
        service.reply(FollowUp.get_by_id(follow_up.id), supervisor,
                      "已核实，<b>已改进</b>。\nObrigado.", "zh")
    status = journey.client.page(journey.base)
    entry = status.texts("ol.timeline li")[0]
    assert "已核实，<b>已改进</b>。" in entry
    said = status.first("ol.timeline li .said")
    assert said["lang"] == "zh-Hans"
    # The reply reopened the rating for a week: it can be changed again.
    assert status.one("#rating-delivered").find(
        "a", href=f"{journey.base}/rating/delivered") is not None
    with staff_app.app_context(), db.connection_context():
        assert Event.select().where(Event.kind == "follow_up_reply").count() == 1
