"""Staff pages in the six languages: chosen per account, switchable, and shown to the
applicant in the applicant's language for one page."""

from app.models import Staff, db

from ..conftest import csrf_token, sign_in, submitted_case
from ..pages import Page


def choose(client, lang, next_url="/staff/queue"):
    token = csrf_token(client, next_url)
    return client.post("/staff/language", data={"csrf_token": token, "lang": lang,
                                                "next": next_url})


def page_lang(client, url):
    page = Page(client.get(url))
    assert page.status == 200, (url, page.status)
    return page, page.soup.html["lang"]


def test_the_chosen_language_is_kept_for_the_account(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    assert page_lang(clerk, "/staff/queue")[1] == "en"
    response = choose(clerk, "it")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/queue"
    page, lang = page_lang(clerk, "/staff/queue")
    assert lang == "it" and page.first("header.top nav a").text == "Coda delle pratiche"
    with staff_app.app_context(), db.connection_context():
        assert Staff.get(Staff.email == "clerk@test").lang == "it"
    # Another browser, another day: the account's language, whatever the browser says.
    again = sign_in(staff_app, "clerk@test")
    assert page_lang(again, "/staff/queue")[1] == "it"
    # Every language the applicant side has, from the header.
    for code in ("zh", "fr", "es", "pt", "en"):
        choose(again, code)
        expected = "zh-Hans" if code == "zh" else code
        assert page_lang(again, "/staff/queue")[1] == expected
    # An unknown language changes nothing.
    choose(again, "de")
    assert page_lang(again, "/staff/queue")[1] == "en"


def test_the_language_in_the_address_like_the_applicant_side(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    response = clerk.get("/pt/staff/queue?status=all")
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/queue?status=all"
    assert page_lang(clerk, "/staff/queue?status=all")[1] == "pt"
    # Signed out, the sign-in page too.
    anonymous = staff_app.test_client()
    anonymous.get("/fr/staff/login")
    assert page_lang(anonymous, "/staff/login")[1] == "fr"
    assert anonymous.post("/it/staff/login").status_code in (404, 405)


def desk_case(app, volunteer, lang):
    started = volunteer.post("/staff/point/start", data={
        "csrf_token": csrf_token(volunteer, "/staff/point/"), "item": "JJ-JZ-001",
        "language": lang, "email": "walk.in@example.it", "consent": "yes"})
    return started.headers["Location"].split("/cases/", 1)[1].split("/", 1)[0]


def test_a_volunteer_shows_the_applicant_a_page_in_the_applicant_language(staff_app):
    volunteer = sign_in(staff_app, "volunteer@test")
    choose(volunteer, "it", "/staff/point/")
    ref = desk_case(staff_app, volunteer, "fr")
    url = f"/staff/point/cases/{ref}"
    page, lang = page_lang(volunteer, url)
    assert lang == "it"
    link = page.first(".show-for a")
    assert "Français" in link.text and link["href"] == f"{url}?lang=fr"
    shown, lang = page_lang(volunteer, link["href"])
    assert lang == "fr"
    banner = shown.first(".shown-for")
    assert banner.text.startswith("Cette page est affichée en Français pour le demandeur")
    back = banner.find("a")
    assert back["href"] == url and "Italiano" in back.text
    # For once: the next page is in the volunteer's own language again.
    assert page_lang(volunteer, back["href"])[1] == "it"
    # A case in the volunteer's own language offers no switch.
    same = desk_case(staff_app, volunteer, "it")
    assert not page_lang(volunteer, f"/staff/point/cases/{same}")[0].soup.select(".show-for")
    # The window at home has no applicant beside it: its case page offers none either.
    clerk = sign_in(staff_app, "clerk@test")
    choose(clerk, "it")
    french = submitted_case(staff_app, lang="fr").reference
    assert not page_lang(clerk, f"/staff/cases/{french}")[0].soup.select(".show-for")
