"""PDF rendering speed and size, per document type.

Builds a sandbox app with a submitted driving-licence case (three photos, one
deferred material, a relative entrusted), then renders each document type 20
times warm in this one process, through the same path the app uses (plain-data
context → HTML → WeasyPrint in the limited render process). Prints one line
per type with the median milliseconds of the render (HTML to PDF bytes, what
the budget is about), the median of building the context and HTML before it
(context_ms), and the size. The print pack's cover sheet and the access slip
are measured the same way (types ``cover`` and ``slip``). One more line
measures a whole print pack (cover + form + entrustment + commitment, merged
with pypdf; the issued documents are already stored, as on a second print):

    pack: runs=N median_ms=X p90_ms=Y size_kb=Z pages=P

It is several documents, so it is not held to the one-document budgets. Then:

    pdf: types=N max_median_ms=X max_size_kb=Y cold_start_ms=Z

cold_start_ms is the first render in a fresh Python process, WeasyPrint import
included (measured in a subprocess). Budgets (DESIGN.md): max_median_ms ≤ 300,
max_size_kb ≤ 80. Exit status 1 when a budget is broken.

Then the first document after a start, as the README runs the app (gunicorn,
``gunicorn.conf.py``, two workers), with the render worker's warm-up at start
off (``ONEVISIT_RENDER_WARM_UP=false``, as before) and on. For each, a fresh
gunicorn is started (ready_ms: until ``/healthz`` answers); one phone (one
keep-alive connection, so one gunicorn worker) then opens the item's guide page,
as an applicant does before downloading, and downloads a blank form (first_ms,
never rendered before), then four more blank forms in other languages, each
rendered anew (next_ms, their median). first_at_once_ms is the same first
download made the instant ``/healthz`` answers (another fresh start): the worst
case, when a document is asked for while the warm-up is still running.

    pdf-start: warm_up=off|on ready_ms=R first_at_once_ms=A first_ms=F next_ms=N
    pdf: first_ms=F next_ms=N cold_first_ms=C

(the last line: warm-up on; cold_first_ms is first_ms with it off).

Run: .venv/bin/python bench/pdf.py   (only the start-up part: bench/pdf.py start)
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py would hide the standard library's queue (requests needs it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

RUNS = 20
COLD = r"""
import sys, time, tempfile
sys.path.insert(0, {root!r})
started = time.perf_counter()
from app.documents.render import render_pdf
from app.documents.templates import render_html
html = open({html!r}, encoding="utf-8").read()
render_pdf(html)
print(round((time.perf_counter() - started) * 1000))
"""


def build_case(app):
    """A submitted case with every document available; returns its reference."""
    from tests.conftest import Journey, fill_driving_licence, jpeg_bytes
    journey = Journey(app.test_client(), lang="it")
    journey.start(language="it")
    fill_driving_licence(journey, entrust=True)
    for key in ("passport_page", "driving_licence", "id_photo"):
        journey.upload(key, jpeg_bytes())
    journey.defer("medical_certificate")
    assert journey.submit().status_code == 303
    return journey.reference


BLANK = "/{lang}/services/JJ-JZ-001/blank/form.pdf"


def _timed_get(session, url) -> float:
    started = time.perf_counter()
    answer = session.get(url, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"{url}: {answer.status_code}")
    return elapsed


def start_once(warm: bool, at_once: bool) -> dict:
    """Start gunicorn (warm-up on or off) and time the first PDFs after the start."""
    import requests
    from tests.topology import OneHost
    with tempfile.TemporaryDirectory(prefix="onevisit-pdf-start-") as tmp:
        host = OneHost(tmp, RENDER_WARM_UP="true" if warm else "false")
        started = time.perf_counter()
        host.start()
        figures = {"ready_ms": (time.perf_counter() - started) * 1000}
        try:
            phone = requests.Session()
            if at_once:
                figures["first_ms"] = _timed_get(phone, host.url + BLANK.format(lang="zh"))
                return figures
            phone.get(host.url + "/zh/services/JJ-JZ-001", timeout=30)
            time.sleep(3)  # reading the guide page before tapping the download
            figures["first_ms"] = _timed_get(phone, host.url + BLANK.format(lang="zh"))
            figures["next_ms"] = statistics.median(
                _timed_get(phone, host.url + BLANK.format(lang=lang))
                for lang in ("pt", "it", "fr", "es"))
            return figures
        finally:
            host.stop()


def start_up() -> dict:
    """The first document after a start, warm-up off and on; prints one line each."""
    results = {}
    for warm in (False, True):
        at_once = start_once(warm, at_once=True)
        later = start_once(warm, at_once=False)
        results[warm] = dict(later, first_at_once_ms=at_once["first_ms"])
        print(f"pdf-start: warm_up={'on' if warm else 'off'} ready_ms={later['ready_ms']:.0f} "
              f"first_at_once_ms={at_once['first_ms']:.0f} first_ms={later['first_ms']:.0f} "
              f"next_ms={later['next_ms']:.0f}", flush=True)
    print(f"pdf: first_ms={results[True]['first_ms']:.0f} next_ms={results[True]['next_ms']:.0f} "
          f"cold_first_ms={results[False]['first_ms']:.0f}")
    return results


def main() -> int:
    if sys.argv[1:] == ["start"]:
        start_up()
        return 0
    import logging
    from app.sandbox import create_sandbox_app
    from app.documents.context import blank_context, case_context, cover_context, slip_context
    from app.documents.pack import pack_contents, print_pack
    from app.documents.render import render_pdf
    from app.documents.templates import render_html
    from app.models import Case, Item, db
    from pypdf import PdfReader

    logging.disable(logging.WARNING)
    results = {}
    with tempfile.TemporaryDirectory(prefix="onevisit-pdf-") as tmp:
        app = create_sandbox_app(tmp)
        reference = build_case(app)
        with app.test_request_context("/it/"), db.connection_context():
            case = Case.get(Case.reference == reference)
            item = Item.get(Item.code == "JJ-JZ-001")
            jobs = {doc: (lambda doc=doc: render_html(doc, case_context(doc, case, "ABCDE-FGHJK", "a4"), "it"))
                    for doc in ("form", "entrustment", "commitment", "receipt")}
            jobs.update({f"blank-{doc}": (lambda doc=doc: render_html(
                doc, blank_context(doc, item, "it", "a4"), "it"))
                for doc in ("form", "entrustment", "commitment")})
            contents = pack_contents(case, "a4")
            jobs["cover"] = lambda: render_html("cover", cover_context(case, contents, "a4"), "it")
            jobs["slip"] = lambda: render_html("slip", slip_context(case, "K7QD-M2XA", "a4"), "it")
            first_html = None
            for name, make_html in jobs.items():
                html = make_html()
                first_html = first_html or html
                render_pdf(html)  # warm-up
                times, prep, size, pages, missing = [], [], 0, 0, []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    html = make_html()
                    prepared = time.perf_counter()
                    result = render_pdf(html)
                    done = time.perf_counter()
                    prep.append((prepared - started) * 1000)
                    times.append((done - prepared) * 1000)
                    size, pages, missing = len(result["pdf"]), result["pages"], result["missing_glyphs"]
                median = statistics.median(times)
                results[name] = (median, size)
                print(f"type={name} runs={RUNS} median_ms={median:.1f} p90_ms="
                      f"{statistics.quantiles(times, n=10)[-1]:.1f} context_ms="
                      f"{statistics.median(prep):.1f} size_kb={size / 1024:.1f} "
                      f"pages={pages} missing_glyphs={len(missing)}")
            print_pack(case, "a4")  # warm-up
            times, size, pages = [], 0, 0
            for _ in range(RUNS // 2):
                started = time.perf_counter()
                data = print_pack(case, "a4")
                times.append((time.perf_counter() - started) * 1000)
                size = len(data)
            pages = len(PdfReader(io.BytesIO(data)).pages)
            print(f"pack: runs={len(times)} median_ms={statistics.median(times):.1f} p90_ms="
                  f"{statistics.quantiles(times, n=10)[-1]:.1f} size_kb={size / 1024:.1f} pages={pages}")
        html_path = Path(tmp) / "form.html"
        html_path.write_text(first_html, encoding="utf-8")
        cold = subprocess.run([sys.executable, "-c", COLD.format(root=str(ROOT), html=str(html_path))],
                              capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))
        cold_ms = int(cold.stdout.strip().splitlines()[-1]) if cold.returncode == 0 else -1
        if cold.returncode:
            print(cold.stderr[-2000:], file=sys.stderr)
    max_median = max(m for m, _s in results.values())
    max_size = max(s for _m, s in results.values()) / 1024
    print(f"pdf: types={len(results)} max_median_ms={max_median:.0f} max_size_kb={max_size:.0f} "
          f"cold_start_ms={cold_ms}", flush=True)
    start_up()
    broken = max_median > 300 or max_size > 80
    if broken:
        print("BUDGET BROKEN: max_median_ms <= 300 and max_size_kb <= 80", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
