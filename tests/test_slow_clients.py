"""Slow clients on the README's run command (gunicorn alone, ``app/slowclients.py``).

An applicant's phone that sends the start of an upload and goes quiet must not take
the threads that pages, forms and ``/healthz`` need: uploads beyond their slots are
refused at once (503, ``Retry-After``), a quiet body ends with 408 after
``BODY_IDLE_S``, and the upload then resumes from what arrived.
"""

import io
import os
import time

import requests

from app.uploads.resumable import PIECE

from .conftest import Journey, pdf_bytes
from .pages import Page
from .topology import Browser, OneHost, stall_uploads
from .uploads.test_tus import V, sha1_header


def answer_of(sock, seconds):
    """What the server wrote on a raw socket within ``seconds`` (None: nothing yet)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(4096)
    except TimeoutError:
        return None


def test_stalled_uploads_leave_pages_and_forms_answering(tmp_path):
    host = OneHost(tmp_path, UPLOAD_SLOTS=2, FORM_SLOTS=2, BODY_IDLE_S=3).start()
    try:
        held = stall_uploads(host.url, 8)
        started = time.monotonic()
        # Pages answer at once while the uploads stall: the 2 workers' upload slots are
        # taken, gunicorn's other threads are free.
        for _ in range(10):
            t0 = time.monotonic()
            assert requests.get(host.url + "/healthz", timeout=10).status_code == 200
            assert time.monotonic() - t0 < 2
        # So do forms (they have slots of their own): another applicant starts a case.
        assert Journey(Browser(host.url)).start().status == 303

        # The uploads beyond the slots were refused at once, before their body was read.
        answers = [answer_of(stalled.sock, 0.3) for stalled in held]
        refused = [a for a in answers if a and a.startswith(b"HTTP/1.1 503")]
        assert len(refused) >= 4, answers
        assert all(b"\r\nRetry-After: 5\r\n" in a for a in refused), refused

        # The ones that got a slot end with 408 once their body was quiet for 3 s.
        waiting = [stalled for stalled, a in zip(held, answers) if a is None]
        assert 1 <= len(waiting) <= 4, answers
        for stalled in waiting:
            answer = answer_of(stalled.sock, 10)
            assert answer and answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < 10

        # Each upload resumes where the server stands (what arrived is kept in 64 KB
        # pieces: these 100 bytes never filled one) and finishes.
        data = pdf_bytes()
        data += b"%" * (1_000_000 - len(data))
        for stalled in held:
            stalled.sock.close()
            assert stalled.phone.head(stalled.path, headers=V).headers["Upload-Offset"] == "0"
            done = stalled.phone.patch(stalled.path, data, {
                **V, "X-CSRFToken": stalled.token, "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Checksum": sha1_header(data)})
            assert done.status_code == 204, done.get_data(as_text=True)[:300]
    finally:
        host.stop()


def test_a_quiet_patch_keeps_what_arrived_and_resumes_from_there(tmp_path):
    """One PATCH carrying a whole file (tus-js-client's default) goes quiet on the way:
    408, and the pieces that arrived whole are kept, so the client resumes from them."""
    host = OneHost(tmp_path, BODY_IDLE_S=2).start()
    try:
        [stalled] = stall_uploads(host.url, 1)
        stalled.sock.sendall(b"%" * (200_000 - 100))  # then nothing more
        answer = answer_of(stalled.sock, 10)
        assert answer and answer.startswith(b"HTTP/1.1 408"), answer
        assert b"\r\nTus-Resumable: 1.0.0\r\n" in answer
        stalled.sock.close()
        offset = int(stalled.phone.head(stalled.path, headers=V).headers["Upload-Offset"])
        assert offset == 200_000 // PIECE * PIECE
        more = stalled.phone.patch(stalled.path, b"%" * 1000, {
            **V, "X-CSRFToken": stalled.token, "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream"})
        assert more.status_code == 204 and more.headers["Upload-Offset"] == str(offset + 1000)
    finally:
        host.stop()


def noisy_photo() -> bytes:
    """A photo that does not compress to a few KB (a real one's size)."""
    from PIL import Image
    out = io.BytesIO()
    Image.frombytes("RGB", (500, 400), os.urandom(500 * 400 * 3)).save(out, "JPEG")
    return out.getvalue()


class AllTaken:
    """Every slot of one kind taken, as by stalled clients, until the block ends."""

    def __init__(self, app, kind):
        self.slots = app.extensions["body_slots"][kind]
        self.taken = 0

    def __enter__(self):
        while self.slots.take():
            self.taken += 1
        return self

    def __exit__(self, *exc):
        for _ in range(self.taken):
            self.slots.give_back()


def test_a_form_without_a_free_slot_is_refused_in_the_page_language(app, client):
    journey = Journey(client, lang="fr")
    assert journey.start().status == 303
    photo = noisy_photo()
    assert len(photo) > 64 * 1024  # an upload, not a form
    with AllTaken(app, "form"):
        refused = Page(client.post("/fr/services/JJ-JZ-001/apply", data={"x": "y"}))
        # Uploads have slots of their own: stalled forms do not stop them.
        assert journey.upload("passport_page", photo).status == 303
    assert refused.status == 503
    assert refused.response.headers["Retry-After"] == "5"
    assert refused.title.startswith("Occupé pour un instant")
    assert "envoyez de nouveau la page" in refused.text

    with AllTaken(app, "upload"):
        refused = journey.upload("driving_licence", photo)
        assert journey.defer("medical_certificate").status == 303  # forms go on
    assert refused.status == 503
    assert journey.upload("driving_licence", photo).status == 303  # sent again: taken
