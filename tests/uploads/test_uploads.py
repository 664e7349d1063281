"""Uploads: type by content, re-encoding, EXIF stripped, caps, authorised download."""

import hashlib
import io

from PIL import Image

from app.models import Case, Event, Upload, db
from app.uploads.service import path_for

from ..conftest import Journey, jpeg_bytes, pdf_bytes, png_bytes
from ..pages import Page


def _exif_with_gps():
    image = Image.new("RGB", (10, 10))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"          # Make
    exif[0x0112] = 6                      # Orientation: rotate 90° CW
    exif[0x8825] = {1: "N", 2: (43.0, 52.0, 30.0)}  # GPS info
    return exif.tobytes()


def _stored(app, reference, material):
    """The files of a material slot of the case that are not removed."""
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        return list(Upload.select().where(Upload.case == case, Upload.material_key == material,
                                          Upload.removed == False))


def slot_error(page, material) -> str:
    """The message shown in a material's slot."""
    return page.one(f"#m-{material} p.error").text.removeprefix("Error:").strip()


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
    assert row.content_type == "image/jpeg"
    assert row.original_name.endswith(".jpg")


def test_png_and_pdf_are_accepted(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", png_bytes(), "scan.png").status_code == 303
    assert journey.upload("driving_licence", pdf_bytes(), "licence.pdf").status_code == 303
    [pdf] = _stored(app, journey.reference, "driving_licence")
    assert pdf.content_type == "application/pdf"
    assert pdf.pages == 1


def test_heic_photo_is_converted_to_jpeg(app, client, journey):
    import pillow_heif
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), (120, 60, 30)))
    buffer = io.BytesIO()
    heif.save(buffer, quality=70)
    journey.start()
    assert journey.upload("id_photo", buffer.getvalue(), "IMG_0001.HEIC").status_code == 303
    [row] = _stored(app, journey.reference, "id_photo")
    assert row.content_type == "image/jpeg"
    assert row.original_name == "IMG_0001.jpg"


def test_html_renamed_jpg_is_refused(app, client, journey):
    journey.start()
    page = journey.upload("passport_page", b"<html><script>alert(1)</script></html>", "x.jpg")
    assert page.status == 415
    message = slot_error(page, "passport_page")
    assert "not a photo or PDF we can accept" in message
    assert "JPEG, PNG, PDF" in message
    assert page.one("h1").text == "Photos of your materials"
    assert _stored(app, journey.reference, "passport_page") == []


def test_script_renamed_jpg_is_refused_in_chinese(client):
    journey = Journey(client, lang="zh")
    journey.start()
    page = journey.upload("passport_page", b"#!/bin/sh\nrm -rf /\n", "photo.jpg")
    assert page.status == 415
    assert page.soup.html["lang"] == "zh-Hans"
    assert "不是可接受的照片或 PDF" in slot_error(page, "passport_page")


def test_corrupt_image_is_refused(client, journey):
    journey.start()
    broken = jpeg_bytes()[:400]
    page = journey.upload("passport_page", broken, "broken.jpg")
    assert page.status == 422
    assert "damaged or incomplete" in slot_error(page, "passport_page")


def test_corrupt_pdf_is_refused(client, journey):
    journey.start()
    page = journey.upload("passport_page", b"%PDF-1.7\n garbage", "scan.pdf")
    assert page.status == 422
    assert "PDF is damaged" in slot_error(page, "passport_page")


def test_format_not_accepted_for_this_material(app, client, journey):
    journey.start()
    page = journey.upload("id_photo", pdf_bytes(), "photo.pdf")  # id_photo takes JPEG/PNG only
    assert page.status == 415
    assert slot_error(page, "id_photo")
    assert _stored(app, journey.reference, "id_photo") == []


