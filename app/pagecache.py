"""Public pages built once per catalog version and locale, then served from memory.

The home page, the catalog (browse and search) and each item's guide are the same for
every visitor of a locale (and hometown): no session, no form token. Each process keeps
what it built, keyed by the URL, the locale, the hometown cookie, the htmx request
headers and the *catalog stamp*: a digest of what the pages show (published versions,
active items, sub-items, departments, service points, published FAQ entries), read from the database at most
every ``PAGE_CACHE_STAMP_S`` seconds. A publish, an import or a catalog load changes the
stamp, and every host builds the pages again on their next visit. The ETag of the
stored page answers revalidations with 304 as before.

A request that carries a flashed message, or any method but GET, is built as usual.

A case's status page is personal, yet the same every time its applicant looks until
something happens to the case: :func:`personal` keeps it (after the access check, which
still runs on every request) under the case's version and ``updated_at`` (every change
through ``cases.lifecycle`` moves them, and an event that changes nothing, such as a
reminder sent, moves ``updated_at``), the browser's session content (the access it holds, the form token on
the page), the URL, locale and catalog stamp, and the minute (what the page says about
time: a booking held, a call about to start).
"""

import gzip
import time
from collections import OrderedDict
from threading import Lock

import brotli
from flask import current_app, request, session
from flask_babel import get_locale

from .catalog.hometown import COOKIE
from .models import db

#: What the stamp reads: one row, cheap at 2,000 items.
STAMP_SQL = ("SELECT (SELECT MAX(id) FROM item_version), "
             "(SELECT COUNT(*) FROM item WHERE active), "
             "(SELECT COALESCE(SUM(COALESCE(parent_id, 0) * id), 0) FROM item), "
             "(SELECT COUNT(*) FROM department), (SELECT COUNT(*) FROM jurisdiction), "
             "(SELECT MAX(updated_at) FROM service_point), "
             # The FAQ on its pages, the guides and the search: published, edited or
             # withdrawn entries (a draft's edits show nowhere public).
             "(SELECT MAX(updated_at) FROM faq_entry WHERE status <> 'draft')")
#: Pages one process keeps (least recently used dropped first).
MAX_PAGES = 3000
_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target")
_DROPPED = {"content-length", "set-cookie"}


class _Store:
    def __init__(self):
        self.pages = OrderedDict()
        self.lock = Lock()
        self.stamp = None
        self.read_at = 0.0


def _store() -> _Store:
    return current_app.extensions.setdefault("pagecache", _Store())


def catalog_stamp(store: _Store) -> tuple:
    """What the public pages show, as of at most ``PAGE_CACHE_STAMP_S`` seconds ago."""
    now = time.monotonic()
    if store.stamp is None or now - store.read_at >= current_app.config["PAGE_CACHE_STAMP_S"]:
        store.stamp = tuple(str(v) for v in db.execute_sql(STAMP_SQL).fetchone())
        store.read_at = now
    return store.stamp


class _Entry:
    """A kept page: its body, status and headers, and the body compressed for each
    encoding asked so far (made once, not on every answer)."""

    __slots__ = ("body", "status", "headers", "encoded")

    def __init__(self, response):
        self.body = response.get_data()
        self.status = response.status_code
        self.headers = [(k, v) for k, v in response.headers.items()
                        if k.lower() not in _DROPPED]
        self.encoded = {}

    def encoded_as(self, encoding: str) -> bytes:
        body = self.encoded.get(encoding)
        if body is None:
            if encoding == "br":
                body = brotli.compress(self.body, quality=current_app.config["COMPRESS_BR_LEVEL"])
            else:
                body = gzip.compress(self.body, compresslevel=6)
            self.encoded[encoding] = body
        return body


def _lookup(store: _Store, key):
    with store.lock:
        hit = store.pages.get(key)
        if hit is not None:
            store.pages.move_to_end(key)
    return hit


def _keep(store: _Store, key, response) -> None:
    if response.status_code == 200 and not response.direct_passthrough:
        with store.lock:
            store.pages[key] = _Entry(response)
            while len(store.pages) > MAX_PAGES:
                store.pages.popitem(last=False)


def _served(hit: _Entry):
    """The kept page, compressed as the client accepts (flask-compress then leaves it)."""
    response = current_app.response_class(hit.body, status=hit.status, headers=hit.headers)
    encoding = request.accept_encodings.best_match(
        [e for e in ("br", "gzip") if e in current_app.config["COMPRESS_ALGORITHM"]])
    if encoding and len(hit.body) >= current_app.config["COMPRESS_MIN_SIZE"]:
        response.set_data(hit.encoded_as(encoding))
        response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        etag, weak = response.get_etag()
        if etag and not weak:  # as flask-compress marks the ETag of what it compressed
            response.set_etag(f"{etag}:{encoding}")
    return response


def _request_key(store: _Store) -> tuple:
    return (request.full_path, str(get_locale()),
            *(request.headers.get(h, "") for h in _HEADERS), catalog_stamp(store))


def personal(case, build):
    """A case's page for the browser that holds it, from memory while nothing changed."""
    if (not current_app.config["PAGE_CACHE"] or request.method != "GET"
            or session.get("_flashes")):
        return build()
    store = _store()
    common = ("case", case.id, case.version, case.updated_at, int(time.time() // 60),
              *_request_key(store))
    hit = _lookup(store, (*common, _session_content()))
    if hit is not None:
        return _served(hit)
    response = current_app.make_response(build())
    # Kept under the session as the page left it (rendering may add the form token).
    _keep(store, (*common, _session_content()), response)
    return response


def _session_content() -> tuple:
    return tuple(sorted((key, repr(value)) for key, value in session.items()))


def cached(build):
    """The page ``build()`` makes, from memory when this process made it already."""
    if (not current_app.config["PAGE_CACHE"] or request.method != "GET"
            or session.get("_flashes")):
        return build()
    store = _store()
    key = (request.cookies.get(COOKIE, ""), *_request_key(store))
    hit = _lookup(store, key)
    if hit is not None:
        return _served(hit).make_conditional(request)
    response = build()
    _keep(store, key, response)
    return response

