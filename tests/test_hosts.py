"""No per-host state: two hosts (two apps, each with its own instance folder) on one
database and one shared data directory serve the same applicant. The session made on
one is good on the other, a resumable upload begun on one is finished on the other,
and the file is served by either. A server database without a shared key refuses to
start."""

import threading

import pytest

from app import create_app
from app.config import SharedKeyMissing, _secret_key, load_config
from app.models import Upload, db
from app.uploads.pdfclean import clean

from .conftest import Journey, pdf_bytes
from .pages import PageClient
from .uploads.test_tus import V, Tus, sha1_header


@pytest.fixture
def hosts(app, tmp_path, monkeypatch):
    """Hosts A and B: the test app's database, their own instance folders, one data
    directory; no key configured (each reads the one kept in the shared directory)."""
    monkeypatch.delenv("ONEVISIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    shared = tmp_path / "shared"

    def host(name):
        made = create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path / name),
                           "DATA_DIR": str(shared), "PUBLIC_URL": "http://onevisit.test",
                           "DATABASE_URL": app.config["DATABASE_URL"]})
        made.test_client_class = PageClient
        return made
    return host("host-a"), host("host-b"), shared


def same_browser(source, target):
    """``target`` carries ``source``'s cookies (one browser, two hosts behind a balancer)."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return target


def test_hosts_sharing_a_data_directory_share_its_key_and_its_files(hosts):
    a, b, shared = hosts
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"]
    assert (shared / "secret_key").read_text().strip() == a.config["SECRET_KEY"]
    for name in ("UPLOAD_DIR", "DOCUMENT_DIR", "OUTBOX_DIR"):
        assert a.config[name] == b.config[name] and a.config[name].startswith(str(shared))
    assert a.config["INSTANCE_DIR"] != b.config["INSTANCE_DIR"]


def test_a_journey_and_an_upload_move_between_hosts(hosts):
    a, b, _shared = hosts
    journey = Journey(a.test_client())
    assert journey.start().status == 303
    on_b = same_browser(journey.client, b.test_client())
    assert on_b.get(f"/en/cases/{journey.reference}/materials").status_code == 200

    tus = Tus(journey)
    data = pdf_bytes() + b"%" * 2000
    created = tus.create(len(data))
    assert created.status_code == 201
    url = created.headers["Location"]
    first, rest = data[:700], data[700:]
    assert tus.patch(url, first, 0).status_code == 204
    # The connection dropped; the phone resumes through the other host.
    head = on_b.head(url, headers=V)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "700"
    finished = on_b.patch(url, data=rest, headers={
        **V, "X-CSRFToken": tus.token, "Upload-Offset": "700",
        "Content-Type": "application/offset+octet-stream", "Upload-Checksum": sha1_header(rest)})
    assert finished.status_code == 204, finished.get_data(as_text=True)[:300]
    with a.app_context(), db.connection_context():
        stored = Upload.get(Upload.material_key == "passport_page")
    for client in (journey.client, on_b):
        response = client.get(f"/en/cases/{journey.reference}/files/{stored.id}")
        assert response.status_code == 200 and response.data == clean(data)[0]


def test_a_server_database_needs_a_shared_key(tmp_path, monkeypatch):
    monkeypatch.delenv("ONEVISIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ONEVISIT_DATA_DIR", raising=False)
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", "postgresql://onevisit@127.0.0.1:5432/onevisit")
    with pytest.raises(SharedKeyMissing, match="SECRET_KEY .* or ONEVISIT_DATA_DIR"):
        load_config({"INSTANCE_DIR": str(tmp_path / "host")})
    shared = load_config({"INSTANCE_DIR": str(tmp_path / "host"), "DATA_DIR": str(tmp_path / "nfs")})
    assert shared["SECRET_KEY"] == (tmp_path / "nfs" / "secret_key").read_text().strip()
    monkeypatch.setenv("ONEVISIT_SECRET_KEY", "k" * 64)
    assert load_config({"INSTANCE_DIR": str(tmp_path / "host")})["SECRET_KEY"] == "k" * 64
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{tmp_path / 'one.db'}")
    monkeypatch.delenv("ONEVISIT_SECRET_KEY")
    assert len(load_config({"INSTANCE_DIR": str(tmp_path / "one")})["SECRET_KEY"]) == 64


def test_hosts_starting_at_once_read_one_whole_key(tmp_path, monkeypatch):
    monkeypatch.delenv("ONEVISIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    keys, start = [], threading.Barrier(8)

    def boot():
        start.wait()
        keys.append(_secret_key(tmp_path / "shared"))
    threads = [threading.Thread(target=boot) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert [p.name for p in (tmp_path / "shared").iterdir()] == ["secret_key"]


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_client_address_is_believed_only_from_the_configured_proxies(app, tmp_path, proxies):
    from .test_shared_services import FIND, WRONG, host
    client = host(app, tmp_path, "lb", TRUSTED_PROXIES=proxies,
                  FIND_CASE_RATE_LIMIT="2 per hour").test_client()

    def attempt(forwarded):
        token = client.page(FIND).csrf()
        return client.post(FIND, data=dict(WRONG, csrf_token=token),
                           headers={"X-Forwarded-For": forwarded}).status_code
    # The client claims 198.51.100.7; the proxy appended the address it saw.
    seen = [attempt("198.51.100.7, 203.0.113.1") for _ in range(3)]
    assert seen == [422, 422, 429]
    other = attempt("198.51.100.7, 203.0.113.2")
    assert other == (422 if proxies else 429), (
        "another client behind the proxy has its own count" if proxies
        else "without a trusted proxy, the header is not believed at all")


def test_every_process_of_a_data_directory_links_to_the_same_address(tmp_path, monkeypatch):
    """Issue 15, part 16: `flask send-reminders` run in another terminal linked to port
    8000 while the server ran on another, because only the run command's children knew
    the address. The run command keeps it in the data directory (`flask public-url`);
    every process reads it there unless ONEVISIT_PUBLIC_URL says otherwise."""
    import os
    import subprocess
    import sys
    monkeypatch.delenv("ONEVISIT_PUBLIC_URL", raising=False)
    env = {k: v for k, v in os.environ.items() if k != "ONEVISIT_PUBLIC_URL"}
    env.update(ONEVISIT_INSTANCE_DIR=str(tmp_path), FLASK_APP="wsgi.py", ONEVISIT_SECRET_KEY="x")
    flask = [sys.executable, "-m", "flask"]
    kept = subprocess.run(flask + ["public-url", "http://127.0.0.1:8123/"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert kept.returncode == 0 and "public URL: http://127.0.0.1:8123" in kept.stdout
    probe = "from app import create_app; print(create_app().config['PUBLIC_URL'])"
    seen = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=60)
    assert seen.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123"
    told = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=dict(env, ONEVISIT_PUBLIC_URL="https://onevisit.example",
                                   ONEVISIT_UPLOAD_SCAN="off"), timeout=60)
    assert told.stdout.strip().splitlines()[-1] == "https://onevisit.example", "the setting wins"
    refused = subprocess.run(flask + ["public-url", "javascript:alert(1)"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "not an http(s) URL" in refused.stderr
