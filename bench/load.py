"""Load, throughput and slow clients, on real servers started here (and stopped after).

    .venv/bin/python bench/load.py                 # 200 applicants on each set-up
    .venv/bin/python bench/load.py --users 50      # fewer
    .venv/bin/python bench/load.py --url http://…  # against a deployment given by URL
    .venv/bin/python bench/load.py --throughput    # pages against a hello-world app
    .venv/bin/python bench/load.py --stalled 50    # /healthz while 50 clients stall

The set-ups: ``db=sqlite hosts=1`` is the README's run command (gunicorn with
``gunicorn.conf.py``, 2 workers, SQLite and local files); ``db=postgresql hosts=2`` is
two such hosts on one PostgreSQL cluster, one Redis and one data directory behind
Debian's nginx (``deploy/nginx.conf``), as ``tests/test_two_hosts.py`` starts them.

Each applicant walks the whole journey of the driving-licence item on a phone of its
own (its own cookies): start, three pages of questions, three photos, one material
for later, the declaration; the journey counts as ok when the confirmation page is
reached. ``p95_ms`` is over every request of every journey.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py would shadow the standard library's queue (which requests needs).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ONEVISIT_INSTANCE_DIR", tempfile.mkdtemp(prefix="onevisit-bench-"))

from tests.topology import (Browser, Deployment, OneHost, _wait_for, free_port,  # noqa: E402
                            stall_uploads)

HELLO = ROOT / "bench" / "hello_app.py"


def percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class Timed(Browser):
    """A phone whose every request's time (to the answer's headers) is noted."""

    def __init__(self, base, times):
        super().__init__(base)
        self.session.hooks["response"].append(
            lambda answer, *args, **kwargs: times.append(answer.elapsed.total_seconds() * 1000))


# -- set-ups ------------------------------------------------------------------------------

#: The simulated applicants all come from this machine's one address: the limit on new
#: applications per address (20 an hour) would stop the 21st.
APPLICANTS_FROM_ONE_ADDRESS = {"NEW_CASES_RATE_LIMIT": "100000 per hour"}


class SingleHost:
    """The README's run command: one gunicorn (2 workers), SQLite and local files."""

    name, hosts = "sqlite", 1

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix="onevisit-load-")
        self.host = OneHost(self.directory, **APPLICANTS_FROM_ONE_ADDRESS).start()
        self.url = self.direct = self.host.url
        return self

    def __exit__(self, *exc):
        self.host.stop()
        import shutil
        shutil.rmtree(self.directory, ignore_errors=True)


class TwoHosts:
    """Two gunicorn hosts on PostgreSQL, Redis and one data directory, behind nginx."""

    name, hosts = "postgresql", 2

    def __enter__(self):
        from app.sandbox import create_sandbox_app
        from tests.conftest import release_connections
        from tests.pgcluster import Cluster
        from tests.redisserver import RedisServer
        self.directory = tempfile.mkdtemp(prefix="onevisit-load-")
        self.cluster = Cluster().start()
        self.redis = RedisServer().start()
        url = self.cluster.create("onevisit")
        create_sandbox_app(os.path.join(self.directory, "setup"), SECRET_KEY="x",
                           DATABASE_URL=url)
        release_connections()
        self.deployment = Deployment(url, self.redis.url, self.directory, workers=2,
                                     find_limit="10000 per minute",
                                     **APPLICANTS_FROM_ONE_ADDRESS)
        self.deployment.start_host("a")
        self.deployment.start_host("b")
        self.deployment.start_nginx()
        return self

    @property
    def url(self):
        return self.deployment.url()

    @property
    def direct(self):
        return self.deployment.url("a")

    def __exit__(self, *exc):
        import shutil
        self.deployment.stop()
        self.redis.stop()
        self.cluster.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- the journey --------------------------------------------------------------------------

def journey(base, photo, times):
    """One applicant, start to confirmation; returns the phone (for its status page)."""
    from tests.conftest import Journey, fill_driving_licence
    from tests.pages import Page
    phone = Timed(base, times)
    walk = Journey(phone)
    if walk.start().status != 303:
        raise RuntimeError("start refused")
    fill_driving_licence(walk)
    for key in ("passport_page", "driving_licence", "id_photo"):
        page = walk.upload(key, photo)
        if page.status != 303:
            raise RuntimeError(f"upload {key}: {page.status}")
    if walk.defer("medical_certificate").status != 303:
        raise RuntimeError("defer refused")
    sent = walk.submit()
    if sent.status != 303 or not sent.location.endswith("/confirmation"):
        raise RuntimeError(f"submit: {sent.status}")
    if Page(phone.get(sent.location)).status != 200:
        raise RuntimeError("confirmation page")
    return phone, walk.base


