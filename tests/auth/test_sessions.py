"""Staff sign-in and sessions: two steps (password, then TOTP or a recovery code), the
session rotated at each step, lockout after wrong passwords, 30 min idle / 12 h absolute
timeouts, and logout that ends the session on the server.

DESIGN.md, "Security baseline". These need one account, not the whole staff_app cast:
each argon2 hash costs time.
"""

from datetime import timedelta

from app import clock
from app.models import Staff, StaffSession, db

from ..conftest import live_sessions, make_staff, sign_in, totp_now
from ..pages import Page

OFFICE = "police-global-window"
PASSWORD = "correct horse battery"
SIGN_IN_NEEDED = "Please sign in"


def browser(app):
    """A fresh browser that reads English (staff pages follow Accept-Language)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def session_cookie(app, client):
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value if cookie is not None else None


def replay(app, value):
    """A fresh browser holding a copy of someone's session cookie."""
    client = browser(app)
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), value)
    return client


def the_session(app, email) -> StaffSession:
    rows = live_sessions(app, email)
    assert len(rows) == 1, f"{email} has {len(rows)} live sessions"
    return rows[0]


def ended(app, row) -> bool:
    with app.app_context(), db.connection_context():
        return StaffSession.get_by_id(row.id).ended_at is not None


def refused(client, url="/staff/queue", why=SIGN_IN_NEEDED):
    """``url`` answers 403 with the page asking to sign in."""
    page = client.page(url, status=403)
    assert page.one("h1").text == why
    return page


def password_step(client, email, password=PASSWORD, status=303):
    page = client.submit("/staff/login", {"email": email, "password": password}, status=status)
    if status == 303:
        assert page.location.endswith("/staff/login/code")
    return page


def code_step(client, code, status=303):
    return client.submit("/staff/login/code", {"code": code}, status=status)


def logout(client):
    client.submit("/staff/logout", csrf_from="/staff/queue")


def fresh_totp_step(app, email):
    """Let the account use the current TOTP code (each code works once)."""
    with app.app_context(), db.connection_context():
        Staff.update(totp_last_step=0).where(Staff.email == email).execute()


