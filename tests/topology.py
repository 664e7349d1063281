"""Real deployments for tests and benchmarks: gunicorn hosts started as
``scripts/run.sh`` starts them, an unprivileged nginx in front (``deploy/nginx.conf``),
and an HTTP client that reads like Flask's test client (so ``tests.pages.Page`` and
``tests.conftest.Journey`` drive a real server)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, what: str, process=None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {seconds} s")


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


class OneHost:
    """The README's run command: one gunicorn (``gunicorn.conf.py``, 2 workers) on a
    SQLite file and local files in ``directory`` (made with the sandbox's catalog)."""

    def __init__(self, directory, **settings):
        from app.sandbox import create_sandbox_app
        self.directory = str(directory)
        create_sandbox_app(self.directory, SECRET_KEY="one-host-secret")
        self.port = free_port()
        self.env = dict(os.environ, ONEVISIT_INSTANCE_DIR=self.directory,
                        ONEVISIT_HUEY_IMMEDIATE="", ONEVISIT_SECRET_KEY="one-host-secret",
                        ONEVISIT_DATABASE_URL=f"sqlite:///{self.directory}/sandbox.db",
                        ONEVISIT_PUBLIC_URL=self.url,
                        **{f"ONEVISIT_{k}": str(v) for k, v in settings.items()})
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OneHost":
        self.log = os.path.join(self.directory, "gunicorn.log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py",
                 "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        _wait_for(self.url + "/healthz", "gunicorn", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Stalled(NamedTuple):
    """An upload begun and left quiet: its raw socket, its URL path, the phone (with the
    case's cookies) and the page's CSRF token."""
    sock: socket.socket
    path: str
    phone: "Browser"
    token: str


def stall_uploads(base: str, count: int, length: int = 1_000_000) -> list:
    """``count`` applicants, each on a phone of its own, begin a real resumable upload of
    ``length`` bytes: the PATCH's headers and its first 100 bytes go out, then nothing.
    Returns a :class:`Stalled` for each, its socket still open."""
    from urllib.parse import urlsplit

    from .conftest import Journey
    from .pages import Page
    from .uploads.test_tus import V, meta

    address = urlsplit(base)
    held = []
    for _ in range(count):
        phone = Browser(base)
        journey = Journey(phone)
        if journey.start().status != 303:
            raise RuntimeError(f"the journey did not start: {journey.start().status}")
        token = Page(phone.get(f"{journey.base}/materials")).csrf()
        created = phone.post("/files/", headers={
            **V, "X-CSRFToken": token, "Upload-Length": str(length),
            "Upload-Metadata": meta(case=journey.reference, material="passport_page",
                                    filename="scan.pdf", lang="en")})
        if created.status_code != 201:
            raise RuntimeError(f"upload not created: {created.status_code}")
        path = urlsplit(created.headers["Location"]).path
        cookies = "; ".join(f"{c.name}={c.value}" for c in phone.session.cookies)
        sock = socket.create_connection((address.hostname, address.port))
        sock.sendall((f"PATCH {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                      f"Cookie: {cookies}\r\nX-CSRFToken: {token}\r\nTus-Resumable: 1.0.0\r\n"
                      f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                      f"Content-Length: {length}\r\n\r\n").encode() + b"%" * 100)
        held.append(Stalled(sock, path, phone, token))
    return held


class Deployment:
    """Hosts A and B, and nginx in front of them."""

    def __init__(self, database_url, redis_url, directory, workers=1, find_limit="4 per hour",
                 **settings):
        self.directory = directory
        self.shared = os.path.join(directory, "shared")
        self.ports = {"a": free_port(), "b": free_port()}
        self.hosts = {}
        self.env = dict(os.environ, ONEVISIT_DATABASE_URL=database_url,
                        ONEVISIT_DATA_DIR=self.shared, ONEVISIT_HUEY_REDIS_URL=redis_url,
                        ONEVISIT_RATELIMIT_STORAGE_URI=redis_url.replace("/0", "/1"),
                        ONEVISIT_TRUSTED_PROXIES="1", ONEVISIT_HUEY_IMMEDIATE="",
                        ONEVISIT_FIND_CASE_RATE_LIMIT=find_limit,
                        **{f"ONEVISIT_{k}": str(v) for k, v in settings.items()})
        self.workers = str(workers)
        for name in ("ONEVISIT_SECRET_KEY", "SECRET_KEY"):
            self.env.pop(name, None)
        self.nginx = None
        self.consumers = {}
        self.port = free_port()

    def url(self, host=None) -> str:
        return f"http://127.0.0.1:{self.ports[host] if host else self.port}"

    def start_host(self, name):
        env = dict(self.env, ONEVISIT_INSTANCE_DIR=os.path.join(self.directory, f"host-{name}"),
                   ONEVISIT_PUBLIC_URL=self.url())
        log = open(os.path.join(self.directory, f"host-{name}.log"), "wb")
        self.hosts[name] = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "--workers", self.workers,
             "--bind", f"127.0.0.1:{self.ports[name]}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait_for(self.url(name) + "/healthz", f"host {name}", self.hosts[name])

    def start_consumer(self, name):
        """Host ``name``'s job consumer, as ``scripts/run.sh`` starts it (periodic jobs
        included), taking jobs from the shared Redis."""
        env = dict(self.env, ONEVISIT_INSTANCE_DIR=os.path.join(self.directory, f"host-{name}"),
                   ONEVISIT_PUBLIC_URL=self.url())
        log = open(os.path.join(self.directory, f"consumer-{name}.log"), "wb")
        self.consumers[name] = subprocess.Popen(
            [str(ROOT / ".venv/bin/huey_consumer"), "wsgi.huey", "--workers", "2",
             "--worker-type", "thread"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def run_on(self, name, code: str) -> None:
        """Run Python ``code`` with host ``name``'s settings (say, to queue a job)."""
        env = dict(self.env, ONEVISIT_INSTANCE_DIR=os.path.join(self.directory, f"host-{name}"))
        subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=60)

    def start_nginx(self):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            raise RuntimeError("nginx was not found: install Debian's nginx-light "
                               "(scripts/setup.sh does when root)")
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
        for process in [self.nginx, *self.hosts.values(), *self.consumers.values()]:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if getattr(self, "run_dir", None):
            shutil.rmtree(self.run_dir, ignore_errors=True)
