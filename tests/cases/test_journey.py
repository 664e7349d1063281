"""The applicant journey through the Flask test client, step by step."""

import email
import re
from pathlib import Path

from app.models import Case, Event, db

from ..conftest import APPLICANT, LICENCE, Journey, fill_driving_licence, jpeg_bytes, pdf_bytes


def outbox_messages(app):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))]


def test_full_journey_to_submitted_case(app, client, journey):
    response = journey.start()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/en/cases/{journey.reference}/steps/applicant")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert journey.reference in page and "Access code" in page

    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    assert journey.defer("medical_certificate").status_code == 303

    check = client.get(f"/en/cases/{journey.reference}/check").get_data(as_text=True)
    assert "LIN Mei" in check and "C1" in check and "Change" in check
    assert "You will send this later" in check

    response = journey.submit()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{journey.reference}/confirmation")
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert journey.reference in confirmation
    assert re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation)

    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.status == "submitted" and case.submitted_at is not None
        assert case.deferred == ["medical_certificate"]
        assert case.answers["cn_id"] == APPLICANT["cn_id"]
        assert case.answers["phone"] == "+393123456789"
        assert [e.kind for e in Event.select().where(Event.case == case)] == ["started", "submitted"]

    status = client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)
    assert "Sent, waiting for review" in status and "You sent the application" in status
    assert "Beijing time" in status and "Italy" in status

    messages = outbox_messages(app)
    assert len(messages) == 2
    assert journey.reference in messages[0]["Subject"]
    body = messages[0].get_content()
    assert "http://onevisit.test/en/cases/access/" in body


def test_access_link_resumes_where_the_applicant_stopped(app, client):
    journey = Journey(client)
    journey.start()
    journey.step("applicant", APPLICANT)
    body = outbox_messages(app)[0].get_content()
    link = re.search(r"http://onevisit.test(/en/cases/access/\S+)", body).group(1)

    other = app.test_client()  # another phone: no session yet
    assert other.get(f"/en/cases/{journey.reference}").status_code == 404
    response = other.get(link)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{journey.reference}/steps/licence")
    assert "access" not in response.headers["Location"]
    page = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your driving licence" in page
    # The saved answers of the first step are there.
    step = other.get(f"/en/cases/{journey.reference}/steps/applicant").get_data(as_text=True)
    assert 'value="LIN Mei"' in step


def test_drafts_keep_valid_answers_when_a_step_has_errors(app, client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, date_of_birth="1968-02-30"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This date does not exist" in html
    assert 'value="LIN Mei"' in html and 'value="1968-02-30"' in html
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.answers["name_latin"] == "LIN Mei"
        assert "date_of_birth" not in case.answers


def test_find_case_by_reference_and_access_code(app, client, journey):
    journey.start()
    code = re.search(r"Access code: ([0-9A-Z]{4}-[0-9A-Z]{4})",
                     outbox_messages(app)[0].get_content()).group(1)
    other = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      other.get("/en/cases/find").get_data(as_text=True)).group(1)
    response = other.post("/en/cases/find", data={"csrf_token": token,
                                                  "reference": journey.reference.lower().replace("-", " "),
                                                  "code": code.lower()})
    assert response.status_code == 303
    assert other.get(f"/en/cases/{journey.reference}").status_code == 200


def test_withdraw_a_draft(app, client, journey):
    journey.start()
    token = journey.token(f"/en/cases/{journey.reference}/withdraw")
    response = client.post(f"/en/cases/{journey.reference}/withdraw", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(f"/en/cases/{journey.reference}").get_data(as_text=True)
    assert "Withdrawn" in page


def test_every_applicant_page_renders_in_every_locale(app, client):
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
            response = journey.client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert f'hreflang="{lang}"' in html


def test_root_negotiates_language(client):
    assert client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9"}).headers["Location"] == "/it/"
    assert client.get("/", headers={"Accept-Language": "zh-CN"}).headers["Location"] == "/zh/"
    assert client.get("/", headers={"Accept-Language": ";;;garbage==,"}).headers["Location"] == "/zh/"
    assert client.get("/").headers["Location"] == "/zh/"


def test_unknown_locale_prefix_redirects(client):
    response = client.get("/de/services?q=x", headers={"Accept-Language": "fr"})
    assert response.status_code == 302 and response.headers["Location"] == "/fr/services?q=x"
    assert client.get("/pt-BR/").headers["Location"] == "/pt/"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_latin_name_is_suggested_from_the_chinese_name_and_stays_editable(app, client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, name_zh="王堃喆", name_latin=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="WANG Kunzhe"' in html and "matches your passport" in html
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
