"""The applicant journey through the Flask test client, step by step."""

import email
import re
from pathlib import Path

from app.models import Case, Event, db

from ..conftest import APPLICANT, Journey, fill_driving_licence, jpeg_bytes

JOURNEY_PAGES = ("steps/applicant", "steps/licence", "steps/medical", "entrustment", "materials",
                 "check", "declaration")


def outbox_messages(app):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))]


def access_link(app) -> str:
    """The path of the access link in the first email (the one sent at the start)."""
    body = outbox_messages(app)[0].get_content()
    return re.search(r"http://onevisit.test(/en/cases/access/\S+)", body).group(1)


def test_full_journey_to_submitted_case(app, client, journey):
    response = journey.start()
    assert response.status_code == 303
    assert response.location.endswith(f"/en/cases/{journey.reference}/steps/applicant")
    page = client.page(response.location)
    reference, code = page.texts(".refbox strong")
    assert reference == journey.reference
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert "Access code:" in page.one(".refbox").text

    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    assert journey.defer("medical_certificate").status_code == 303

    check = client.page(f"/en/cases/{journey.reference}/check")
    answers = {row.dt.get_text(" ", strip=True): row.dd.get_text(" ", strip=True)
               for row in check.select("dl.answers > div")}
    assert answers["Name as in your passport"] == "LIN Mei"
    assert answers["Licence class"] == "C1 – car (manual or automatic)"
    assert answers["Medical certificate of fitness to drive"] == "You will send this later"
    assert "Change Name as in your passport" in check.texts("dd.act a")
    assert check.texts("p a.button") == ["Continue to the declaration"]

    response = journey.submit()
    assert response.status_code == 303
    assert response.location.endswith(f"/cases/{journey.reference}/confirmation")
    confirmation = client.page(response.location)
    panel = confirmation.texts(".panel strong.big")
    assert panel[0] == journey.reference
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", panel[1])

    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.status == "submitted" and case.submitted_at is not None
        assert case.deferred == ["medical_certificate"]
        assert case.answers["cn_id"] == APPLICANT["cn_id"]
        assert case.answers["phone"] == "+393123456789"
        # Every change of the draft recorded its event (item 5 of the refactor) ...
        assert [e.kind for e in Event.select().where(Event.case == case).order_by(Event.id)] == [
            "started", "answers_changed", "answers_changed", "answers_changed",
            "entrustment_changed", "file_added", "file_added", "file_added",
            "deferred_changed", "submitted"]
        # ... and one version each (a case starts at version 1).
        assert case.version == 1 + 9
        # The applicant's timeline still shows only the start and the sending.
        assert [e.kind for e in Event.timeline(case, for_staff=False)] == ["started", "submitted"]

    status = client.page(f"/en/cases/{journey.reference}")
    assert status.one("p.status strong").text == "Sent, waiting for review"
    timeline = status.texts("ol.timeline li")
    assert len(timeline) == 2
    assert "You sent the application" in timeline[0]
    assert "You started the application" in timeline[1]
    # The zone of each moment: Beijing first, then the applicant's own (Italy).
    times = status.texts("ol.timeline li time")
    assert all("Beijing time" in t for t in times)
    assert all("Italy" in t for t in times)

    messages = outbox_messages(app)
    assert len(messages) == 2
    assert journey.reference in messages[0]["Subject"]
    body = messages[0].get_content()
    assert "http://onevisit.test/en/cases/access/" in body


def test_access_link_resumes_where_the_applicant_stopped(app, client):
    journey = Journey(client)
    journey.start()
    assert journey.step("applicant", APPLICANT).status_code == 303
    link = access_link(app)

    other = app.test_client()  # another phone: no session yet
    other.page(f"/en/cases/{journey.reference}", status=404)
    response = other.page(link, status=303)
    assert response.location.endswith(f"/cases/{journey.reference}/steps/licence")
    assert "access" not in response.location
    page = other.page(response.location)
    assert page.one("h1").text == "Your driving licence"
    # The saved answers of the first step are there.
    step = other.page(f"/en/cases/{journey.reference}/steps/applicant")
    assert step.field("name_latin") == "LIN Mei"
    assert step.field("cn_id") == APPLICANT["cn_id"]


