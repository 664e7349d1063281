"""What a page's <head> tells search engines and browsers (issue 16, items 11 and 15).

* A description per page, in the page's language: home and the service points carry
  their lead paragraph, a guide its item's summary, the catalog its own text.
* Private pages (a case, a form, an error, the staff side) are not to be indexed.
* The language alternates are absolute URLs on the public address, with x-default.
* Only what a page's next steps run is prefetched (a valid <link rel=prefetch>, no
  ``as``): htmx from the home page and a guide, the upload client from the journey's
  steps, both from the status page of a case still to complete; nothing from the
  status page of a case already sent.
"""

from urllib.parse import urlsplit

import pytest

from app.i18n import LOCALE_NAMES

from .conftest import Journey, fill_driving_licence, sign_in, submitted_case

HTMX, UPLOADS = "/static/vendor/htmx.min.", "/static/upload."
PUBLIC = ("/{lang}/", "/{lang}/services", "/{lang}/services/JJ-JZ-001", "/{lang}/service-points")


def description(page) -> str:
    found = page.select('meta[name="description"]')
    assert len(found) == 1, found
    return found[0]["content"].strip()


def prefetched(page) -> list:
    links = page.select('link[rel~="prefetch"]')
    assert not [link for link in links if link.has_attr("as")], links
    return [link["href"] for link in links]


def scripts(page) -> list:
    return [tag["src"] for tag in page.select("script[src]")]


def noindex(page) -> bool:
    return [m["content"] for m in page.select('meta[name="robots"]')] == ["noindex"]


@pytest.mark.parametrize("lang", ["zh", "it"])
def test_public_pages_are_described_in_their_language(client, lang):
    home, english_home = client.page(f"/{lang}/"), client.page("/en/")
    assert description(home) == home.one("p.lead").get_text(" ", strip=True)
    assert description(home) != description(english_home)
    guide = client.page(f"/{lang}/services/JJ-JZ-001")
    assert description(guide) == guide.one("p.lead").get_text(" ", strip=True)
    assert description(guide) != description(client.page("/en/services/JJ-JZ-001"))
    catalog, english = client.page(f"/{lang}/services"), client.page("/en/services")
    assert description(catalog) and description(catalog) != description(english)
    points = client.page(f"/{lang}/service-points")
    assert description(points) == points.one("p.lead").get_text(" ", strip=True)
    # Pages without one of their own say what OneVisit is, in the page's language too.
    find, english_find = client.page(f"/{lang}/cases/find"), client.page("/en/cases/find")
    assert description(find) and description(find) != description(english_find)
    if lang == "zh":
        assert all("\u4e00" <= c <= "\u9fff" for c in description(catalog)[:2])


def test_public_pages_are_indexed_private_ones_are_not(staff_app):
    client = staff_app.test_client()
    for url in PUBLIC:
        assert not noindex(client.page(url.format(lang="en"))), url
    journey = submitted_case(staff_app)
    for url in (journey.base, f"{journey.base}/confirmation", f"{journey.base}/video-check",
                "/en/services/JJ-JZ-001/apply"):
        assert noindex(journey.client.page(url)), url
    assert noindex(client.page("/en/services/NO-SUCH-ITEM", status=404))
    clerk = sign_in(staff_app, "clerk@test")
    assert noindex(clerk.page("/staff/queue"))
    assert noindex(client.page("/staff/login"))


def test_alternates_are_absolute_with_x_default(app, client):
    public = app.config["PUBLIC_URL"].rstrip("/")
    for url in ("/it/", "/it/services/JJ-JZ-001", "/zh/services?q=licence"):
        page = client.page(url)
        links = {link["hreflang"]: link["href"] for link in page.select('link[rel="alternate"]')}
        assert set(links) == set(LOCALE_NAMES) | {"x-default"}, url
        assert all(href.startswith(public + "/") for href in links.values()), links
        for code in LOCALE_NAMES:
            path = urlsplit(links[code])
            target = client.page(path.path + (f"?{path.query}" if path.query else ""))
            assert target.soup.html["lang"] == ("zh-Hans" if code == "zh" else code)
    home = {link["hreflang"]: link["href"] for link in client.page("/zh/").select(
        'link[rel="alternate"]')}
    assert home["x-default"] == public + "/"          # the language chooser
    assert client.get("/", headers={"Accept-Language": "pt"}).headers["Location"] == "/pt/"
    guide = {link["hreflang"]: link["href"] for link in client.page(
        "/zh/services/JJ-JZ-001").select('link[rel="alternate"]')}
    assert guide["x-default"] == public + "/en/services/JJ-JZ-001"


def test_prefetch_only_what_the_next_steps_run(app, client):
    home = client.page("/en/")
    assert [h for h in prefetched(home) if h.startswith(HTMX)] and HTMX not in str(scripts(home))
    assert not [h for h in prefetched(home) if h.startswith(UPLOADS)]
    guide = client.page("/en/services/JJ-JZ-001")
    assert [h for h in prefetched(guide) if h.startswith(HTMX)]
    catalog = client.page("/en/services")           # runs htmx itself: no prefetch of it
    assert [s for s in scripts(catalog) if s.startswith(HTMX)] and not prefetched(catalog)
    journey = Journey(client)
    journey.start()
    step = client.page(f"{journey.base}/steps/applicant")
    assert [h for h in prefetched(step) if h.startswith(UPLOADS)]
    draft = client.page(journey.base)
    assert sorted(h.split(".")[0] for h in prefetched(draft)) == ["/static/upload",
                                                                  "/static/vendor/htmx"]
    fill_driving_licence(journey)
    materials = client.page(f"{journey.base}/materials")
    assert [s for s in scripts(materials) if s.startswith(UPLOADS)]
    assert not prefetched(materials)
    sent = submitted_case(app, defer=False)
    for url in (sent.base, f"{sent.base}/confirmation"):
        page = sent.client.page(url)
        assert prefetched(page) == [], url
        assert not [s for s in scripts(page) if s.startswith((HTMX, UPLOADS))], url
    for href in prefetched(home) + prefetched(step):   # each is a real, cacheable file
        response = client.get(href)
        assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]


def test_a_returned_case_prefetches_what_correcting_it_runs(staff_app):
    journey = submitted_case(staff_app)
    status = journey.client.page(journey.base)
    assert prefetched(status) == []
    clerk = sign_in(staff_app, "clerk@test")
    from .conftest import staff_post
    assert staff_post(clerk, journey.reference, "return", materials="id_photo",
                      reason_id_photo="—", due="2099-01-01").status_code == 303
    status = journey.client.page(journey.base)
    assert f"{journey.base}/materials" in status.links()
    assert sorted(h.split(".")[0] for h in prefetched(status)) == ["/static/upload",
                                                                   "/static/vendor/htmx"]
