"""Every bad input of the journey: a clear message, a 4xx, nothing entered lost."""

import email
import re
from datetime import timedelta
from pathlib import Path

import pytest

from app import clock
from app.models import Case, Event, db

from ..conftest import (APPLICANT, BAD_ID, GOOD_ID, LICENCE, Journey, fill_driving_licence,
                        jpeg_bytes, suite_moment, today)
from ..pages import Page

START = "/en/services/JJ-JZ-001/apply"


def _case(app, reference):
    with app.app_context(), db.connection_context():
        return Case.get(Case.reference == reference)


def test_wrong_id_check_digit(client, journey):
    journey.start()
    page = journey.step("applicant", dict(APPLICANT, cn_id=BAD_ID))
    assert page.status == 422
    assert "compare every digit" in page.field_error("cn_id")
    assert "last" not in page.field_error("cn_id")
    assert page.field("cn_id") == BAD_ID
    assert page.field("name_zh") == "林美"  # the rest of the answers are kept
    assert page.one("#f-cn_id")["aria-invalid"] == "true"
    assert "#f-cn_id" in page.links(".error-summary a")
    assert page.title.startswith("Error:")


def test_a_mistyped_middle_digit_is_not_blamed_on_the_last_one(client, journey):
    """One middle digit wrong (the check digit is right for the real number): the message
    says the number does not add up and asks to compare every digit."""
    wrong = GOOD_ID[:8] + str((int(GOOD_ID[8]) + 3) % 10) + GOOD_ID[9:]
    journey.start()
    page = journey.step("applicant", dict(APPLICANT, cn_id=wrong))
    assert page.status == 422
    message = page.field_error("cn_id")
    assert "do not add up" in message and "compare every digit" in message
    assert "last" not in message and "check digit" not in message
    assert page.field("cn_id") == wrong


@pytest.mark.parametrize("lang", ["zh", "it", "fr", "es", "pt"])
def test_the_id_number_message_is_in_every_language(app, lang):
    """The same message in the page's language (no English left, the digit count kept)."""
    journey = Journey(app.test_client(), lang=lang)
    journey.start(language=lang)
    page = journey.step("applicant", dict(APPLICANT, cn_id=BAD_ID))
    assert page.status == 422
    message = page.field_error("cn_id")
    assert "18" in message
    assert "compare every digit" not in message and "do not add up" not in message


def test_id_number_wrong_length(client, journey):
    journey.start()
    page = journey.step("applicant", dict(APPLICANT, cn_id="12345"))
    assert page.status == 422
    assert "18 characters" in page.field_error("cn_id")
    assert page.field("cn_id") == "12345"


def test_impossible_and_out_of_range_dates(client, journey):
    journey.start()
    assert journey.step("applicant", APPLICANT).status == 303
    for bad, message in (("2026-13-01", "does not exist"), ("2027-02-29", "does not exist"),
                         ("01/02/2026", "year-month-day"), ("1850-01-01", "between 1900")):
        page = journey.step("licence", dict(LICENCE, licence_expiry=bad))
        assert page.status == 422, bad
        assert message in page.field_error("licence_expiry"), bad
        assert page.field("licence_expiry") == bad
        assert page.field("licence_number") == LICENCE["licence_number"]
    future_birth = (today() + timedelta(days=3)).isoformat()
    page = journey.step("applicant", dict(APPLICANT, date_of_birth=future_birth))
    assert page.status == 422
    assert "in the past" in page.field_error("date_of_birth")


def test_bad_phone_and_name(client, journey):
    journey.start()
    # A value that would break out of its attribute if it were not escaped.
    hostile = '"><script>alert(1)</script>'
    page = journey.step("applicant", dict(APPLICANT, phone="12", name_zh="Lin Mei",
                                          name_latin=hostile))
    assert page.status == 422
    assert "country code" in page.field_error("phone")
    assert "Chinese characters" in page.field_error("name_zh")
    assert "Latin letters" in page.field_error("name_latin")
    # Shown back as typed, as the value of its field, and never as markup.
    assert page.field("name_latin") == hostile
    assert page.soup.body.find_all("script", src=False) == []
    assert page.field("name_zh") == "Lin Mei"


def test_rare_name_characters_are_accepted(app, client, journey):
    journey.start()
    assert journey.step("applicant", dict(APPLICANT, name_zh="王堃喆珺昇镕龑")).status == 303
    assert _case(app, journey.reference).answers["name_zh"] == "王堃喆珺昇镕龑"


