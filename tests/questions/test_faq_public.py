"""The public FAQ: the list (grouped, searched in Chinese and Latin scripts, filtered,
paginated), an entry's page in the page's language, "Did this answer your question?"
counted once per browser, the entries on the item guides and in the catalog search."""

import gzip
from datetime import timedelta

from app.models import FaqEntry
from tests.conftest import make_staff

from .faqdata import TEXTS, ctx, published_entry

SCRIPT = {loc: {"question": f"<script>alert('{loc}')</script> {t['question']}",
                "answer": f"<b>{t['answer']}</b>"} for loc, t in TEXTS.items()}


def test_the_list_finds_entries_in_chinese_and_latin_scripts(app, client):
    entry_id = published_entry(app)
    for lang, query in (("zh", "驾驶证"), ("it", "patente"), ("fr", "PERMIS de conduire"),
                        ("zh", "patente"), ("pt", "condução")):
        page = client.page(f"/{lang}/faq?q={query}")
        links = page.links("main ul.items a")
        assert links == [f"/{lang}/faq/{entry_id}"], (lang, query, links)
        assert page.one("main ul.items a").get_text() == TEXTS[lang]["question"]
    page = client.page("/it/faq")
    assert "Wencheng" in page.one("main h2").get_text() or page.one("main h2").get_text()
    assert page.select("main h3"), "grouped by the department of the service"
    assert client.page("/it/faq?q=passaporto+nuovo+ricetta").select("main ul.items a") == []


def test_the_list_filters_and_pages(app, client):
    wencheng = published_entry(app)
    qingtian = published_entry(app, county="qingtian", items=())
    assert client.page("/en/faq?county=qingtian").links("main ul.items a") == [
        f"/en/faq/{qingtian}"]
    assert client.page("/en/faq?item=JJ-JZ-001").links("main ul.items a") == [
        f"/en/faq/{wencheng}"]
    # An unknown county or service is no filter; a page that is not a number is the first.
    for url in ("/en/faq?county=nowhere", "/en/faq?item=NO-SUCH", "/en/faq?page=abc",
                "/en/faq?page=-3", "/en/faq?q=" + "驾" * 500, "/en/faq?q=%00%ff"):
        assert client.get(url).status_code == 200, url
    assert len(client.page("/en/faq?page=abc").select("main ul.items a")) == 2
    for n in range(21):
        with ctx(app):
            FaqEntry.create(jurisdiction=FaqEntry.get_by_id(wencheng).jurisdiction_id,
                            texts=TEXTS, status="published", search_text=f"entry {n}")
    page = client.page("/en/faq")
    assert "Page 1 of 2" in page.text and page.select("a[rel=next]")
    assert len(client.page("/en/faq?page=2").select("main ul.items a")) == 3


def test_an_entry_is_shown_in_the_pages_language_with_its_services(app, client):
    entry_id = published_entry(app)
    page = client.page(f"/zh/faq/{entry_id}")
    assert page.one("h1").get_text() == TEXTS["zh"]["question"]
    assert TEXTS["zh"]["answer"] in page.main
    assert page.links("main ul.files a") == ["/zh/services/JJ-JZ-001"]
    description = page.select('meta[name="description"]')[0]["content"]
    assert description.startswith("可以")
    assert len(page.select('link[rel=alternate][hreflang]')) == 7
    page = client.page(f"/it/faq/{entry_id}")
    assert page.one("h1").get_text() == TEXTS["it"]["question"]
    assert page.select("form#helpful button[value=yes]")
    assert not page.select('meta[name="robots"]')
    response = client.get(f"/it/faq/{entry_id}", headers={"Accept-Encoding": "gzip"})
    body = response.get_data()
    size = len(body if response.headers.get("Content-Encoding") == "gzip"
               else gzip.compress(body))
    assert size <= 10 * 1024, size


def test_script_in_an_entry_is_shown_as_text(app, client):
    entry_id = published_entry(app, texts=SCRIPT)
    for url in (f"/en/faq/{entry_id}", "/en/faq", "/en/services/JJ-JZ-001",
                "/en/services?q=alert"):
        page = client.page(url)
        assert not page.select("main script") and not page.select("main b"), url
        assert "<script>alert('en')</script>" in page.main, url
    thanks = client.post(f"/en/faq/{entry_id}/helpful", data={"helpful": "no"},
                         follow_redirects=True)
    assert "&lt;script&gt;" in thanks.get_data(as_text=True)


def test_unknown_draft_and_withdrawn_entries_are_not_found(app, client):
    from app.questions import faq
    entry_id = published_entry(app)
    with ctx(app):
        draft = faq.create(FaqEntry.get_by_id(entry_id).jurisdiction, None, TEXTS)
    for url in ("/en/faq/999999", f"/en/faq/{draft.id}", "/en/faq/abc",
                f"/en/faq/{draft.id}/helpful"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/en/faq/{draft.id}/helpful", data={"helpful": "yes"}
                       ).status_code == 404
    with ctx(app):
        faq.withdraw(FaqEntry.get_by_id(entry_id))
    assert client.get(f"/en/faq/{entry_id}").status_code == 404
    assert f"/en/faq/{entry_id}" not in client.page("/en/faq").links()


