"""The applicant journey in a real Chromium on an emulated slow phone link ("3G").

What it does
------------
1. Makes three realistic phone photos with Pillow: 4000x3000 (12 MP) JPEGs at
   quality 92 of a document lying on a table (gradients, lighting fall-off,
   text-like bars, medium and fine sensor noise), calibrated to land between
   3.3 and 3.7 MB each, as a phone camera writes them. Their sizes are printed.
2. Starts the app for real in a fresh instance directory (temp dir):
   ``flask --app wsgi.py db-upgrade`` and ``load-catalog``, then
   ``gunicorn --config gunicorn.conf.py -w 2 -b 127.0.0.1:<free port> wsgi:app``
   with ``ONEVISIT_INSTANCE_DIR`` and ``ONEVISIT_PUBLIC_URL`` set; waits for
   ``/healthz``. The browser reaches gunicorn through a small TCP relay in this
   script (the "radio link", see 5), also on 127.0.0.1: a secure context, so
   ``crypto.subtle`` (chunk checksums) exists as on HTTPS. gunicorn and the
   relay are stopped at the end, also on error; gunicorn's worker timeouts,
   tracebacks and 5xx lines are copied to stderr.
3. Launches Debian's Chromium (``/usr/bin/chromium``, or ``ONEVISIT_CHROMIUM``)
   through Playwright with the flags of ``tests/browser/conftest.py``, opens a
   new context (empty cache: a real first visit; JavaScript on; a phone
   viewport) and, through a CDP session on the page, emulates DevTools' "3G"
   figures: ``Network.emulateNetworkConditions`` latency 2,000 ms, 400 kbit/s
   down and 400 kbit/s up (50,000 bytes/s each way). Under this emulation a
   request body leaves at the upload rate and the answer comes back one
   latency after the server gave it.
4. Walks the driving-licence journey (item JJ-JZ-001) as a person would:
   home -> search -> guide -> Start -> contact page -> steps applicant, licence,
   medical -> entrustment ("I will do it myself") -> materials -> check ->
   declaration -> send -> confirmation. On the materials page it first waits
   for static/upload.js to arrive (with JavaScript each step's POST is answered
   with the next page, which htmx swaps into the same document, so readyState
   is "complete" at once and app.js adds the next page's scripts; a person
   needs longer than that to pick a photo, and an Upload pressed before it
   would send the 3.5 MB original as a plain form). Then the
   three photos are chosen in their slots and the three Upload buttons pressed
   right away (``--serial``: one after another, each waiting for "Received"),
   and the medical certificate is "I will supply this later". The upload
   client makes the photos ~2 MP JPEGs and sends them to /files/ (tus) in
   256 KiB chunks (``CHUNK`` of upload.js, read from it). The step ends when every photo slot shows "Received" (the
   client's status line, or the slot refreshed from the server; a slot the
   client never got refreshed is reported as a problem). The check page must
   then list three received photos.
   One line per step: ``step=<name> s=<seconds> down_kb=.. up_kb=.. requests=..``
   (bytes are counted in the step during which the browser reported them),
   then one line per photo: size sent, chunks, PATCH/HEAD requests, failures,
   seconds from ``POST /files/`` to the stored answer, and when the slot
   showed "Received" (seconds into the journey). There is no think time: the
   figures are the network's and the server's share of the journey; a
   person's reading and typing come on top.
5. A second run (fresh context, fresh case) is the same journey, but the
   network is cut for 10 s while the second photo (driving licence) is half
   sent: once its progress bar is past 50 % and 40-80 % through the chunk in
   flight. A cut is two things at once: the relay resets every open
   connection and refuses new ones, and CDP switches the page offline
   (``offline: true``, which also fires the page's offline/online events).
   CDP alone is not enough: Chromium lets a request already under way finish
   at full speed when switched offline, so no chunk would ever be lost half
   way. Then 3G is restored, and the tus conversation of that photo is
   printed (``tus driving_licence: ...``).

Figures
-------
* ``journey_s``: wall time from the first navigation until the confirmation
  page shows its heading ("Application sent").
* ``upload_kb``: request bodies the browser sent: tus PATCH chunks (counted as
  attempted: a chunk cut off and sent again counts twice) plus every form and
  htmx POST body. Request headers are not counted.
* ``pages_kb``: every response the browser received from anything but /files/
  (HTML pages, htmx fragments, redirects, CSS, JS, favicon), as CDP's
  ``Network.loadingFinished`` ``encodedDataLength`` (compressed bytes on the
  wire, response headers included), plus redirect responses. The header-only
  answers of /files/ are reported apart (``files_resp_kb``). 1 KB = 1024 bytes.
* Drop run: ``resumed=yes`` when the second photo arrived through the same
  upload URL it had before the cut (no new ``POST /files/`` for that slot) and
  the journey reached the confirmation page. The line before the last gives
  what the drop cost: ``extra_s`` (journey time minus the first run's),
  ``materials_extra_s`` (the same for the materials step only, less noisy),
  ``resent_kb`` (file bytes attempted for the second photo, its creation POST's
  first chunk and its PATCHes, minus its size;
  all photos in ``resent_total_kb``) against the budget "outage plus one
  chunk": 10 s + one 256 KiB chunk at the 3G upload rate plus one latency
  (7.2 s), i.e. ``budget_s=17.2`` and ``resent_kb`` <= ``chunk_kb``.

Output order: the photos, then run 1 (steps, photos, traffic) ending with
``throttled: preset=3G journey_s=X upload_kb=Y pages_kb=Z``; then run 2
(steps, the cut, photos, traffic), the drop cost line
``throttled: drop outage_s=10 ... within_budget=yes|no``,
``throttled: preset=3G+drop journey_s=X resumed=yes|no`` and, last, both
verdicts on one line: ``throttled: preset=3G journey_s=X target_s=60
drop_journey_s=Y resumed=yes|no``. Diagnostics go to stderr.

Targets: journey_s <= 60 on 3G (issue 16: one round trip per journey step);
resumed=yes; the drop costs no more than the outage plus one chunk (reported
as ``within_budget=``, not part of the exit status: it compares two separate
runs and moves by a few seconds).

Exit status: 0 on target; 1 if journey_s > 60, the first journey did not
finish, or resumed=no; 2 if the bench itself could not run (no Chromium,
server did not start). Every wait has a timeout (45 s per action, 210 s per
journey), so the whole script ends within about 9 minutes; it usually takes
about 3.

Run from the project root: ``.venv/bin/python bench/throttled.py [--serial]``.
Set ``THROTTLED_KEEP_LOG=<file>`` to keep a copy of gunicorn's log.
"""