def test_an_idle_session_ends_after_30_minutes(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = sign_in(app, "clerk@test")
    row = the_session(app, "clerk@test")
    start = clock.now()
    with clock.clock_at(start + timedelta(minutes=29)):
        client.page("/staff/queue")  # 29 minutes idle is not yet a timeout
    with clock.clock_at(start + timedelta(minutes=29 + 31)):
        refused(client)
        assert ended(app, row), "the idle session row was not ended"
        refused(client)
    # Going back in time does not revive it.
    refused(client)


def test_a_session_ends_12_hours_after_sign_in_however_active(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = sign_in(app, "clerk@test")
    row = the_session(app, "clerk@test")
    start = clock.now()
    # A clerk at work all day, never idle for long: the session lives until 12 hours ...
    elapsed = timedelta(0)
    while elapsed < timedelta(hours=11, minutes=50):
        elapsed += timedelta(minutes=25)
        with clock.clock_at(start + min(elapsed, timedelta(hours=11, minutes=50))):
            client.page("/staff/queue")
    assert not ended(app, row)
    # ... and not a minute past them.
    with clock.clock_at(start + timedelta(hours=12, minutes=10)):
        refused(client)
    assert ended(app, row), "the expired session row was not ended"


def test_logout_ends_the_session_not_only_the_cookie(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = sign_in(app, "clerk@test")
    row = the_session(app, "clerk@test")
    copied = session_cookie(app, client)
    # A copied cookie works before logout (else the replay check below proves nothing).
    replay(app, copied).page("/staff/queue")
    logout(client)
    assert ended(app, row), "logout left the session row alive"
    refused(client)
    refused(replay(app, copied))  # the cookie copied before logout opens nothing


def test_session_is_rotated_at_login(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = browser(app)
    client.page("/staff/login")
    anonymous = session_cookie(app, client)
    assert anonymous, "the login page set no cookie"
    password_step(client, "clerk@test")
    after_password = session_cookie(app, client)
    assert after_password != anonymous, "the cookie was not rotated at the password step"

    fresh_totp_step(app, "clerk@test")
    code_step(client, totp_now())
    after_mfa = session_cookie(app, client)
    assert after_mfa not in (anonymous, after_password), "the cookie was not rotated after TOTP"
    assert client.page("/staff/queue").one("h1").text == "Queue"

    # A cookie planted before sign-in, or left from the password step, opens nothing.
    for name, value in (("before login", anonymous), ("after the password", after_password)):
        stale = replay(app, value)
        refused(stale)
        back = stale.page("/staff/login/code", status=303)
        assert back.location.endswith("/staff/login"), \
            f"cookie from {name} still holds a half-signed-in session"


def test_the_password_alone_opens_nothing(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = browser(app)
    password_step(client, "clerk@test")
    rows = live_sessions(app, "clerk@test")
    assert len(rows) == 1 and not rows[0].mfa_passed
    page = client.page("/staff/queue", status=403)
    assert "Finish two-step sign-in" in page.main


def test_wrong_passwords_slow_down_and_never_lock_the_owner_out(app):
    """Five wrong passwords cost nothing; then each try waits (2, 4 … seconds, at most a
    minute). Nobody can lock an account for long, and the owner signs in once the wait
    is over (issue 14, finding 3)."""
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = browser(app)
    start = clock.now()
    with clock.clock_at(start, frozen=True):
        for attempt in range(5):
            page = password_step(client, "clerk@test", "wrong password!", status=401)
            assert page.errors() == ["The email address or the password is not right."]
        page = password_step(client, "clerk@test", "wrong password!", status=401)
        assert page.errors() == ["The email address or the password is not right."]
        # The sixth failure asks for a wait, whatever is typed (the right one too).
        page = password_step(client, "clerk@test", status=429)
        assert page.errors() == ["Too many tries. Wait 2 seconds, then try again."]
        assert page.response.headers["Retry-After"] == "2"
        assert page.field("email") == "clerk@test"
        assert not live_sessions(app, "clerk@test")
    with clock.clock_at(start + timedelta(seconds=3), frozen=True):
        password_step(client, "clerk@test")  # the owner is through
    # The wait never grows beyond a minute.
    with app.app_context(), db.connection_context():
        from app.auth.sessions import PASSWORDS
        for _ in range(30):
            PASSWORDS.failed("clerk@test")
        assert 0 < PASSWORDS.wait("clerk@test") <= 60


def test_an_unknown_address_is_answered_exactly_like_a_real_one(app):
    """No account enumeration: the same messages, statuses and waits, whether an account
    has the address or not."""
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    seen = {}
    start = clock.now()
    for number, email in enumerate(("clerk@test", "nobody@test")):
        client = browser(app)
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number + 1}"
        with clock.clock_at(start, frozen=True):
            answers = []
            for _ in range(7):
                response = client.post("/staff/login", data={
                    "csrf_token": Page(client.get("/staff/login")).csrf(), "email": email,
                    "password": "wrong password!"})
                page = Page(response)
                answers.append((page.status, page.errors(), response.headers.get("Retry-After")))
        seen[email] = answers
    assert seen["clerk@test"] == seen["nobody@test"]
    assert [status for status, *_ in seen["clerk@test"]] == [401] * 6 + [429]


def test_totp_code_is_refused_the_second_time(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = browser(app)
    password_step(client, "clerk@test")
    fresh_totp_step(app, "clerk@test")
    code = totp_now()
    code_step(client, code)
    client.page("/staff/queue")
    logout(client)

    password_step(client, "clerk@test")  # the account's last step is NOT reset this time
    page = code_step(client, code, status=401)
    assert page.field_error("code") == (
        "This code was already used. Wait for the next code in your app.")
    assert page.one(".error-summary li").text.endswith("This code was already used. Wait for "
                                                       "the next code in your app.")
    refused(client, why=SIGN_IN_NEEDED)


def test_a_wrong_code_is_refused(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = browser(app)
    password_step(client, "clerk@test")
    page = code_step(client, "000000" if totp_now() != "000000" else "111111", status=401)
    assert page.field_error("code") == (
        "This code is not right. Check the time on your phone and try the newest code.")
    client.page("/staff/queue", status=403)


def test_wrong_codes_end_the_half_signed_in_session_and_slow_down(app):
    """The second step cannot be guessed under the per-address limit: three wrong codes
    end the half-signed-in session (the password is asked again), and the account's
    count goes on across sessions, with a growing wait (issue 14, finding 4)."""
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = browser(app)
    wrong = "000000" if totp_now() != "000000" else "111111"
    start = clock.now()
    with clock.clock_at(start, frozen=True):
        password_step(client, "clerk@test")
        for _ in range(2):
            code_step(client, wrong, status=401)
        ended = code_step(client, wrong, status=303)
        assert ended.location.endswith("/staff/login")
        assert client.page("/staff/login").errors() == [
            "Too many wrong codes. Sign in again with your password."]
        assert not live_sessions(app, "clerk@test")
        back = client.page("/staff/login/code", status=303)
        assert back.location.endswith("/staff/login"), "the half session is over"

        # Signed in again with the password: the count goes on, so the next code waits.
        password_step(client, "clerk@test")
        page = code_step(client, wrong, status=401)  # the fourth failure
        page = code_step(client, totp_now(), status=429)
        assert page.field_error("code") == "Too many tries. Wait 2 seconds, then try again."
    with clock.clock_at(start + timedelta(seconds=3), frozen=True):
        fresh_totp_step(app, "clerk@test")
        code_step(client, totp_now())  # the owner is through
        client.page("/staff/queue")


def test_recovery_code_works_once(app):
    from app.auth import mfa
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    with app.app_context(), db.connection_context():
        codes = mfa.new_recovery_codes(Staff.get(Staff.email == "clerk@test"))
    client = browser(app)
    password_step(client, "clerk@test")
    code_step(client, codes[0])
    client.page("/staff/queue")
    logout(client)

    password_step(client, "clerk@test")
    page = code_step(client, codes[0], status=401)
    assert page.field_error("code") == (
        "This code is not right. Check the time on your phone and try the newest code.")
    refused(client)
    code_step(client, codes[1])  # another unused code
    client.page("/staff/queue")


def test_wrong_codes_at_enrolment_count_like_the_second_steps(app):
    """ASVS 6.3.1: whoever reaches the set-up page knows the password; the authenticator
    is not theirs until a code is right, and wrong codes end the half session there too."""
    make_staff(app, "new@test", "clerk", office=OFFICE, mfa=False)
    client = browser(app)
    client.submit("/staff/login", {"email": "new@test", "password": PASSWORD})
    assert client.get("/staff/login/code").headers["Location"].endswith("/staff/mfa/setup")
    for _ in range(2):
        page = client.submit("/staff/mfa/setup", {"code": "123456"}, status=401)
        assert page.field_error("code").startswith("This code is not right")
    ended = client.submit("/staff/mfa/setup", {"code": "123456"}, status=303)
    assert ended.location.endswith("/staff/login")
    assert not live_sessions(app, "new@test")
    with app.app_context(), db.connection_context():
        assert not Staff.get(Staff.email == "new@test").totp_confirmed


def test_one_recovery_code_used_twice_at_once_opens_one_session(app):
    """Two sign-ins racing with the same recovery code: the list changes once, and only
    the request that changed it passes."""
    from app.auth import mfa
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    with app.app_context(), db.connection_context():
        codes = mfa.new_recovery_codes(Staff.get(Staff.email == "clerk@test"))
        first, second = (Staff.get(Staff.email == "clerk@test") for _ in range(2))
        assert mfa.use_recovery_code(first, codes[0]) is True
        assert mfa.use_recovery_code(second, codes[0]) is False, "read before, used after"
        assert len(Staff.get(Staff.email == "clerk@test").recovery_codes) == 9


def test_staff_see_their_sessions_and_end_others_with_their_password(app):
    """ASVS 7.5.2: the sessions page lists where the account is signed in; ending any of
    the others asks for the password again (wrong ones count like wrong codes); this
    session, and other accounts' sessions, cannot be ended from it."""
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    make_staff(app, "clerk2@test", "clerk", office=OFFICE)
    home = sign_in(app, "clerk@test")
    desk = sign_in(app, "clerk@test")
    neighbour = sign_in(app, "clerk2@test")
    page = home.page("/staff/sessions")
    assert page.one("h1").text == "Your sessions"
    assert len(page.select("tbody tr")) == 2 and "This session" in page.text
    other_id = page.one("input[name=session]").get("value")
    foreign = str(the_session(app, "clerk2@test").id)
    wrong = home.submit("/staff/sessions", {"session": [other_id], "password": "not it at all"},
                        status=422)
    assert wrong.field_error("password") == "This is not the password you have now."
    desk.page("/staff/queue")
    done = home.submit("/staff/sessions", {"session": [other_id, foreign],
                                           "password": PASSWORD})
    assert home.page(done.location).texts(".flash") == ["1 session ended."]
    refused(desk)
    home.page("/staff/queue")
    neighbour.page("/staff/queue"), "another account's session is not this page's to end"


def test_a_supervisor_signs_an_account_out_everywhere(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    supervisor = sign_in(staff_app, "supervisor@test")
    other_county = sign_in(staff_app, "county.supervisor@test")
    with staff_app.app_context(), db.connection_context():
        clerk_id = Staff.get(Staff.email == "clerk@test").id
    other_county.submit(f"/staff/accounts/{clerk_id}/sessions/end", {}, status=404,
                        csrf_from="/staff/accounts")
    clerk.page("/staff/queue")
    page = supervisor.submit(f"/staff/accounts/{clerk_id}/sessions/end", {},
                             csrf_from="/staff/accounts")
    assert "clerk is signed out everywhere." in supervisor.page(page.location).texts(".flash")
    refused(clerk)
    sign_in(staff_app, "clerk@test").page("/staff/queue"), "the account still signs in"


def test_an_operator_resets_a_lost_authenticator(app):
    make_staff(app, "clerk@test", "clerk", office=OFFICE)
    client = sign_in(app, "clerk@test")
    output = app.test_cli_runner().invoke(args=["reset-mfa", "--email", "clerk@test"]).output
    assert "authenticator and recovery codes forgotten" in output
    refused(client)
    again = browser(app)
    again.submit("/staff/login", {"email": "clerk@test", "password": PASSWORD})
    assert again.get("/staff/login/code").headers["Location"].endswith("/staff/mfa/setup")
    assert "no account" in app.test_cli_runner().invoke(
        args=["reset-mfa", "--email", "nobody@test"]).output


def test_the_shipped_password_hash_is_argon2id_at_the_recommended_cost():
    """The suite hashes cheaply (tests/conftest.py); what the app ships with does not."""
    from argon2 import Type

    from ..conftest import PRODUCTION_HASHER
    assert PRODUCTION_HASHER.type is Type.ID
    assert PRODUCTION_HASHER.memory_cost >= 64 * 1024 and PRODUCTION_HASHER.time_cost >= 3
    assert PRODUCTION_HASHER.hash("x").startswith("$argon2id$v=19$m=65536,t=3,")