def test_did_this_answer_your_question_counts_once_per_browser(app, client):
    entry_id = published_entry(app)
    url = f"/it/faq/{entry_id}/helpful"
    first = client.post(url, data={"helpful": "yes"})
    assert first.status_code == 303 and first.headers["Location"].endswith(url)
    page = client.page(url)
    assert page.one("h1") and page.select("main a[href=\"/it/faq/%d\"]" % entry_id)
    assert client.post(url, data={"helpful": "no"}).status_code == 303  # not counted again
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # another reader, elsewhere
    assert other.post(url, data={"helpful": "no"}).status_code == 303
    with ctx(app):
        row = FaqEntry.get_by_id(entry_id)
        assert (row.helpful_yes, row.helpful_no) == (1, 1)
    thanks = other.page(url)
    assert "/it/questions/new?item=JJ-JZ-001" in thanks.links()
    assert "no-store" in thanks.headers["Cache-Control"]
    # Nothing answered yet in this browser: back to the entry.
    assert app.test_client().get(url).status_code == 303
    bad = app.test_client().post(url, data={"helpful": "maybe"})
    assert bad.status_code == 400 and 'class="error"' in bad.get_data(as_text=True)
    with ctx(app):
        assert FaqEntry.get_by_id(entry_id).helpful_yes == 1


def votes(app, entry_id) -> tuple:
    with ctx(app):
        row = FaqEntry.get_by_id(entry_id)
        return row.helpful_yes, row.helpful_no


def test_a_vote_posted_from_another_site_is_refused(app):
    """The vote carries no CSRF token (the page is the same for everyone): a browser that
    says the post came from another site is refused, so another site's page cannot make
    its visitors vote."""
    entry_id = published_entry(app)
    url = f"/en/faq/{entry_id}/helpful"
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}):
        for _ in range(10):
            response = app.test_client().post(url, data={"helpful": "no"}, headers=headers)
            assert response.status_code == 403, headers
    assert votes(app, entry_id) == (0, 0)
    # From this site's own page (a browser says so), or from an old browser saying nothing.
    own = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert app.test_client().post(url, data={"helpful": "yes"}, headers=own).status_code == 303
    assert votes(app, entry_id) == (1, 0)


def test_one_address_counts_once_a_day_even_without_cookies(app):
    from app import clock
    entry_id = published_entry(app)
    url = f"/en/faq/{entry_id}/helpful"

    def vote(address, answer="no"):
        client = app.test_client()  # a fresh client: no cookie, no session
        client.environ_base["REMOTE_ADDR"] = address
        response = client.post(url, data={"helpful": answer})
        assert response.status_code == 303
        return client

    voted = vote("203.0.113.5")
    for _ in range(9):
        vote("203.0.113.5")
    # The same phone on another address of its IPv6 /64 is the same voter.
    vote("2001:db8:1:2::10", "yes")
    vote("2001:db8:1:2:ffff::1", "yes")
    assert votes(app, entry_id) == (1, 1)
    # What this browser answered is still shown to it, counted or not.
    assert voted.get(url).status_code == 200
    vote("203.0.113.6")  # a neighbour
    assert votes(app, entry_id) == (1, 2)
    with clock.clock_at(clock.now() + timedelta(days=1, minutes=1)):
        vote("203.0.113.5", "yes")
    assert votes(app, entry_id) == (2, 2)
    with ctx(app):  # the address is not kept in clear
        from app.models import RateCounter
        assert not RateCounter.select().where(RateCounter.key.contains("203.0.113")).exists()


def test_the_guide_lists_the_questions_people_asked(app, client):
    from app.questions import faq
    entry_id = published_entry(app)
    page = client.page("/fr/services/JJ-JZ-001")
    assert page.one("#asked").get_text()
    assert f"/fr/faq/{entry_id}" in page.links()
    assert TEXTS["fr"]["question"] in page.main
    assert "/fr/faq?item=JJ-JZ-001" in page.links()
    assert f"/fr/faq/{entry_id}" not in client.page("/fr/services/JJ-JZ-002").links()
    # Withdrawn: gone from the guide (the page cache follows published entries).
    with ctx(app):
        faq.withdraw(FaqEntry.get_by_id(entry_id))
    app.extensions.get("pagecache") and setattr(app.extensions["pagecache"], "read_at", 0.0)
    assert f"/fr/faq/{entry_id}" not in client.page("/fr/services/JJ-JZ-001").links()


def test_the_catalog_search_shows_answers(app, client):
    entry_id = published_entry(app)
    page = client.page("/es/services?q=permiso")
    assert page.one("#answers-h")
    assert f"/es/faq/{entry_id}" in page.links(".answers-found a")
    page = client.page("/zh/services?q=驾驶证")
    assert f"/zh/faq/{entry_id}" in page.links(".answers-found a")
    fragment = client.page("/zh/services?q=驾驶证", headers={"HX-Request": "true"})
    assert f"/zh/faq/{entry_id}" in fragment.links()
    assert not client.page("/es/services?q=zzzz").select(".answers-found")
    assert not client.page("/es/services").select(".answers-found")


def test_the_staff_see_the_entry_as_readers_do(staff_app):
    from tests.conftest import sign_in
    entry_id = published_entry(staff_app)
    make_staff(staff_app, "faq.admin@test", "admin", jurisdiction="wencheng")
    admin = sign_in(staff_app, "faq.admin@test")
    assert f"/en/faq/{entry_id}" in admin.page(f"/staff/admin/faq/{entry_id}").links()
