"""Accounts a supervisor manages: disabling one ends all its sessions at once."""

import pytest

from app.models import Staff, db

from ..conftest import live_sessions, make_staff, sign_in

OFFICE = "police-global-window"
PASSWORD = "correct horse battery"


def account_rows(page) -> dict:
    """``{email: row}`` of the accounts table."""
    return {row.select("td")[1].get_text(strip=True): row
            for row in page.select("table.queue tbody tr")}


def staff_id(app, email) -> int:
    with app.app_context(), db.connection_context():
        return Staff.get(Staff.email == email).id


def test_supervisor_disabling_ends_their_sessions_at_once(app):
    make_staff(app, "supervisor@test", "supervisor", office=OFFICE)
    make_staff(app, "clerk2@test", "clerk", office=OFFICE)
    make_staff(app, "other.supervisor@test", "supervisor", office="overseas-centre")
    target_id = staff_id(app, "clerk2@test")
    colleague = sign_in(app, "clerk2@test")
    colleague.page("/staff/queue")

    # A supervisor of another office neither sees the account nor can disable it.
    url = f"/staff/accounts/{target_id}/disable"
    stranger = sign_in(app, "other.supervisor@test")
    assert "clerk2@test" not in account_rows(stranger.page("/staff/accounts"))
    stranger.submit(url, csrf_from="/staff/accounts", status=404)
    colleague.page("/staff/queue")

    # The office's supervisor disables it from the accounts page.
    supervisor = sign_in(app, "supervisor@test")
    accounts = supervisor.page("/staff/accounts")
    row = account_rows(accounts)["clerk2@test"]
    assert row.select_one(f"form[action='{url}'] button").get_text(strip=True) == "Disable"
    done = supervisor.submit(url, accounts.form_data(f"form[action='{url}']"))
    assert done.location.endswith("/staff/accounts")
    after = supervisor.page(done.location)
    assert after.texts(".flash") == ["clerk2 is disabled and signed out everywhere."]
    assert account_rows(after)["clerk2@test"].select_one(f"form[action='{url}'] button").get_text(
        strip=True) == "Enable"
    with app.app_context(), db.connection_context():
        assert not Staff.get_by_id(target_id).active
    assert not live_sessions(app, "clerk2@test"), "disabling left a session alive"
    page = colleague.page("/staff/queue", status=403)
    assert page.one("h1").text == "Please sign in"

    # A disabled account cannot sign in again.
    login = app.test_client()
    login.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = login.submit("/staff/login", {"email": "clerk2@test", "password": PASSWORD},
                        status=401)
    assert page.errors() == ["This account is disabled. Ask your supervisor."]
    assert not live_sessions(app, "clerk2@test")

    # Enabled again, it signs in anew (the old sessions stay ended).
    enable = supervisor.page("/staff/accounts").form_data(f"form[action='{url}']")
    assert enable["enable"] == "yes"
    supervisor.submit(url, enable)
    sign_in(app, "clerk2@test").page("/staff/queue")
    colleague.page("/staff/queue", status=403)


def test_a_supervisor_cannot_disable_their_own_account(app):
    make_staff(app, "supervisor@test", "supervisor", office=OFFICE)
    supervisor = sign_in(app, "supervisor@test")
    own = f"/staff/accounts/{staff_id(app, 'supervisor@test')}/disable"
    assert not supervisor.page("/staff/accounts").select(f"form[action='{own}']")
    done = supervisor.submit(own, csrf_from="/staff/accounts")
    assert supervisor.page(done.location).texts(".flash") == ["You cannot disable your own account."]
    assert len(live_sessions(app, "supervisor@test")) == 1
    supervisor.page("/staff/queue")


def test_an_account_belongs_to_a_window_or_department_or_else_a_jurisdiction(app):
    """Never both (a clerk with the province's scope would read every county), and a reset
    account keeps nothing of what it belonged to before."""
    from app.auth import create_staff
    from app.models import Staff, db
    with app.app_context(), db.connection_context():
        with pytest.raises(ValueError, match="not both"):
            create_staff("mixed@test", "Mixed", "clerk", office="police-global-window",
                         jurisdiction="zhejiang")
        create_staff("moved@test", "Moved", "supervisor", jurisdiction="zhejiang")
        staff, _ = create_staff("moved@test", "Moved", "clerk", office="qingtian-police-window")
        staff = Staff.get_by_id(staff.id)
        assert staff.jurisdiction is None and staff.scope.key == "qingtian"
        assert not staff.read_only
