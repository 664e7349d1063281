"""Public pages are built once per catalog stamp, locale and hometown, then served from
memory; a publish shows at once; a page with a flashed message is built for its reader."""

from flask import template_rendered

from app.models import Item, db

import pytest

from ..conftest import make_staff, sign_in
from ..pages import Page
from .test_editor import CODE, publish, save, section, start_draft

GUIDE = f"/en/services/{CODE}"


def renders(app):
    seen = []
    template_rendered.connect(lambda sender, template, context, **extra: seen.append(
        template.name), app, weak=False)
    return seen


def test_a_guide_is_built_once_then_served_with_its_etag(app):
    seen, client = renders(app), app.test_client()
    first = client.get(GUIDE)
    assert first.status_code == 200 and "catalog/guide.html" in seen
    seen.clear()
    again = client.get(GUIDE)
    assert again.status_code == 200 and seen == [], "served from memory"
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert client.get(GUIDE, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    italian = client.get(f"/it/services/{CODE}")
    assert "catalog/guide.html" in seen and italian.data != first.data, "each locale its own"


def test_the_catalog_is_kept_per_hometown_and_per_fragment(app):
    client = app.test_client()
    everything = client.get("/en/services?q=licence").data
    client.set_cookie("hometown", "qingtian")
    mine = client.get("/en/services?q=licence").data
    assert mine != everything, "the hometown changes the page"
    fragment = client.get("/en/services?q=licence", headers={"HX-Request": "true"}).data
    assert b"<html" not in fragment and b"<html" in mine


@pytest.fixture
def admins(app):
    make_staff(app, "qt.admin@test", "admin", jurisdiction="qingtian")
    return app


def test_a_publish_shows_at_once(admins):
    client = admins.test_client()
    before = Page(client.get(GUIDE))
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    save(admin, section(admin, "text", locale="en"), {"name": "A renamed service"}, name="text")
    publish(admin)
    after = Page(client.get(GUIDE))
    assert "A renamed service" in after.title and before.title != after.title


def test_a_flashed_message_is_shown_to_its_reader_only(app):
    seen, client = renders(app), app.test_client()
    client.get(GUIDE)
    with client.session_transaction() as state:
        state["_flashes"] = [("info", "A message for this reader")]
    seen.clear()
    page = Page(client.get(GUIDE))
    assert "A message for this reader" in page.text and seen, "built for this reader"
    other = Page(app.test_client().get(GUIDE))
    assert "A message for this reader" not in other.text
    with app.app_context(), db.connection_context():
        assert Item.active_by_code(CODE) is not None


def test_a_kept_page_is_compressed_once_per_encoding(app, monkeypatch):
    import gzip

    import brotli

    client = app.test_client()
    plain = client.get(GUIDE)
    calls = []
    real = brotli.compress
    monkeypatch.setattr(brotli, "compress", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        answer = client.get(GUIDE, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert answer.headers["Content-Encoding"] == "br"
        assert brotli.decompress(answer.data) == plain.data
        assert "Accept-Encoding" in answer.headers["Vary"]
    assert len(calls) == 1, "compressed once, then served as it is"
    zipped = client.get(GUIDE, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != answer.headers["ETag"], "each encoding its own ETag"
    again = client.get(GUIDE, headers={"Accept-Encoding": "gzip",
                                        "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304