def test_continue_leads_to_the_page_this_browser_reached(app, client, journey):
    """The resume point lives in the browser's session: the last journey page shown."""
    journey.start()
    base = f"/en/cases/{journey.reference}"
    assert client.page(f"{base}/resume", status=303).location == f"{base}/steps/applicant"
    assert journey.step("applicant", APPLICANT).status_code == 303
    client.page(f"{base}/steps/licence")
    assert client.page(f"{base}/resume", status=303).location == f"{base}/steps/licence"
    # Jumping ahead to the materials page makes it the place to continue from ...
    client.page(f"{base}/materials")
    assert client.page(f"{base}/resume", status=303).location == f"{base}/materials"
    # ... and going back to an earlier page moves it back.
    client.page(f"{base}/steps/applicant")
    assert client.page(f"{base}/resume", status=303).location == f"{base}/steps/applicant"
    # The status page's "continue" button leads there.
    status = client.page(base)
    assert status.links("main a.button") == [f"{base}/resume"]
    assert status.one("main a.button").text == "Continue where you stopped"

    # Another browser opening the access link starts at the first page with something
    # missing (the licence step), not where the first browser is.
    other = app.test_client()
    assert other.page(access_link(app), status=303).location == f"{base}/steps/licence"
    assert other.page(f"{base}/resume", status=303).location == f"{base}/steps/licence"
    assert client.page(f"{base}/resume", status=303).location == f"{base}/steps/applicant"


def test_access_link_in_a_fresh_browser_goes_to_the_first_page_with_something_missing(app):
    journey = Journey(app.test_client())
    journey.start()
    base = f"/en/cases/{journey.reference}"
    link = access_link(app)
    fresh = app.test_client()
    assert fresh.page(link, status=303).location == f"{base}/steps/applicant"
    fill_driving_licence(journey)
    # Every step answered: the materials are what is missing.
    assert app.test_client().page(link, status=303).location == f"{base}/materials"
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    assert app.test_client().page(link, status=303).location == f"{base}/materials"
    assert journey.defer("medical_certificate").status_code == 303
    # Nothing missing: the check page.
    assert app.test_client().page(link, status=303).location == f"{base}/check"
    # A step answer that no longer holds sends the applicant back to its step.
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        answers = dict(case.answers)
        del answers["licence_class"]
        Case.update(answers=answers).where(Case.id == case.id).execute()
    assert app.test_client().page(link, status=303).location == f"{base}/steps/licence"


def test_continue_after_sending_leads_to_the_status_page(app, client, journey):
    journey.start()
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    assert journey.defer("medical_certificate").status_code == 303
    client.page(f"/en/cases/{journey.reference}/check")
    assert journey.submit().status_code == 303
    base = f"/en/cases/{journey.reference}"
    assert client.page(f"{base}/resume", status=303).location == base
    assert app.test_client().page(access_link(app), status=303).location == base


def _version(app, reference):
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        return case.version, case.updated_at, Event.select().where(Event.case == case).count()


def test_reading_journey_pages_writes_nothing(app, client, journey):
    """Showing a page (and remembering it as the resume point) leaves the case alone."""
    journey.start()
    assert journey.step("applicant", APPLICANT).status_code == 303
    assert journey.upload("passport_page", jpeg_bytes()).status_code == 303
    before = _version(app, journey.reference)
    base = f"/en/cases/{journey.reference}"
    for path in JOURNEY_PAGES:
        client.page(f"{base}/{path}")
    client.page(base)
    client.page(f"{base}/materials/passport_page/slot")
    client.page(f"{base}/resume", status=303)
    app.test_client().page(access_link(app), status=303)
    assert _version(app, journey.reference) == before


def test_drafts_keep_valid_answers_when_a_step_has_errors(app, client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, date_of_birth="1968-02-30"))
    assert response.status_code == 422
    assert response.field_error("date_of_birth") == "This date does not exist. Check the day and the month."
    assert response.field("name_latin") == "LIN Mei"
    assert response.field("date_of_birth") == "1968-02-30"
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.answers["name_latin"] == "LIN Mei"
        assert "date_of_birth" not in case.answers


