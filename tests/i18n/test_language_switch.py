"""The language switch keeps what was typed; locales in the URL and the header."""

from app.models import Case, db

from ..conftest import APPLICANT
from ..pages import facts

LOCALES = ("zh", "it", "fr", "es", "pt")


def test_switching_language_on_a_step_keeps_unsaved_answers(app, client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    page = client.page(url)
    page.one("form#journey-form")
    switch = page.one('button[name="switch_lang"][value="it"]')
    assert switch["form"] == "journey-form" and switch.get("type") == "submit"
    typed = dict(APPLICANT, date_of_birth="1968-02-30")  # one answer still wrong
    moved = client.submit(url, dict(typed, switch_lang="it"))
    assert moved.location.endswith(f"/it/cases/{journey.reference}/steps/applicant")
    italian = client.page(moved.location)
    assert italian.one("html")["lang"] == "it"
    assert italian.field("name_latin") == "LIN Mei"
    assert italian.field("date_of_birth") == "1968-02-30"  # the wrong one too
    with app.app_context(), db.connection_context():
        answers = Case.get(Case.reference == journey.reference).answers
    assert answers["name_latin"] == "LIN Mei"
    assert "date_of_birth" not in answers
    # Kept once: a later visit shows the saved answers only.
    again = client.page(f"/it/cases/{journey.reference}/steps/applicant")
    assert again.field("date_of_birth") == ""
    assert again.field("name_latin") == "LIN Mei"


def test_switching_language_on_the_start_page_keeps_the_contact_details(client):
    url = "/en/services/JJ-JZ-001/apply"
    start_key = client.page(url).field("start_key")
    assert start_key
    moved = client.submit(url, {"switch_lang": "fr", "start_key": start_key,
                                "email": "a@example.fr", "city": "Paris", "country": "FR",
                                "language": "fr"})
    assert moved.location == "/fr/services/JJ-JZ-001/apply"
    french = client.page("/fr/services/JJ-JZ-001/apply")
    assert french.one("html")["lang"] == "fr"
    assert french.field("email") == "a@example.fr"
    assert french.field("city") == "Paris"
    assert french.field("country") == "FR"
    assert french.field("start_key") == start_key


def test_language_links_on_pages_without_forms(client):
    page = client.page("/en/services/JJ-JZ-001")
    switch = page.one("nav.langs")
    for code in LOCALES:
        link = switch.select_one(f'a[hreflang="{code}"]')
        assert link is not None, code
        assert link["href"] == f"/{code}/services/JJ-JZ-001"
    assert switch.select_one('[aria-current="true"]').get("lang") == "en"
    assert page.one("html")["lang"] == "en"
    assert client.page("/zh/").one("html")["lang"] == "zh-Hans"


def test_staff_pages_switch_language(app, client):
    page = client.page("/staff/login", headers={"Accept-Language": "en"})
    assert page.one("html")["lang"] == "en"
    assert page.one("h1").get_text(strip=True) == "Staff sign-in"
    switch = page.one('form[action="/staff/language"]')
    assert switch.select_one('button[name="lang"][value="zh"]') is not None
    client.submit("/staff/language", {"lang": "zh", "next": "/staff/login"},
                  csrf_from="/staff/login")
    chinese = client.page("/staff/login", headers={"Accept-Language": "en"})
    assert chinese.one("html")["lang"] == "zh-Hans"
    assert chinese.one("h1").get_text(strip=True) != "Staff sign-in"


def test_fees_in_local_currency_only_with_a_configured_rate(app, client):
    assert "≈" not in facts(client.page("/it/services/JJ-JZ-001"))["Costo"]
    app.config["FX_RATES"] = {"EUR": "0.128"}
    app.extensions.pop("pagecache")  # a new setting is a restart: pages are built anew
    fee = facts(client.page("/it/services/JJ-JZ-001"))["Costo"]
    assert "≈ 1,28" in fee and "€" in fee
    assert "≈" not in facts(client.page("/zh/services/JJ-JZ-001"))["费用"]
