"""Applicants' holds on their cases live on the server (issue 14, finding 1): the cookie
carries a random token only, no case and no code; forgetting, a new access code and a
withdrawal end every copy of it; holds end 30 days unused and 180 days after they were
given."""

import base64
import json
import zlib
from datetime import timedelta

from app import clock

from ..conftest import Journey, submitted_case
from ..pages import Page


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def session_content(client) -> dict:
    """What the signed (not encrypted) Flask cookie holds, as anyone can read it."""
    payload = cookie_of(client)
    compressed = payload.startswith(".")
    data = payload.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def replay(app, cookie):
    """Another browser with a copy of ``cookie``."""
    copy = app.test_client()
    copy.set_cookie("session", cookie)
    return copy


def access_code(journey) -> str:
    return Page(journey.client.get(f"{journey.base}/confirmation")).texts(".panel strong.big")[1]


def test_the_cookie_holds_no_case_and_no_code(app):
    journey = submitted_case(app)
    code = access_code(journey)
    content = session_content(journey.client)
    assert set(content) <= {"browser", "csrf_token", "resume", "_fresh", "_permanent",
                            "_flashes"}, content
    flat = json.dumps(content)
    assert code not in flat and code.replace("-", "") not in flat
    assert str(journey.reference) not in flat


def test_forgetting_ends_every_copy_of_the_cookie(app):
    journey = submitted_case(app)
    copy = replay(app, cookie_of(journey.client))
    assert copy.get(journey.base).status_code == 200, "a copy works while the hold lives"
    page = Page(journey.client.get(journey.base))
    assert journey.client.post(f"{journey.base}/forget",
                               data={"csrf_token": page.csrf()}).status_code == 303
    assert journey.client.get(journey.base).status_code == 404
    assert copy.get(journey.base).status_code == 404, "the copy replayed after forget"


def test_a_withdrawal_ends_every_other_hold(app):
    journey = Journey(app.test_client())
    assert journey.start().status == 303
    other_phone = replay(app, cookie_of(journey.client))
    page = Page(journey.client.get(f"{journey.base}/withdraw"))
    done = journey.client.post(f"{journey.base}/withdraw", data={"csrf_token": page.csrf()})
    assert done.status_code == 303
    assert journey.client.get(journey.base).status_code == 200, "this browser keeps it"
    assert other_phone.get(journey.base).status_code == 404, "a copy of the cookie does not"


def test_holds_end_after_30_days_unused_and_180_days_in_all(app):
    journey = submitted_case(app)
    start = clock.now()
    with clock.clock_at(start + timedelta(days=29)):
        assert journey.client.get(journey.base).status_code == 200
    with clock.clock_at(start + timedelta(days=29 + 31)):
        assert journey.client.get(journey.base).status_code == 404, "30 days unused"

    again = submitted_case(app)
    start = clock.now()
    for days in range(20, 180, 20):  # used every 20 days, never idle for long
        with clock.clock_at(start + timedelta(days=days)):
            assert again.client.get(again.base).status_code == 200, days
    with clock.clock_at(start + timedelta(days=181)):
        assert again.client.get(again.base).status_code == 404, "180 days in all"


def test_a_cookie_planted_before_sign_in_holds_nothing_after_it(app):
    """Session fixation (ASVS 7.2.4): someone starts a case of their own, copies their
    cookie into another person's browser (a shared computer at a service point), and
    waits. That person opens their own case with its code: the copy gets nothing."""
    attacker = Journey(app.test_client())
    assert attacker.start().status == 303
    planted = cookie_of(attacker.client)
    victim_case = submitted_case(app)
    code = access_code(victim_case)
    victims_browser = replay(app, planted)
    opened = victims_browser.submit("/en/cases/find",
                                    {"reference": victim_case.reference, "code": code})
    assert opened.location == victim_case.base
    assert victims_browser.get(victim_case.base).status_code == 200
    assert cookie_of(victims_browser) != planted
    assert replay(app, planted).get(victim_case.base).status_code == 404
    assert attacker.client.get(victim_case.base).status_code == 404
    assert victims_browser.get(attacker.base).status_code == 200, "what it held moved along"