def _start_form(client) -> dict:
    """What the start page's form sends unchanged (its CSRF token and start key)."""
    return client.page(START).form_data("#journey-form")


def test_start_form_errors_keep_values(client):
    form = _start_form(client)
    page = client.submit(START, dict(form, email="not-an-email", phone="", language="en",
                                     country="XX", city="Prato"), status=422)
    assert "name@example.com" in page.field_error("email")
    assert "Choose the country" in page.field_error("country")
    assert page.field("email") == "not-an-email"
    assert page.field("city") == "Prato"
    page = client.submit(START, dict(form, email="", phone="", language="en", country="IT",
                                     city="Prato"), status=422)
    assert "email address or a phone" in page.field_error("email")
    assert page.field("country") == "IT"
    with client.application.app_context(), db.connection_context():
        assert Case.select().count() == 0


def _ready(journey):
    journey.start()
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303


def test_submit_with_an_essential_material_missing(app, client, journey):
    journey.start()
    fill_driving_licence(journey)
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    assert journey.upload("id_photo", jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303
    page = journey.submit()
    assert page.status == 422
    assert "still missing" in page.field_error("declare")
    assert page.links(".notice.warn a") == [
        f"/en/cases/{journey.reference}/materials#m-driving_licence"]
    assert page.one("form button[type=submit]").has_attr("disabled")
    assert _case(app, journey.reference).status == "draft"


def test_essential_material_cannot_be_deferred(app, client, journey):
    journey.start()
    page = journey.defer("passport_page")
    assert page.status == 400
    assert "essential" in page.one("#m-passport_page p.error").text
    assert _case(app, journey.reference).deferred == []


def test_submit_without_declaration(app, client, journey):
    _ready(journey)
    page = journey.submit(declare=False)
    assert page.status == 422
    assert page.field_error("declare") == "Tick the box to confirm the declaration."
    assert page.one(".error-summary h2").text == "There is a problem"
    assert _case(app, journey.reference).status == "draft"


def test_submit_pressed_twice_or_replayed_makes_one_submission(app, client, journey):
    _ready(journey)
    form = journey.declaration_form()
    first = journey.submit(form=form)
    second = journey.submit(form=form)  # same form again: double press or replay
    third = journey.submit(form=form)
    for page in (first, second, third):
        assert page.status == 303
        assert page.location.endswith("/confirmation")
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 1
        case = Case.get()
        assert case.status == "submitted"
        kinds = [e.kind for e in Event.select().where(Event.case == case)]
        assert kinds.count("submitted") == 1


def test_start_form_replayed_makes_one_case(app, client):
    data = dict(_start_form(client), email="a@example.it", language="en", country="IT",
                city="Milano")
    first = client.submit(START, data)
    second = client.submit(START, data)
    assert first.location == second.location
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 1
    # The same start key from a browser that does not hold the case gets nothing.
    stranger = app.test_client()
    token = stranger.page(START).csrf()
    stranger.submit(START, dict(data, csrf_token=token), status=409)
    with app.app_context(), db.connection_context():
        assert Case.select().count() == 1


def _access_link(app):
    [path] = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    body = email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_content()
    return re.search(r"http://onevisit.test(/en/cases/access/\S+)", body).group(1)


def test_expired_unknown_and_tampered_access_links(app, client, journey):
    journey.start()
    link = _access_link(app)
    stranger = app.test_client()
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    page = stranger.page(tampered, status=404)
    assert page.one("h1").text == "This link does not work"
    assert stranger.page("/en/cases/access/nonsense", status=404).one("h1").text == (
        "This link does not work")
    stranger.page("/en/cases/access/" + "x" * 500, status=404)
    stranger.page(f"/en/cases/{journey.reference}", status=404)
    # The link works until its last day ...
    days = app.config["ACCESS_LINK_DAYS"]
    with clock.clock_at(suite_moment() + timedelta(days=days, minutes=-1)):
        assert app.test_client().page(link, status=303).location.startswith(
            f"/en/cases/{journey.reference}/")
    # ... and no longer after it.
    with clock.clock_at(suite_moment() + timedelta(days=days, minutes=10)):
        page = stranger.page(link, status=410)
    assert page.one("h1").text == "This link has expired"
    assert "/en/cases/find" in page.links("main a")
    stranger.page(f"/en/cases/{journey.reference}", status=404)


def test_item_code_that_does_not_exist(client):
    assert client.page("/en/services/NOPE-404", status=404).one("h1").text == "Page not found"
    client.page("/en/services/NOPE-404/apply", status=404)
    token = client.page("/en/cases/find").csrf()
    page = client.submit("/en/services/NOPE-404/apply", {"csrf_token": token}, status=404)
    assert page.one("h1").text == "Page not found"


def test_fields_that_do_not_belong_to_the_item(app, client, journey):
    journey.start()
    page = journey.step("applicant", dict(APPLICANT, is_admin="1", licence_class="C1"))
    assert page.status == 400
    assert "do not belong to this service" in page.one(".error-summary").text
    assert page.field("name_latin") == "LIN Mei"
    assert _case(app, journey.reference).answers == {}
    token = journey.token()
    client.submit(f"/en/cases/{journey.reference}/steps/no_such_step",
                  dict(APPLICANT, csrf_token=token), status=404)


def test_wrong_reference_check_digit(app, client, journey):
    journey.start()
    digits = journey.reference.replace("OV-", "").replace("-", "")
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    page = client.submit("/en/cases/find", {"reference": wrong, "code": "AAAA-BBBB"}, status=422)
    assert "typing mistake" in page.field_error("reference")
    assert page.field("reference") == wrong
    # Two neighbouring digits swapped (the first pair that differs).
    i = next(i for i in range(len(digits) - 1) if digits[i] != digits[i + 1])
    swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
    page = client.submit("/en/cases/find", {"reference": swapped, "code": "AAAA-BBBB"},
                         status=422)
    assert "typing mistake" in page.field_error("reference")


def test_wrong_access_code(client, journey):
    journey.start()
    stranger = journey.client.application.test_client()
    page = stranger.submit("/en/cases/find", {"reference": journey.reference,
                                              "code": "ZZZZ-ZZZZ"}, status=422)
    assert "could not find" in page.field_error("code")
    assert page.field("reference") == journey.reference
    stranger.page(f"/en/cases/{journey.reference}", status=404)


def test_find_is_rate_limited(app, client):
    token = client.page("/en/cases/find").csrf()
    codes = [client.post("/en/cases/find", data={"csrf_token": token, "reference": "OV-1234-5678-90",
                                                 "code": "AAAA-AAAA"}).status_code
             for _ in range(12)]
    assert codes[:10] == [422] * 10
    assert codes[-1] == 429
    page = client.submit("/en/cases/find", {"csrf_token": token, "reference": "x", "code": "y"},
                         status=429)
    assert page.one("h1").text == "Too many attempts"


def test_missing_or_wrong_csrf_token_keeps_answers(app, client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    for token in (None, "forged-token"):
        data = dict(APPLICANT)
        if token:
            data["csrf_token"] = token
        page = Page(client.post(url, data=data, headers={"Origin": "http://localhost"}))
        assert page.status == 400
        assert page.one("h1").text == "Please send the form again"
        kept = page.form_data("main form")
        assert kept["name_latin"] == "LIN Mei" and kept["name_zh"] == "林美"
        assert page.form("main form")["action"] == url
    assert _case(app, journey.reference).answers == {}
    # Sending the kept answers again (the page's button, with its fresh token) works.
    client.submit(url, kept)
    assert _case(app, journey.reference).answers["name_latin"] == "LIN Mei"


def test_a_form_from_another_site_gets_a_plain_refusal_without_a_token(app, client, journey):
    """A forged post (another site's page, or one that hides where it came from) must not
    get back a fresh token and a ready "Send again" form."""
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    data = dict(APPLICANT, name_latin="MALLORY")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {},
                    {"Referer": "https://evil.example/page"},
                    {"Origin": "http://localhost.evil.example"}):
        page = Page(client.post(url, data=data, headers=headers))
        assert page.status == 400, headers
        assert page.one("h1").text == "This form was not accepted"
        html = page.response.get_data(as_text=True)
        assert "csrf_token" not in html and "MALLORY" not in html
        assert not page.select("main form")
    # A page of this site that sent no Origin but its Referer: offered again.
    page = Page(client.post(url, data=data, headers={"Referer": f"http://localhost{url}"}))
    assert page.one("h1").text == "Please send the form again"
    assert _case(app, journey.reference).answers == {}


def test_another_applicants_case_is_404_everywhere(app, client, journey):
    journey.start()
    other = Journey(app.test_client())
    other.start()
    ref = journey.reference
    token = other.client.page(f"/en/cases/{other.reference}").csrf()
    for url in (f"/en/cases/{ref}", f"/en/cases/{ref}/steps/applicant", f"/en/cases/{ref}/materials",
                f"/en/cases/{ref}/check", f"/en/cases/{ref}/declaration",
                f"/en/cases/{ref}/confirmation", f"/en/cases/{ref}/resume",
                f"/en/cases/{ref}/withdraw"):
        other.client.page(url, status=404)
    for url in (f"/en/cases/{ref}/steps/applicant", f"/en/cases/{ref}/materials/passport_page",
                f"/en/cases/{ref}/materials/medical_certificate/later",
                f"/en/cases/{ref}/declaration", f"/en/cases/{ref}/withdraw",
                f"/en/cases/{ref}/forget"):
        other.client.submit(url, {"csrf_token": token}, status=404)
    assert _case(app, ref).status == "draft"


def test_submitted_case_cannot_be_edited(app, client, journey):
    _ready(journey)
    assert journey.submit().status == 303
    ref = journey.reference
    for url in (f"/en/cases/{ref}/steps/applicant", f"/en/cases/{ref}/materials",
                f"/en/cases/{ref}/check"):
        assert client.page(url, status=303).location.endswith(f"/cases/{ref}")
    page = client.submit(f"/en/cases/{ref}/steps/applicant",
                         dict(APPLICANT, csrf_token=journey.token(), name_latin="CHANGED"))
    assert page.location.endswith(f"/cases/{ref}")
    assert _case(app, ref).answers["name_latin"] == "LIN Mei"
    status = client.page(page.location)
    assert "This application has been sent and can no longer be changed here." in status.texts(
        ".flash")


def test_bad_input_messages_are_in_the_pages_language(app):
    """The same mistakes on Chinese pages get Chinese messages."""
    journey = Journey(app.test_client(), lang="zh")
    journey.start(language="zh")
    page = journey.step("applicant", dict(APPLICANT, cn_id=BAD_ID))
    assert page.status == 422
    assert "逐位核对" in page.field_error("cn_id")
    assert "校验码" not in page.field_error("cn_id")
    assert "compare every digit" not in page.main
    page = journey.step("applicant", dict(APPLICANT, date_of_birth="1968-02-30"))
    assert page.status == 422
    assert "这个日期不存在" in page.field_error("date_of_birth")
    page = journey.upload("passport_page", b"<html></html>", "a.jpg")
    assert page.status == 415
    assert "不是可接受的照片或 PDF" in page.one("#m-passport_page p.error").text
    page = Page(journey.client.post(f"/zh/cases/{journey.reference}/steps/applicant",
                                    data=APPLICANT, headers={"Origin": "http://localhost"}))
    assert page.status == 400
    assert "请重新提交表单" in page.one("h1").text
    for lang, word in (("it", "Pagina non trovata"), ("fr", "introuvable"), ("es", "no encontrada"),
                       ("pt", "não encontrada")):
        page = journey.client.page(f"/{lang}/services/NOPE", status=404)
        assert word.lower() in page.one("h1").text.lower(), lang


def test_id_numbers_from_wencheng_born_before_1981_are_accepted(app, client, journey):
    """Wencheng's code 330328 dates from 1981; older people born there carry it too."""
    journey.start()
    assert journey.step("applicant", dict(APPLICANT, cn_id="330328194501010010")).status == 303
    page = journey.step("applicant", dict(APPLICANT, cn_id="990328194501010013"))
    assert page.status == 422
    assert "region code" in page.field_error("cn_id")


def test_ten_applications_a_day_may_email_one_address_whoever_starts_them(app):
    """Starting applications with someone else's address would send them an email each
    time: ten a day per address, from any number of senders; the eleventh is told why
    (in the sender's language) and keeps what was typed."""
    from ..conftest import Journey
    for number in range(10):
        sender = Journey(app.test_client(), lang="it")
        assert sender.start(email="Victim@Example.org").status == 303, number
    refused = Journey(app.test_client(), lang="it")
    page = refused.start(email="victim@example.org")
    assert page.status == 429
    assert "Molte domande sono state avviate con questo indirizzo email oggi" in page.text
    assert page.one("#f-email").get("value") == "victim@example.org"
    assert page.one("#f-city").get("value") == "Prato"
    assert Journey(app.test_client(), lang="it").start(email="other@example.org").status == 303
