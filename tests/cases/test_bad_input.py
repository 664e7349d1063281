"""Every bad input of the journey: a clear message, a 4xx, nothing entered lost."""

import re
from datetime import timedelta

from app.models import Case, Event, db, utcnow

from ..conftest import APPLICANT, BAD_ID, LICENCE, Journey, csrf_token, fill_driving_licence, jpeg_bytes


def _case(app, reference):
    with app.app_context(), db.connection_context():
        return Case.get(Case.reference == reference)


def test_wrong_id_check_digit(client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, cn_id=BAD_ID))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "check digit" in html and f'value="{BAD_ID}"' in html
    assert 'value="林美"' in html  # the rest of the answers are kept
    assert 'aria-invalid="true"' in html and 'href="#f-cn_id"' in html


def test_id_number_wrong_length(client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, cn_id="12345"))
    assert response.status_code == 422
    assert "18 characters" in response.get_data(as_text=True)


def test_impossible_and_out_of_range_dates(client, journey):
    journey.start()
    journey.step("applicant", APPLICANT)
    for bad, message in (("2026-13-01", "does not exist"), ("2027-02-29", "does not exist"),
                         ("01/02/2026", "year-month-day"), ("1850-01-01", "between 1900")):
        response = journey.step("licence", dict(LICENCE, licence_expiry=bad))
        assert response.status_code == 422, bad
        html = response.get_data(as_text=True)
        assert message in html and f'value="{bad}"' in html
    future_birth = (utcnow() + timedelta(days=3)).date().isoformat()
    response = journey.step("applicant", dict(APPLICANT, date_of_birth=future_birth))
    assert response.status_code == 422 and "in the past" in response.get_data(as_text=True)


def test_bad_phone_and_name(client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, phone="12", name_zh="Lin Mei",
                                              name_latin="<script>"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "country code" in html and "Chinese characters" in html and "Latin letters" in html
    assert "&lt;script&gt;" in html and "<script>" not in html.split("</head>")[1]


def test_rare_name_characters_are_accepted(app, client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, name_zh="王堃喆珺昇镕龑"))
    assert response.status_code == 303
    assert _case(app, journey.reference).answers["name_zh"] == "王堃喆珺昇镕龑"


