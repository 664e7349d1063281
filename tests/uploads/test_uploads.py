"""Uploads: type by content, re-encoding, EXIF stripped, caps, authorised download."""

import hashlib
import io

from PIL import Image

from app.models import Upload, db
from app.uploads.service import path_for

from ..conftest import Journey, jpeg_bytes, pdf_bytes, png_bytes


def _exif_with_gps():
    image = Image.new("RGB", (10, 10))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"          # Make
    exif[0x0112] = 6                      # Orientation: rotate 90° CW
    exif[0x8825] = {1: "N", 2: (43.0, 52.0, 30.0)}  # GPS info
    return exif.tobytes()


def _stored(app, reference, material):
    with app.app_context(), db.connection_context():
        rows = list(Upload.select().where(Upload.material_key == material,
                                          Upload.removed == False))  # noqa: E712
        return rows


def test_photo_is_reencoded_upright_without_exif(app, client, journey):
    journey.start()
    original = jpeg_bytes(size=(3000, 2000), exif=_exif_with_gps())
    assert journey.upload("passport_page", original).status_code == 303
    [row] = _stored(app, journey.reference, "passport_page")
    with app.app_context():
        data = path_for(row.stored_name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == row.sha256
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()  # no EXIF left at all (no GPS, no maker)
    # Orientation 6 was applied, then the long side capped at 2400.
    assert image.size == (1600, 2400)
    assert row.content_type == "image/jpeg" and row.original_name.endswith(".jpg")


def test_png_and_pdf_are_accepted(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", png_bytes(), "scan.png").status_code == 303
    assert journey.upload("driving_licence", pdf_bytes(), "licence.pdf").status_code == 303
    [pdf] = _stored(app, journey.reference, "driving_licence")
    assert pdf.content_type == "application/pdf" and pdf.pages == 1


def test_heic_photo_is_converted_to_jpeg(app, client, journey):
    import pillow_heif
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), (120, 60, 30)))
    buffer = io.BytesIO()
    heif.save(buffer, quality=70)
    journey.start()
    assert journey.upload("id_photo", buffer.getvalue(), "IMG_0001.HEIC").status_code == 303
    [row] = _stored(app, journey.reference, "id_photo")
    assert row.content_type == "image/jpeg" and row.original_name == "IMG_0001.jpg"


def test_html_renamed_jpg_is_refused(client, journey):
    journey.start()
    response = journey.upload("passport_page", b"<html><script>alert(1)</script></html>", "x.jpg")
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "not a photo or PDF we can accept" in html
    assert "JPEG, PNG, PDF" in html


def test_script_renamed_jpg_is_refused_in_chinese(client):
    journey = Journey(client, lang="zh")
    journey.start()
    response = journey.upload("passport_page", b"#!/bin/sh\nrm -rf /\n", "photo.jpg")
    assert response.status_code == 415
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)


def test_corrupt_image_is_refused(client, journey):
    journey.start()
    broken = jpeg_bytes()[:400]
    response = journey.upload("passport_page", broken, "broken.jpg")
    assert response.status_code == 422
    assert "damaged or incomplete" in response.get_data(as_text=True)


def test_corrupt_pdf_is_refused(client, journey):
    journey.start()
    response = journey.upload("passport_page", b"%PDF-1.7\n garbage", "scan.pdf")
    assert response.status_code == 422
    assert "PDF is damaged" in response.get_data(as_text=True)


def test_format_not_accepted_for_this_material(client, journey):
    journey.start()
    response = journey.upload("id_photo", pdf_bytes(), "photo.pdf")  # id_photo takes JPEG/PNG only
    assert response.status_code == 415


def test_oversize_file_is_refused_with_413_and_page_kept(app, client, journey):
    app.config["UPLOAD_MAX_BYTES"] = 200 * 1024
    journey.start()
    big = jpeg_bytes(size=(2500, 2500)) + b"\0" * (300 * 1024)
    response = journey.upload("passport_page", big, "huge.jpg")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than" in html and "Photos of your materials" in html


def test_body_over_hard_limit_is_413_page_not_500(app, client, journey):
    journey.start()
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    response = journey.upload("passport_page", b"\xff\xd8\xff" + b"0" * (200 * 1024), "huge.jpg")
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)


def test_decompression_bomb_is_refused(app, client, journey):
    app.config["PHOTO_MAX_PIXELS"] = 1_000_000
    journey.start()
    response = journey.upload("passport_page", jpeg_bytes(size=(2000, 2000)), "big.jpg")
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)


def test_slot_limit_and_remove_to_replace(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", jpeg_bytes()).status_code == 303
    response = journey.upload("passport_page", jpeg_bytes())
    assert response.status_code == 409
    [row] = _stored(app, journey.reference, "passport_page")
    token = journey.token(f"/en/cases/{journey.reference}/materials")
    url = f"/en/cases/{journey.reference}/materials/passport_page/files/{row.id}/remove"
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert not path_for(row.stored_name).exists()
    assert journey.upload("passport_page", jpeg_bytes(color=(1, 2, 3))).status_code == 303


def test_htmx_upload_returns_only_the_slot(client, journey):
    journey.start()
    token = journey.token(f"/en/cases/{journey.reference}/materials")
    response = client.post(f"/en/cases/{journey.reference}/materials/passport_page",
                           data={"csrf_token": token, "file": (io.BytesIO(jpeg_bytes()), "p.jpg")},
                           headers={"HX-Request": "true"}, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="slot"') and "<html" not in html
    assert 'id="missing-summary"' in html and "data-hx-swap-oob" in html


def test_download_only_for_the_case_holder(app, client, journey):
    journey.start()
    journey.upload("passport_page", jpeg_bytes())
    [row] = _stored(app, journey.reference, "passport_page")
    url = f"/en/cases/{journey.reference}/files/{row.id}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert hashlib.sha256(response.data).hexdigest() == row.sha256
    # Another applicant's browser, and an anonymous one, get 404.
    other = Journey(app.test_client())
    other.start()
    assert other.client.get(url).status_code == 404
    assert other.client.get(f"/en/cases/{other.reference}/files/{row.id}").status_code == 404
    assert app.test_client().get(url).status_code == 404


def test_stored_outside_static(app, client, journey):
    journey.start()
    journey.upload("passport_page", jpeg_bytes())
    [row] = _stored(app, journey.reference, "passport_page")
    with app.app_context():
        path = path_for(row.stored_name)
    assert "static" not in path.parts and path.name == row.stored_name and len(row.stored_name) == 32
