"""Fragment or whole page: the one decision htmx requests need, made here.

An htmx request that asks for part of a page (a live filter, one material
slot) gets the fragment. Everything else gets the whole page: a normal
visit, a boosted navigation, and htmx's history restore after a miss in its
history cache (Back after the cache was emptied). The answer differs by
those headers, so they are named in ``Vary`` for any cache on the way.
"""

import io
from urllib.parse import unquote_to_bytes, urlsplit

from flask import make_response, redirect, render_template

from .extensions import htmx

VARY = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")
#: Marks a 303 that :class:`FollowInPlace` answers with the page it names (never sent out).
FOLLOW = "X-OneVisit-Follow"


def wants_fragment() -> bool:
    """An htmx request for part of a page (not boosted, not a history restore)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def varies(response):
    """Mark a response whose body depends on the htmx request headers."""
    for header in VARY:
        response.vary.add(header)
    return response


def page_or_fragment(page_template: str, fragment_template: str, status: int = 200,
                     page_only=None, **context):
    """Render the fragment for a partial htmx request, else the page (with what
    ``page_only()`` adds: what only the whole page shows)."""
    if wants_fragment():
        return varies(make_response(render_template(fragment_template, **context), status))
    extra = page_only() if page_only else {}
    return varies(make_response(render_template(page_template, **context, **extra), status))


def see_other(url: str):
    """After a successful POST: a 303 to ``url``, or for a boosted form (htmx) the same
    as a full page load (``HX-Redirect``), so the next page comes with its own head; and
    for a fragment request (a slot refreshing itself), so that the next page is not
    swapped into the fragment's place."""
    if htmx and (htmx.boosted or wants_fragment()):
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return varies(response)
    return varies(redirect(url, 303))


def see_next(url: str):
    """After a successful journey POST: the next page, at ``url`` (a GET-able page of
    this site, in the same language).

    Without JavaScript a 303, as :func:`see_other`. For a boosted form (htmx) the next
    page itself, in the answer to the POST: one round trip instead of two (POST, then
    GET), 4 s less per step on a 2-second link. The view still answers 303 (marked);
    :class:`FollowInPlace` then runs the GET of ``url`` once this request has ended
    (its session saved, its connection given back) and sends that page, with
    ``HX-Push-Url: url`` so the address bar, Back and reload show the same page."""
    if htmx and htmx.boosted and not htmx.history_restore_request:
        response = redirect(url, 303)
        response.headers[FOLLOW] = "1"
        return varies(response)
    return see_other(url)


#: Answer headers that tell htmx where the browser goes.
_MOVES = {"hx-push-url", "hx-replace-url", "hx-redirect", "hx-location", "hx-refresh"}

#: Request keys the GET that follows a POST does not inherit.
_NOT_FOLLOWED = {"CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH",
                 "HTTP_TRANSFER_ENCODING", "HTTP_ORIGIN", "HTTP_IF_NONE_MATCH",
                 "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE", "werkzeug.request"}


class FollowInPlace:
    """WSGI middleware: a 303 marked by :func:`see_next` is followed here, on the server.

    The GET is a request of its own through the whole app (access check, session,
    database, page cache, headers), with the cookies the POST set; the client gets its
    page (200) with the POST's ``Set-Cookie`` and ``HX-Push-Url``. If that GET does not
    give a page (a redirect, an error), the client is sent there with ``HX-Redirect``,
    as :func:`see_other` does. A boosted POST answered with a page (the form and its
    errors) keeps the address bar as it is (``HX-Push-Url: false``)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        held = {}
        stays = (environ.get("REQUEST_METHOD") == "POST"
                 and environ.get("HTTP_HX_BOOSTED") == "true")

        def hold(status, headers, exc_info=None):
            if exc_info is None and status.startswith("303") and any(
                    name.lower() == FOLLOW.lower() for name, _ in headers):
                held.update(status=status, headers=headers)
                return lambda data: None
            if stays and not status.startswith("3") and not any(
                    name.lower() in _MOVES for name, _ in headers):
                # A boosted form answered in place (its errors): the address stays the
                # page's (htmx would push the form's action, maybe not a page to GET).
                headers = [*headers, ("HX-Push-Url", "false")]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, hold)
        if not held:
            return body
        _drain(body)
        return self._follow(environ, held["headers"], start_response)

    def _follow(self, environ, headers, start_response):
        location = next(value for name, value in headers if name.lower() == "location")
        cookies = [value for name, value in headers if name.lower() == "set-cookie"]
        vary = [(name, value) for name, value in headers if name.lower() == "vary"]
        inner = _get_environ(environ, location, cookies)
        answer = {}

        def keep(status, inner_headers, exc_info=None):
            answer.update(status=status, headers=inner_headers)
            return lambda data: None

        page = self.wsgi_app(inner, keep) if inner is not None else None
        if page is not None and answer.get("status", "").startswith("200"):
            start_response("200 OK", _merged(answer["headers"], vary, cookies, location))
            return page
        if page is not None:
            _drain(page)
        out = vary + [("Set-Cookie", c) for c in cookies] + [
            ("HX-Redirect", location), ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "0"), ("Cache-Control", "private, no-store")]
        start_response("200 OK", out)
        return [b""]


def _merged(headers, vary, cookies, location) -> list:
    """The page's headers, with the POST's ``Vary`` (its answer depends on the htmx
    headers) and cookies (those the page sets again win) and ``HX-Push-Url``."""
    page_cookies = [v for n, v in headers if n.lower() == "set-cookie"]
    again = {c.split("=", 1)[0].strip() for c in page_cookies}
    named = []
    for _name, value in vary + [(n, v) for n, v in headers if n.lower() == "vary"]:
        for item in (v.strip() for v in value.split(",")):
            if item and item.lower() not in {x.lower() for x in named}:
                named.append(item)
    out = [(n, v) for n, v in headers if n.lower() not in ("set-cookie", "vary")]
    out.append(("Vary", ", ".join(named)))
    out += [("Set-Cookie", c) for c in cookies if c.split("=", 1)[0].strip() not in again]
    out += [("Set-Cookie", c) for c in page_cookies]
    out.append(("HX-Push-Url", location))
    return out


def _drain(body) -> None:
    try:
        for _chunk in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close:
            close()


def _get_environ(environ, location: str, cookies: list) -> dict | None:
    """The environ of ``GET location`` by the same client, with the cookies it was just
    given; None for a location elsewhere."""
    parts = urlsplit(location)
    script = environ.get("SCRIPT_NAME", "")
    if parts.scheme or parts.netloc or not parts.path.startswith(script + "/"):
        return None
    inner = {k: v for k, v in environ.items() if k not in _NOT_FOLLOWED}
    inner.update({"REQUEST_METHOD": "GET", "QUERY_STRING": parts.query,
                  "PATH_INFO": unquote_to_bytes(parts.path[len(script):]).decode("latin-1"),
                  "wsgi.input": io.BytesIO(b"")})
    jar = {}
    for pair in environ.get("HTTP_COOKIE", "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name:
            jar[name] = value
    for cookie in cookies:
        first, *attributes = cookie.split(";")
        name, _, value = first.strip().partition("=")
        gone = any(a.strip().lower() in ("max-age=0", "expires=thu, 01 jan 1970 00:00:00 gmt")
                   for a in attributes)
        if gone:
            jar.pop(name, None)
        else:
            jar[name] = value
    inner["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    return inner
