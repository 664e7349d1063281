"""Fragment or whole page: the one decision htmx requests need, made here.

An htmx request that asks for part of a page (a live filter, one material
slot) gets the fragment. Everything else gets the whole page: a normal
visit, a boosted navigation, and htmx's history restore after a miss in its
history cache (Back after the cache was emptied). The answer differs by
those headers, so they are named in ``Vary`` for any cache on the way.
"""

from flask import make_response, redirect, render_template

from .extensions import htmx

VARY = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


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
