"""Public pages built once per catalog version and locale, then served from memory.

The home page, the catalog (browse and search) and each item's guide are the same for
every visitor of a locale (and hometown): no session, no form token. Each process keeps
what it built, keyed by the URL, the locale, the hometown cookie, the htmx request
headers and the *catalog stamp*: a digest of what the pages show (published versions,
active items, sub-items, departments, service points), read from the database at most
every ``PAGE_CACHE_STAMP_S`` seconds. A publish, an import or a catalog load changes the
stamp, and every host builds the pages again on their next visit. The ETag of the
stored page answers revalidations with 304 as before.

A request that carries a flashed message, or any method but GET, is built as usual.
"""

import time
from collections import OrderedDict
from threading import Lock

from flask import current_app, request, session
from flask_babel import get_locale

from .catalog.hometown import COOKIE
from .models import db

#: What the stamp reads: one row, cheap at 2,000 items.
STAMP_SQL = ("SELECT (SELECT MAX(id) FROM item_version), "
             "(SELECT COUNT(*) FROM item WHERE active), "
             "(SELECT COALESCE(SUM(COALESCE(parent_id, 0) * id), 0) FROM item), "
             "(SELECT COUNT(*) FROM department), (SELECT COUNT(*) FROM jurisdiction), "
             "(SELECT MAX(updated_at) FROM service_point)")
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


def cached(build):
    """The page ``build()`` makes, from memory when this process made it already."""
    if (not current_app.config["PAGE_CACHE"] or request.method != "GET"
            or session.get("_flashes")):
        return build()
    store = _store()
    key = (request.full_path, str(get_locale()), request.cookies.get(COOKIE, ""),
           *(request.headers.get(h, "") for h in _HEADERS), catalog_stamp(store))
    with store.lock:
        hit = store.pages.get(key)
        if hit is not None:
            store.pages.move_to_end(key)
    if hit is not None:
        body, status, headers = hit
        response = current_app.response_class(body, status=status, headers=headers)
        return response.make_conditional(request)
    response = build()
    if response.status_code == 200 and not response.direct_passthrough:
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED]
        with store.lock:
            store.pages[key] = (response.get_data(), 200, headers)
            while len(store.pages) > MAX_PAGES:
                store.pages.popitem(last=False)
    return response
