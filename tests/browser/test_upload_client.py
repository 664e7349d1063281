"""The resumable upload client (static/upload.js) in a real browser.

Photos are made ~2 MP JPEGs in the browser and sent to /files/ (tus) in chunks
of at most 256 KiB; PDFs go unchanged; drops and reloads are resumed; a
refusal from the server is shown in the slot.
"""

import hashlib
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from app.models import Upload, db
from tests.conftest import pdf_bytes

from .test_journey_browser import fill_start, fill_steps, open_guide_from_home

pytestmark = pytest.mark.browser

CHUNK = 256 * 1024
TIMEOUT_MS = 10_000
UPLOAD_TIMEOUT_MS = 30_000


def big_photo(path, noise=0):
    """A 4000x3000 (12 MP) JPEG; ``noise`` makes it compress badly (several chunks)."""
    size = (4000, 3000)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(image, Image.new("RGB", size, (120, 40, 60)), 0.6)
    if noise:
        image = Image.blend(image, Image.effect_noise(size, noise).convert("RGB"), 0.7)
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 250, 3700, 2750), outline=(30, 30, 30), width=20)
    image.save(path, "JPEG", quality=88)
    return path


class Net:
    """Every request to /files/ the page makes, in order."""

    def __init__(self, page):
        self.requests = []
        page.on("request", self._seen)

    def _seen(self, request):
        if "/files/" in request.url:
            self.requests.append(request)

    def of(self, method):
        return [r for r in self.requests if r.method == method]


@pytest.fixture
def materials(browser, live_server):
    """A driving-licence case on its materials page, JavaScript on; yields (context, page)."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Rome",
                                  viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # Failed requests (aborted on purpose, or refused with 4xx) are logged by the
    # browser itself; anything else on the console is a fault of the page.
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text
            and "net::" not in m.text else None)
    open_guide_from_home(page, live_server)
    page.get_by_role("link", name="Start your application").first.click()
    fill_start(page)
    fill_steps(page, live_server)
    expect(page).to_have_url(re.compile(r"/en/cases/OV-[\d-]+/materials$"))
    try:
        yield context, page
        assert problems == []
    finally:
        context.close()


def stored(live_server, key):
    with live_server.app.app_context(), db.connection_context():
        return Upload.get((Upload.material_key == key) & (Upload.removed == False))  # noqa: E712


# What upload.js says when the form carries no data-msg-* text of its own.
ENGLISH = {"retry": "Connection lost — will retry in {s} s", "done": "Received"}


def message(page, key, name):
    """A status text of the upload client as the slot's form provides it."""
    text = page.locator(f"#m-{key} form.upload-form").get_attribute(f"data-msg-{name}")
    return text or ENGLISH[name]


def choose_and_upload(page, key, path):
    page.set_input_files(f"#file-{key}", str(path))
    page.locator(f"#m-{key}").get_by_role("button", name="Upload").click()


def expect_received(page, key, name):
    slot = page.locator(f"#m-{key}")
    expect(slot.locator(".state")).to_contain_text("Received", timeout=UPLOAD_TIMEOUT_MS)
    expect(slot.locator(".files")).to_contain_text(name)


def parts(net):
    """The requests that carried a part of a file: POSTs (creation with upload: the first
    chunk) and PATCHes."""
    return [r for r in net.of("POST") + net.of("PATCH") if r.post_data_buffer]


def assert_patches_well_formed(net):
    sent = parts(net)
    assert sent
    for request in sent:
        body = request.post_data_buffer or b""
        assert len(body) <= CHUNK
        assert request.headers["content-type"] == "application/offset+octet-stream"
        assert request.headers["tus-resumable"] == "1.0.0"
        assert request.headers["upload-checksum"].startswith("sha1 ")