def test_start_form_errors_keep_values(client):
    page = client.get("/en/services/JJ-JZ-001/apply").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="start_key" value="([^"]+)"', page).group(1)
    response = client.post("/en/services/JJ-JZ-001/apply", data={
        "csrf_token": token, "start_key": key, "email": "not-an-email", "phone": "",
        "language": "en", "country": "XX", "city": "Prato"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "name@example.com" in html and "Choose the country" in html
    assert 'value="not-an-email"' in html and 'value="Prato"' in html
    response = client.post("/en/services/JJ-JZ-001/apply", data={
        "csrf_token": token, "start_key": key, "language": "en", "country": "IT", "city": "Prato"})
    assert response.status_code == 422 and "email address or a phone" in response.get_data(as_text=True)


def test_submit_with_an_essential_material_missing(app, client, journey):
    journey.start()
    fill_driving_licence(journey)
    journey.upload("passport_page", jpeg_bytes())
    journey.upload("id_photo", jpeg_bytes())
    journey.defer("medical_certificate")
    response = journey.submit()
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "still missing" in html and "#m-driving_licence" in html
    assert _case(app, journey.reference).status == "draft"


def test_essential_material_cannot_be_deferred(client, journey):
    journey.start()
    response = journey.defer("passport_page")
    assert response.status_code == 400
    assert "essential" in response.get_data(as_text=True)


def test_submit_without_declaration(app, client, journey):
    journey.start()
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        journey.upload(key, jpeg_bytes())
    journey.defer("medical_certificate")
    response = journey.submit(declare=False)
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)


def _ready(journey):
    journey.start()
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        journey.upload(key, jpeg_bytes())
    journey.defer("medical_certificate")


def test_submit_pressed_twice_or_replayed_makes_one_submission(app, client, journey):
    _ready(journey)
    form = journey.declaration_form()
    first = journey.submit(form=form)
    second = journey.submit(form=form)  # same form again: double press or replay
    third = journey.submit(form=form)
    for response in (first, second, third):
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/confirmation")
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 1
        case = Case.get()
        assert case.status == "submitted"
        kinds = [e.kind for e in Event.select().where(Event.case == case)]
        assert kinds.count("submitted") == 1


def test_start_form_replayed_makes_one_case(app, client):
    page = client.get("/en/services/JJ-JZ-001/apply").get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "start_key": re.search(r'name="start_key" value="([^"]+)"', page).group(1),
            "email": "a@example.it", "language": "en", "country": "IT", "city": "Milano"}
    first = client.post("/en/services/JJ-JZ-001/apply", data=data)
    second = client.post("/en/services/JJ-JZ-001/apply", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 1
    # The same start key from a browser that does not hold the case gets nothing.
    stranger = app.test_client()
    token = csrf_token(stranger, "/en/services/JJ-JZ-001/apply")
    response = stranger.post("/en/services/JJ-JZ-001/apply", data=dict(data, csrf_token=token))
    assert response.status_code == 409


def _access_link(app):
    import email
    from pathlib import Path
    [path] = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    body = email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_content()
    return re.search(r"http://onevisit.test(/en/cases/access/\S+)", body).group(1)


def test_expired_unknown_and_tampered_access_links(app, client, journey):
    journey.start()
    link = _access_link(app)
    stranger = app.test_client()
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    response = stranger.get(tampered)
    assert response.status_code == 404 and "does not work" in response.get_data(as_text=True)
    assert stranger.get("/en/cases/access/nonsense").status_code == 404
    assert stranger.get("/en/cases/access/" + "x" * 500).status_code == 404
    with app.app_context(), db.connection_context():
        Case.update(access_token_expires=utcnow() - timedelta(minutes=1)).execute()
    response = stranger.get(link)
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "expired" in html and "/en/cases/find" in html
    assert stranger.get(f"/en/cases/{journey.reference}").status_code == 404


def test_item_code_that_does_not_exist(client):
    assert client.get("/en/services/NOPE-404").status_code == 404
    assert client.get("/en/services/NOPE-404/apply").status_code == 404
    token = csrf_token(client, "/en/cases/find")
    response = client.post("/en/services/NOPE-404/apply", data={"csrf_token": token})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_fields_that_do_not_belong_to_the_item(app, client, journey):
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, is_admin="1", licence_class="C1"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "do not belong to this service" in html and 'value="LIN Mei"' in html
    assert _case(app, journey.reference).answers == {}
    token = journey.token()
    response = client.post(f"/en/cases/{journey.reference}/steps/no_such_step",
                           data=dict(APPLICANT, csrf_token=token))
    assert response.status_code == 404


def test_wrong_reference_check_digit(app, client, journey):
    journey.start()
    digits = journey.reference.replace("OV-", "").replace("-", "")
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    token = csrf_token(client, "/en/cases/find")
    response = client.post("/en/cases/find", data={"csrf_token": token, "reference": wrong,
                                                   "code": "AAAA-BBBB"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "typing mistake" in html and f'value="{wrong}"' in html
    swapped = digits[:3] + digits[4] + digits[3] + digits[5:]
    if swapped != digits:
        response = client.post("/en/cases/find", data={"csrf_token": token, "reference": swapped,
                                                       "code": "AAAA-BBBB"})
        assert "typing mistake" in response.get_data(as_text=True)


def test_wrong_access_code(client, journey):
    journey.start()
    stranger = journey.client.application.test_client()
    token = csrf_token(stranger, "/en/cases/find")
    response = stranger.post("/en/cases/find", data={"csrf_token": token,
                                                     "reference": journey.reference,
                                                     "code": "ZZZZ-ZZZZ"})
    assert response.status_code == 422
    assert "could not find" in response.get_data(as_text=True)
    assert stranger.get(f"/en/cases/{journey.reference}").status_code == 404


def test_find_is_rate_limited(app, client):
    token = csrf_token(client, "/en/cases/find")
    codes = [client.post("/en/cases/find", data={"csrf_token": token, "reference": "OV-1234-5678-90",
                                                 "code": "AAAA-AAAA"}).status_code
             for _ in range(12)]
    assert codes[:10] == [422] * 10
    assert codes[-1] == 429
    response = client.post("/en/cases/find", data={"csrf_token": token, "reference": "x", "code": "y"})
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)


def test_missing_or_wrong_csrf_token_keeps_answers(app, client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    for token in (None, "forged-token"):
        data = dict(APPLICANT)
        if token:
            data["csrf_token"] = token
        response = client.post(url, data=data)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "send the form again" in html.lower()
        assert 'value="LIN Mei"' in html and 'value="林美"' in html
        assert f'action="{url}"' in html
    assert _case(app, journey.reference).answers == {}
    # Sending the kept answers with the fresh token works.
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(url, data=dict(APPLICANT, csrf_token=fresh)).status_code == 303


def test_another_applicants_case_is_404_everywhere(app, client, journey):
    journey.start()
    other = Journey(app.test_client())
    other.start()
    ref = journey.reference
    token = csrf_token(other.client, f"/en/cases/{other.reference}")
    for url in (f"/en/cases/{ref}", f"/en/cases/{ref}/steps/applicant", f"/en/cases/{ref}/materials",
                f"/en/cases/{ref}/check", f"/en/cases/{ref}/declaration",
                f"/en/cases/{ref}/confirmation", f"/en/cases/{ref}/resume",
                f"/en/cases/{ref}/withdraw"):
        assert other.client.get(url).status_code == 404, url
    for url in (f"/en/cases/{ref}/steps/applicant", f"/en/cases/{ref}/materials/passport_page",
                f"/en/cases/{ref}/materials/medical_certificate/later",
                f"/en/cases/{ref}/declaration", f"/en/cases/{ref}/withdraw",
                f"/en/cases/{ref}/forget"):
        assert other.client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_submitted_case_cannot_be_edited(app, client, journey):
    _ready(journey)
    journey.submit()
    ref = journey.reference
    for url in (f"/en/cases/{ref}/steps/applicant", f"/en/cases/{ref}/materials",
                f"/en/cases/{ref}/check"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/cases/{ref}")
    token = journey.token()
    response = client.post(f"/en/cases/{ref}/steps/applicant", data=dict(APPLICANT, csrf_token=token,
                                                                         name_latin="CHANGED"))
    assert response.status_code == 303
    assert _case(app, ref).answers["name_latin"] == "LIN Mei"


def test_bad_input_messages_are_in_the_pages_language(app):
    """The same mistakes on Chinese pages get Chinese messages."""
    journey = Journey(app.test_client(), lang="zh")
    journey.start(language="zh")
    html = journey.step("applicant", dict(APPLICANT, cn_id=BAD_ID)).get_data(as_text=True)
    assert "校验码" in html and "check digit" not in html
    html = journey.step("applicant", dict(APPLICANT, date_of_birth="1968-02-30")).get_data(as_text=True)
    assert "这个日期不存在" in html
    response = journey.upload("passport_page", b"<html></html>", "a.jpg")
    assert response.status_code == 415 and "不是可接受的照片或 PDF" in response.get_data(as_text=True)
    response = journey.client.post(f"/zh/cases/{journey.reference}/steps/applicant", data=APPLICANT)
    assert response.status_code == 400 and "请重新提交表单" in response.get_data(as_text=True)
    for lang, word in (("it", "Pagina non trovata"), ("fr", "introuvable"), ("es", "no encontrada"),
                       ("pt", "não encontrada")):
        body = journey.client.get(f"/{lang}/services/NOPE").get_data(as_text=True)
        assert word.lower() in body.lower(), lang


def test_id_numbers_from_wencheng_born_before_1981_are_accepted(app, client, journey):
    """Wencheng's code 330328 dates from 1981; older people born there carry it too."""
    journey.start()
    response = journey.step("applicant", dict(APPLICANT, cn_id="330328194501010010"))
    assert response.status_code == 303
    response = journey.step("applicant", dict(APPLICANT, cn_id="990328194501010013"))
    assert response.status_code == 422 and "region code" in response.get_data(as_text=True)
