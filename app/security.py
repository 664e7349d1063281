"""The security headers on every response, and caching rules of pages."""

from urllib.parse import urlsplit

from flask import current_app, make_response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'; connect-src 'self'")


def init_security(app) -> None:
    """Add the baseline headers to every response."""

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Same-origin: other sites learn nothing (access links included), and this site's
        # own form posts carry their Origin (see same_origin).
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_app.config.get("HSTS"):  # ignored by browsers over plain HTTP
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "Cache-Control" not in headers and response.mimetype == "text/html":
            # Pages can carry personal data: never kept by shared caches.
            headers["Cache-Control"] = "private, no-store"
        return response


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(request) -> bool:
    """Whether a POST came from a page of this site: its ``Origin`` (browsers send it on
    every form post), else its ``Referer``, names this site (as it was reached, or its
    public URL). Neither, or ``Origin: null``: not known to be ours."""
    ours = {_origin_of(request.host_url), _origin_of(current_app.config["PUBLIC_URL"])}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in ours
    referer = request.headers.get("Referer")
    return bool(referer) and _origin_of(referer) in ours


def cross_site(request) -> bool:
    """Whether a POST is known to come from another site: its ``Sec-Fetch-Site`` is not
    ``same-origin``, or its ``Origin`` is not this site's (``null`` included). A post
    with neither header (an old browser) is not known to be cross-site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":
        return True
    return request.headers.get("Origin") is not None and not same_origin(request)


def revalidated(response):
    """A page without personal data: the browser may keep it and revalidate (ETag/304).

    ``private``: a flashed message could still appear in the layout, so shared
    caches never keep it.
    """
    response = make_response(response)
    response.add_etag()
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


def back_to(target: str | None, within: str, fallback: str) -> str:
    """Where a form's ``next`` field sends the browser after a POST: ``target`` when it is
    a path of this site under ``within``, else ``fallback`` (never another site: no
    ``//host``, no scheme, no backslash a browser would read as a slash, no control
    character that would break the Location header)."""
    target = target or ""
    if target.startswith(within) and "//" not in target and "\\" not in target \
            and target.isprintable():
        return target
    return fallback
