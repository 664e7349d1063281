"""tus 1.0 conformance of /files/ (core, creation, expiration, checksum, termination)."""

import base64
import hashlib
from datetime import timedelta

import pytest

from app import clock
from app.models import Case, Event, TusUpload, Upload, db
from app.uploads.pdfclean import clean
from app.uploads.resumable import partial_path, purge_expired

from ..conftest import Journey, jpeg_bytes, pdf_bytes, suite_moment

V = {"Tus-Resumable": "1.0.0"}


def meta(**values):
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class Tus:
    def __init__(self, journey):
        self.journey = journey
        self.client = journey.client
        self.token = journey.token(f"/en/cases/{journey.reference}/materials")

    def headers(self, **extra):
        return {**V, "X-CSRFToken": self.token, **extra}

    def create(self, length, material="passport_page", filename="scan.pdf", lang="en",
               **extra):
        headers = self.headers(**{"Upload-Length": str(length),
                                  "Upload-Metadata": meta(case=self.journey.reference,
                                                          material=material, filename=filename,
                                                          lang=lang)}, **extra)
        return self.client.post("/files/", headers=headers)

    def patch(self, url, data, offset, **extra):
        headers = self.headers(**{"Upload-Offset": str(offset),
                                  "Content-Type": "application/offset+octet-stream"}, **extra)
        return self.client.patch(url, data=data, headers=headers)


@pytest.fixture
def tus(client):
    journey = Journey(client)
    journey.start()
    return Tus(journey)


def sha1_header(data):
    return "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_options_advertises_extensions(client):
    response = client.options("/files/")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "expiration", "checksum", "termination"}
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1"


def _after_expiry(app, hours_later=0):
    """The clock just past the expiry of an upload created ``hours_later`` after the start."""
    return clock.clock_at(suite_moment() + timedelta(
        hours=app.config["TUS_EXPIRY_HOURS"] + hours_later, minutes=10))


def test_upload_in_chunks_with_checksums_is_stored_like_a_form_upload(app, tus):
    with app.app_context(), db.connection_context():
        version = Case.get(Case.reference == tus.journey.reference).version
    data = pdf_bytes() + b"%" * 1000
    created = tus.create(len(data))
    assert created.status_code == 201 and created.headers["Location"].startswith("/files/")
    assert "Upload-Expires" in created.headers
    url = created.headers["Location"]
    head = tus.client.head(url, headers=V)
    assert head.headers["Upload-Offset"] == "0" and head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"
    first, second = data[:300], data[300:]
    response = tus.patch(url, first, 0, **{"Upload-Checksum": sha1_header(first)})
    assert response.status_code == 204 and response.headers["Upload-Offset"] == "300"
    response = tus.patch(url, second, 300, **{"Upload-Checksum": sha1_header(second)})
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
        # What is kept is the PDF as cleaned, exactly as a form upload keeps it.
        assert stored.sha256 == hashlib.sha256(clean(data)[0]).hexdigest()
        assert stored.content_type == "application/pdf"
        # The case changed once, as for a form upload: one version, one file_added event.
        case = Case.get(Case.reference == tus.journey.reference)
        assert case.version == version + 1
        last = Event.select().where(Event.case == case).order_by(Event.id.desc()).first()
        assert (last.kind, last.data) == ("file_added", {"material": "passport_page",
                                                         "upload": stored.id})
        assert TusUpload.get().upload_id == stored.id
        assert not partial_path(url.rsplit("/", 1)[1]).exists()


def test_photo_is_reencoded_like_a_form_upload(app, tus):
    data = jpeg_bytes(size=(3000, 2000))
    url = tus.create(len(data), material="id_photo", filename="IMG_1.jpg").headers["Location"]
    assert tus.patch(url, data, 0).status_code == 204
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "id_photo")
        assert stored.width == 2400 and stored.original_name == "IMG_1.jpg"


def test_missing_or_wrong_tus_resumable_is_412(tus):
    response = tus.client.post("/files/", headers={"X-CSRFToken": tus.token, "Upload-Length": "5"})
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    response = tus.client.head("/files/abc", headers={"Tus-Resumable": "0.2.2"})
    assert response.status_code == 412


def test_wrong_offset_is_409(tus):
    url = tus.create(100).headers["Location"]
    response = tus.patch(url, b"x" * 10, 5)
    assert response.status_code == 409
    assert response.headers["Upload-Offset"] == "0"