def test_find_case_by_reference_and_access_code(app, client, journey):
    journey.start()
    code = re.search(r"Access code: ([0-9A-Z]{4}-[0-9A-Z]{4})",
                     outbox_messages(app)[0].get_content()).group(1)
    other = app.test_client()
    other.page(f"/en/cases/{journey.reference}", status=404)
    response = other.submit("/en/cases/find", {
        "reference": journey.reference.lower().replace("-", " "), "code": code.lower()})
    assert response.location == f"/en/cases/{journey.reference}"
    status = other.page(response.location)
    assert status.one("h1").text == f"Application {journey.reference}"


def test_withdraw_a_draft(app, client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/withdraw"
    assert client.page(url).one("h1").text == "Withdraw this application?"
    response = client.submit(url, {})
    assert response.location == f"/en/cases/{journey.reference}"
    page = client.page(response.location)
    assert page.one("p.status strong").text == "Withdrawn"
    assert page.texts(".flash") == ["Your application was withdrawn."]
    assert "You withdrew the application" in page.texts("ol.timeline li")[0]


def test_every_applicant_page_renders_in_every_locale(app, client):
    html_lang = {"zh": "zh-Hans"}
    for lang in ("zh", "en", "it", "fr", "es", "pt"):
        journey = Journey(app.test_client(), lang=lang)
        assert journey.start(language=lang).status_code == 303
        ref = journey.reference
        urls = [f"/{lang}/", f"/{lang}/services", f"/{lang}/services?q=驾驶证",
                f"/{lang}/services/JJ-JZ-001", f"/{lang}/services/JJ-JZ-001/apply",
                f"/{lang}/cases/find", f"/{lang}/cases/{ref}/steps/applicant",
                f"/{lang}/cases/{ref}/steps/licence", f"/{lang}/cases/{ref}/steps/medical",
                f"/{lang}/cases/{ref}/materials", f"/{lang}/cases/{ref}/check",
                f"/{lang}/cases/{ref}/declaration", f"/{lang}/cases/{ref}"]
        for url in urls:
            page = journey.client.page(url)
            assert page.soup.html["lang"] == html_lang.get(lang, lang), url
            assert page.select(f'link[rel="alternate"][hreflang="{lang}"]'), url
            assert page.one("h1").text, url


def test_root_negotiates_language(client):
    def target(**headers):
        return client.page("/", status=303, headers=headers).location
    assert target(**{"Accept-Language": "it-IT,it;q=0.9"}) == "/it/"
    assert target(**{"Accept-Language": "zh-CN"}) == "/zh/"
    assert target(**{"Accept-Language": ";;;garbage==,"}) == "/zh/"
    assert target() == "/zh/"


def test_unknown_locale_prefix_redirects(client):
    response = client.page("/de/services?q=x", status=302, headers={"Accept-Language": "fr"})
    assert response.location == "/fr/services?q=x"
    assert client.page("/pt-BR/", status=302).location == "/pt/"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_latin_name_is_suggested_from_the_chinese_name_and_stays_editable(app, client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, name_zh="王堃喆", name_latin=""))
    assert response.status_code == 422
    assert response.field("name_latin") == "WANG Kunzhe"
    assert "matches your passport" in response.field_error("name_latin")
    # The applicant corrects the suggestion to the passport's spelling.
    response = journey.step("applicant", dict(APPLICANT, name_zh="王堃喆", name_latin="WANG Kun Zhe"))
    assert response.status_code == 303
    with app.app_context(), db.connection_context():
        assert Case.get(Case.reference == journey.reference).answers["name_latin"] == "WANG Kun Zhe"


def test_pinyin_suggestions_follow_passport_spelling():
    from app.cases.names import suggest_latin
    assert suggest_latin("吕女士") == "LYU Nyushi"
    assert suggest_latin("欧阳修") == "OUYANG Xiu"
    assert suggest_latin("单田芳") == "SHAN Tianfang"
    assert suggest_latin("陈龑") == "CHEN Yan"
