"""Page weight of the applicant journey, measured on the wire against a real gunicorn.

What it does
------------
1. Makes a fresh instance directory (temp dir), runs ``flask db-upgrade`` and
   ``flask load-catalog`` in it, then starts
   ``gunicorn --config gunicorn.conf.py -w 1 -b 127.0.0.1:<free port> wsgi:app``
   with ``ONEVISIT_INSTANCE_DIR`` pointing at it, and waits for ``/healthz``.
2. Walks every applicant page of the journey for item JJ-JZ-001 as a browser
   without JavaScript would (cookie jar, CSRF tokens parsed from the forms,
   redirects not followed automatically so each page is fetched once):
   home, catalog, search, guide, start (GET + POST), the steps applicant /
   licence / medical and the entrustment page (GET + POST), materials (three
   JPEG uploads, the medical
   certificate deferred), check, declaration (POST), confirmation, status and
   "find my application". The same walk is then done in ``/zh/`` with a second
   case, so the Chinese journey pages are real pages and not redirects.
3. Every request carries ``Accept-Encoding: br, gzip``; the size counted is the
   response body as received (urllib never decodes Content-Encoding), i.e. the
   compressed bytes on the wire, headers excluded. 1 KB = 1024 bytes.

Figures
-------
* ``max_html_kb``: the largest compressed HTML of any page.
* ``first_visit_kb``: the largest "cold" page: its HTML plus every CSS/JS file it
  references (``<link rel=stylesheet>``, ``<script src>``), as for a visitor with
  an empty cache landing on that page.
* ``repeat_kb``: the largest transfer of a page after the first one in the walk,
  with a browser cache: its HTML plus the CSS/JS not referenced by an earlier page.
* ``critical_kb``: the largest render-critical first visit of an entry page (home,
  catalog, guide, status): its HTML, its stylesheets and its blocking scripts (a
  ``defer``/``async`` script and a prefetched file do not hold up the first paint).
  It must fit one initial TCP window (10 segments, 14.6 KB).
* ``prefetch_kb``: the largest prefetched bytes (``<link rel=prefetch>``) of an entry
  page, fetched at low priority after it for the pages that follow. Each page's
  ``critical_kb`` and ``prefetch_kb`` are on its ``transfer`` line.

Budgets (DESIGN.md "Budgets"): compressed HTML <= 10 KB, first visit <= 40 KB,
later pages <= 12 KB, render-critical bytes of an entry page <= 14.6 KB. Also reported (not part of the exit status): the CSS
budget (one file, <= 6 KB compressed, fingerprinted, cached for a year).

Exit status: 0 within budget, 1 a budget is broken, 2 the walk itself failed
(a page answered with an unexpected status, the server did not start...).

Run from the project root: ``.venv/bin/python bench/pageweight.py``.
"""

import gzip
import html.parser
import http.cookiejar
import io
import os
import re
from datetime import date, timedelta
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
ITEM = "JJ-JZ-001"
KB = 1024

BUDGET_HTML_KB = 10
BUDGET_FIRST_KB = 40
BUDGET_REPEAT_KB = 12
BUDGET_CSS_KB = 6
#: Render-critical bytes of an entry page fit one initial TCP window (10 segments).
BUDGET_CRITICAL_KB = 14.6
ENTRY_PAGES = ("home", "services", "guide", "status")
CRITICAL = ("css", "blocking")

# Step answers, as in tests/conftest.py.
APPLICANT = {"name_zh": "林美", "name_latin": "LIN Mei", "cn_id": "11010519491231002X",
             "passport_number": "EJ1234567", "date_of_birth": "1968-04-12",
             "phone": "+39 312 345 6789", "address_abroad": "Via Pistoiese 120, 59100 Prato, Italia"}
LICENCE = {"licence_number": "330328196804120021", "licence_expiry": "2026-10-01",
           "licence_class": "C1", "issuing_authority": "温州市公安局交通警察支队"}
MEDICAL = {"needs_glasses": "no"}
ENTRUSTMENT = {"mode": "agent", "agent_name_zh": "林建国", "agent_cn_id": "330328194501010010",
               "agent_relationship": "sibling", "agent_phone": "138 0013 8000",
               "powers": "submit", "valid_from": date.today().isoformat(),
               "valid_until": (date.today() + timedelta(days=365)).isoformat()}
