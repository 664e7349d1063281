"""The security baseline on responses (app/security.py): headers, scripts, caching."""

import re

import brotli
from bs4 import BeautifulSoup

from tests.conftest import Journey


def test_headers_on_pages(client):
    page = client.page("/en/services")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"].startswith("private")


def test_no_inline_script_or_third_party_hosts(client):
    page = client.page("/en/services/JJ-JZ-001/apply")
    scripts = page.select("script")
    assert scripts
    for script in scripts:
        assert script.get("src", "").startswith("/static/"), script
        assert not script.get_text().strip(), script
    assert not page.select("[onclick], [onload], [onsubmit], [onerror]")
    own = client.application.config["PUBLIC_URL"].rstrip("/") + "/"
    for element in page.select("[src], [href]"):
        for attribute in ("src", "href"):
            target = element.get(attribute, "")
            # Only this site's own address (the absolute hreflang alternates) is absolute.
            if target.startswith(own):
                assert element.name == "link" and element.get("rel") == ["alternate"], element
                continue
            assert not re.match(r"(https?:)?//", target), (attribute, target)


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    page = client.page("/en/")
    [css] = [link["href"] for link in page.select('link[rel="stylesheet"]')
             if re.fullmatch(r"/static/app\.[0-9a-f]{10}\.css", link["href"])]
    response = client.get(css, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert client.get(css, headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code == 304
    assert client.get("/static/app.css").status_code == 404


def test_pages_are_compressed(client):
    response = client.get("/en/services", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    page = BeautifulSoup(brotli.decompress(response.data).decode(), "html.parser")
    assert page.select_one("h1").get_text(strip=True) == "Services"   # read back whole


def test_session_cookie_flags(app, client):
    journey = Journey(client)
    assert journey.start().status_code == 303
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_catalog_pages_revalidate_with_etag_and_case_pages_are_never_stored(client):
    for url in ("/en/", "/en/services", "/en/services/JJ-JZ-001"):
        first = client.get(url, headers={"Accept-Encoding": "br"})
        assert first.status_code == 200, url
        assert first.headers.get("ETag"), url
        assert first.headers["Cache-Control"] == "private, no-cache"
        again = client.get(url, headers={"Accept-Encoding": "br",
                                         "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
    journey = Journey(client)
    assert journey.start().status_code == 303
    page = client.page(f"/en/cases/{journey.reference}")
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in page.headers


def test_behind_https_cookies_are_secure_and_host_only_and_hsts_is_on(tmp_path):
    """An https:// public URL is enough: no other setting needed."""
    from app.sandbox import create_sandbox_app
    app = create_sandbox_app(tmp_path, load=False, SECRET_KEY="x",
                             PUBLIC_URL="https://onevisit.example", UPLOAD_SCAN="off")
    answer = app.test_client().get("/en/cases/find", base_url="https://onevisit.example")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"secure", "httponly", "path"} <= parts and "domain" not in parts
    assert "Path=/" in cookie
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # Plain HTTP (the embedded default): no Secure flag, no HSTS.
    plain = create_sandbox_app(tmp_path / "plain", load=False, SECRET_KEY="x")
    answer = plain.test_client().get("/en/cases/find")
    assert "Secure" not in answer.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in answer.headers


def test_the_server_does_not_announce_its_software(tmp_path):
    import requests

    from .topology import OneHost
    host = OneHost(tmp_path).start()
    try:
        answer = requests.get(host.url + "/healthz", timeout=10)
        assert answer.headers["Server"] == "OneVisit"
        assert "gunicorn" not in str(answer.headers).lower()
    finally:
        host.stop()


def test_back_to_keeps_the_browser_on_this_site_under_the_given_path():
    from app.security import back_to
    assert back_to("/staff/queue?holder=mine", "/staff/", "/x") == "/staff/queue?holder=mine"
    for elsewhere in ("https://evil.example/", "//evil.example/staff/", "/staff//evil.example",
                      "/staff/queue\r\nX-Evil: 1", "/staff/queue\x00",
                      "/staff/\\evil.example", "/files/1", "", None, "staff/queue"):
        assert back_to(elsewhere, "/staff/", "/staff/queue") == "/staff/queue", elsewhere
    assert back_to("/staff/cases/X", "/staff/queue", "/staff/queue") == "/staff/queue"
