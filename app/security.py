"""Access declarations for routes, and the security headers on every response."""

from flask import current_app, request

#: Access rules a route may declare. The route-audit test fails on any other.
ACCESS_RULES = {"public", "applicant", "staff", "agent"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'; connect-src 'self'")


def access(rule: str):
    """Declare who may use a view: ``public``, ``applicant`` (holder of the case),
    ``agent`` (the entrusted relative, with their own code) or ``staff``.

    The declaration is what the route-audit test reads; enforcement is done by
    the view's own loaders (``load_applicant_case`` and the staff guards), so
    the two are tested separately.
    """
    if rule not in ACCESS_RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def decorate(view):
        view.access = rule
        return view

    return decorate


def declared_access(view) -> str | None:
    """The rule a view function declared, following ``functools.wraps`` chains."""
    while view is not None:
        rule = getattr(view, "access", None)
        if rule:
            return rule
        view = getattr(view, "__wrapped__", None)
    return None


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
    from flask import request as current_request
    response.add_etag()
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(current_request)
