"""The language switch keeps what was typed; locales in the URL and the header."""

import re

from app.models import Case, db

from ..conftest import APPLICANT, Journey, csrf_token


def test_switching_language_on_a_step_keeps_unsaved_answers(app, client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    page = client.get(url).get_data(as_text=True)
    assert 'form="journey-form" name="switch_lang" value="it"' in page
    typed = dict(APPLICANT, date_of_birth="1968-02-30")  # one answer still wrong
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "switch_lang": "it", **typed})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/it/cases/{journey.reference}/steps/applicant")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'lang="it"' in html
    assert 'value="LIN Mei"' in html and 'value="1968-02-30"' in html  # the wrong one too
    with app.app_context(), db.connection_context():
        answers = Case.get(Case.reference == journey.reference).answers
    assert answers["name_latin"] == "LIN Mei" and "date_of_birth" not in answers
    # Kept once: a later visit shows the saved answers only.
    again = client.get(f"/it/cases/{journey.reference}/steps/applicant").get_data(as_text=True)
    assert 'value="1968-02-30"' not in again and 'value="LIN Mei"' in again


def test_switching_language_on_the_start_page_keeps_the_contact_details(client):
    url = "/en/services/JJ-JZ-001/apply"
    page = client.get(url).get_data(as_text=True)
    start_key = re.search(r'name="start_key" value="([^"]+)"', page).group(1)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "switch_lang": "fr",
                                      "start_key": start_key, "email": "a@example.fr",
                                      "city": "Paris", "country": "FR", "language": "fr"})
    assert response.status_code == 303 and response.headers["Location"] == "/fr/services/JJ-JZ-001/apply"
    html = client.get("/fr/services/JJ-JZ-001/apply").get_data(as_text=True)
    assert 'value="a@example.fr"' in html and 'value="Paris"' in html and start_key in html


def test_language_links_on_pages_without_forms(client):
    html = client.get("/en/services/JJ-JZ-001").get_data(as_text=True)
    for code in ("zh", "it", "fr", "es", "pt"):
        assert f'href="/{code}/services/JJ-JZ-001"' in html
        assert f'hreflang="{code}"' in html
    assert '<html lang="en"' in html
    assert '<html lang="zh-Hans"' in client.get("/zh/").get_data(as_text=True)


def test_staff_pages_switch_language(app, client):
    page = client.get("/staff/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Staff sign-in" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/staff/language", data={"csrf_token": token, "lang": "zh", "next": "/staff/login"})
    assert '<html lang="zh-Hans"' in client.get("/staff/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_fees_in_local_currency_only_with_a_configured_rate(app, client):
    assert "≈" not in client.get("/it/services/JJ-JZ-001").get_data(as_text=True)
    app.config["FX_RATES"] = {"EUR": "0.128"}
    html = client.get("/it/services/JJ-JZ-001").get_data(as_text=True)
    assert "≈ 1,28" in html and "€" in html
    assert "≈" not in client.get("/zh/services/JJ-JZ-001").get_data(as_text=True)
