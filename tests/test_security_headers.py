"""The security baseline on responses."""


def test_headers_on_pages(client):
    response = client.get("/en/services")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


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
