"""HTML to PDF with WeasyPrint, safely.

* Rendering happens in one long-lived helper process per app process, which
  imports WeasyPrint once (the import costs ~0.8 s) and keeps its font caches
  warm. It runs under an address-space limit, and a render past its deadline
  is stopped by killing the helper: reported as an error, never a 500 page.
* :func:`warm_up` starts that helper when the app process starts (gunicorn's
  ``post_worker_init``), in the background: the helper loads WeasyPrint, the
  fonts (CJK included) and the stylesheets while the app already answers, so
  the first document after a start is not the slow one.
* The URL fetcher serves only files under ``pdfs/`` and ``static/`` and
  ``data:`` URIs (our QR codes); ``file:`` elsewhere, ``http(s):`` and every
  other scheme are refused, so nothing an applicant types can make the
  renderer read a file or reach the network.
* Missing glyphs (WeasyPrint's ``.notdef`` warnings) are collected, so a
  name that would print as boxes is noticed.
"""

import atexit
import logging
import os
import re
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..config import BASE_DIR

log = logging.getLogger(__name__)
# WeasyPrint's progress messages are INFO; keep only its warnings (missing glyphs, CSS).
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDFS_DIR = BASE_DIR / "pdfs"
#: What the render worker renders before it says it is ready (never shown).
WARM_UP_PAGE = PDFS_DIR / "_base" / "warmup.html"
STATIC_DIR = BASE_DIR / "static"
ALLOWED_ROOTS = (PDFS_DIR.resolve(), STATIC_DIR.resolve())

_weasyprint = None


class RenderError(Exception):
    """The document could not be made; ``reason`` is ``timeout``, ``memory`` or ``failed``."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class FetchRefused(ValueError):
    """A document asked for a resource it may not have."""


def weasyprint():
    """The WeasyPrint module, imported on first use and kept."""
    global _weasyprint
    if _weasyprint is None:
        import weasyprint as module
        _weasyprint = module
    return _weasyprint


def check_url(url: str) -> None:
    """Raise :class:`FetchRefused` unless ``url`` is a ``data:`` URI or a file we ship."""
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return
    if parsed.scheme != "file":
        raise FetchRefused(f"scheme {parsed.scheme!r} is not allowed")
    path = Path(unquote(parsed.path)).resolve()
    if not any(path == root or root in path.parents for root in ALLOWED_ROOTS):
        raise FetchRefused("file outside pdfs/ and static/")
    if not path.is_file():
        raise FetchRefused("no such file")


def safe_url_fetcher():
    """A WeasyPrint URL fetcher that applies :func:`check_url` to every request."""
    base = weasyprint().urls.URLFetcher

    class SafeURLFetcher(base):
        def fetch(self, url, headers=None):
            check_url(url)
            return super().fetch(url, headers)

    return SafeURLFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


class _GlyphWatch(logging.Handler):
    """Collects WeasyPrint's missing-glyph warnings during a render."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.missing = []

    def emit(self, record):
        message = record.getMessage()
        if ".notdef" in message:
            self.missing.append(message)


_font_config = None
_stylesheets = {}
_image_cache = {}
_LINK_RE = re.compile(r'<link rel="stylesheet" href="([a-z_]+/print\.css)">')


def _stylesheet(name: str):
    """A parsed stylesheet under ``pdfs/``, kept until its file changes."""
    path = PDFS_DIR / name
    check_url(path.as_uri())
    stamp = path.stat().st_mtime_ns
    cached = _stylesheets.get(name)
    if cached is None or cached[0] != stamp:
        css = weasyprint().CSS(filename=str(path), url_fetcher=safe_url_fetcher(),
                               font_config=_font_config)
        cached = _stylesheets[name] = (stamp, css)
    return cached[1]


def _write_pdf(html: str) -> tuple[bytes, int, list]:
    """Render in this process (the render worker calls this)."""
    global _font_config
    module = weasyprint()
    if _font_config is None:
        # One font configuration for every render: building it anew costs
        # about a third of a one-page render. Documents declare no @font-face,
        # so nothing accumulates in it between renders.
        _font_config = module.text.fonts.FontConfiguration()
    # Our own print stylesheets are parsed once and reused.
    sheets = [_stylesheet(name) for name in _LINK_RE.findall(html)]
    html = _LINK_RE.sub("", html)
    watch = _GlyphWatch()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(watch)
    try:
        document = module.HTML(string=html, base_url=PDFS_DIR.as_uri() + "/",
                               url_fetcher=safe_url_fetcher()).render(
            stylesheets=sheets, font_config=_font_config, cache=_image_cache)
        pdf = document.write_pdf()
        return pdf, len(document.pages), watch.missing
    finally:
        logger.removeHandler(watch)


