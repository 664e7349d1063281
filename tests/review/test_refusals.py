"""A refused decision is never a page at its POST address (a reload would post it again):
the answer is a 303 to the case page, which shows the refused form with what the clerk
typed and why, once, to that clerk's session only."""

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.models import HeldRefusal, db

from ..conftest import (case_of, confirm_video, decide, refuse, sign_in, submitted_case,
                        today)

NOTE = "Please check the licence record 请核实驾驶证记录"


def future(days=10):
    return (today() + timedelta(days=days)).isoformat()


def accepted_case(app):
    """A case accepted at the window (a transfer is possible then)."""
    journey = submitted_case(app)
    clerk = sign_in(app, "clerk@test")
    confirm_video(app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    return journey, clerk


def lapsed():
    """A time just past what a held refusal is kept."""
    return utcnow() - HeldRefusal.KEPT - timedelta(seconds=1)


def held(app) -> int:
    with app.app_context(), db.connection_context():
        return HeldRefusal.select().count()


#: action, what the clerk typed, the field that keeps it, the field in error and its error.
REFUSALS = {
    "return": ({"note": NOTE, "due": future()}, "note", "materials",
               "Choose at least one material the applicant must fix, with what is wrong."),
    "transfer": ({"department": "", "note": NOTE}, "note", "department",
                 "Choose the department to pass the case to."),
    "reject": ({"reason": "x" * 2001}, "reason", "reason",
               "Keep the reason to 2,000 characters or fewer."),
}


@pytest.mark.parametrize("action", REFUSALS)
def test_a_refused_decision_is_shown_once_at_the_case_page(staff_app, action):
    typed, kept, wrong, error = REFUSALS[action]
    if action == "transfer":
        journey, clerk = accepted_case(staff_app)
    else:
        journey = submitted_case(staff_app)
        clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/cases/{journey.reference}"
    before = case_of(staff_app, journey.reference)

    answer = decide(clerk, journey.reference, action, **typed)
    assert answer.location == f"{url}#error-summary"  # not the POST address

    page = clerk.page(answer.location)
    assert page.title.startswith("Error: ")
    form = page.form(f"#d-{action}")
    assert form.select_one(".error-summary h2").get_text(strip=True) == "Not done"
    assert page.field(kept, form=form) == typed[kept]
    assert error in form.select_one(".error-summary").get_text(" ", strip=True)
    control = form.select_one(f"#f-{action}-{wrong}")
    box = control if "field" in control.get("class", []) else control.find_parent(class_="field")
    assert "has-error" in box["class"] and error in box.select_one(".error").get_text()
    assert len(page.select(".error-summary")) == 1  # only the refused decision's form
    after = case_of(staff_app, journey.reference)
    assert (after.status, after.version) == (before.status, before.version)

    # Shown once: reloading the page shows the clean form, and nothing is kept.
    again = clerk.page(url)
    assert not again.title.startswith("Error")
    assert not again.select(".error-summary")
    assert again.field(kept, form=again.form(f"#d-{action}")) in ("", None)
    assert held(staff_app) == 0


def test_a_refusal_is_for_the_session_and_the_case_that_made_it(staff_app):
    journey = submitted_case(staff_app)
    other_case = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    colleague = sign_in(staff_app, "clerk2@test")
    supervisor = sign_in(staff_app, "supervisor@test")
    url = f"/staff/cases/{journey.reference}"
    decide(clerk, journey.reference, "return", note=NOTE, due=future())

    # Nobody else sees it, nor does the same clerk on another case or in another browser.
    for someone in (colleague, supervisor):
        page = someone.page(url)
        assert not page.select(".error-summary") and NOTE not in page.html
    elsewhere = clerk.page(f"/staff/cases/{other_case.reference}")
    assert not elsewhere.select(".error-summary") and NOTE not in elsewhere.html
    second_browser = sign_in(staff_app, "clerk2@test")
    assert NOTE not in second_browser.page(url).html

    # Looking elsewhere took nothing: the clerk's own page still shows it.
    page = clerk.page(url)
    assert page.field("note", form=page.form("#d-return")) == NOTE
    assert page.errors()


def test_a_refusal_not_shown_in_time_is_forgotten(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "return", note=NOTE, due=future())
    assert held(staff_app) == 1
    with staff_app.app_context(), db.connection_context():
        HeldRefusal.update(created_at=lapsed()).execute()
    page = clerk.page(f"/staff/cases/{journey.reference}")
    assert not page.select(".error-summary") and NOTE not in page.html
    assert held(staff_app) == 0

    # What lapsed unshown is purged (by the next refusal, and nightly).
    decide(clerk, journey.reference, "return", note=NOTE, due=future())
    with staff_app.app_context(), db.connection_context():
        HeldRefusal.update(created_at=lapsed()).execute()
        assert HeldRefusal.purge() == 1


def test_a_refused_material_verdict_comes_back_at_its_material(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    page = refuse(clerk, journey.reference, "review", material="id_photo",
                  verdict="correction", reason="")
    form = page.first("#m-id_photo form")
    assert page.field("verdict", form=form) == "correction"
    assert "Choose a standard reason or write what is wrong: the applicant will read it." in form.select_one(
        ".error-summary").get_text(" ", strip=True)
    assert len(page.select(".error-summary")) == 1


def test_authorisation_comes_before_any_refusal(staff_app):
    journey = submitted_case(staff_app)
    outsider = sign_in(staff_app, "county.clerk@test")
    token = outsider.page("/staff/queue").csrf()
    answer = outsider.post(f"/staff/cases/{journey.reference}/decide/return",
                           data={"csrf_token": token, "note": NOTE})
    assert answer.status_code == 404
    province = sign_in(staff_app, "province@test")  # reads everything, decides nothing
    answer = province.post(f"/staff/cases/{journey.reference}/decide/return",
                           data={"csrf_token": province.page("/staff/queue").csrf(),
                                 "note": NOTE})
    assert answer.status_code == 403
    assert held(staff_app) == 0


def test_an_htmx_refusal_leaves_by_hx_redirect_not_by_history(staff_app):
    journey = submitted_case(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/cases/{journey.reference}"
    page = clerk.page(url)
    answer = clerk.post(f"{url}/decide/return", headers={"HX-Request": "true"},
                        data={"csrf_token": page.csrf(), "note": NOTE, "due": future(),
                              "version": page.field("version", form=page.form("#d-return"))})
    # htmx loads the case page as a whole (the address bar shows the case's URL); no
    # fragment is swapped in and no POST address is pushed into the history.
    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"] == f"{url}#error-summary"
    assert "HX-Push-Url" not in answer.headers and "HX-Replace-Url" not in answer.headers
    assert answer.get_data() == b""
    shown = clerk.page(answer.headers["HX-Redirect"])
    assert shown.field("note", form=shown.form("#d-return")) == NOTE
    assert shown.errors()
