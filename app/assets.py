"""Fingerprinted static files, precompressed once, cached for a year.

``static/app.css`` is served as ``/static/app.<hash>.css`` with
``Cache-Control: public, max-age=31536000, immutable``; a changed file gets a
new name, so a browser never needs to revalidate. Files are small, so the
brotli and gzip forms are built once at start-up and kept in memory.
"""

import gzip
import hashlib
import mimetypes
from pathlib import Path

import brotli
from flask import Blueprint, Response, abort, current_app, request

from .authz import public

bp = Blueprint("assets", __name__)
ONE_YEAR = 31536000


class AssetStore:
    """The static files of one app, by fingerprinted name."""

    def __init__(self, root: Path):
        self.root = root
        self.by_logical = {}   # "app.css" -> "app.1a2b3c4d5e.css"
        self.by_served = {}    # "app.1a2b3c4d5e.css" -> entry
        self.scan()

    def scan(self) -> None:
        """(Re)read every file under the static root."""
        self.by_logical.clear()
        self.by_served.clear()
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            logical = path.relative_to(self.root).as_posix()
            raw = path.read_bytes()
            digest = hashlib.sha256(raw).hexdigest()[:10]
            stem, dot, ext = logical.rpartition(".")
            served = f"{stem}.{digest}.{ext}" if dot else f"{logical}.{digest}"
            mimetype = mimetypes.guess_type(logical)[0] or "application/octet-stream"
            entry = {"raw": raw, "mimetype": mimetype, "etag": digest}
            if mimetype.startswith("text/") or mimetype in {"application/javascript", "image/svg+xml"}:
                entry["br"] = brotli.compress(raw, quality=11)
                entry["gzip"] = gzip.compress(raw, compresslevel=9, mtime=0)
            self.by_logical[logical] = served
            self.by_served[served] = entry

    def url_name(self, logical: str) -> str:
        """Fingerprinted name for a logical file name (unchanged if unknown)."""
        return self.by_logical.get(logical, logical)


def static_url(filename: str) -> str:
    """URL of a static file under its fingerprinted name."""
    store = current_app.extensions["assets"]
    return f"/static/{store.url_name(filename)}"


@bp.route("/static/<path:name>")
@public
def serve(name):
    """Serve a fingerprinted static file, compressed as the client accepts."""
    store = current_app.extensions["assets"]
    entry = store.by_served.get(name)
    if entry is None:
        abort(404)
    accepted = request.headers.get("Accept-Encoding", "")
    body, encoding = entry["raw"], None
    if "br" in entry and "br" in accepted:
        body, encoding = entry["br"], "br"
    elif "gzip" in entry and "gzip" in accepted:
        body, encoding = entry["gzip"], "gzip"
    response = Response(body, mimetype=entry["mimetype"])
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.set_etag(entry["etag"] + (f"-{encoding}" if encoding else ""))
    response.direct_passthrough = False
    return response.make_conditional(request)





def init_assets(app) -> None:
    """Scan the static folder and register the route and template helper."""
    app.extensions["assets"] = AssetStore(Path(app.root_path).parent / "static")
    app.register_blueprint(bp)
    app.jinja_env.globals["static_url"] = static_url
