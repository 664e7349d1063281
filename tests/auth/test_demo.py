"""Walking the staff side of the demo (issue 15, part 11): the demo accounts come enrolled
in two-step sign-in, and `flask demo-code` prints the code of the moment, for demo
accounts only, and only while the demo is on (ONEVISIT_DEMO). Off, demo accounts open
nothing."""

import re

from app.demohistory import HISTORY_STAFF
from app.models import Staff, db

from ..conftest import make_staff
from .test_sessions import browser, code_step, password_step


def load_demo(app) -> dict:
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    assert "flask demo-code EMAIL" in result.output
    return dict(re.findall(r"^\s+\w+\s+(\S+@demo\.onevisit)\s+(\S+)$", result.output, re.M))


def demo_code(app, email):
    return app.test_cli_runner().invoke(args=["demo-code", email])


def test_a_newcomer_signs_in_as_the_demo_clerk_without_an_authenticator_app(app):
    app.config["DEMO"] = True
    passwords = load_demo(app)
    assert len(passwords) >= 10
    with app.app_context(), db.connection_context():
        accounts = list(Staff.select().where(Staff.demo == True))  # noqa: E712
        # Every demo account that signs in has its password printed; the demo history's
        # own staff (there to have done the work) have none and cannot sign in.
        history_staff = {email for email, *_rest in HISTORY_STAFF}
        assert {a.email for a in accounts} == set(passwords) | history_staff
        assert not history_staff & set(passwords)
        accounts = [a for a in accounts if a.email in passwords]
        assert all(a.totp_confirmed for a in accounts)
        assert len({a.totp_secret for a in accounts}) == len(accounts), "a secret each"
    printed = demo_code(app, "clerk@demo.onevisit")
    assert printed.exit_code == 0 and re.fullmatch(r"\d{6}\n", printed.output)
    client = browser(app)
    password_step(client, "clerk@demo.onevisit", passwords["clerk@demo.onevisit"])
    code_step(client, printed.output.strip())
    client.page("/staff/queue")


def test_codes_are_given_for_demo_accounts_only_and_only_while_the_demo_is_on(app):
    app.config["DEMO"] = True
    passwords = load_demo(app)
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    refused = demo_code(app, "clerk@test")
    assert refused.exit_code != 0 and "is not a demo account" in refused.output
    assert demo_code(app, "nobody@demo.onevisit").exit_code != 0

    app.config["DEMO"] = False
    off = demo_code(app, "clerk@demo.onevisit")
    assert off.exit_code != 0 and "the demo is off" in off.output
    assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code != 0
    page = password_step(browser(app), "clerk@demo.onevisit", passwords["clerk@demo.onevisit"],
                         status=401)
    assert page.errors() == ["This account is disabled. Ask your supervisor."]