def load(label, base, users, concurrency):
    from tests.conftest import jpeg_bytes
    photo = jpeg_bytes()
    times, errors, ok = [], [], 0
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(journey, base, photo, times) for _ in range(users)]
        for future in concurrent.futures.as_completed(futures):
            try:
                future.result()
                ok += 1
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error)[:200])
    elapsed = time.perf_counter() - started
    for error in sorted(set(errors))[:5]:
        print(f"error: {error}", file=sys.stderr)
    print(f"load: {label} users={users} journeys_ok={ok} errors={len(errors)} "
          f"p95_ms={percentile(times, 95):.1f} p50_ms={percentile(times, 50):.1f} "
          f"requests={len(times)} seconds={elapsed:.1f}")
    return not errors


# -- throughput ---------------------------------------------------------------------------

def rps(url, seconds=4.0, threads=8, cookies=None):
    """Answers per second to GETs of ``url`` from ``threads`` kept-alive clients: with
    ApacheBench (Debian's apache2-utils) when installed, whose C client is not the
    bottleneck; else with Python threads (which are, above a few hundred per second)."""
    import shutil
    if shutil.which("ab"):
        # As a phone asks: compressed answers welcome.
        command = ["ab", "-q", "-k", "-t", str(seconds), "-n", "1000000", "-c", str(threads),
                   "-H", "Accept-Encoding: gzip, deflate, br"]
        if cookies is not None:
            command += ["-C", "; ".join(f"{c.name}={c.value}" for c in cookies)]
        out = subprocess.run(command + [url], capture_output=True, text=True).stdout
        done = float(re.search(r"Complete requests:\s+(\d+)", out).group(1))
        failed = float(re.search(r"Non-2xx responses:\s+(\d+)", out).group(1)
                       if "Non-2xx" in out else 0)
        took = float(re.search(r"Time taken for tests:\s+([\d.]+)", out).group(1))
        return (done - failed) / took
    import requests
    counts, stop = [], time.perf_counter() + seconds

    def client():
        session, done = requests.Session(), 0
        if cookies is not None:
            session.cookies.update(cookies)
        while time.perf_counter() < stop:
            if session.get(url, timeout=10).status_code == 200:
                done += 1
        counts.append(done)
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / seconds


def hello_server():
    port = free_port()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
         "--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(HELLO.parent),
         "hello_app:app"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(f"http://127.0.0.1:{port}/", "hello app", process)
    return process, f"http://127.0.0.1:{port}/"


def throughput(setup):
    from tests.conftest import jpeg_bytes
    phone, status = journey(setup.url, jpeg_bytes(), [])
    pages = {"guide": (setup.direct + "/en/services/JJ-JZ-001", None),
             "search": (setup.direct + "/en/services?q=passport", None),
             "status": (setup.direct + status, phone.session.cookies)}
    process, hello = hello_server()
    try:
        rps(hello, seconds=1)  # warm-up: both servers' workers, caches and connections
        for url, cookies in pages.values():
            rps(url, seconds=1, cookies=cookies)
        # A shared machine's speed drifts from minute to minute: each page is measured
        # three times, each time right after the yardstick, and the median of the three
        # ratios is reported (with the median rates).
        for page, (url, cookies) in pages.items():
            pairs = [(rps(hello), rps(url, cookies=cookies)) for _ in range(3)]
            ratio = sorted(page_rps / hello_rps for hello_rps, page_rps in pairs)[1]
            hello_rps = sorted(h for h, _ in pairs)[1]
            page_rps = sorted(p for _, p in pairs)[1]
            print(f"throughput: db={setup.name} page={page} rps={page_rps:.0f} "
                  f"hello_rps={hello_rps:.0f} ratio={ratio:.2f}")
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- slow clients -------------------------------------------------------------------------

def stalled(setup, count):
    """``count`` applicants begin a real resumable upload and go quiet after its first 100
    bytes; meanwhile /healthz is timed (each answer, or the 10 s cut)."""
    held = stall_uploads(setup.url, count)
    time.sleep(1)
    import requests
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        try:
            requests.get(setup.url + "/healthz", timeout=10)
        except requests.RequestException:
            pass
        times.append((time.perf_counter() - t0) * 1000)
    for stalled_upload in held:
        stalled_upload.sock.close()
    print(f"slowclients: db={setup.name} hosts={setup.hosts} stalled={count} "
          f"healthz_p95_ms={percentile(times, 95):.1f} healthz_max_ms={max(times):.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--url", help="run the applicants against this deployment only")
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--stalled", type=int, metavar="N")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.url:
        return 0 if load(f"url={args.url}", args.url.rstrip("/"), args.users,
                         args.concurrency) else 1
    good = True
    for setup in (SingleHost, TwoHosts):
        if args.only and setup.name != args.only:
            continue
        with setup() as running:
            if args.throughput:
                throughput(running)
            elif args.stalled:
                stalled(running, args.stalled)
            else:
                good &= load(f"db={running.name} hosts={running.hosts}", running.url,
                             args.users, args.concurrency)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