class RenderWorker:
    """One long-lived render process per app process.

    Rendering in a separate process is what makes the limits real: the
    worker has its own address-space cap, and a render over its deadline is
    stopped by killing the worker (a new one starts on the next request).
    Keeping it alive between renders keeps WeasyPrint and its font caches warm.
    The process warms itself up when it starts and then says ``ready`` (with
    its figures, kept in :attr:`warm`) before it reads any document.
    """

    def __init__(self):
        self.process = None
        self.reader = self.writer = None
        self.memory_mb = None
        self.lock = threading.Lock()
        self.warm = None          # the worker's "ready" report, once read
        self.started_by = None    # "warm-up" (at app start) or "render" (on demand)
        self.renders = 0          # documents rendered by this process

    def _start(self, memory_mb: int, started_by: str = "render") -> None:
        # A fresh interpreter (not a fork): nothing of the app's threads or
        # connections is inherited, and it needs no __main__ guard anywhere.
        process = subprocess.Popen(
            [sys.executable, "-m", "app.documents.worker", str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(BASE_DIR))
        self.process = process
        # The connections own duplicates of the pipe ends; the file objects go.
        self.writer = Connection(os.dup(process.stdin.fileno()), readable=False)
        self.reader = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        self.memory_mb = memory_mb
        self.warm, self.started_by, self.renders = None, started_by, 0

    def start(self, memory_mb: int) -> bool:
        """Start the worker now, without waiting for it (it warms itself up meanwhile).
        ``False`` when one is already running or being started by a render."""
        if not self.lock.acquire(blocking=False):
            return False
        try:
            if self.alive() and self.memory_mb == memory_mb:
                return False
            self.stop()
            self._start(memory_mb, started_by="warm-up")
            return True
        finally:
            self.lock.release()

    def _await_ready(self, timeout: float) -> None:
        """Read the worker's ``ready`` report (sent once, after its warm-up)."""
        if self.warm is not None:
            return
        if not self.reader.poll(timeout):
            self.stop()
            raise RenderError("timeout", f"not ready after {timeout:.0f} s")
        reply = self.reader.recv()
        if reply[0] != "ready":
            self.stop()
            raise RenderError("failed", f"unexpected {reply[0]!r} from the render process")
        self.warm = reply[1]
        if "error" in self.warm:
            log.warning("render worker warm-up failed: %s", self.warm["error"])
        log.info("render worker %s warm in %s ms (started by %s)", self.warm.get("pid"),
                 self.warm.get("warm_ms"), self.started_by)

    def stop(self) -> None:
        """Kill the worker (it is restarted on demand)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=5)
        for connection in (self.reader, self.writer):
            if connection is not None:
                connection.close()
        self.process = self.reader = self.writer = None

    def alive(self) -> bool:
        """Whether the worker process is running."""
        return self.process is not None and self.process.poll() is None

    def render(self, html: str, timeout: float, memory_mb: int):
        with self.lock:
            if not self.alive() or self.memory_mb != memory_mb:
                self.stop()
                self._start(memory_mb)
            try:
                self._await_ready(timeout)
                self.writer.send_bytes(html.encode())
                if not self.reader.poll(timeout):
                    self.stop()
                    raise RenderError("timeout", f"over {timeout:.0f} s")
                reply = self.reader.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self.stop()
                raise RenderError("failed", f"render process ended ({type(exc).__name__})") from None
            if reply[0] != "ok":
                if reply[0] == "memory":
                    self.stop()
                raise RenderError(reply[0], reply[1])
            self.renders += 1
            return reply[1], reply[2], reply[3], self.state()

    def state(self) -> dict:
        """How the current worker started: by whom, its warm-up figures, documents made."""
        return {"started_by": self.started_by, "warm": dict(self.warm or {}),
                "renders": self.renders}


_worker = RenderWorker()
atexit.register(_worker.stop)


def render_pdf(html: str, timeout: float = 20.0, memory_mb: int = 2048) -> dict:
    """Render ``html`` to PDF in the limited render process.

    Returns ``{"pdf": bytes, "pages": int, "missing_glyphs": [...], "ms": float,
    "worker": {...}}`` (``worker``: :meth:`RenderWorker.state` after this render) or
    raises :class:`RenderError` (``timeout``, ``memory`` or ``failed``).
    """
    started = time.perf_counter()
    pdf, pages, missing, worker = _worker.render(html, timeout, memory_mb)
    return {"pdf": pdf, "pages": pages, "missing_glyphs": missing,
            "ms": (time.perf_counter() - started) * 1000, "worker": worker}


def warm_up(memory_mb: int = 2048) -> bool:
    """Start this process's render worker now, in the background, so that the first
    document after a start does not pay for starting Python, importing WeasyPrint and
    loading the fonts. Returns at once (``False`` if a worker was already there)."""
    return _worker.start(memory_mb)
