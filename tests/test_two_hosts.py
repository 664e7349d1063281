"""Two gunicorn hosts on one PostgreSQL, one Redis and one data directory, behind Debian's
nginx (``deploy/nginx.conf``, round robin): what an applicant does moves freely between
them, and one host killed mid-journey leaves the journey to finish on the other.

Everything is started here, on loopback, and stopped afterwards: the run's PostgreSQL
cluster and Redis (``tests/pgcluster.py``, ``tests/redisserver.py``), two gunicorn
processes as ``scripts/run.sh`` starts them, and an unprivileged nginx of the test's own.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
import requests

from app.sandbox import create_sandbox_app

from .conftest import ROOT, Journey, fill_driving_licence, jpeg_bytes, pdf_bytes
from .pages import Page
from .uploads.test_tus import V, meta, sha1_header

FIND = "/en/cases/find"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, what: str, process=None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not answer {url} within {seconds} s")


class Response:
    """A ``requests`` answer read like a Flask test response (for ``Page``/``Journey``)."""

    def __init__(self, answer):
        self.answer = answer
        self.status_code = answer.status_code
        self.headers = answer.headers
        self.data = answer.content

    def get_data(self, as_text=False):
        return self.answer.text if as_text else self.answer.content


class Browser:
    """One phone's cookies over HTTP, through ``base`` (nginx, or one host directly)."""

    def __init__(self, base, session=None):
        self.base = base
        self.session = session or requests.Session()

    def at(self, base) -> "Browser":
        """The same browser (same cookies) talking to another address."""
        return Browser(base, self.session)

    def get(self, url, headers=None, **_kwargs):
        return Response(self.session.get(self.base + url, headers=headers,
                                         allow_redirects=False, timeout=30))

    def head(self, url, headers=None):
        return Response(self.session.head(self.base + url, headers=headers, timeout=30))

    def post(self, url, data=None, headers=None, content_type=None, **_kwargs):
        data = dict(data or {})
        files = {k: (v[1], v[0].read()) for k, v in data.items() if isinstance(v, tuple)}
        form = {k: v for k, v in data.items() if not isinstance(v, tuple) and v is not None}
        return Response(self.session.post(self.base + url, data=form, files=files or None,
                                          headers=headers, allow_redirects=False, timeout=30))

    def patch(self, url, data=b"", headers=None):
        return Response(self.session.patch(self.base + url, data=data, headers=headers,
                                           timeout=30))


