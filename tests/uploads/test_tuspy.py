"""A tus client we did not write (tuspy) uploads through /files/, cut and resumed."""

import hashlib
import io
import random
import re
import threading

import pytest
import requests
from tusclient import client as tus_client
from werkzeug.serving import make_server

from app.models import Upload, db
from app.sandbox import create_sandbox_app
from app.uploads.pdfclean import clean

from ..conftest import pdf_bytes
from ..pages import Page


@pytest.fixture
def server(tmp_path):
    app = create_sandbox_app(tmp_path, SECRET_KEY="tuspy-secret")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


class Answer:
    """A ``requests`` response as :class:`~tests.pages.Page` reads one."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.text = response.text

    def get_data(self, as_text=False):
        return self.text


def start_case(base):
    """An applicant's browser session with a draft driving-licence case."""
    session = requests.Session()
    page = Page(Answer(session.get(f"{base}/en/services/JJ-JZ-001/apply")))
    assert page.status == 200
    form = page.form_data("#journey-form")
    response = Page(Answer(session.post(
        f"{base}/en/services/JJ-JZ-001/apply", allow_redirects=False,
        data=dict(form, email="a@example.it", language="en", country="IT", city="Prato"))))
    assert response.status == 303
    reference = re.search(r"/cases/(OV-[\d-]+)/", response.location).group(1)
    return session, reference, form["csrf_token"]


def test_tuspy_upload_cut_at_random_offsets_and_resumed(server):
    app, base = server
    session, reference, token = start_case(base)
    data = pdf_bytes() + bytes(random.Random(7).getrandbits(8) for _ in range(700_000))
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    headers = {"Cookie": cookie, "X-CSRFToken": token}
    metadata = {"case": reference, "material": "passport_page", "filename": "scan.pdf",
                "lang": "en"}
    rng = random.Random(2026)
    url = None
    cuts = 0
    while True:
        client = tus_client.TusClient(f"{base}/files/", headers=headers)
        # Every connection uses another chunk size: the cuts fall at random offsets.
        uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=rng.randint(20_000, 200_000),
                                   metadata=metadata, url=url)
        if url is None:
            uploader.set_url(uploader.create_url())  # the creation request
        url = uploader.url
        uploader.offset = uploader.get_offset()  # resume where the server stopped (HEAD)
        assert uploader.offset > 0 or cuts == 0
        for _ in range(rng.randint(1, 3)):
            if uploader.offset >= len(data):
                break
            uploader.upload_chunk()
        if uploader.offset >= len(data):
            break
        cuts += 1
    assert cuts >= 2
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
    kept = clean(data)[0]  # the PDF as cleaned
    assert stored.sha256 == hashlib.sha256(kept).hexdigest()
    assert stored.size == len(kept)
