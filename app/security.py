"""The security headers on every response, and caching rules of pages."""

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
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_app.config.get("HSTS") and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "Cache-Control" not in headers and response.mimetype == "text/html":
            # Pages can carry personal data: never kept by shared caches.
            headers["Cache-Control"] = "private, no-store"
        return response


def revalidated(response):
    """A page without personal data: the browser may keep it and revalidate (ETag/304).

    ``private``: a flashed message could still appear in the layout, so shared
    caches never keep it.
    """
    response = make_response(response)
    response.add_etag()
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
