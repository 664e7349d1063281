"""The security baseline on responses."""


def test_headers_on_pages(client):
    response = client.get("/en/services")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("private")


def test_no_inline_script_or_third_party_hosts(client):
    html = client.get("/en/services/JJ-JZ-001/apply").get_data(as_text=True)
    import re
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    html = client.get("/en/").get_data(as_text=True)
    import re
    css = re.search(r'href="(/static/app\.[0-9a-f]{10}\.css)"', html).group(1)
    response = client.get(css, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert client.get(css, headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code == 304
    assert client.get("/static/app.css").status_code == 404


def test_pages_are_compressed(client):
    response = client.get("/en/services", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "br"


def test_session_cookie_flags(app, client):
    from tests.conftest import Journey
    journey = Journey(client)
    journey.start()
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_catalog_pages_revalidate_with_etag_and_case_pages_are_never_stored(client):
    for url in ("/en/", "/en/services", "/en/services/JJ-JZ-001"):
        first = client.get(url, headers={"Accept-Encoding": "br"})
        assert first.status_code == 200 and first.headers.get("ETag"), url
        assert first.headers["Cache-Control"] == "private, no-cache"
        again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
    from tests.conftest import Journey
    journey = Journey(client)
    journey.start()
    page = client.get(f"/en/cases/{journey.reference}")
    assert page.headers["Cache-Control"] == "private, no-store" and "ETag" not in page.headers