UPLOADS = ("passport_page", "driving_licence", "id_photo")
DEFERRED = "medical_certificate"


class WalkError(RuntimeError):
    """The journey did not go as a real client expects (not a budget problem)."""


# --------------------------------------------------------------------------- HTTP client

class _NoRedirect(urllib.request.HTTPErrorProcessor):
    """Return every response as is: no automatic redirects, no HTTPError for 4xx/5xx."""

    def http_response(self, request, response):
        return response

    https_response = http_response


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw                      # bytes as received (still compressed)
        self.encoding = (headers.get("Content-Encoding") or "none").strip().lower()

    @property
    def text(self) -> str:
        body = self.raw
        if self.encoding == "br":
            import brotli
            body = brotli.decompress(body)
        elif self.encoding == "gzip":
            body = gzip.decompress(body)
        elif self.encoding not in ("none", "identity", ""):
            raise WalkError(f"unexpected Content-Encoding {self.encoding!r}")
        return body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location") or ""


class Client:
    """A cookie-keeping client that sends ``Accept-Encoding: br, gzip`` everywhere."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method, path, data=None, content_type=None) -> Response:
        url = urllib.parse.urljoin(self.base, path)
        headers = {"Accept-Encoding": "br, gzip",
                   "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                   "User-Agent": "onevisit-bench/1"}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as exc:  # only if a handler still raises
            return Response(exc.code, exc.headers, exc.read())

    def get(self, path) -> Response:
        return self.request("GET", path)

    def post(self, path, fields: dict) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def post_multipart(self, path, fields: dict, files: dict) -> Response:
        boundary = "----onevisit" + uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in fields.items():
            out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
                      f"\r\n\r\n{value}\r\n".encode())
        for name, (filename, content, ctype) in files.items():
            out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                      f"filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n".encode())
            out.write(content)
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, out.getvalue(),
                            f"multipart/form-data; boundary={boundary}")


# --------------------------------------------------------------------------- HTML parsing

class PageParser(html.parser.HTMLParser):
    """Collects CSS/JS references and the forms (action, hidden and text inputs)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.assets = []        # (kind, url) in document order
        self.forms = []         # {"action": str, "inputs": {name: value}}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rels = set((a.get("rel") or "").lower().split())
        if tag == "link" and "stylesheet" in rels and a.get("href"):
            self.assets.append(("css", a["href"]))        # render-blocking
        elif tag == "link" and rels & {"prefetch", "preload", "modulepreload"} \
                and a.get("href"):
            # A browser fetches these too (at low priority): they count as transferred,
            # not as render-critical.
            self.assets.append(("prefetch", a["href"]))
        elif tag == "script" and a.get("src"):
            deferred = "defer" in a or "async" in a or (a.get("type") or "") == "module"
            self.assets.append(("deferred" if deferred else "blocking", a["src"]))
        elif tag == "form":
            self.forms.append({"action": a.get("action") or "", "inputs": {}})
        elif tag == "input" and self.forms and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("hidden", "text") or kind == "checkbox" and "checked" in a:
                self.forms[-1]["inputs"].setdefault(a["name"], a.get("value") or "")