def test_wrong_content_type_is_415(tus):
    url = tus.create(100).headers["Location"]
    response = tus.client.patch(url, data=b"x" * 10, headers=tus.headers(**{
        "Upload-Offset": "0", "Content-Type": "application/octet-stream"}))
    assert response.status_code == 415


def test_checksum_mismatch_is_460_and_the_chunk_is_discarded(tus):
    url = tus.create(100).headers["Location"]
    response = tus.patch(url, b"a" * 10, 0, **{"Upload-Checksum": sha1_header(b"b" * 10)})
    assert response.status_code == 460
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "0"


def test_more_bytes_than_declared_or_allowed_is_413(app, tus):
    url = tus.create(10).headers["Location"]
    assert tus.patch(url, b"x" * 11, 0).status_code == 413
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "0"
    assert tus.create(app.config["UPLOAD_MAX_BYTES"] + 1).status_code == 413


def test_unknown_and_expired_uploads(app, tus):
    assert tus.client.head("/files/0123456789abcdef0123456789abcdef", headers=V).status_code == 404
    url = tus.create(100).headers["Location"]
    upload_id = url.rsplit("/", 1)[1]
    assert tus.client.head(url, headers=V).status_code == 200
    with _after_expiry(app):
        assert tus.client.head(url, headers=V).status_code == 410
        with app.app_context():
            assert not partial_path(upload_id).exists()
        assert tus.client.head(url, headers=V).status_code == 404


def test_expired_uploads_are_purged_with_their_bytes(app, tus):
    url = tus.create(100).headers["Location"]
    assert tus.patch(url, b"x" * 40, 0).status_code == 204
    upload_id = url.rsplit("/", 1)[1]
    with clock.clock_at(suite_moment() + timedelta(hours=1)):
        later = tus.create(100, material="id_photo", filename="a.jpg").headers["Location"]
    later_id = later.rsplit("/", 1)[1]
    with app.app_context(), db.connection_context():
        assert purge_expired() == 0
        assert partial_path(upload_id).stat().st_size == 40
        with _after_expiry(app):
            assert purge_expired() == 1
        assert not partial_path(upload_id).exists()
        # The upload started an hour later has not expired yet.
        assert [u.id for u in TusUpload.select()] == [later_id]
        assert partial_path(later_id).exists()
        with _after_expiry(app, hours_later=1):
            assert purge_expired() == 1
        assert TusUpload.select().count() == 0
        assert not partial_path(later_id).exists()


def test_termination(tus):
    url = tus.create(100).headers["Location"]
    assert tus.client.delete(url, headers=tus.headers()).status_code == 204
    assert tus.client.head(url, headers=V).status_code == 404


def test_another_applicants_upload_or_case_is_404(app, tus):
    url = tus.create(100).headers["Location"]
    stranger = Journey(app.test_client())
    stranger.start()
    other = Tus(stranger)
    assert other.client.head(url, headers=V).status_code == 404
    assert other.patch(url, b"x", 0).status_code == 404
    assert other.client.delete(url, headers=other.headers()).status_code == 404
    # Creating an upload for someone else's case.
    other.journey.reference = tus.journey.reference
    assert other.create(10).status_code == 404


def test_a_finished_upload_failing_validation_gets_the_form_upload_message(app, tus):
    data = b"<html><script>alert(1)</script></html>"
    url = tus.create(len(data), filename="x.jpg").headers["Location"]
    response = tus.patch(url, data, 0)
    assert response.status_code == 415
    assert response.mimetype == "text/plain"
    assert "not a photo or PDF we can accept" in response.get_data(as_text=True)
    with app.app_context(), db.connection_context():
        assert Upload.select().count() == 0


def test_upload_refused_without_csrf_header(tus):
    response = tus.client.post("/files/", headers={**V, "Upload-Length": "10"})
    assert response.status_code == 400


def test_refusals_at_creation_are_in_the_applicants_language(app, client):
    journey = Journey(client, lang="zh")
    journey.start(language="zh")
    tus = Tus(journey)
    tus.token = journey.token(f"/zh/cases/{journey.reference}/materials")
    headers = tus.headers(**{"Upload-Length": str(app.config["UPLOAD_MAX_BYTES"] + 1),
                             "Upload-Metadata": meta(case=journey.reference, material="id_photo",
                                                     filename="a.jpg", lang="zh")})
    response = client.post("/files/", headers=headers)
    assert response.status_code == 413
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "MB" in body and "larger than" not in body
