"""A question that turns out to be an application becomes a draft case of the chosen item,
with the asker's details carried over (issue 17, point 6)."""

import re
import secrets

import pytest

from app.models import Case, CaseNote, Event, Item, Jurisdiction, Question, QuestionEvent, db
from tests.conftest import sign_in, smtp
from tests.pages import Page

QUESTION = "Devo rinnovare la patente cinese, scade il mese prossimo. <script>alert(1)</script>"


def ask(app, county="wencheng", item="JJ-JZ-001", email="lin.mei@example.it",
        phone="+393123456789", name="LIN Mei", locale="it"):
    """A question asked on the web; returns its reference."""
    from app.questions import service
    with app.test_request_context(), db.connection_context():
        question, _token, _code = service.ask(
            county=Jurisdiction.local_by_key(county), locale=locale, text=QUESTION,
            start_key=secrets.token_hex(8), item=Item.get(Item.code == item) if item else None,
            contact_email=email, contact_phone=phone, asker_name=name)
        return question.reference


def fresh(app, reference):
    with app.app_context(), db.connection_context():
        return Question.get(Question.reference == reference)


def convert(client, reference, status=303, **data):
    """POST the conversion form as the page shows it (``data`` overrides its values)."""
    page = client.page(f"/staff/questions/{reference}/case")
    values = dict(page.form_data("main form.decision"), **data)
    return client.submit(f"/staff/questions/{reference}/case", values, status=status)


