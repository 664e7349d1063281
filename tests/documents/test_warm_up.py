"""The render worker is started and warmed up when an app process starts (issue 16,
item 13): the first document after a start is made by a worker that already loaded
WeasyPrint, the fonts and the stylesheets, not by one started for it."""

import time
from pathlib import Path

import requests

from app.documents import render, service
from app.documents.context import blank_context
from app.documents.templates import render_html
from app.models import Item, db

from ..topology import OneHost


def blank_form_html(app, lang="pt"):
    with app.test_request_context(f"/{lang}/"), db.connection_context():
        item = Item.get(Item.code == "JJ-JZ-001")
        return render_html("form", blank_context("form", item, lang, "a4"), lang)


def test_the_first_document_after_warm_up_is_made_by_the_warmed_worker(app):
    html = blank_form_html(app)
    render._worker.stop()
    assert service.warm_up(app.config) is True
    assert service.warm_up(app.config) is False        # one worker per app process
    result = render.render_pdf(html)
    worker = result["worker"]
    assert worker["started_by"] == "warm-up" and worker["renders"] == 1
    warm = worker["warm"]
    assert warm["pid"] == render._worker.process.pid
    assert "error" not in warm, warm
    assert warm["missing_glyphs"] == 0                  # the CJK font was loaded, rare names too
    assert 0 < warm["import_ms"] <= warm["warm_ms"]
    assert result["pages"] >= 1 and result["pdf"].startswith(b"%PDF")


def test_without_warm_up_the_first_document_starts_the_worker(app):
    html = blank_form_html(app, "it")
    render._worker.stop()
    first = render.render_pdf(html)["worker"]
    second = render.render_pdf(html)["worker"]
    assert first["started_by"] == "render" and first["renders"] == 1
    assert second["warm"]["pid"] == first["warm"]["pid"] and second["renders"] == 2


def test_the_warm_up_page_loads_every_document_stylesheet():
    page = render.WARM_UP_PAGE.read_text(encoding="utf-8")
    kinds = {path.parent.name for path in render.PDFS_DIR.glob("*/print.css")}
    assert kinds >= {"_base", "form", "receipt", "entrustment", "commitment", "cover", "slip"}
    assert set(render._LINK_RE.findall(page)) == {f"{kind}/print.css" for kind in kinds}
    assert "{" + "{" not in page and "{%" not in page   # plain HTML, rendered as it is


def _children(pid: int) -> dict:
    """``{child pid: command line}`` of a process (read from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                child = int(stat.parent.name)
                found[child] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def render_processes(master: int) -> set:
    """The render workers under each gunicorn worker of ``master``."""
    return {pid for worker in _children(master)
            for pid, command in _children(worker).items() if "app.documents.worker" in command}


def test_gunicorn_starts_a_warm_render_worker_in_each_worker_process(tmp_path):
    host = OneHost(tmp_path).start()        # /healthz answers: the app is ready
    try:
        workers = _children(host.process.pid)
        assert len(workers) == 2, workers
        deadline = time.monotonic() + 30
        while len(render_processes(host.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        before = render_processes(host.process.pid)
        assert len(before) == 2, "each gunicorn worker should start its render worker at start"
        # The first documents after the start are made by those processes: none is started for them.
        phone = requests.Session()
        for lang in ("zh", "pt"):
            answer = phone.get(f"{host.url}/{lang}/services/JJ-JZ-001/blank/form.pdf", timeout=60)
            assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
        assert render_processes(host.process.pid) == before
    finally:
        host.stop()
