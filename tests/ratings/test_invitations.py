"""The one invitation to rate, three days after delivery (issue 18, part 1), and the
emails about ratings: the invitation's private link, the window's reply to a rating."""

import re
from datetime import timedelta

from app import clock
from app.models import Case, Event, FollowUp, Staff, db
from app.ratings import invitations, service
from tests.conftest import smtp

from .helpers import delivered_case, fresh_case
from .test_rate import GOOD, rate, rating_url


def run_invitations(app) -> int:
    with app.test_request_context(), db.connection_context():
        return invitations.invite_due()


def invited(app, reference) -> list:
    with app.app_context(), db.connection_context():
        case = fresh_case(app, reference)
        return list(Event.select().where((Event.case == case.id)
                                         & (Event.kind == "rating_invited")))


def mails(collector, kind="How was the service"):
    return [m for _to, m in collector.messages if m["Subject"].startswith(kind)]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def later(days=3, minutes=5):
    return clock.clock_at(clock.now() + timedelta(days=days, minutes=minutes))


def test_the_invitation_goes_once_three_days_after_delivery(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey, _clerk = delivered_case(staff_app)
    assert run_invitations(staff_app) == 0  # delivered just now
    with later(days=2, minutes=23 * 60):
        assert run_invitations(staff_app) == 0
    with later():
        assert run_invitations(staff_app) == 1
        assert run_invitations(staff_app) == 0  # the next hour's run: nothing again
    with later(days=5):
        assert run_invitations(staff_app) == 0
    assert len(invited(staff_app, journey.reference)) == 1
    (message,) = mails(collector)
    assert message["To"] == "lin.mei@example.it"
    assert message["Subject"] == (f"How was the service for your application "
                                  f"{journey.reference}?")
    text = body(message)
    assert "within 15 working days" in text and "only once" in text
    assert re.search(r"/en/cases/access/[\w-]{40,}/rating/delivered", text)
    assert fresh_case(staff_app, journey.reference).rating_invited_at is not None
    # The applicant's timeline says so.
    status = journey.client.page(journey.base)
    assert any("We asked you to rate this service" in t for t in status.texts("ol.timeline li"))


def test_two_workers_with_the_same_case_send_one_invitation(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey, _clerk = delivered_case(staff_app)
    with later(), staff_app.test_request_context(), db.connection_context():
        (seen_by_one,) = invitations.due_cases()
        (seen_by_other,) = invitations.due_cases()
        assert invitations.invite(seen_by_one) is True
        assert invitations.invite(seen_by_other) is False  # stale: the other came first
    assert len(invited(staff_app, journey.reference)) == 1
    assert len(mails(collector)) == 1


def test_no_invitation_once_rated_or_without_an_email_address(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    rated, _clerk = delivered_case(staff_app)
    rate(rated, GOOD)
    silent, _clerk = delivered_case(staff_app)
    with staff_app.app_context(), db.connection_context():
        Case.update(contact_email=None).where(Case.reference == silent.reference).execute()
    with later():
        assert run_invitations(staff_app) == 0
    assert invited(staff_app, rated.reference) == invited(staff_app, silent.reference) == []
    assert mails(collector) == []


def test_not_configured_for_delivery_no_invitation(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    delivered_case(staff_app)
    staff_app.config["RATING_STAGES"] = ("accepted",)
    with later():
        assert run_invitations(staff_app) == 0
    assert mails(collector) == []


def test_the_emailed_link_lands_on_the_rating_page_in_the_cases_language(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey, _clerk = delivered_case(staff_app, lang="pt")
    with later():
        assert run_invitations(staff_app) == 1
    (message,) = mails(collector, "")[-1:]
    link = re.search(r"https?://\S+/cases/access/\S+", body(message)).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    browser = staff_app.test_client()  # another phone: the link alone opens the case
    answer = browser.get("/" + path)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/pt/cases/{journey.reference}/rating/delivered"
    assert "/access/" not in answer.headers["Location"]
    page = browser.page(answer.headers["Location"])
    assert page.soup.html["lang"] == "pt"
    assert page.first("#rating-form") is not None
    # Once rated and the week is over, the same link opens the status page.
    browser.submit(answer.headers["Location"], dict(GOOD, csrf_token=page.csrf()))
    with later(days=8):
        assert browser.get("/" + path).headers["Location"] == f"/pt/cases/{journey.reference}"
    # A link that was tampered with opens nothing.
    token = path.split("/")[3]
    tampered = "/" + path.replace(token, token[:-3] + "xyz")
    assert staff_app.test_client().get(tampered).status_code == 404


def test_the_windows_reply_is_emailed_with_a_link_to_rate_again(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey, _clerk = delivered_case(staff_app)
    rate(journey, dict(GOOD, level="1", comment="Nobody answered the phone."))
    with staff_app.test_request_context(), db.connection_context():
        supervisor = Staff.get(Staff.email == "supervisor@test")
        follow_up = service.record_visit(FollowUp.get(), supervisor, channel="call", lang="en",
                                         note="Called back.")
        service.reply(follow_up, supervisor, "Sorry: the line is staffed from 14:00 now.\n"
                      "<script>x</script>", "en")
    (message,) = mails(collector, "The window's answer")
    text = body(message).replace("\r\n", "\n")
    assert journey.reference in message["Subject"]
    assert "Sorry: the line is staffed from 14:00 now.\n<script>x</script>" in text
    assert "Written in" not in text
    assert "You can change your rating until" in text and "(Italy Time)" in text
    link = re.search(r"https?://\S+/cases/access/\S+/rating/delivered", text).group(0)
    browser = staff_app.test_client()
    landed = browser.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert landed.headers["Location"] == rating_url(journey)
    page = browser.page(landed.headers["Location"])
    browser.submit(rating_url(journey), dict(GOOD, level="4", csrf_token=page.csrf()))


def test_a_reply_in_another_language_says_which(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey, _clerk = delivered_case(staff_app, lang="it")
    rate(journey, dict(GOOD, level="2"))
    with staff_app.test_request_context(), db.connection_context():
        supervisor = Staff.get(Staff.email == "supervisor@test")
        service.reply(FollowUp.get(), supervisor, "我们已经改进。", "zh")
    (message,) = [m for _to, m in collector.messages if "我们已经改进。" in body(m)]
    assert message["To"] == "lin.mei@example.it"
    assert "(Scritto in cinese)" in body(message)  # the language named in Italian


def test_a_rating_between_reading_and_inviting_stops_the_invitation(staff_app, smtp_server):
    """A rating does not move the case's version: the invitation checks, in its own
    transaction, that the delivered stage is still unrated (no event, no token)."""
    from app.models import AccessToken
    collector = smtp(staff_app, smtp_server)
    journey, _clerk = delivered_case(staff_app)
    with later(), staff_app.test_request_context(), db.connection_context():
        (seen,) = invitations.due_cases()
        service.rate(fresh_case(staff_app, journey.reference), "delivered",
                     service.Answers(level=5, visits=0), locale="en")
        tokens = AccessToken.select().where(AccessToken.case == seen.id).count()
        assert invitations.invite(seen) is False
        assert AccessToken.select().where(AccessToken.case == seen.id).count() == tokens
        assert fresh_case(staff_app, journey.reference).rating_invited_at is None
    assert invited(staff_app, journey.reference) == []
    assert mails(collector) == []


def test_the_replys_link_is_one_token_however_many_times_the_email_is_tried(staff_app,
                                                                           smtp_server):
    """The reply's link is sealed into its event with one access token, made with the
    reply: a delivery that fails and is tried again sends that link, and makes no other."""
    from app.cases import outbox
    from app.models import AccessToken
    controller, collector = smtp_server
    journey, _clerk = delivered_case(staff_app)
    rate(journey, dict(GOOD, level="1", comment="Nobody answered the phone."))
    staff_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # nothing listens there
    with staff_app.test_request_context(), db.connection_context():
        case = fresh_case(staff_app, journey.reference)
        before = AccessToken.select().where(AccessToken.case == case.id).count()
        supervisor = Staff.get(Staff.email == "supervisor@test")
        follow_up = service.record_visit(FollowUp.get(), supervisor, channel="call", lang="en",
                                         note="Called back.")
        service.reply(follow_up, supervisor, "Sorry.", "en")
        event = Event.get((Event.case == case.id) & (Event.kind == "follow_up_reply"))
        for _attempt in range(2):  # the server is down: each attempt fails
            Event.update(outbox_next_at=event.created_at, outbox_lease=None).where(
                Event.id == event.id).execute()
            assert outbox.deliver(event.id) == "retry"
        assert Event.get_by_id(event.id).sealed and Event.get_by_id(event.id).outbox_attempts >= 2
        staff_app.config.update(SMTP_PORT=controller.port)
        Event.update(outbox_next_at=event.created_at).where(Event.id == event.id).execute()
        assert outbox.deliver(event.id) == "sent"
        assert AccessToken.select().where(AccessToken.case == case.id).count() == before + 1
    (message,) = mails(collector, "The window's answer")
    link = re.search(r"https?://\S+/cases/access/\S+/rating/delivered", body(message)).group(0)
    browser = staff_app.test_client()
    landed = browser.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert landed.headers["Location"] == rating_url(journey)