def test_conversion_carries_the_askers_details_and_emails_the_link(staff_app, smtp_server):
    app = staff_app
    collector = smtp(app, smtp_server)
    reference = ask(app)
    clerk = sign_in(app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/case")
    # The question's item is chosen already, the country guessed from the language.
    assert page.one("select[name=item] option[selected]").get("value") == "JJ-JZ-001"
    assert page.one("select[name=country] option[selected]").get("value") == "IT"
    assert "<script>alert(1)</script>" in page.one("blockquote").text  # shown as text
    assert "<script>alert" not in page.html
    answer = convert(clerk, reference, city="Prato")
    assert answer.location == f"/staff/questions/{reference}/case"

    question = fresh(app, reference)
    assert question.status == "closed" and question.converted_case_id
    with app.app_context(), db.connection_context():
        case = Case.get_by_id(question.converted_case_id)
        assert case.status == "draft" and case.item.code == "JJ-JZ-001"
        assert (case.locale, case.contact_email, case.contact_phone) == (
            "it", "lin.mei@example.it", "+393123456789")
        assert (case.country, case.city, case.timezone) == ("IT", "Prato", "Europe/Rome")
        assert case.answers.get("name_latin") == "LIN Mei"
        assert case.applicant_name == "LIN Mei"
        note = CaseNote.get(CaseNote.case == case)
        assert note.body.startswith(reference) and "rinnovare la patente" in note.body
        assert not note.to_applicant
        started = Event.get((Event.case == case) & (Event.kind == "started"))
        assert started.data == {"question": reference}
        event = QuestionEvent.get((QuestionEvent.question == question.id)
                                  & (QuestionEvent.kind == "converted"))
        assert event.data == {"case": case.id, "reference": case.reference}
        case_reference = case.reference

    # The page now says what the question became.
    shown = clerk.page(f"/staff/questions/{reference}/case")
    assert case_reference in shown.one("#converted").text
    assert not shown.select("form.decision")

    # The asker is emailed the case's own access link, in Italian, naming the question.
    mails = [m for to, m in collector.messages if to == ["lin.mei@example.it"]]
    access = [m for m in mails if case_reference in m["Subject"]]
    assert len(access) == 1
    body = access[0].get_content()
    assert reference in body
    link = re.search(r"https?://\S+/it/cases/\S+", body).group(0)

    # The asker opens the draft with the link: the journey, in Italian.
    asker = app.test_client()
    opened = asker.get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert opened.status_code in (302, 303)
    status = Page(asker.get(f"/it/cases/{case_reference}"))
    assert status.status == 200, status


def test_asker_without_email_gets_the_code_by_phone(staff_app):
    app = staff_app
    reference = ask(app, email=None, name="林美")
    clerk = sign_in(app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/case")
    assert "by phone" in page.main
    done = convert(clerk, reference, status=200, city="Milano")
    code = done.one("#access-code").text
    assert f"/staff/questions/{reference}" in done.links()  # back to the question's page
    question = fresh(app, reference)
    with app.app_context(), db.connection_context():
        case = Case.get_by_id(question.converted_case_id)
        assert case.answers.get("name_zh") == "林美" and case.contact_email is None
        from app.cases.access import check_access_code
        from app.cases.reference import normalize_access_code
        assert check_access_code(case, normalize_access_code(code))


def test_mediation_item_and_department_filter(staff_app):
    app = staff_app
    reference = ask(app, item=None)
    clerk = sign_in(app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/case?department=justice-mediation")
    codes = [o.get("value") for o in page.select("select[name=item] option") if o.get("value")]
    assert codes == ["SF-TJ-001"]
    searched = clerk.page(f"/staff/questions/{reference}/case?q=JJ-JZ")
    assert {o.get("value") for o in searched.select("select[name=item] option")} >= {"JJ-JZ-001"}
    assert "SF-TJ-001" not in searched.html
    convert(clerk, reference, item="SF-TJ-001", city="Prato")
    with app.app_context(), db.connection_context():
        assert Case.get_by_id(fresh(app, reference).converted_case_id).item.code == "SF-TJ-001"


def test_refusals_keep_what_was_typed(staff_app):
    app = staff_app
    reference = ask(app)
    clerk = sign_in(app, "clerk@test")
    # No item chosen: 400, the message, the city kept.
    page = convert(clerk, reference, status=400, item="", city="Prato di sopra")
    assert "Choose the service the asker needs." in page.errors()[0]
    assert page.field("city") == "Prato di sopra"
    # Another county's item: 400.
    page = convert(clerk, reference, status=400, item="QT-SF-TJ-001", city="Prato di sopra")
    assert "Wencheng" in page.one("#error-summary").text
    assert page.field("city") == "Prato di sopra"
    # Nothing was made.
    assert fresh(app, reference).converted_case_id is None
    # Converted once; the same form again (or another clerk's) is refused with 409.
    form = clerk.page(f"/staff/questions/{reference}/case").form_data("main form.decision")
    clerk.submit(f"/staff/questions/{reference}/case", dict(form, city="Prato"))
    again = clerk.submit(f"/staff/questions/{reference}/case", dict(form, city="Prato"),
                         status=409)
    assert "already became the application" in again.one("#error-summary").text
    with app.app_context(), db.connection_context():
        assert Case.select().where(Case.start_key == form["start_key"]).count() == 1


def test_a_closed_question_is_refused(staff_app):
    app = staff_app
    reference = ask(app)
    from app.questions import service
    with app.app_context(), db.connection_context():
        service.close(Question.get(Question.reference == reference))
    clerk = sign_in(app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/case")
    assert page.select("#closed") and not page.select("form.decision")
    from tests.conftest import csrf_token
    token = csrf_token(clerk, "/staff/password")
    refused = clerk.submit(f"/staff/questions/{reference}/case",
                           {"csrf_token": token, "item": "JJ-JZ-001", "country": "IT",
                            "city": "Prato", "start_key": "k" * 20}, status=409)
    assert "closed" in refused.one("#error-summary").text
    with app.app_context(), db.connection_context():
        assert Case.select().where(Case.start_key == "k" * 20).count() == 0


@pytest.mark.parametrize("email", ["county.clerk@test", "county.supervisor@test",
                                   "other.officer@test", "volunteer@test"])
def test_other_counties_and_roles_do_not_see_it(staff_app, email):
    app = staff_app
    reference = ask(app)
    client = sign_in(app, email)
    status = client.get(f"/staff/questions/{reference}/case").status_code
    assert status in ({404} if email != "volunteer@test" else {403, 404})
    assert client.get("/staff/questions/QA-0000-0000-00/case").status_code in (403, 404)


def test_province_reads_but_does_not_convert(staff_app):
    app = staff_app
    reference = ask(app)
    province = sign_in(app, "province@test")
    province.page(f"/staff/questions/{reference}/case")
    with app.app_context():
        app.config["WTF_CSRF_ENABLED"] = False
    assert province.post(f"/staff/questions/{reference}/case",
                         data={"item": "JJ-JZ-001", "country": "IT", "city": "x"}
                         ).status_code == 403
    assert fresh(app, reference).converted_case_id is None


def test_opening_the_conversion_page_is_recorded(staff_app):
    """It shows the asker's name, email, phone and words: like the question's page, each
    opening is an audit event naming the account."""
    from app.models import AuditEvent, Staff
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/case")
    assert "lin.mei@example.it" in page.main
    with staff_app.app_context(), db.connection_context():
        clerk_id = Staff.get(Staff.email == "clerk@test").id
        seen = list(AuditEvent.select().where((AuditEvent.action == "question_view")
                                              & (AuditEvent.target == reference)))
        assert [event.staff_id for event in seen] == [clerk_id]


def _case_facts(page) -> dict:
    """The question page's "Asked from" / "Became" rows: label -> (text, link or None)."""
    found = {}
    for row in page.select("dl.answers > div"):
        label = row.dt.get_text(strip=True)
        if "application" in label:
            link = row.dd.find("a")
            found[label] = (row.dd.get_text(" ", strip=True), link["href"] if link else None)
    return found


def test_a_draft_application_is_named_not_linked(staff_app):
    """Staff cannot open a draft (it reaches a window when it is sent): the question's page
    names it, says it is a draft, and links it once it can be opened."""
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    convert(clerk, reference, city="Prato")
    with staff_app.app_context(), db.connection_context():
        case = Case.get_by_id(fresh(staff_app, reference).converted_case_id)
    text, link = _case_facts(clerk.page(f"/staff/questions/{reference}"))[
        "Became the application"]
    assert link is None and case.reference in text and "draft, not sent yet" in text
    assert clerk.get(f"/staff/cases/{case.reference}").status_code == 404  # why no link
    # Sent and at the window: a link to it.
    with staff_app.app_context(), db.connection_context():
        office = Case.get_by_id(case.id)
        from app.models import Office
        Case.update(status="submitted", office=Office.get(Office.key == "police-global-window")
                    ).where(Case.id == office.id).execute()
    text, link = _case_facts(clerk.page(f"/staff/questions/{reference}"))[
        "Became the application"]
    assert link == f"/staff/cases/{case.reference}" and "draft" not in text
    assert clerk.get(link).status_code == 200
    # Another window's clerk of the county sees the question, not the case: text only.
    other = sign_in(staff_app, "other.clerk@test")
    text, link = _case_facts(other.page(f"/staff/questions/{reference}"))[
        "Became the application"]
    assert link is None and text == case.reference


def test_asked_from_a_draft_application(staff_app):
    from tests.conftest import Journey, fill_driving_licence
    journey = Journey(staff_app.test_client(), lang="it")
    journey.start(language="it")
    fill_driving_licence(journey)
    with staff_app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        from app.questions import service
        question, _t, _c = service.ask(county=Jurisdiction.local_by_key("wencheng"),
                                       locale="it", text="Quale foto?", case=case,
                                       start_key=secrets.token_hex(8))
    page = sign_in(staff_app, "clerk@test").page(f"/staff/questions/{question.reference}")
    text, link = _case_facts(page)["Asked from the application"]
    assert link is None and journey.reference in text and "draft, not sent yet" in text


def test_the_conversion_pages_link_the_question_through_the_app(staff_app):
    """Built with url_for: under a path prefix (a proxy's SCRIPT_NAME) the links keep it."""
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/case",
                      base_url="http://localhost/onevisit")
    assert page.one("p.caption a")["href"] == f"/onevisit/staff/questions/{reference}"
