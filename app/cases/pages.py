"""What the journey pages share: their URLs, titles, progress, and the language switch."""

import functools

from flask import (current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests

from ..config import LOCALES
from ..extensions import limiter
from ..i18n import localized
from ..models import Case
from ..ratelimits import PerTarget
from . import journey
from .access import remember_page, remembered_page, shown_access_code
from .reference import read_reference

#: Titles of the journey pages that are not item steps.
PAGE_TITLES = {"entrustment": _l("Who will do the formalities in China?"),
               "materials": _l("Photos of your materials"), "check": _l("Check your answers"),
               "declaration": _l("Declaration")}
KEPT_KEY = "kept_answers"


def page_url(case: Case, page: str) -> str:
    """URL of a journey page key (item step, materials, check, declaration, status)."""
    if page in ("materials", "check", "declaration", "entrustment"):
        return url_for(f"cases.{page}", reference=case.reference)
    if not page or page == "status" or case.spec.step(page) is None:
        return url_for("cases.status", reference=case.reference)
    return url_for("cases.step", reference=case.reference, step_key=page)


def page_title(case: Case, key: str) -> str:
    """The title of a journey page."""
    step = case.spec.step(key)
    return localized(step["title"]) if step else str(PAGE_TITLES.get(key, key))


def journey_context(case: Case, page: str) -> dict:
    """What every journey page shows: progress, reference, code, back link.

    Showing a page also remembers it as where this browser continues.
    """
    keys = journey.pages(case)
    previous = journey.previous_page(case, page)
    if case.is_editable and page in keys:
        remember_page(case, page)
    return dict(case=case, item=case.spec, page=page, pages=keys,
                page_title=lambda key: page_title(case, key),
                position=keys.index(page) + 1 if page in keys else None,
                back_url=page_url(case, previous) if previous else
                url_for("catalog.guide", code=case.item.code),
                access_code=shown_access_code(case), page_url=page_url)


def resume_url(case: Case) -> str:
    """Where "continue" leads: the page this browser reached (unless it is the check or
    declaration page), else the first page with something missing; the status page once
    the case is sent."""
    if not case.is_editable:
        return page_url(case, "status")
    page = remembered_page(case)
    if page not in journey.pages(case) or page in ("check", "declaration"):
        # The last pages need everything: when something is missing (the item changed,
        # say), continue where it is.
        page = journey.first_incomplete_page(case)
    return page_url(case, page)


def not_editable(case: Case):
    """A redirect to the status page when the case can no longer change here."""
    if case.is_editable:
        return None
    flash(_("This application has been sent and can no longer be changed here."), "info")
    return redirect(url_for("cases.status", reference=case.reference), 303)


def switch_request(form) -> str | None:
    """The language a form was posted to switch to (the header's language buttons)."""
    chosen = form.get("switch_lang")
    return chosen if chosen in LOCALES and chosen != g.lang else None


def keep_answers(page_key: str, values: dict) -> None:
    """Hold what was typed on a page across a language switch (one page at a time)."""
    session[KEPT_KEY] = {"page": page_key, "values": values}


def kept_answers(page_key: str) -> dict | None:
    """What was typed before the switch, once."""
    kept = session.get(KEPT_KEY)
    if kept and kept.get("page") == page_key:
        session.pop(KEPT_KEY, None)
        return kept["values"]
    return None


def typed(form, multi=()) -> dict:
    """What a posted form holds, as typed (lists for the ``multi`` fields)."""
    values = {k: form.get(k, "") for k in form if k not in {"csrf_token", "switch_lang"}}
    values.update({k: form.getlist(k) for k in multi})
    return values


def limited_by_reference(kind: str, read=None):
    """The limits of a form that tries a code on a reference: posts per address (on the
    rate-limit storage every worker shares), and tries per reference, whoever tries, in
    the database (:class:`app.ratelimits.PerTarget`). ``read(text)``: the canonical
    reference typed, or None (default: a case's)."""
    read = read or (lambda text: read_reference(text)[0])

    def decorate(view):
        @functools.wraps(view)
        def tried(*args, **kwargs):
            # Counted on the reference itself, however it was spelled (``ov 1234.5678``);
            # a reference that cannot be one opens nothing and is not counted.
            reference = read(request.form.get("reference", "")[:40])
            if request.method == "POST" and reference:
                tries = PerTarget(current_app.config["CODE_TRIES_LIMIT"])
                if not tries.allow(kind, reference):
                    raise TooManyRequests(retry_after=tries.retry_after(kind, reference))
            return view(*args, **kwargs)
        return limiter.limit(lambda: current_app.config["FIND_CASE_RATE_LIMIT"],
                             methods=["POST"])(tried)
    return decorate


def find_with_code(form_class, template: str, opens, refusal: str, model=Case):
    """A find page: ``(None, page)`` to show (the form, or the form again with the reason,
    422), or ``(case, None)`` when the reference and code open it (``opens(case, code)``).
    The receipt's QR code brings the reference along in the query; only the code is typed.
    ``model``: what the reference names (a case, or a question)."""
    if request.method == "GET":
        form = form_class(formdata=None, reference=request.args.get("reference", "")[:40])
        return None, render_template(template, form=form)
    form = form_class()
    case = model.by_reference(form.reference.clean) if form.validate() else None
    if case is not None and opens(case, form.code.data):
        return case, None
    if not form.errors_by_field():
        form.code.errors.append(refusal)
    return None, (render_template(template, form=form), 422)