import argparse
import base64
import io
import math
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

# Same way of stopping gunicorn as the page-weight bench (this folder is on sys.path).
from pageweight import stop_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
KB = 1024

ITEM_CODE = "JJ-JZ-001"
ITEM_NAME = "Driving licence renewal for holders living abroad"
PHOTO_SLOTS = ("passport_page", "driving_licence", "id_photo")
DROP_SLOT = PHOTO_SLOTS[1]
LATER_SLOT = "medical_certificate"

# DevTools' "3G" figures, as given in the issue.
PRESET = "3G"
LATENCY_MS = 2000
DOWN_KBIT = 400
UP_KBIT = 400
THREE_G = {"offline": False, "latency": LATENCY_MS,
           "downloadThroughput": DOWN_KBIT * 1000 / 8, "uploadThroughput": UP_KBIT * 1000 / 8}
# Offline keeps the 3G figures: throughput 0 would mean "not throttled" to CDP.
OFFLINE = dict(THREE_G, offline=True)

def _client_chunk() -> int:
    """The upload client's tus chunk, as static/upload.js sets it."""
    found = re.search(r"\bCHUNK = (\d+)", (ROOT / "static" / "upload.js").read_text())
    if not found:
        raise SystemExit("throttled: no CHUNK in static/upload.js")
    return int(found.group(1))


CHUNK = _client_chunk()                  # the upload client's tus chunk
OUTAGE_S = 10
CHUNK_S = CHUNK / THREE_G["uploadThroughput"] + LATENCY_MS / 1000
TARGET_JOURNEY_S = 60                   # issue 16 (was 120)

PHOTO_PIXELS = (4000, 3000)
PHOTO_MB = (3.3, 3.7)                   # JPEG quality 92, as a phone writes it

ACTION_TIMEOUT_MS = 45_000              # one page on 3G: a few round trips of 2 s
JOURNEY_TIMEOUT_S = 210                 # one whole journey (the target is 60 s)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

# Answers, as in tests/conftest.py.
APPLICANT = {"name_zh": "林美", "name_latin": "LIN Mei", "cn_id": "11010519491231002X",
             "passport_number": "EJ1234567", "date_of_birth": "1968-04-12",
             "phone": "+39 312 345 6789", "address_abroad": "Via Pistoiese 120, 59100 Prato, Italia"}
LICENCE = {"licence_number": "330328196804120021", "licence_expiry": "2026-10-01",
           "licence_class": "C1", "issuing_authority": "温州市公安局交通警察支队"}


class BenchError(RuntimeError):
    """The bench could not run (not a result about the app)."""


class JourneyError(RuntimeError):
    """The journey did not reach the confirmation page."""


def now() -> float:
    return time.monotonic()


# --------------------------------------------------------------------------- photos

