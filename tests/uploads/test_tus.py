"""tus 1.0 conformance of /files/ (core, creation, expiration, checksum, termination)."""

import base64
import hashlib
import io
import os
import random
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale

from app import clock
from app.models import Case, Event, TusUpload, Upload, db
from app.templating import ERROR_TITLES
from app.uploads.pdfclean import clean
from app.uploads.resumable import PIECE, partial_path, purge_expired
from app.uploads.service import path_for

from ..conftest import Journey, fill_driving_licence, jpeg_bytes, pdf_bytes, suite_moment

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
               data=None, **extra):
        headers = self.headers(**{"Upload-Length": str(length),
                                  "Upload-Metadata": meta(case=self.journey.reference,
                                                          material=material, filename=filename,
                                                          lang=lang)}, **extra)
        return self.client.post("/files/", headers=headers, data=data)

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
        "creation", "creation-with-upload", "expiration", "checksum", "termination"}
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


def test_creation_with_upload_takes_the_first_part_with_the_post(app, tus):
    data = pdf_bytes() + b"%" * 1000
    first = data[:400]
    created = tus.create(len(data), **{"Content-Type": "application/offset+octet-stream",
                                       "Upload-Checksum": sha1_header(first)}, data=first)
    assert created.status_code == 201 and created.headers["Upload-Offset"] == "400"
    url = created.headers["Location"]
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "400"
    response = tus.patch(url, data[400:], 400)
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
        assert stored.sha256 == hashlib.sha256(clean(data)[0]).hexdigest()


def test_creation_with_the_whole_file_stores_it_or_refuses_it(app, tus):
    data = jpeg_bytes(size=(1200, 900))
    created = tus.create(len(data), material="id_photo", filename="IMG_2.jpg",
                         **{"Content-Type": "application/offset+octet-stream"}, data=data)
    assert created.status_code == 201 and created.headers["Upload-Offset"] == str(len(data))
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "id_photo")
        assert created.headers["Upload-Stored"] == str(stored.id)
        assert stored.original_name == "IMG_2.jpg"
    # Not a file we take: refused as a PATCH's last part is (422, the form's words).
    html = b"<!doctype html><p>not a photo</p>"
    refused = tus.create(len(html), material="driving_licence",
                         **{"Content-Type": "application/offset+octet-stream"}, data=html)
    assert refused.status_code == 422 and "not a photo or PDF" in refused.get_data(as_text=True)
    # A damaged first part is dropped: created at offset 0, sent again by PATCH.
    damaged = tus.create(10, **{"Content-Type": "application/offset+octet-stream",
                                "Upload-Checksum": sha1_header(b"b" * 10)}, data=b"a" * 10)
    assert damaged.status_code == 201 and damaged.headers["Upload-Offset"] == "0"
    # More than the upload declared: nothing created.
    with app.app_context(), db.connection_context():
        before = TusUpload.select().count()
    too_much = tus.create(5, **{"Content-Type": "application/offset+octet-stream"},
                          data=b"x" * 6)
    assert too_much.status_code == 413
    with app.app_context(), db.connection_context():
        assert TusUpload.select().count() == before


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
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert "application/offset+octet-stream" in response.get_data(as_text=True)
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "0"


def test_checksum_mismatch_is_460_and_the_chunk_is_discarded(tus):
    url = tus.create(100).headers["Location"]
    response = tus.patch(url, b"a" * 10, 0, **{"Upload-Checksum": sha1_header(b"b" * 10)})
    assert response.status_code == 460
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "0"


def test_more_bytes_than_declared_or_allowed_is_413(app, tus):
    url = tus.create(10).headers["Location"]
    response = tus.patch(url, b"x" * 11, 0)
    assert response.status_code == 413 and response.headers["Tus-Resumable"] == "1.0.0"
    assert "at most 10 more bytes" in response.get_data(as_text=True)  # the limit, stated
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "0"
    # After 4 bytes, 6 are left: a body of 7 is refused, one of 6 is taken.
    assert tus.patch(url, b"x" * 4, 0).status_code == 204
    response = tus.patch(url, b"x" * 7, 4)
    assert response.status_code == 413 and response.headers["Upload-Offset"] == "4"
    assert "at most 6 more bytes" in response.get_data(as_text=True)
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


