"""Flask extensions, created unbound and initialised in :func:`app.create_app`."""

from flask import request
from flask_babel import Babel
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from .models.base import db

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
compress = Compress()
# No X-RateLimit or Retry-After headers on every answer: a refusal (429) says when to
# come back, nothing else tells how many tries are left.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)

#: Reads that carry no rate limit, mostly pages served from memory (app/pagecache.py):
#: the limiter is not even asked (a fifth of what such an answer costs).
UNLIMITED_READS = frozenset({"core.home", "catalog.index", "catalog.guide", "cases.status",
                             "core.healthz"})


@limiter.request_filter
def _unlimited_read() -> bool:
    return request.method in ("GET", "HEAD") and request.endpoint in UNLIMITED_READS

__all__ = ["db", "babel", "csrf", "htmx", "compress", "limiter"]