def test_photos_are_downscaled_and_sent_in_chunks(materials, live_server, tmp_path):
    context, page = materials
    net = Net(page)
    forms = []
    page.on("request", lambda r: forms.append(r) if "/materials/" in r.url
            and r.method == "POST" else None)
    # The slot refreshes are held until all three photos are in, so that they
    # overlap (htmx must not drop one of them).
    held = []

    def hold(route):
        return route.continue_() if held is None else held.append(route)

    context.route("**/slot", hold)
    path = big_photo(tmp_path / "passport.jpg")
    keys = ("passport_page", "driving_licence", "id_photo")
    for key in keys:  # three slots at once
        choose_and_upload(page, key, path)
    for key in keys:
        expect(page.locator(f"#m-{key} .upstat p")).to_have_text(
            message(page, key, "done"), timeout=UPLOAD_TIMEOUT_MS)
    routes, held = held, None
    for route in routes:
        route.continue_()
    for key in keys:
        expect_received(page, key, "passport.jpg")
    assert forms == [], "the form's own multipart POST (htmx) fired as well"
    creates = net.of("POST")
    assert len(creates) == 3 and all(r.url.endswith("/files/") for r in creates)
    assert_patches_well_formed(net)
    for create in creates:
        assert create.headers["x-csrftoken"]
        length = int(create.headers["upload-length"])
        assert length < path.stat().st_size
        url = create.response().headers["location"]
        sent = [r for r in net.of("PATCH") if r.url.endswith(url)]
        first = (length - 1) % CHUNK + 1
        assert len(create.post_data_buffer) == first, "the POST carries the odd first part"
        assert create.response().headers["upload-offset"] == str(first)
        assert first + sum(len(r.post_data_buffer or b"") for r in sent) == length
    for key in keys:
        upload = stored(live_server, key)
        assert upload.width * upload.height <= 2_000_000
        assert upload.width / upload.height == pytest.approx(4 / 3, rel=0.01)
        assert upload.original_name == "passport.jpg"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ov-tus:'))") == []


def test_pdf_is_sent_unchanged_and_a_damaged_chunk_is_sent_again(materials, live_server,
                                                                   tmp_path):
    context, page = materials
    net = Net(page)
    damaged = []

    def damage_first_part(route):
        # One bit flipped on the way: the checksum no longer matches, so the POST that
        # created the upload kept none of it (Upload-Offset: 0).
        if route.request.method in ("POST", "PATCH") and not damaged:
            body = bytearray(route.request.post_data_buffer)
            body[-1] ^= 1
            damaged.append(route.request)
            return route.continue_(post_data=bytes(body))
        return route.continue_()

    context.route("**/files/*", damage_first_part)
    path = tmp_path / "licence scan.pdf"
    path.write_bytes(pdf_bytes())
    choose_and_upload(page, "driving_licence", path)
    expect_received(page, "driving_licence", "licence scan.pdf")
    assert int(net.of("POST")[0].headers["upload-length"]) == path.stat().st_size
    assert net.of("POST")[0].response().headers["upload-offset"] == "0"
    assert [r.headers["upload-offset"] for r in net.of("PATCH")] == ["0"]
    assert net.of("PATCH")[0].post_data_buffer == path.read_bytes()
    assert_patches_well_formed(net)
    upload = stored(live_server, "driving_licence")
    # Sent unchanged; kept as the server cleans every PDF (app/uploads/pdfclean.py).
    from app.uploads.pdfclean import clean
    assert upload.sha256 == hashlib.sha256(clean(path.read_bytes())[0]).hexdigest()
    assert upload.content_type == "application/pdf"


def test_resumes_after_a_dropped_connection(materials, live_server, tmp_path):
    context, page = materials
    net = Net(page)
    patches = []

    def drop_second_patch(route):
        if route.request.method == "PATCH":
            patches.append(route.request)
            if len(patches) == 2:
                return route.abort()
        return route.continue_()

    context.route("**/files/*", drop_second_patch)
    path = big_photo(tmp_path / "licence.jpg", noise=80)
    choose_and_upload(page, "driving_licence", path)
    expect_received(page, "driving_licence", "licence.jpg")
    assert len(net.of("POST")) == 1
    assert net.of("HEAD"), "no HEAD before resuming"
    length = int(net.of("POST")[0].headers["upload-length"])
    assert length > 2 * CHUNK, "the photo must need several chunks for this test"
    # The dropped chunk (the second PATCH: the POST carried the odd first part) was sent
    # again at the same offset.
    first = (length - 1) % CHUNK + 1
    offsets = [int(r.headers["upload-offset"]) for r in patches]
    assert offsets[0] == first and offsets[1] == offsets[2] == first + CHUNK
    assert_patches_well_formed(net)
    upload = stored(live_server, "driving_licence")
    assert upload.width * upload.height <= 2_000_000