def test_oversize_file_is_refused_with_413_and_page_kept(app, client, journey):
    app.config["UPLOAD_MAX_BYTES"] = 200 * 1024
    journey.start()
    big = jpeg_bytes(size=(2500, 2500)) + b"\0" * (300 * 1024)
    page = journey.upload("passport_page", big, "huge.jpg")
    assert page.status == 413
    assert "larger than" in slot_error(page, "passport_page")
    assert page.one("h1").text == "Photos of your materials"


def test_body_over_hard_limit_is_413_page_not_500(app, client, journey):
    journey.start()
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    page = journey.upload("passport_page", b"\xff\xd8\xff" + b"0" * (200 * 1024), "huge.jpg")
    assert page.status == 413
    assert "larger than" in slot_error(page, "passport_page")
    assert page.one("h1").text == "Photos of your materials"


def test_decompression_bomb_is_refused(app, client, journey):
    app.config["PHOTO_MAX_PIXELS"] = 1_000_000
    journey.start()
    page = journey.upload("passport_page", jpeg_bytes(size=(2000, 2000)), "big.jpg")
    assert page.status == 422
    assert "too many pixels" in slot_error(page, "passport_page")


def test_slot_limit_and_remove_to_replace(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    page = journey.upload("passport_page", jpeg_bytes())
    assert page.status == 409
    assert "Remove one to replace it" in slot_error(page, "passport_page")
    [row] = _stored(app, journey.reference, "passport_page")
    url = f"/en/cases/{journey.reference}/materials/passport_page/files/{row.id}/remove"
    page = client.submit(url, {}, csrf_from=f"/en/cases/{journey.reference}/materials")
    assert page.location == f"/en/cases/{journey.reference}/materials#m-passport_page"
    with app.app_context():
        assert not path_for(row.stored_name).exists()
    assert _stored(app, journey.reference, "passport_page") == []
    assert journey.upload("passport_page", jpeg_bytes(color=(1, 2, 3))).status == 303
    [replacement] = _stored(app, journey.reference, "passport_page")
    assert replacement.id != row.id


def test_htmx_upload_returns_only_the_slot(client, journey):
    journey.start()
    token = journey.token(f"/en/cases/{journey.reference}/materials")
    response = client.post(f"/en/cases/{journey.reference}/materials/passport_page",
                           data={"csrf_token": token, "file": (io.BytesIO(jpeg_bytes()), "p.jpg")},
                           headers={"HX-Request": "true"}, content_type="multipart/form-data")
    page = Page(response)
    assert page.status == 200
    assert "HX-Request" in page.headers["Vary"]
    # The fragment: the slot, then the summary swapped out of band; no page around them.
    top = [e for e in page.soup.find_all(recursive=False) if e.name]
    assert [e.name for e in top] == ["section", "div"]
    assert "slot" in top[0]["class"] and top[0]["id"] == "m-passport_page"
    assert page.soup.find("html") is None and page.soup.find("main") is None
    assert top[1]["id"] == "missing-summary" and top[1]["data-hx-swap-oob"] == "true"
    assert "✓ Received" in page.one("#m-passport_page .state").text
    assert "Passport photo page" not in page.texts("#missing-summary li")


def test_download_only_for_the_case_holder(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    [row] = _stored(app, journey.reference, "passport_page")
    url = f"/en/cases/{journey.reference}/files/{row.id}"
    assert url in client.page(f"/en/cases/{journey.reference}/materials").links(
        "#m-passport_page ul.files a")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert hashlib.sha256(response.data).hexdigest() == row.sha256
    # Another applicant's browser, and an anonymous one, get 404.
    other = Journey(app.test_client())
    other.start()
    other.client.page(url, status=404)
    other.client.page(f"/en/cases/{other.reference}/files/{row.id}", status=404)
    app.test_client().page(url, status=404)


def test_stored_outside_static(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    [row] = _stored(app, journey.reference, "passport_page")
    with app.app_context():
        path = path_for(row.stored_name)
    assert "static" not in path.parts
    assert path.name == row.stored_name
    assert len(row.stored_name) == 32


def _case_state(app, reference):
    """The case's version and its events, oldest first."""
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        events = list(Event.select().where(Event.case == case).order_by(Event.id))
        return case.version, events


def test_an_upload_and_a_removal_each_make_one_change_of_the_case(app, client, journey):
    """Each bumps the version and records one event for the window, which the applicant's
    own timeline leaves out."""
    journey.start()
    version, events = _case_state(app, journey.reference)
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    [row] = _stored(app, journey.reference, "passport_page")
    after_upload, upload_events = _case_state(app, journey.reference)
    assert after_upload == version + 1
    added = upload_events[len(events):]
    assert [(e.kind, e.actor, e.data) for e in added] == [
        ("file_added", "applicant", {"material": "passport_page", "upload": row.id})]

    url = f"/en/cases/{journey.reference}/materials/passport_page/files/{row.id}/remove"
    client.submit(url, {}, csrf_from=f"/en/cases/{journey.reference}/materials")
    after_removal, removal_events = _case_state(app, journey.reference)
    assert after_removal == after_upload + 1
    removed = removal_events[len(upload_events):]
    assert [(e.kind, e.actor, e.data) for e in removed] == [
        ("file_removed", "applicant", {"material": "passport_page", "upload": row.id})]

    # The window's timeline has both; the applicant's status page shows neither.
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        staff_kinds = [e.kind for e in Event.timeline(case)]
        assert "file_added" in staff_kinds and "file_removed" in staff_kinds
        assert [e.kind for e in Event.timeline(case, for_staff=False)] == ["started"]
    status = client.page(f"/en/cases/{journey.reference}")
    timeline = status.texts("ol.timeline li")
    assert len(timeline) == 1 and "You started the application" in timeline[0]
    assert not any("File added" in t or "File removed" in t for t in timeline)


def test_a_removal_of_a_file_not_in_the_slot_changes_nothing(app, client, journey):
    journey.start()
    assert journey.upload("passport_page", jpeg_bytes()).status == 303
    [row] = _stored(app, journey.reference, "passport_page")
    before = _case_state(app, journey.reference)
    # The file's id under another material's slot: nothing to remove there.
    url = f"/en/cases/{journey.reference}/materials/id_photo/files/{row.id}/remove"
    client.submit(url, {}, csrf_from=f"/en/cases/{journey.reference}/materials")
    version, events = _case_state(app, journey.reference)
    assert (version, [e.id for e in events]) == (before[0], [e.id for e in before[1]])
    assert _stored(app, journey.reference, "passport_page") == [row]


def test_control_and_bidirectional_characters_leave_file_names(app, client, journey):
    """``invoice\u202egpj.jpg`` reads as "invoicejpg.jpg" reversed: the override, zero-width
    and control characters are stripped from the kept name and from the download's."""
    from app.storage import clean_filename
    journey.start()
    name = "../in\u200bvoice\u202egpj\x07\u2066.jpg"
    assert journey.upload("passport_page", jpeg_bytes(), name).status == 303
    with app.app_context(), db.connection_context():
        upload = Upload.get(Upload.material_key == "passport_page")
    assert upload.original_name == "invoicegpj.jpg"
    answer = client.get(f"{journey.base}/files/{upload.id}")
    disposition = answer.headers["Content-Disposition"]
    assert "invoicegpj.jpg" in disposition
    assert not any(ch in disposition for ch in "\u202e\u200b\u2066\x07")
    assert "%E2%80%AE" not in disposition and "%E2%80%8B" not in disposition
    # Names kept before are cleaned by migration 13 with the same rule.
    assert clean_filename("\u202e\u202d") == "file"
    assert clean_filename("证件照 \u200e 2.jpg") == "证件照 2.jpg"
    assert clean_filename("C:\\Users\\lin\\passport.pdf") == "passport.pdf"