def parse(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def form_for(page: PageParser, action_part: str, what: str) -> dict:
    """The inputs of the first form whose action contains ``action_part``."""
    for form in page.forms:
        if action_part in form["action"]:
            return dict(form["inputs"])
    actions = [f["action"] for f in page.forms]
    raise WalkError(f"{what}: no form posting to *{action_part}* (forms: {actions})")


def jpeg(seed: int) -> bytes:
    """A small, real photo-like JPEG (gradient and shapes, so it is not a flat colour)."""
    from PIL import Image, ImageDraw
    image = Image.new("RGB", (640, 480))
    pixels = image.load()
    for y in range(480):
        for x in range(640):
            pixels[x, y] = ((x + seed * 40) % 256, (y * 2 + seed * 70) % 256, (x + y) % 256)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 580, 420), outline=(20, 20, 20), width=6)
    draw.text((90, 90), f"OneVisit bench document {seed}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# --------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(env, *args):
    result = subprocess.run([str(VENV / "flask"), "--app", "wsgi.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise WalkError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


#: Two years of the statistics' counters for the whole network, so /<lang>/statistics is
#: weighed at its heaviest (24 months, every figure shown, every chart drawn).
SEED_STATISTICS = """
from app import create_app
from app.models import StatCell, StatDays, db
from app.ratings.figures import default_range, month_index, month_of_index
app = create_app()
with app.app_context(), db.connection_context(), db.atomic():
    _first, last = default_range()
    for n in range(24):
        month = month_of_index(month_index(last) - n)
        row = dict.fromkeys(StatCell.counters(), 0)
        row.update(received=9000 + 37 * n, accepted=8800 + 31 * n, results=8500 + 29 * n,
                   on_time=8100 + 23 * n, delivered=8400 + 19 * n, deferred=1200 + n,
                   deferred_on_time=1100 + n, rated=6000 + 11 * n, level_5=3900 + 7 * n,
                   level_4=1300 + n, level_3=480, level_2=200 + n, level_1=120 + 2 * n,
                   excluded=3, visits_0=4500 + n, visits_1=900, visits_2=400, visits_3=200,
                   guide_yes=5200, guide_partly=600, guide_no=200, trips_abroad=3900 + n,
                   trips_province=600 + n, demo=0)
        StatCell.insert(county=0, item=0, point=0, month=month, **row).execute()
        StatDays.insert_many([{"county": 0, "item": 0, "point": 0, "month": month,
                               "measure": measure, "days": days, "n": 100 + days * n}
                              for measure in ("taken", "limit") for days in range(1, 31)]
                             ).execute()
"""


def seed_statistics(env) -> None:
    """The counters of SEED_STATISTICS, written through the app's models."""
    result = subprocess.run([str(VENV / "python"), "-c", SEED_STATISTICS], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise WalkError(f"seeding the statistics failed:\n{result.stdout}{result.stderr}")


def start_server(instance: Path, log_path: Path):
    env = dict(os.environ, ONEVISIT_INSTANCE_DIR=str(instance))
    for name in ("FLASK_APP", "DATABASE_URL", "ONEVISIT_DATABASE_URL"):
        env.pop(name, None)
    print(run_cli(env, "db-upgrade"), file=sys.stderr)
    print(run_cli(env, "load-catalog"), file=sys.stderr)
    print(run_cli(env, "load-service-points"), file=sys.stderr)
    seed_statistics(env)
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [str(VENV / "gunicorn"), "--config", "gunicorn.conf.py", "-w", "1",
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise WalkError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    print(f"server: {base} healthz {resp.read().decode().strip()}",
                          file=sys.stderr)
                    return proc, base
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise WalkError("gunicorn did not answer /healthz within 30 s")


def stop_server(proc):
    """Stop gunicorn (master and its worker: the process group we created)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- the walk

class Meter:
    """Records page sizes and the assets they pull in."""

    def __init__(self, client: Client):
        self.client = client
        self.pages = []          # dicts: name, status, html, encoding, assets (urls)
        self.asset_size = {}     # url -> (bytes, encoding, cache-control)
        self.problems = []

    def asset(self, url):
        if url not in self.asset_size:
            resp = self.client.get(url)
            if resp.status != 200:
                self.problems.append(f"asset {url}: status {resp.status}")
            self.asset_size[url] = (len(resp.raw), resp.encoding,
                                    resp.headers.get("Cache-Control") or "",
                                    resp.headers.get("Content-Type") or "")
        return self.asset_size[url][0]

    def page(self, name, path, expect=200, must_contain=None) -> PageParser:
        resp = self.client.get(path)
        text = resp.text if resp.raw else ""
        parsed = parse(text)
        lang = name.split("/")[0]
        want = "zh-Hans" if lang == "zh" else lang
        if resp.status == 200 and f'<html lang="{want}"' not in text:
            self.problems.append(f"{name}: page is not marked lang={want}")
        if must_contain and must_contain not in text:
            self.problems.append(f"{name}: page does not contain {must_contain!r}")
        urls, kinds = [], {}
        for kind, url in parsed.assets:
            if url not in urls:
                urls.append(url)
                kinds[url] = kind
            elif kind in ("css", "blocking"):      # used here after all: critical
                kinds[url] = kind
        for url in urls:
            self.asset(url)
        self.pages.append({"name": name, "path": path, "status": resp.status,
                           "html": len(resp.raw), "encoding": resp.encoding, "assets": urls,
                           "kinds": kinds, "text": text})
        print(f"page={name} status={resp.status} html_kb={len(resp.raw) / KB:.2f} "
              f"encoding={resp.encoding}", flush=True)
        if resp.status != expect:
            where = f" -> {resp.location}" if resp.location else ""
            self.problems.append(f"{name}: GET {path} answered {resp.status}{where}, "
                                 f"expected {expect}")
        return parsed

    def post(self, name, path, fields, expect_location=None, files=None) -> Response:
        if files:
            resp = self.client.post_multipart(path, fields, files)
        else:
            resp = self.client.post(path, fields)
        target = urllib.parse.urlsplit(resp.location).path if resp.location else ""
        print(f"post={name} status={resp.status} location={target or '-'}", file=sys.stderr)
        if resp.status != 303:
            snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.text))[:300] \
                if resp.raw else ""
            raise WalkError(f"{name}: POST {path} answered {resp.status}, expected 303 ({snippet})")
        if expect_location and not target.endswith(expect_location):
            self.problems.append(f"{name}: POST {path} redirected to {target}, "
                                 f"expected …{expect_location}")
        return resp


def walk(meter: Meter, lang: str):
    """One applicant's whole journey in ``lang``."""
    p = f"/{lang}"
    meter.page(f"{lang}/home", f"{p}/")
    meter.page(f"{lang}/services", f"{p}/services")
    meter.page(f"{lang}/search", f"{p}/services?q=licence", must_contain=f"/services/{ITEM}")
    meter.page(f"{lang}/guide", f"{p}/services/{ITEM}")
    # The FAQ (the demo's published answers, when loaded; an empty list otherwise).
    meter.page(f"{lang}/faq", f"{p}/faq")
    # Asking the window a question (its first step; the rest is as heavy as a step).
    meter.page(f"{lang}/ask", f"{p}/questions/new?item={ITEM}")

    apply_path = f"{p}/services/{ITEM}/apply"
    start = meter.page(f"{lang}/start", apply_path)
    inputs = form_for(start, f"/services/{ITEM}/apply", "start page")
    fields = {"csrf_token": inputs.get("csrf_token", ""), "start_key": inputs.get("start_key", ""),
              "email": "lin.mei@example.it", "phone": "+39 312 345 6789",
              "language": lang, "country": "IT", "city": "Prato", "tz": "Europe/Rome"}
    resp = meter.post(f"{lang}/start", apply_path, fields)
    match = re.search(r"/cases/(OV-[\d-]+)/", resp.location)
    if not match:
        raise WalkError(f"start: redirect {resp.location!r} has no case reference")
    ref = match.group(1)
    case = f"{p}/cases/{ref}"
    print(f"case: {lang} {ref} (start redirected to {urllib.parse.urlsplit(resp.location).path})",
          file=sys.stderr)

    steps = [("applicant", APPLICANT, "/steps/licence"), ("licence", LICENCE, "/steps/medical"),
             ("medical", MEDICAL, "/entrustment")]
    for key, values, after in steps:
        url = f"{case}/steps/{key}"
        page = meter.page(f"{lang}/step-{key}", url)
        token = form_for(page, f"/steps/{key}", f"step {key}")["csrf_token"]
        meter.post(f"{lang}/step-{key}", url, {"csrf_token": token, **values}, after)

    # The driving licence allows a relative at home to act: the entrustment page.
    page = meter.page(f"{lang}/entrustment", f"{case}/entrustment")
    token = form_for(page, "/entrustment", "entrustment")["csrf_token"]
    meter.post(f"{lang}/entrustment", f"{case}/entrustment",
               {"csrf_token": token, **ENTRUSTMENT}, "/materials")

    page = meter.page(f"{lang}/materials", f"{case}/materials")
    for n, key in enumerate(UPLOADS):
        token = form_for(page, f"/materials/{key}", f"materials {key}")["csrf_token"]
        meter.post(f"{lang}/upload-{key}", f"{case}/materials/{key}", {"csrf_token": token},
                   "/materials", files={"file": (f"{key}.jpg", jpeg(n), "image/jpeg")})
    later = form_for(page, f"/materials/{DEFERRED}/later", "materials defer")
    meter.post(f"{lang}/later-{DEFERRED}", f"{case}/materials/{DEFERRED}/later",
               {"csrf_token": later["csrf_token"], "later": "yes"}, "/materials")
    # What the browser shows after the last 303: the page with three files listed.
    page = meter.page(f"{lang}/materials-filled", f"{case}/materials")
    token = form_for(page, "/materials/continue", "materials continue")["csrf_token"]
    meter.post(f"{lang}/materials-continue", f"{case}/materials/continue",
               {"csrf_token": token}, "/check")

    meter.page(f"{lang}/check", f"{case}/check")
    page = meter.page(f"{lang}/declaration", f"{case}/declaration")
    form = form_for(page, "/declaration", "declaration")
    if "version" not in form:
        raise WalkError("declaration: no version field in the form")
    meter.post(f"{lang}/declaration", f"{case}/declaration",
               {"csrf_token": form["csrf_token"], "version": form["version"], "declare": "yes"},
               "/confirmation")
    meter.page(f"{lang}/confirmation", f"{case}/confirmation")
    meter.page(f"{lang}/status", case)
    # The entrustment needs a video identity check: the slot list, then the booked page.
    meter.page(f"{lang}/video-check", f"{case}/video-check")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_html(meter))
    slot = re.search(r'name="slot" value="(\d{8}T\d{4})"(?! disabled)', page_html(meter))
    if not slot or not token:
        raise WalkError("video check: no free slot or no form offered")
    meter.post(f"{lang}/video-book", f"{case}/video-check",
               {"csrf_token": token.group(1), "slot": slot.group(1), "tz": "Europe/Rome"},
               "/video-check")
    meter.page(f"{lang}/video-booked", f"{case}/video-check?tz=Europe/Rome")
    meter.page(f"{lang}/find", f"{p}/cases/find")
    meter.page(f"{lang}/service-points", f"{p}/service-points")
    meter.page(f"{lang}/service-points-tz", f"{p}/service-points?tz=America/New_York")
    meter.page(f"{lang}/agent", f"{p}/agent")
    # The public statistics over their longest range (24 months of figures, three charts).
    meter.page(f"{lang}/statistics", f"{p}/statistics", must_contain="<svg")
    meter.page(f"{lang}/statistics-24", f"{p}/statistics?from={months_ago(23)}&to={months_ago(0)}",
               must_contain="<svg")


def months_ago(n: int) -> str:
    """``YYYY-MM`` of ``n`` months before this one (Beijing time)."""
    from datetime import datetime, timezone as tz
    from zoneinfo import ZoneInfo
    today = datetime.now(tz.utc).astimezone(ZoneInfo("Asia/Shanghai"))
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def page_html(meter) -> str:
    """The HTML of the page measured last."""
    return meter.pages[-1]["text"]


def critical(meter: Meter, pg: dict) -> int:
    """Render-critical bytes of a cold visit: the HTML, its CSS and its blocking scripts."""
    return pg["html"] + sum(meter.asset_size[u][0] for u in pg["assets"]
                            if pg["kinds"][u] in CRITICAL)


def prefetched(meter: Meter, pg: dict) -> int:
    """Bytes a cold visit fetches at low priority for the pages that follow."""
    return sum(meter.asset_size[u][0] for u in pg["assets"] if pg["kinds"][u] == "prefetch")


def report(meter: Meter) -> int:
    pages = meter.pages
    seen = set()
    rows = []
    for n, pg in enumerate(pages):
        cold = pg["html"] + sum(meter.asset_size[u][0] for u in pg["assets"])
        new = [u for u in pg["assets"] if u not in seen]
        warm = pg["html"] + sum(meter.asset_size[u][0] for u in new)
        seen.update(pg["assets"])
        rows.append((pg["name"], cold, warm, new, n))
    for url, (size, enc, cache, ctype) in sorted(meter.asset_size.items()):
        print(f"asset={url} kb={size / KB:.2f} encoding={enc} type={ctype.split(';')[0]} "
              f"cache=\"{cache}\"")
    for name, cold, warm, new, n in rows:
        extra = f" new_assets={','.join(new)}" if new else ""
        kind = "first" if n == 0 else "repeat"
        pg = pages[n]
        print(f"transfer page={name} cold_kb={cold / KB:.2f} {kind}_kb={warm / KB:.2f} "
              f"critical_kb={critical(meter, pg) / KB:.2f} "
              f"prefetch_kb={prefetched(meter, pg) / KB:.2f}{extra}")
    entry = [pg for pg in pages if pg["name"].split("/", 1)[1] in ENTRY_PAGES]
    critical_kb = max(critical(meter, pg) for pg in entry) / KB
    prefetch_kb = max(prefetched(meter, pg) for pg in entry) / KB
    for pg in entry:
        print(f"entry page={pg['name']} critical_kb={critical(meter, pg) / KB:.2f} "
              f"prefetch_kb={prefetched(meter, pg) / KB:.2f}")

    max_html = max(pg["html"] for pg in pages) / KB
    first = max(r[1] for r in rows) / KB
    later = [r for r in rows if r[4] > 0]
    repeat = max(r[2] for r in later) / KB if later else 0.0

    failed = []
    if max_html > BUDGET_HTML_KB:
        worst = max(pages, key=lambda pg: pg["html"])
        failed.append(f"max_html_kb {max_html:.2f} > {BUDGET_HTML_KB} ({worst['name']})")
    if first > BUDGET_FIRST_KB:
        worst = max(rows, key=lambda r: r[1])
        failed.append(f"first_visit_kb {first:.2f} > {BUDGET_FIRST_KB} ({worst[0]})")
    if repeat > BUDGET_REPEAT_KB:
        worst = max(later, key=lambda r: r[2])
        failed.append(f"repeat_kb {repeat:.2f} > {BUDGET_REPEAT_KB} ({worst[0]}: "
                      f"html {pages[worst[4]]['html'] / KB:.2f} + new assets "
                      f"{','.join(worst[3]) or 'none'})")
    if critical_kb > BUDGET_CRITICAL_KB:
        worst = max(entry, key=lambda pg: critical(meter, pg))
        failed.append(f"critical_kb {critical_kb:.2f} > {BUDGET_CRITICAL_KB} ({worst['name']}: "
                      f"html {worst['html'] / KB:.2f} + "
                      f"{','.join(u for u in worst['assets'] if worst['kinds'][u] in CRITICAL)})")
    css = [(u, s) for u, (s, _e, _c, _t) in meter.asset_size.items() if u.endswith(".css")]
    notes = []
    if len(css) != 1:
        notes.append(f"{len(css)} CSS files referenced (budget: one)")
    for url, size in css:
        if size > BUDGET_CSS_KB * KB:
            notes.append(f"CSS {url} is {size / KB:.2f} KB compressed (budget {BUDGET_CSS_KB})")
    for url, (_s, _e, cache, _t) in meter.asset_size.items():
        if "max-age=31536000" not in cache:
            notes.append(f"{url} is not cached for a year ({cache!r})")
    uncompressed = [pg["name"] for pg in pages if pg["encoding"] == "none"]
    if uncompressed:
        notes.append(f"pages sent uncompressed: {', '.join(uncompressed)}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in meter.problems:
        print(f"walk problem: {problem}", file=sys.stderr)
    for fail in failed:
        print(f"BUDGET BROKEN: {fail}", file=sys.stderr)
    print(f"pageweight: pages={len(pages)} max_html_kb={max_html:.2f} "
          f"first_visit_kb={first:.2f} repeat_kb={repeat:.2f} critical_kb={critical_kb:.2f} "
          f"prefetch_kb={prefetch_kb:.2f}", flush=True)
    if meter.problems:
        return 2
    return 1 if failed else 0


def _terminated(signum, _frame):
    raise SystemExit(128 + signum)   # unwinds through ``finally``, which stops gunicorn


def main() -> int:
    signal.signal(signal.SIGTERM, _terminated)
    proc = None
    with tempfile.TemporaryDirectory(prefix="onevisit-pageweight-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        log_path = Path(tmp) / "gunicorn.log"
        try:
            proc, base = start_server(instance, log_path)
            meter = Meter(Client(base))
            walk(meter, "en")
            walk(meter, "zh")
            return report(meter)
        except WalkError as exc:
            print(f"pageweight: walk failed: {exc}", file=sys.stderr)
            if log_path.exists():
                tail = log_path.read_text(errors="replace").splitlines()[-40:]
                print("gunicorn log (tail):\n" + "\n".join(tail), file=sys.stderr)
            return 2
        finally:
            stop_server(proc)


if __name__ == "__main__":
    sys.exit(main())
