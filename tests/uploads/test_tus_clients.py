"""/files/ as clients we did not write use it, over real HTTP: tus-js-client (npm) with
its default settings, and a PATCH whose connection is cut in the middle of its body."""

import base64
import hashlib
import json
import random
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from app.models import TusUpload, Upload, db
from app.uploads.pdfclean import clean

from ..conftest import pdf_bytes
from .test_tus import meta
from .test_tuspy import server, start_case  # noqa: F401  (the live server fixture)

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
V = {"Tus-Resumable": "1.0.0"}


def _node():
    node = shutil.which("node")
    if node is None or not (CLIENTS / "node_modules" / "tus-js-client").is_dir():
        pytest.fail("tus-js-client is not installed: run `npm ci --prefix tests/clients` "
                    "(WITH_DEV=1 scripts/setup.sh does) with Node 18 or later")
    return node


def _browser(base):
    session, reference, token = start_case(base)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return session, reference, {"Cookie": cookie, "X-CSRFToken": token}


def test_tus_js_client_with_default_settings_uploads_a_5_mb_pdf(server, tmp_path):  # noqa: F811
    app, base = server
    session, reference, headers = _browser(base)
    data = pdf_bytes() + b"%" + random.Random(5).randbytes(5 * 1024 * 1024)
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    metadata = {"case": reference, "material": "passport_page", "filename": "scan.pdf",
                "lang": "en"}
    run = subprocess.run([_node(), str(CLIENTS / "upload.mjs"), f"{base}/files/", str(path),
                          json.dumps(headers), json.dumps(metadata)],
                         capture_output=True, text=True, timeout=120, cwd=CLIENTS)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # One creation, then the whole file in one PATCH (the client's default).
    assert result["requests"] == ["POST", "PATCH"]
    assert result["url"].startswith(f"{base}/files/")
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
    assert stored.sha256 == hashlib.sha256(clean(data)[0]).hexdigest()
    # The file is on the case: the applicant downloads the same bytes.
    kept = session.get(f"{base}/en/cases/{reference}/files/{stored.id}")
    assert kept.status_code == 200 and kept.content == clean(data)[0]


def _cut_patch(base, url, headers, body, sent, method="PATCH", **extra):
    """A PATCH (or a creation POST with upload) declaring ``len(body)`` bytes whose
    connection closes after ``sent``."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"{method} {url} HTTP/1.1", f"Host: {host}:{port}", "Tus-Resumable: 1.0.0",
             "Content-Type: application/offset+octet-stream", f"Content-Length: {len(body)}"]
    lines += ["Upload-Offset: 0"] if method == "PATCH" else []
    lines += [f"{k}: {v}" for k, v in {**headers, **extra}.items()]
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[:sent])
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(10)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass


def _offset(base, url, headers):
    return int(requests.head(base + url, headers={**V, **headers}).headers["Upload-Offset"])


def test_the_bytes_of_a_cut_patch_are_kept_and_the_upload_resumes(server):  # noqa: F811
    app, base = server
    session, reference, headers = _browser(base)
    data = pdf_bytes() + b"%" + random.Random(9).randbytes(600_000)
    metadata = meta(case=reference, material="passport_page", filename="scan.pdf", lang="en")

    def create():
        response = session.post(f"{base}/files/", headers={
            **V, "X-CSRFToken": headers["X-CSRFToken"], "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata})
        assert response.status_code == 201, response.text
        return response.headers["Location"]

    # With a checksum, a cut body cannot be checked: nothing of it is kept.
    checked = create()
    sha1 = base64.b64encode(hashlib.sha1(data).digest()).decode()
    _cut_patch(base, checked, headers, data, 250_000, **{"Upload-Checksum": f"sha1 {sha1}"})
    assert _offset(base, checked, headers) == 0
    # Without one, what arrived is kept and the client resumes from there.
    url = create()
    _cut_patch(base, url, headers, data, 250_000)
    offset = _offset(base, url, headers)
    assert offset == 250_000
    rest = session.patch(base + url, data=data[offset:], headers={
        **V, "X-CSRFToken": headers["X-CSRFToken"], "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream"})
    assert rest.status_code == 204, rest.text
    with app.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
    assert stored.sha256 == hashlib.sha256(clean(data)[0]).hexdigest()


def test_a_cut_creation_with_upload_leaves_no_upload_behind(server):  # noqa: F811
    """The client of a POST cut short never learnt the new upload's address: nothing of it
    is kept, so lost POSTs on a bad link never fill the case's open uploads."""
    app, base = server
    _session, reference, headers = _browser(base)
    data = pdf_bytes() + b"%" + random.Random(11).randbytes(300_000)
    metadata = meta(case=reference, material="passport_page", filename="scan.pdf", lang="en")
    sha1 = base64.b64encode(hashlib.sha1(data).digest()).decode()
    for extra in ({"Upload-Checksum": f"sha1 {sha1}"}, {}):
        _cut_patch(base, "/files/", headers, data, 100_000, method="POST",
                   **{"Upload-Length": str(len(data)), "Upload-Metadata": metadata}, **extra)
    with app.app_context(), db.connection_context():
        assert TusUpload.select().count() == 0
