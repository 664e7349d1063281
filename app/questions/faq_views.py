"""The public FAQ, ``/<lang>/faq``: answers published from questions, searched like the
catalog, grouped by county and department; an entry's page in the page's language, with
the services it is about and "Did this answer your question?".

The list and the entries are the same for everyone (built once, see ``app/pagecache.py``:
a publish, an edit of a published entry or a withdrawal changes the catalog stamp). So
the Yes/No form carries no per-browser token: it is a small vote, exempt from CSRF like
the hometown choice. Instead it is refused when the browser says it was posted from another
site (``Origin``, ``Sec-Fetch-Site``), rate-limited per address, and counted once per
browser (its session) and once a day per entry and address (a keyed hash in the
database), so a script without cookies cannot stuff it. Its answer is a page of its own
(``…/helpful``), which is personal and not kept.
"""

import ipaddress

from flask import (Blueprint, abort, current_app, g, make_response, redirect, render_template,
                   request, session, url_for)

from flask_babel import get_locale

from ..authz import public
from ..extensions import csrf, limiter
from ..models import Item, Jurisdiction
from ..pagecache import cached
from ..ratelimits import OncePer
from ..security import cross_site, revalidated
from . import faq
from .search import entry_text, search_faq

bp = Blueprint("faq", __name__, url_prefix="/<lang:lang>/faq")

MAX_QUERY = 100
PER_PAGE = 20
#: Where the session keeps this browser's answers ({entry id: "yes" | "no"}), and how many.
VOTES_KEY = "faq_votes"
MAX_VOTES = 100
#: One counted vote per entry and client address a day.
VOTERS = OncePer("faq-vote", 24 * 3600)


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _filters():
    """``(query, county, item)`` asked for; an unknown county or item is no filter."""
    query = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
    county = Jurisdiction.local_by_key(request.args.get("county") or None)
    code = (request.args.get("item") or "").strip()[:40]
    item = Item.active_by_code(code) if code else None
    return query, county, item


@bp.route("")
@public
def index():
    """Published answers: search, filter by county or service, page through."""
    return cached(_index_page)


def _index_page():
    query, county, item = _filters()
    page = _page_arg()
    entries, total = search_faq(query, g.lang, county=county, item=item, page=page,
                                per_page=PER_PAGE)
    return revalidated(make_response(render_template(
        "questions/faq_index.html", query=query, county=county, item=item, page=page,
        total=total, pages=max(1, -(-total // PER_PAGE)), groups=faq.grouped(entries),
        counties=faq.counties_with_entries())))


@bp.route("/<int:entry_id>")
@public
def entry(entry_id):
    """One answer in the page's language, with the services it is about."""
    return cached(lambda: _entry_page(entry_id))


def _entry_page(entry_id, error=None, status=200):
    row = faq.public_entry(entry_id) or abort(404)
    response = make_response(render_template(
        "questions/faq_entry_public.html", entry=row, text=entry_text(row.texts, g.lang),
        items=faq.items_of(row), error=error), status)
    return revalidated(response) if status == 200 else response


@bp.route("/<int:entry_id>/helpful", methods=["POST"])
@csrf.exempt  # a page kept for every reader carries no token; see the module's docstring
@public
@limiter.limit(lambda: current_app.config.get("FAQ_VOTE_RATE_LIMIT", "60 per hour"))
def helpful(entry_id):
    """Count "Did this answer your question?" once for this browser and address."""
    if cross_site(request):
        abort(403)
    row = faq.public_entry(entry_id) or abort(404)
    answer = request.form.get("helpful", "")
    if answer not in ("yes", "no"):
        return _entry_page(entry_id, error=True, status=400)
    votes = dict(session.get(VOTES_KEY) or {})
    if str(row.id) not in votes:
        if VOTERS.first(f"{row.id}/{voter(request.remote_addr)}"):
            faq.count_helpful(row, answer == "yes")
        votes[str(row.id)] = answer
        session[VOTES_KEY] = dict(list(votes.items())[-MAX_VOTES:])
    return redirect(url_for(".thanks", entry_id=row.id), 303)


def voter(address: str | None) -> str:
    """Who votes, as far as counting goes: the client's IPv4 address, or the /64 network
    of an IPv6 one (a single home or phone gets a whole /64 and may pick any address)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if parsed.version == 6 and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@bp.route("/<int:entry_id>/helpful")
@public
def thanks(entry_id):
    """What this browser answered, and where to go next (ask the window, for a no)."""
    row = faq.public_entry(entry_id) or abort(404)
    answer = (session.get(VOTES_KEY) or {}).get(str(row.id))
    if answer is None:
        return redirect(url_for(".entry", entry_id=row.id), 303)
    items = faq.items_of(row)
    response = make_response(render_template(
        "questions/faq_thanks.html", entry=row, text=entry_text(row.texts, g.lang),
        answer=answer, ask=ask_url(items[0].code if items else None, row.jurisdiction.key)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def ask_url(item_code: str | None, county_key: str | None = None) -> str:
    """The page to ask the window a question about a service (or in a county)."""
    base = url_for("core.home", lang=g.lang) + "questions/new"
    if item_code:
        return f"{base}?item={item_code}"
    return f"{base}?county={county_key}" if county_key else base


@bp.app_template_filter("faq_title")
def faq_title(entry) -> str:
    """An entry's question in the page's language, on one line (for lists)."""
    return faq.title(entry, str(getattr(g, "lang", "") or get_locale()))