class Deployment:
    """Hosts A and B, and nginx in front of them."""

    def __init__(self, database_url, redis_url, directory):
        self.directory = directory
        self.shared = os.path.join(directory, "shared")
        self.ports = {"a": _port(), "b": _port()}
        self.hosts = {}
        self.env = dict(os.environ, ONEVISIT_DATABASE_URL=database_url,
                        ONEVISIT_DATA_DIR=self.shared, ONEVISIT_HUEY_REDIS_URL=redis_url,
                        ONEVISIT_RATELIMIT_STORAGE_URI=redis_url.replace("/0", "/1"),
                        ONEVISIT_TRUSTED_PROXIES="1", ONEVISIT_HUEY_IMMEDIATE="",
                        ONEVISIT_FIND_CASE_RATE_LIMIT="4 per hour")
        for name in ("ONEVISIT_SECRET_KEY", "SECRET_KEY"):
            self.env.pop(name, None)
        self.nginx = None
        self.port = _port()

    def url(self, host=None) -> str:
        return f"http://127.0.0.1:{self.ports[host] if host else self.port}"

    def start_host(self, name):
        env = dict(self.env, ONEVISIT_INSTANCE_DIR=os.path.join(self.directory, f"host-{name}"),
                   ONEVISIT_PUBLIC_URL=self.url())
        log = open(os.path.join(self.directory, f"host-{name}.log"), "wb")
        self.hosts[name] = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "--workers", "1",
             "--bind", f"127.0.0.1:{self.ports[name]}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait_for(self.url(name) + "/healthz", f"host {name}", self.hosts[name])

    def start_nginx(self):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            pytest.fail("nginx was not found: install Debian's nginx-light "
                        "(scripts/setup.sh does when root)", pytrace=False)
        run = tempfile.mkdtemp(prefix="onevisit-nginx-")
        os.chmod(run, 0o755)
        self.run_dir = run
        config = (ROOT / "deploy" / "nginx.conf").read_text()
        for key, value in {"@RUNDIR@": run, "@PORT_A@": str(self.ports["a"]),
                           "@PORT_B@": str(self.ports["b"]), "@PORT@": str(self.port)}.items():
            config = config.replace(key, value)
        path = os.path.join(run, "nginx.conf")
        with open(path, "w") as fh:
            fh.write(config)
        self.nginx = subprocess.Popen([binary, "-c", path, "-p", run, "-e",
                                       os.path.join(run, "error.log"), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(self.url() + "/healthz", "nginx", self.nginx)

    def served(self, name) -> int:
        """How many requests host ``name`` logged."""
        with open(os.path.join(self.directory, f"host-{name}.log"), "rb") as fh:
            return len(re.findall(rb'" \d{3} ', fh.read()))

    def kill(self, name):
        self.hosts[name].send_signal(signal.SIGKILL)
        self.hosts[name].wait(timeout=10)

    def stop(self):
        for process in [self.nginx, *self.hosts.values()]:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if getattr(self, "run_dir", None):
            shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def deployment(postgres, redis_server, tmp_path):
    name = f"two_hosts_{tmp_path.name}".lower().replace("-", "_")[:60]
    url = postgres.create(name)
    create_sandbox_app(tmp_path / "setup", SECRET_KEY="unused", DATABASE_URL=url)
    from .conftest import release_connections
    release_connections()
    import redis
    redis.Redis.from_url(redis_server.url).flushall()
    made = Deployment(url, redis_server.url, str(tmp_path))
    try:
        made.start_host("a")
        made.start_host("b")
        made.start_nginx()
        yield made
    finally:
        made.stop()
        postgres.drop(name)


def test_two_hosts_behind_nginx_share_everything_and_survive_one_dying(deployment):
    phone = Browser(deployment.url())
    journey = Journey(phone)
    assert journey.start().status == 303
    base = journey.base

    # A resumable upload begun on host A, finished on host B; the file then served by both.
    on_a, on_b = phone.at(deployment.url("a")), phone.at(deployment.url("b"))
    token = Page(on_a.get(f"{base}/materials")).csrf()
    data = pdf_bytes() + b"%" * 3000
    created = on_a.post("/files/", headers={**V, "X-CSRFToken": token,
                                            "Upload-Length": str(len(data)),
                                            "Upload-Metadata": meta(
                                                case=journey.reference,
                                                material="passport_page",
                                                filename="scan.pdf", lang="en")})
    assert created.status_code == 201, created.get_data(as_text=True)[:300]
    upload_url = created.headers["Location"]
    first, rest = data[:1000], data[1000:]
    chunk = {**V, "X-CSRFToken": token, "Content-Type": "application/offset+octet-stream"}
    assert on_a.patch(upload_url, first, {**chunk, "Upload-Offset": "0"}).status_code == 204
    assert on_b.head(upload_url, headers=V).headers["Upload-Offset"] == "1000"
    done = on_b.patch(upload_url, rest, {**chunk, "Upload-Offset": "1000",
                                         "Upload-Checksum": sha1_header(rest)})
    assert done.status_code == 204, done.get_data(as_text=True)[:300]
    status = Page(on_b.get(base))
    links = [link for link in status.links() if "/files/" in link]
    assert links, "the status page lists the uploaded file"
    for host in (on_a, on_b):
        answer = host.get(links[0])
        assert answer.status_code == 200 and answer.data == data

    # The find-case limit holds across both hosts, whatever the client claims to be.
    statuses = []
    for attempt in range(5):
        stranger = Browser(deployment.url())
        page = Page(stranger.get(FIND))
        statuses.append(stranger.post(FIND, data={
            "csrf_token": page.csrf(), "reference": journey.reference, "code": "AAAA-AAAA"},
            headers={"X-Forwarded-For": f"203.0.113.{attempt}"}).status_code)
    assert statuses == [422, 422, 422, 422, 429]

    # The journey goes on through nginx; host A dies half-way; host B finishes it.
    assert journey.step("applicant", {
        "name_zh": "林美", "name_latin": "LIN Mei", "cn_id": "11010519491231002X",
        "passport_number": "EJ1234567", "date_of_birth": "1968-04-12",
        "phone": "+39 312 345 6789",
        "address_abroad": "Via Pistoiese 120, 59100 Prato, Italia"}).status == 303
    deployment.kill("a")
    fill_driving_licence(journey)
    for key in ("driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303
    sent = journey.submit()
    assert sent.status == 303 and sent.location.endswith("/confirmation")
    assert Page(phone.get(base)).status == 200
    assert deployment.served("a") > 0 and deployment.served("b") > 0, "both hosts served"