def test_resumes_after_a_reload(materials, live_server, tmp_path):
    context, page = materials
    patches = []

    lengths = []

    def only_first_patch(route):
        if route.request.method == "POST":
            lengths.append(int(route.request.headers["upload-length"]))
        if route.request.method == "PATCH":
            patches.append(route.request)
            if len(patches) > 1:
                return route.abort()
        return route.continue_()

    context.route("**/files/*", only_first_patch)
    path = big_photo(tmp_path / "medical.jpg", noise=80)
    choose_and_upload(page, "medical_certificate", path)
    status = page.locator("#m-medical_certificate .upstat p")
    retry = message(page, "medical_certificate", "retry")
    expect(status).to_have_text(re.compile(
        re.escape(retry).replace(re.escape("{s}"), r"\d+")))
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ov-tus:'))")
    page.reload()
    context.unroute("**/files/*")

    net = Net(page)
    choose_and_upload(page, "medical_certificate", path)
    expect_received(page, "medical_certificate", "medical.jpg")
    assert net.of("POST") == [], "a new upload was created instead of resuming"
    assert net.of("HEAD")
    first = net.of("PATCH")[0]
    [length] = lengths  # one upload, created before the reload
    assert int(first.headers["upload-offset"]) == (length - 1) % CHUNK + 1 + CHUNK
    assert_patches_well_formed(net)
    upload = stored(live_server, "medical_certificate")
    assert upload.width * upload.height <= 2_000_000
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ov-tus:'))") == []


def test_a_refusal_from_the_server_is_shown_in_the_slot(materials, live_server, tmp_path):
    _context, page = materials
    net = Net(page)
    path = tmp_path / "not-a-photo.jpg"
    path.write_bytes(b"<!doctype html><title>x</title><p>Not a picture at all</p>" * 20)
    choose_and_upload(page, "passport_page", path)
    slot = page.locator("#m-passport_page")
    status = slot.locator(".upstat .error")
    expect(status).to_have_text(
        "This file is not a photo or PDF we can accept. Accepted here: JPEG, PNG, PDF.",
        timeout=UPLOAD_TIMEOUT_MS)
    # Sent as it was: decoding failed, so nothing was re-encoded.
    assert int(net.of("POST")[0].headers["upload-length"]) == path.stat().st_size
    # Small enough to go whole with the POST that creates the upload.
    assert net.of("PATCH") == []
    assert (net.of("POST")[-1].post_data_buffer or b"").startswith(b"<!doctype html>")
    # A file we refuse is 422 (415 stays for a PATCH sent with the wrong content type).
    assert net.of("POST")[-1].response().status == 422
    expect(slot.locator(".state")).to_contain_text("Missing")
    expect(slot.get_by_role("button", name="Upload")).to_be_enabled()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ov-tus:'))") == []


def test_a_finished_upload_left_in_storage_is_not_deleted(materials, live_server, tmp_path):
    """A finished upload still remembered by the browser (its last answer lost, then the
    page reloaded) is not DELETEd when another file is sent: that would take the file
    the slot shows off the case."""
    _context, page = materials
    net = Net(page)
    first = tmp_path / "licence front.pdf"
    first.write_bytes(pdf_bytes())
    choose_and_upload(page, "driving_licence", first)
    expect_received(page, "driving_licence", "licence front.pdf")
    finished = net.of("POST")[0].response().headers["location"]
    form = page.locator("#m-driving_licence form.upload-form")
    key = f"ov-tus:{form.get_attribute('data-case')}:driving_licence"
    page.evaluate("([k, url]) => localStorage.setItem(k, JSON.stringify({url: url, size: 1, "
                  "name: 'licence front.pdf', lastModified: 0, sum: ''}))", [key, finished])
    second = tmp_path / "licence back.pdf"
    second.write_bytes(pdf_bytes() + b"%back")
    choose_and_upload(page, "driving_licence", second)
    expect_received(page, "driving_licence", "licence back.pdf")
    page.wait_for_timeout(500)  # a DELETE sent after the HEAD would have gone by now
    assert [r.url for r in net.of("HEAD")] == [live_server + finished]
    assert net.of("DELETE") == []
    with live_server.app.app_context(), db.connection_context():
        kept = Upload.select().where((Upload.material_key == "driving_licence")
                                     & (Upload.removed == False))  # noqa: E712
        assert sorted(u.original_name for u in kept) == ["licence back.pdf",
                                                         "licence front.pdf"]