def _photo(seed: int, fine: float, medium: float):
    """A 12 MP photo of a document lying on a table, as a phone would take it."""
    from PIL import Image, ImageChops, ImageDraw
    rnd = random.Random(seed)
    width, height = PHOTO_PIXELS
    # Table: a tinted gradient at a random angle.
    gradient = Image.linear_gradient("L").resize((6000, 6000))
    gradient = gradient.rotate(rnd.uniform(-30, 30), resample=Image.BICUBIC)
    table = gradient.crop((1000, 1500, 1000 + width, 1500 + height))
    tint = [(150, 110, 80), (90, 100, 120), (120, 130, 100)][seed % 3]
    image = Image.merge("RGB", [table.point(lambda v, c=c: int(c * 0.6 + v * 0.35))
                                for c in tint])
    # The document: border, photo box, lines of "text", slightly rotated.
    doc = Image.new("RGB", (2900, 2050), (236, 232, 222))
    draw = ImageDraw.Draw(doc)
    draw.rectangle((60, 60, 2840, 1990), outline=(90, 60, 70), width=10)
    draw.rectangle((160, 200, 900, 1150), fill=(200, 190, 180), outline=(60, 60, 60), width=6)
    for row in range(22):
        y, x = 220 + row * 78, 1000
        while x < 2650:
            w = min(rnd.randint(40, 220), 2700 - x)
            draw.rectangle((x, y, x + w, y + 34), fill=(40 + rnd.randint(0, 40),) * 3)
            x += w + rnd.randint(20, 50)
    doc = doc.rotate(rnd.uniform(-4, 4), resample=Image.BICUBIC, expand=True)
    image.paste(doc, (550, 450), doc.convert("L").point(lambda v: 255 if v > 0 else 0))
    # Lighting fall-off towards the corners.
    shade = Image.radial_gradient("L").resize((width, height)).point(lambda v: v // 5)
    image = ImageChops.subtract(image, Image.merge("RGB", [shade] * 3))
    # Texture that survives downscaling, then fine sensor noise.
    medium_noise = Image.merge("RGB", [
        Image.effect_noise((width // 3, height // 3), medium).resize((width, height),
                                                                     Image.BILINEAR)
        for _ in range(3)])
    image = ImageChops.add(image, medium_noise, offset=-128)
    fine_noise = Image.merge("RGB", [Image.effect_noise((width, height), fine) for _ in range(3)])
    return ImageChops.add(image, fine_noise, offset=-128)


def make_photos(directory: Path) -> dict:
    """Three 12 MP JPEGs of 3.3-3.7 MB; returns {slot: path}."""
    low, high = (mb * 1_000_000 for mb in PHOTO_MB)
    names = {"passport_page": "IMG_20260412_101502.jpg",
             "driving_licence": "IMG_20260412_101519.jpg",
             "id_photo": "IMG_20260412_101544.jpg"}
    photos = {}
    for seed, key in enumerate(PHOTO_SLOTS, start=1):
        medium = 14.0
        for _attempt in range(4):
            image = _photo(seed, 3.0, medium)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=92)
            size = buffer.tell()
            if low <= size <= high:
                break
            # JPEG size grows roughly linearly with the noise here: aim for the middle.
            medium = max(2.0, medium * ((low + high) / 2) / size)
        path = directory / names[key]
        path.write_bytes(buffer.getvalue())
        photos[key] = path
        print(f"photo={key} file={path.name} pixels={image.width}x{image.height} "
              f"size_kb={size / KB:.0f} size_mb={size / 1_000_000:.2f}", flush=True)
    return photos


# --------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(env, *args) -> str:
    result = subprocess.run([str(VENV / "flask"), "--app", "wsgi.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def start_server(instance: Path, log_path: Path, port: int, public_url: str):
    """gunicorn with two workers on ``port``; returns the process."""
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ONEVISIT_INSTANCE_DIR=str(instance), ONEVISIT_PUBLIC_URL=public_url)
    for name in ("FLASK_APP", "DATABASE_URL", "ONEVISIT_DATABASE_URL"):
        env.pop(name, None)
    for line in (run_cli(env, "db-upgrade"), run_cli(env, "load-catalog")):
        if line:
            print(line, file=sys.stderr)
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [str(VENV / "gunicorn"), "--config", "gunicorn.conf.py", "-w", "2",
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = now() + 30
    while now() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    print(f"server: {base} (gunicorn -w 2) healthz "
                          f"{resp.read().decode().strip()}; browser goes through {public_url}",
                          file=sys.stderr)
                    return proc
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise BenchError("gunicorn did not answer /healthz within 30 s")


class Relay:
    """The "radio link": a TCP relay between Chromium and gunicorn that can be cut.

    CDP's offline mode alone does not cut a transfer already under way: Chromium
    (156) lets an in-flight request finish at full speed and only fails the
    next ones, so a chunk would never be lost half way. During an outage the
    relay resets every open connection at once (the browser sees the request
    die, gunicorn sees its client gone) and refuses new ones until restored.
    """

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = {}              # (client, server) -> pumps still running
        self.down = False
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return              # closed
            if self.down:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            pair = (client, server)
            with self.lock:
                self.open[pair] = 2
            if self.down:
                self.cut()
            for src, dst in (pair, pair[::-1]):
                threading.Thread(target=self._pump, args=(src, dst, pair), daemon=True).start()

    def _pump(self, src, dst, pair):
        try:
            while True:
                data = src.recv(65536)
                if not data or self.down:
                    break
                dst.sendall(data)
            if not self.down:
                dst.shutdown(socket.SHUT_WR)   # pass the end of stream on
        except OSError:
            pass
        finally:
            if self.down:       # opened while cutting: no half-dead connection may linger
                for sock in pair:
                    _reset(sock)
            with self.lock:
                left = self.open.get(pair, 0) - 1
                if left > 0:
                    self.open[pair] = left
                else:
                    self.open.pop(pair, None)
            if left <= 0:
                for sock in pair:
                    sock.close()

    def cut(self):
        """Reset every open connection and refuse new ones."""
        self.down = True
        with self.lock:
            pairs = list(self.open)
            self.open.clear()
        for pair in pairs:
            for sock in pair:
                _reset(sock)
        return len(pairs)

    def restore(self):
        self.down = False

    def close(self):
        self.listener.close()
        self.cut()


def _reset(sock):
    """Close with RST (SO_LINGER 0), waking any thread blocked reading it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def chromium_path() -> str:
    candidate = os.environ.get("ONEVISIT_CHROMIUM") or "/usr/bin/chromium"
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(candidate)
    if not found:
        raise BenchError("Chromium not found: install Debian's chromium or set ONEVISIT_CHROMIUM")
    return found


# --------------------------------------------------------------------------- traffic

class Upload:
    """One tus upload as the browser made it."""

    def __init__(self, slot: str, length: int, created: float):
        self.slot = slot
        self.length = length
        self.created = created
        self.url_path = None
        self.patch_bytes = 0        # file bytes attempted: the creation POST's and PATCHes'
        self.patches = 0
        self.patches_ok = 0
        self.heads = 0
        self.failed = 0             # requests that never got an answer
        self.done_at = None
        self.events = []            # (time, text): the tus conversation, for the report

    def log(self, text):
        self.events.append((now(), text))


class Traffic:
    """What the page sends and receives: CDP for response bytes, Playwright for bodies."""

    def __init__(self, page, cdp, base: str):
        self.base = base
        self.t0 = None
        self.urls = {}              # CDP requestId -> url
        self.down = 0               # encodedDataLength, not /files/
        self.down_files = 0         # encodedDataLength, /files/
        self.up = 0                 # request bodies
        self.up_files = 0
        self.requests = 0
        self.uploads = []           # Upload, in creation order
        self._creating = {}         # POST /files/ request -> its Upload
        self.multipart_posts = []   # /materials/<key> POSTs (upload.js did not intercept)
        self.failed = []
        cdp.on("Network.requestWillBeSent", self._will_send)
        cdp.on("Network.loadingFinished", self._finished)
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    # CDP: bytes on the wire.
    def _will_send(self, params):
        redirect = params.get("redirectResponse")
        if redirect:  # the redirect's own response is not reported by loadingFinished
            self._count_down(redirect.get("url", ""), redirect.get("encodedDataLength") or 0)
        self.urls[params["requestId"]] = params["request"]["url"]

    def _finished(self, params):
        self._count_down(self.urls.get(params["requestId"], ""),
                         params.get("encodedDataLength") or 0)

    def _count_down(self, url, size):
        if "/files/" in urllib.parse.urlsplit(url).path:
            self.down_files += size
        else:
            self.down += size

    # Playwright: request bodies and the tus conversation.
    def _upload_for(self, url):
        path = urllib.parse.urlsplit(url).path
        for upload in self.uploads:
            if upload.url_path == path:
                return upload
        return None

    def _request(self, request):
        self.requests += 1
        body = len(request.post_data_buffer or b"") if request.method in ("POST", "PATCH", "PUT") else 0
        path = urllib.parse.urlsplit(request.url).path
        self.up += body
        if path.startswith("/files/"):
            self.up_files += body
            if request.method == "POST":
                meta = dict(pair.strip().partition(" ")[::2]
                            for pair in request.headers.get("upload-metadata", "").split(","))
                slot = base64.b64decode(meta.get("material", "")).decode() or "?"
                upload = Upload(slot, int(request.headers.get("upload-length", 0)), now())
                upload.patch_bytes += body  # creation with upload: its first chunk
                upload.log(f"POST length={upload.length} bytes={body}")
                self.uploads.append(upload)
                self._creating[request] = upload
            else:
                upload = self._upload_for(request.url)
                if upload is not None:
                    if request.method == "PATCH":
                        upload.patches += 1
                        upload.patch_bytes += body
                        upload.log(f"PATCH offset={request.headers.get('upload-offset')} "
                                   f"bytes={body}")
                    elif request.method == "HEAD":
                        upload.heads += 1
                        upload.log("HEAD")
        elif request.method == "POST" and re.search(
                r"/materials/(%s)$" % "|".join(PHOTO_SLOTS), path):
            self.multipart_posts.append(path)

    def _response(self, response):
        request = response.request
        path = urllib.parse.urlsplit(request.url).path
        if not path.startswith("/files/"):
            return
        if request.method == "POST" and response.status == 201:
            upload = self._creating.get(request)
            if upload is not None:
                upload.url_path = urllib.parse.urlsplit(response.headers.get("location", "")).path
                upload.log(f"-> 201 {upload.url_path} offset={response.headers.get('upload-offset')}")
                if "upload-stored" in response.headers:  # the whole file came with the POST
                    upload.done_at = now()
        elif request.method in ("PATCH", "HEAD"):
            upload = self._upload_for(request.url)
            if upload is None:
                return
            upload.log(f"-> {request.method} {response.status} "
                       f"offset={response.headers.get('upload-offset')}")
            if request.method == "PATCH" and response.status == 204:
                upload.patches_ok += 1
                if "upload-stored" in response.headers:
                    upload.done_at = now()

    def _request_failed(self, request):
        self.failed.append(f"{request.method} {urllib.parse.urlsplit(request.url).path}: "
                           f"{request.failure}")
        upload = self._upload_for(request.url)
        if upload is not None:
            upload.failed += 1
            upload.log(f"-> {request.method} failed {request.failure}")


    def snapshot(self):
        return (self.down, self.up, self.requests)

    def slot_uploads(self, slot):
        return [u for u in self.uploads if u.slot == slot]


# --------------------------------------------------------------------------- the journey

SLOT_STATE_JS = """(keys) => Object.fromEntries(keys.map((k) => {
  const s = document.getElementById("m-" + k);
  const st = s && s.querySelector(".state"), bar = s && s.querySelector(".upstat progress");
  const line = s && s.querySelector(".upstat p");
  return [k, {state: st ? st.textContent.trim() : "",
              pct: bar && bar.hasAttribute("value") ? bar.value : null,
              line: line ? line.textContent : ""}];
}))"""


UPLOAD_JS_LOADED = """() => performance.getEntriesByType("resource").some(
  (e) => /\\/static\\/upload\\.[^/]*js$/.test(e.name) && e.responseEnd > 0)"""


class Run:
    """One journey in a fresh browser context; ``drop`` cuts the network mid-upload."""

    def __init__(self, browser, base, photos, relay, drop=False, serial=False):
        self.relay = relay
        self.browser = browser
        self.base = base
        self.photos = photos
        self.drop = drop
        self.serial = serial
        self.name = f"{PRESET}+drop" if drop else PRESET
        self.steps = []             # (name, seconds)
        self.journey_s = None
        self.reference = None
        self.problems = []
        self.cut_at = self.restored_at = None
        self.cut_pct = None
        self.started = None
        self.received_at = {}       # slot -> when it first showed "Received"
        self.stale_slots = []
        self.upload_js_wait = None

    def t(self):
        return now() - self.started

    def step(self, name, action):
        down0, up0, req0 = self.traffic.snapshot()
        t0 = now()
        action()
        seconds = now() - t0
        down1, up1, req1 = self.traffic.snapshot()
        self.steps.append((name, seconds))
        print(f"step={name} s={seconds:.1f} down_kb={(down1 - down0) / KB:.1f} "
              f"up_kb={(up1 - up0) / KB:.1f} requests={req1 - req0}", flush=True)

    def heading(self, text):
        from playwright.sync_api import expect
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    # Steps ----------------------------------------------------------------
    def home(self):
        self.page.goto(f"{self.base}/en/", wait_until="load")
        self.page.get_by_role("searchbox", name="What do you need to do?").wait_for()

    def search(self):
        self.page.get_by_role("searchbox", name="What do you need to do?").fill("driving licence")
        self.page.get_by_role("button", name="Search").click()
        self.page.get_by_role("link", name=ITEM_NAME, exact=True).wait_for()

    def guide(self):
        self.page.get_by_role("link", name=ITEM_NAME, exact=True).click()
        self.heading(ITEM_NAME)

    def start(self):
        self.page.get_by_role("link", name="Start your application").first.click()
        self.heading("How can we reach you?")

    def contact(self):
        page = self.page
        page.get_by_label("Email address").fill("lin.mei@example.it")
        page.get_by_label("Phone number").fill("+39 312 345 6789")
        page.get_by_label("Language for letters and emails").select_option("en")
        page.get_by_label("Country where you live").select_option("IT")
        page.get_by_label("City").fill("Prato")
        page.get_by_role("button", name="Continue").click()
        self.heading("About you")

    def applicant(self):
        page = self.page
        page.get_by_label("Name in Chinese characters").fill(APPLICANT["name_zh"])
        page.get_by_label("Name as in your passport").fill(APPLICANT["name_latin"])
        page.get_by_label("Chinese ID card number").fill(APPLICANT["cn_id"])
        page.get_by_label("Passport number").fill(APPLICANT["passport_number"])
        page.fill("#f-date_of_birth", APPLICANT["date_of_birth"])
        page.get_by_label("Your phone number abroad").fill(APPLICANT["phone"])
        page.get_by_label("Your address abroad").fill(APPLICANT["address_abroad"])
        page.get_by_role("button", name="Save and continue").click()
        self.heading("Your driving licence")

    def licence(self):
        page = self.page
        page.get_by_label("Licence number").fill(LICENCE["licence_number"])
        page.fill("#f-licence_expiry", LICENCE["licence_expiry"])
        page.get_by_label("Licence class").select_option(LICENCE["licence_class"])
        page.get_by_label("Issued by").fill(LICENCE["issuing_authority"])
        page.get_by_role("button", name="Save and continue").click()
        self.heading("Medical certificate")

    def medical(self):
        self.page.get_by_role("radio", name="No").check()
        self.page.get_by_role("button", name="Save and continue").click()
        self.heading("Who will do the formalities in China?")

    def entrustment(self):
        self.page.get_by_role("radio", name="I will do it myself").check()
        self.page.get_by_role("button", name="Save and continue").click()
        self.heading("Photos of your materials")

    def materials(self):
        page = self.page
        # The page shows before its deferred scripts arrive (upload.js is one more
        # 2 s round trip). A person needs longer than that to pick a photo; an Upload
        # pressed earlier would go out as the plain multipart form (see the docstring).
        # The journey pages arrive through app.js (fetch + document.write), so
        # document.readyState is "complete" at once: wait for the script itself.
        t0 = now()
        page.wait_for_function(UPLOAD_JS_LOADED, timeout=ACTION_TIMEOUT_MS, polling=100)
        page.wait_for_timeout(100)  # loaded, then run
        self.upload_js_wait = now() - t0
        print(f"materials: upload.js arrived {self.upload_js_wait:.1f} s after the "
              f"page showed", flush=True)
        if self.serial:
            for key in PHOTO_SLOTS:
                self._choose(key)
                self._wait_received([key])
            self._later()
        else:
            for key in PHOTO_SLOTS:
                self._choose(key)
            self._later()
            self._wait_received(list(PHOTO_SLOTS))
        if self.drop and self.cut_at is None:
            self.problems.append("the network was never cut: the second photo finished first")
        page.locator(f"#m-{LATER_SLOT} .state").filter(
            has_text="You will send this later").wait_for()

    def _choose(self, key):
        slot = self.page.locator(f"#m-{key}")
        self.page.set_input_files(f"#file-{key}", str(self.photos[key]))
        slot.get_by_role("button", name="Upload").click()

    def _later(self):
        later = self.page.locator(f"#m-{LATER_SLOT}").get_by_role(
            "button", name="I will supply this later")
        later.click()

    def _wait_received(self, keys):
        """Poll the slots until each shows "Received"; cut and restore the network.

        "Received" is the upload client's own status line once the server has
        stored the photo; the slot itself is then refreshed from the server
        (state "✓ Received"). A slot whose refresh never comes is reported.
        """
        deadline = self.started + JOURNEY_TIMEOUT_S
        while True:
            states = self.page.evaluate(SLOT_STATE_JS, keys)
            done = {k for k, v in states.items()
                    if "Received" in v["state"] or v["line"] == "Received"}
            for key in done - set(self.received_at):
                self.received_at[key] = now()
            if len(done) == len(keys):
                break
            if self.drop:
                self._maybe_cut(states)
            if now() > deadline:
                raise JourneyError(f"photos not received {JOURNEY_TIMEOUT_S} s into the journey: "
                                   + "; ".join(f"{k}: {v['state']!r} {v['line']!r}"
                                               for k, v in states.items()))
            self.page.wait_for_timeout(200)
        # Give the slot refreshes (one more round trip) a moment, then report stale ones.
        settle = now() + 2 * LATENCY_MS / 1000 + 2
        while now() < settle:
            states = self.page.evaluate(SLOT_STATE_JS, keys)
            if all("Received" in v["state"] for v in states.values()):
                return
            self.page.wait_for_timeout(200)
        for key, value in states.items():
            if "Received" not in value["state"]:
                self.stale_slots.append(key)
                self.problems.append(
                    f"slot {key}: the upload client says {value['line']!r} but the slot was "
                    f"never refreshed from the server (its state still says {value['state']!r})")

    def _maybe_cut(self, states):
        """Cut once the second photo is half sent, half way through a chunk.

        The page's progress bar is the clock: under emulation it follows the
        bytes leaving the browser (the server has a chunk when the bar reaches
        its end; the answer then takes one latency to come back).
        """
        if self.cut_at is None:
            uploads = self.traffic.slot_uploads(DROP_SLOT)
            pct = states.get(DROP_SLOT, {}).get("pct")
            if not uploads or pct is None or pct < 50 or pct >= 100 or not uploads[-1].length:
                return
            length = uploads[-1].length
            sent = pct * length / 100
            # upload.js: the creation POST carries the odd-sized first part, then chunks.
            first = (length - 1) % CHUNK + 1
            chunk_start = 0 if sent < first else first + int((sent - first) // CHUNK) * CHUNK
            chunk_size = first if sent < first else min(CHUNK, length - chunk_start)
            through = (sent - chunk_start) / chunk_size
            if not 0.4 <= through <= 0.8:
                return
            killed = self.relay.cut()       # the transfers under way die ...
            self.cdp.send("Network.emulateNetworkConditions", OFFLINE)  # ... and the phone is offline
            self.cut_at, self.cut_pct = now(), pct
            print(f"drop: network cut at t={self.t():.1f}s, {DROP_SLOT} at {pct:.0f}% "
                  f"(~{sent / KB:.0f} of {length / KB:.0f} KiB sent, its chunk at "
                  f"{chunk_start // KB} KiB {100 * through:.0f}% through; {killed} "
                  f"connections reset)", flush=True)
        elif self.restored_at is None and now() - self.cut_at >= OUTAGE_S:
            self.relay.restore()
            self.cdp.send("Network.emulateNetworkConditions", THREE_G)
            self.restored_at = now()
            print(f"drop: {PRESET} restored at t={self.t():.1f}s after "
                  f"{self.restored_at - self.cut_at:.1f} s offline", flush=True)

    def check(self):
        self.page.get_by_role("button", name="Continue to check your answers").click()
        self.heading("Check your answers")
        received = self.page.locator("dl.answers dd", has_text="1 file received").count()
        if received != len(PHOTO_SLOTS):
            raise JourneyError(f"check page lists {received} received photos, "
                               f"expected {len(PHOTO_SLOTS)}")

    def declaration(self):
        self.page.get_by_role("link", name="Continue to the declaration").click()
        self.heading("Declaration and sending")

    def send(self):
        self.page.locator("#f-declare").check()
        self.page.get_by_role("button", name="Send my application").click()
        self.heading("Application sent")
        self.reference = self.page.locator(".panel strong.big").first.inner_text().strip()

    # ----------------------------------------------------------------------
    def run(self):
        print(f"run: preset={self.name} uploads={'serial' if self.serial else 'parallel'}",
              flush=True)
        context = self.browser.new_context(locale="en-GB", timezone_id="Europe/Rome",
                                           viewport={"width": 412, "height": 915},
                                           is_mobile=True, has_touch=True)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        try:
            self.page = page = context.new_page()
            page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
            page.on("console", lambda m: self.problems.append(f"console: {m.text}")
                    if m.type == "error" and "net::" not in m.text
                    and "Failed to load resource" not in m.text else None)
            self.cdp = context.new_cdp_session(page)
            self.cdp.send("Network.enable")
            self.cdp.send("Network.emulateNetworkConditions", THREE_G)
            self.traffic = Traffic(page, self.cdp, self.base)
            steps = [("home", self.home), ("search", self.search), ("guide", self.guide),
                     ("start", self.start), ("contact", self.contact),
                     ("applicant", self.applicant), ("licence", self.licence),
                     ("medical", self.medical), ("entrustment", self.entrustment),
                     ("materials", self.materials), ("check", self.check),
                     ("declaration", self.declaration), ("send", self.send)]
            self.started = now()
            for name, action in steps:
                if self.t() > JOURNEY_TIMEOUT_S:
                    raise JourneyError(f"journey over {JOURNEY_TIMEOUT_S} s before step {name}")
                try:
                    self.step(name, action)
                except JourneyError:
                    raise
                except Exception as exc:  # Playwright timeouts and assertion errors
                    heading = ""
                    try:
                        heading = page.locator("h1").first.inner_text(timeout=2000)
                    except Exception:
                        pass
                    raise JourneyError(f"step {name} failed on {page.url} "
                                       f"(h1 {heading!r}): {str(exc).splitlines()[0]}") from exc
            self.journey_s = now() - self.started
            print(f"confirmation: reference={self.reference} at t={self.journey_s:.1f}s",
                  flush=True)
        finally:
            if self.drop and self.cut_at is not None and self.restored_at is None:
                self.relay.restore()
                try:
                    self.cdp.send("Network.emulateNetworkConditions", THREE_G)
                except Exception:
                    pass
            context.close()
        return self

    def report_uploads(self):
        t = self.traffic
        for upload in t.uploads:
            took = (upload.done_at - upload.created) if upload.done_at else None
            received = self.received_at.get(upload.slot)
            chunks = math.ceil(upload.length / CHUNK) if upload.length else 0
            print(f"upload={upload.slot} sent_kb={upload.length / KB:.0f} chunks={chunks} "
                  f"patches={upload.patches} ok={upload.patches_ok} heads={upload.heads} "
                  f"failed={upload.failed} patch_kb={upload.patch_bytes / KB:.0f} "
                  f"s={'-' if took is None else f'{took:.1f}'} "
                  f"started_at={upload.created - self.started:.1f}s "
                  f"received_at={fmt(received - self.started if received else None)}s",
                  flush=True)
            if self.drop and upload.slot == DROP_SLOT:
                print(f"tus {upload.slot}: " + ", ".join(
                    f"{at - self.started:.1f}s {text}" for at, text in upload.events),
                    flush=True)
        if t.multipart_posts:
            self.problems.append("upload.js did not intercept: plain/htmx POSTs to "
                                 + ", ".join(t.multipart_posts))
        print(f"traffic: pages_kb={t.down / KB:.1f} files_resp_kb={t.down_files / KB:.1f} "
              f"upload_kb={t.up / KB:.1f} (tus {t.up_files / KB:.1f} + forms "
              f"{(t.up - t.up_files) / KB:.1f}) requests={t.requests} failed={len(t.failed)}",
              flush=True)
        for failure in t.failed:
            print(f"failed request: {failure}", file=sys.stderr)
        for problem in self.problems:
            print(f"problem: {problem}", file=sys.stderr)


def fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def step_seconds(run, name):
    return dict(run.steps).get(name)


def drop_verdict(first, second):
    """resumed=yes|no, and the cost line figures."""
    uploads = second.traffic.slot_uploads(DROP_SLOT)
    finished = second.journey_s is not None
    reasons = []
    if second.cut_at is None:
        reasons.append("the network was never cut")
    if len(uploads) != 1:
        reasons.append(f"{len(uploads)} POST /files/ for {DROP_SLOT} (a new upload was created)")
    if uploads and uploads[-1].done_at is None:
        reasons.append(f"{DROP_SLOT} never completed")
    if not finished:
        reasons.append("the journey did not reach the confirmation page")
    resumed = not reasons
    resent = sum(u.patch_bytes for u in uploads) - (uploads[-1].length if uploads else 0)
    resent_total = sum(u.patch_bytes - u.length for u in second.traffic.uploads if u.done_at)
    return resumed, reasons, resent, resent_total


# --------------------------------------------------------------------------- main

def report_server_log(log_path: Path) -> None:
    """gunicorn's own complaints (worker timeouts, tracebacks, 5xx) to stderr."""
    lines = log_path.read_text(errors="replace").splitlines()
    keep, in_trace = [], False
    for line in lines:
        access = line.startswith("127.0.0.1 ")
        if access:
            in_trace = False
            if re.search(r'" 5\d\d ', line):
                keep.append(line)
        elif "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line \
                or "[WARNING]" in line:
            in_trace = "Traceback" in line or in_trace
            keep.append(line)
        elif in_trace:
            keep.append(line)
    if os.environ.get("THROTTLED_KEEP_LOG"):
        shutil.copy(log_path, os.environ["THROTTLED_KEEP_LOG"])
    for line in keep[-80:]:
        print(f"gunicorn: {line}", file=sys.stderr)


def _terminated(signum, _frame):
    raise SystemExit(128 + signum)   # unwinds through ``finally``, which stops gunicorn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serial", action="store_true",
                        help="upload the photos one after another (default: all at once)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminated)
    proc = relay = None
    with tempfile.TemporaryDirectory(prefix="onevisit-throttled-") as tmp:
        tmp = Path(tmp)
        instance = tmp / "instance"
        instance.mkdir()
        log_path = tmp / "gunicorn.log"
        photo_dir = tmp / "photos"
        photo_dir.mkdir()
        try:
            executable = chromium_path()
            photos = make_photos(photo_dir)
            port = free_port()
            relay = Relay(port)
            base = f"http://127.0.0.1:{relay.port}"
            proc = start_server(instance, log_path, port, base)
            from playwright.sync_api import sync_playwright
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                                     args=CHROMIUM_ARGS)
                print(f"browser: {executable} {browser.version}; {PRESET}: latency "
                      f"{LATENCY_MS} ms, {DOWN_KBIT} kbit/s down, {UP_KBIT} kbit/s up",
                      flush=True)
                try:
                    first = Run(browser, base, photos, relay, serial=args.serial)
                    try:
                        first.run()
                    except JourneyError as exc:
                        print(f"journey failed: {exc}", file=sys.stderr)
                    first.report_uploads()
                    t = first.traffic
                    print(f"throttled: preset={PRESET} journey_s={fmt(first.journey_s)} "
                          f"upload_kb={t.up / KB:.0f} pages_kb={t.down / KB:.0f}", flush=True)

                    second = Run(browser, base, photos, relay, drop=True, serial=args.serial)
                    try:
                        second.run()
                    except JourneyError as exc:
                        print(f"journey failed: {exc}", file=sys.stderr)
                    second.report_uploads()
                finally:
                    browser.close()
        except BenchError as exc:
            print(f"throttled: bench failed: {exc}", file=sys.stderr)
            return 2
        finally:
            stop_server(proc)
            if relay is not None:
                relay.close()
            if log_path.exists():
                report_server_log(log_path)

    resumed, reasons, resent, resent_total = drop_verdict(first, second)
    budget_s = OUTAGE_S + CHUNK_S
    extra = (second.journey_s - first.journey_s
             if first.journey_s is not None and second.journey_s is not None else None)
    m1, m2 = step_seconds(first, "materials"), step_seconds(second, "materials")
    materials_extra = m2 - m1 if m1 is not None and m2 is not None else None
    within = (extra is not None and materials_extra is not None
              and max(extra, materials_extra) <= budget_s and resent <= CHUNK)
    for reason in reasons:
        print(f"not resumed: {reason}", file=sys.stderr)
    print(f"throttled: drop outage_s={OUTAGE_S} cut_at_pct={fmt(second.cut_pct)} "
          f"extra_s={fmt(extra)} materials_extra_s={fmt(materials_extra)} "
          f"budget_s={budget_s:.1f} resent_kb={resent / KB:.0f} chunk_kb={CHUNK // KB} "
          f"resent_total_kb={resent_total / KB:.0f} "
          f"within_budget={'yes' if within else 'no'}", flush=True)
    print(f"throttled: preset={PRESET}+drop journey_s={fmt(second.journey_s)} "
          f"resumed={'yes' if resumed else 'no'}", flush=True)
    print(f"throttled: preset={PRESET} journey_s={fmt(first.journey_s)} "
          f"target_s={TARGET_JOURNEY_S} drop_journey_s={fmt(second.journey_s)} "
          f"resumed={'yes' if resumed else 'no'}", flush=True)
    if first.journey_s is None or first.journey_s > TARGET_JOURNEY_S or not resumed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