def test_spool_files_left_by_a_stopped_process_are_purged(app, tus):
    url = tus.create(100).headers["Location"]
    upload_id = url.rsplit("/", 1)[1]
    with app.app_context(), db.connection_context():
        old, live = (partial_path(upload_id).with_name(f"{upload_id}.{n}.part") for n in "ab")
        old.write_bytes(b"x" * 10)
        live.write_bytes(b"y" * 10)
        two_hours_ago = time.time() - 7200
        os.utime(old, (two_hours_ago, two_hours_ago))
        assert purge_expired() == 0
        assert not old.exists() and live.exists()
        assert partial_path(upload_id).exists()  # the upload itself is not expired


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
    # 422, not 415: 415 is kept for a PATCH that is not application/offset+octet-stream.
    assert response.status_code == 422
    assert response.headers["Tus-Resumable"] == "1.0.0"
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


class CountedStream(io.BytesIO):
    """A request body that remembers how much each read asked for."""

    def __init__(self, data):
        super().__init__(data)
        self.asked = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)


def test_one_patch_may_carry_the_whole_file_read_in_pieces(app, tus):
    # tus-js-client's default: the whole file in one PATCH (here 5 MB, more than the
    # 1 MiB once allowed per request).
    data = pdf_bytes() + b"%" + random.Random(16).randbytes(5 << 20)
    url = tus.create(len(data)).headers["Location"]
    body = CountedStream(data)
    response = tus.client.patch(url, input_stream=body, headers=tus.headers(**{
        "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(data)), "Upload-Checksum": sha1_header(data)}))
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
    # Read in pieces, never whole in memory.
    assert len(body.asked) > 40 and all(0 < size <= PIECE + 1 for size in body.asked)
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
        assert stored.sha256 == hashlib.sha256(clean(data)[0]).hexdigest()
        assert not list(partial_path("x").parent.iterdir())  # no spool or partial file left


def test_x_http_method_override_is_the_method(app, tus):
    data = pdf_bytes()
    url = tus.create(len(data)).headers["Location"]
    # POST carrying PATCH: appended like a PATCH (CSRF checked as for a PATCH).
    first = tus.client.post(url, data=data[:100], headers=tus.headers(**{
        "X-HTTP-Method-Override": "PATCH", "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream"}))
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "100"
    refused = tus.client.post(url, data=data[100:], headers={**V, "X-HTTP-Method-Override": "PATCH",
                                                             "Upload-Offset": "100",
                                                             "Content-Type": OFFSET})
    assert refused.status_code == 400 and refused.headers["Tus-Resumable"] == "1.0.0"
    # POST carrying HEAD: where the upload stands.
    head = tus.client.post(url, headers={**V, "X-HTTP-Method-Override": "HEAD"})
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "100"
    # POST carrying DELETE: terminated.
    gone = tus.client.post(url, headers=tus.headers(**{"X-HTTP-Method-Override": "delete"}))
    assert gone.status_code == 204
    assert tus.client.head(url, headers=V).status_code == 404
    # Elsewhere the header means nothing.
    page = tus.client.post(f"/en/cases/{tus.journey.reference}/materials/continue",
                           data={"csrf_token": tus.token},
                           headers={"X-HTTP-Method-Override": "DELETE"})
    assert page.status_code == 303


OFFSET = "application/offset+octet-stream"


def _plain_tus(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "<" not in text and len(text) < 300
    return text


def test_every_answer_under_files_is_tus_plain_text(app, tus):
    url = tus.create(100).headers["Location"]
    # A refusal of CSRF (no token): not the HTML page.
    _plain_tus(tus.client.post("/files/", headers={**V, "Upload-Length": "10"}), 400)
    _plain_tus(tus.client.patch(url, data=b"x", headers={
        **V, "Upload-Offset": "0", "Content-Type": OFFSET}), 400)
    # OPTIONS on an upload's address tells what the server supports, like on /files/.
    options = tus.client.options(url)
    assert options.status_code == 204 and options.headers["Tus-Resumable"] == "1.0.0"
    assert options.headers["Tus-Version"] == "1.0.0" and "termination" in options.headers[
        "Tus-Extension"]
    # Methods a tus address does not take, and addresses that do not exist.
    not_here = tus.client.get(url, headers=V)
    _plain_tus(not_here, 405)
    assert set(not_here.headers["Allow"].split(", ")) >= {"HEAD", "PATCH", "DELETE", "OPTIONS"}
    _plain_tus(tus.client.put("/files/", headers=tus.headers()), 405)
    _plain_tus(tus.client.get(url + "/more", headers=V), 404)
    _plain_tus(tus.client.head("/files/0123456789abcdef0123456789abcdef", headers=V), 404)
    _plain_tus(tus.patch(url, b"x" * 101, 0), 413)
    _plain_tus(tus.client.patch(url, data=b"x", headers=tus.headers(**{
        "Upload-Offset": "0", "Content-Type": "text/plain"})), 415)
    _plain_tus(tus.client.head(url), 412)


def test_files_answers_are_in_the_request_language(app, tus):
    url = tus.create(100).headers["Location"]
    italian = tus.client.get(url, headers={**V, "Accept-Language": "it-IT,it;q=0.9"})
    english = tus.client.get(url, headers=V)  # no language asked: English
    with app.test_request_context():
        with force_locale("it"):
            expected_it = str(ERROR_TITLES[405])
        with force_locale("en"):
            expected_en = str(ERROR_TITLES[405])
    assert expected_it != expected_en
    assert _plain_tus(italian, 405) == expected_it
    assert _plain_tus(english, 405) == expected_en
    # A refusal about an upload made in Chinese reads in Chinese (the upload's language,
    # whatever the client's Accept-Language).
    chinese = tus.create(100, material="id_photo", filename="a.jpg", lang="zh")
    zh_url = chinese.headers["Location"]
    wrong = tus.patch(zh_url, b"x", 5, **{"Accept-Language": "it"})
    text = _plain_tus(wrong, 409)
    assert text and not any(c.isascii() and c.isalpha() for c in text.replace("%", ""))


def test_an_upload_is_found_by_its_exact_id_only(tus):
    url = tus.create(100).headers["Location"]
    assert tus.client.head(url, headers=V).status_code == 200
    for other in (url + "ZZZZ", url + "0", url[:-1], "/files/" + url[7:].upper()):
        _plain_tus(tus.client.head(other, headers=V), 404)
        _plain_tus(tus.patch(other, b"x", 0), 404)


def test_delete_of_a_finished_upload_takes_the_file_off_the_case(app, tus):
    data = jpeg_bytes()
    url = tus.create(len(data), material="id_photo", filename="me.jpg").headers["Location"]
    assert tus.patch(url, data, 0).status_code == 204
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "id_photo")
        assert path_for(stored.stored_name).exists()
    assert tus.client.delete(url, headers=tus.headers()).status_code == 204
    with app.app_context(), db.connection_context():
        assert Upload.get_by_id(stored.id).removed
        assert not path_for(stored.stored_name).exists()
        case = Case.get(Case.reference == tus.journey.reference)
        last = Event.select().where(Event.case == case).order_by(Event.id.desc()).first()
        assert (last.kind, last.data) == ("file_removed", {"material": "id_photo",
                                                           "upload": stored.id})
    assert tus.client.head(url, headers=V).status_code == 404
    materials = tus.client.page(f"/en/cases/{tus.journey.reference}/materials")
    assert not materials.select("#m-id_photo ul.files li")


def test_delete_of_a_finished_upload_after_sending_is_refused(app, client):
    journey = Journey(client)
    journey.start()
    fill_driving_licence(journey)
    tus = Tus(journey)
    data = jpeg_bytes()
    url = tus.create(len(data), material="id_photo", filename="me.jpg").headers["Location"]
    assert tus.patch(url, data, 0).status_code == 204
    for key in ("passport_page", "driving_licence"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    assert journey.defer("medical_certificate").status_code == 303
    assert journey.submit().status_code == 303
    response = tus.client.delete(url, headers=tus.headers())
    assert "no longer be changed" in _plain_tus(response, 409)
    with app.app_context(), db.connection_context():
        assert not Upload.get(Upload.material_key == "id_photo").removed


def test_a_body_of_unknown_length_is_cut_at_what_the_upload_takes(app, tus):
    # Chunked transfer: no Content-Length to refuse up front; reading stops one byte past
    # what the upload takes, and nothing of it is kept.
    url = tus.create(100).headers["Location"]
    response = tus.client.patch(url, input_stream=io.BytesIO(b"x" * 5000), headers=tus.headers(**{
        "Upload-Offset": "0", "Content-Type": OFFSET, "Transfer-Encoding": "chunked"}),
        environ_overrides={"wsgi.input_terminated": True})
    assert "at most 100 more bytes" in _plain_tus(response, 413)
    assert tus.client.head(url, headers=V).headers["Upload-Offset"] == "0"
    taken = tus.client.patch(url, input_stream=io.BytesIO(b"x" * 60), headers=tus.headers(**{
        "Upload-Offset": "0", "Content-Type": OFFSET, "Transfer-Encoding": "chunked"}),
        environ_overrides={"wsgi.input_terminated": True})
    assert taken.status_code == 204 and taken.headers["Upload-Offset"] == "60"
