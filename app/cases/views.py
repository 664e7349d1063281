"""Applicant journey pages. Thin views: validate, call a service, redirect."""

import secrets

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l

from ..config import LOCALES
from ..extensions import limiter
from ..i18n import localized
from ..models import Case, Event, Item
from ..security import access
from ..templating import format_phone
from . import entrustment as entrustment_form, services
from .access import (case_for_token, check_access_code, forget, grant, load_applicant_case,
                     shown_access_code)
from .names import suggest_latin
from .lifecycle import EVENT_LABELS, STATUS_LABELS, TransitionError
from .notify import send_access_email, send_submitted_email
from .reference import normalize_access_code, read_reference
from .start import countries, validate_start

bp = Blueprint("cases", __name__, url_prefix="/<lang:lang>")

#: Titles of the journey pages that are not item steps.
PAGE_TITLES = {"entrustment": _l("Who will do the formalities in China?"),
               "materials": _l("Photos of your materials"), "check": _l("Check your answers"),
               "declaration": _l("Declaration")}


def _item_or_404(code: str) -> Item:
    item = Item.get_or_none((Item.code == code) & (Item.active == True))  # noqa: E712
    if item is None:
        abort(404)
    return item


def page_url(case: Case, page: str) -> str:
    """URL of a journey page key (item step, materials, check, declaration, status)."""
    if page == "materials":
        return url_for("uploads.materials", reference=case.reference)
    if page == "check":
        return url_for("cases.check", reference=case.reference)
    if page == "declaration":
        return url_for("cases.declaration", reference=case.reference)
    if page == "entrustment":
        return url_for("cases.entrustment", reference=case.reference)
    if page in {"status", ""} or case.item.step(page) is None:
        return url_for("cases.status", reference=case.reference)
    return url_for("cases.step", reference=case.reference, step_key=page)


def journey_context(case: Case, page: str) -> dict:
    """What every journey page shows: progress, reference, code, back link."""
    pages = services.journey(case)
    previous = services.previous_page(case, page) if page in pages else None
    def page_title(key):
        step_def = case.item.step(key)
        if step_def:
            return localized(step_def["title"])
        return str(PAGE_TITLES.get(key, key))

    return dict(case=case, item=case.item, page=page, pages=pages, page_title=page_title,
                position=pages.index(page) + 1 if page in pages else None,
                back_url=page_url(case, previous) if previous else
                url_for("catalog.guide", code=case.item.code),
                access_code=shown_access_code(case), page_url=page_url)


KEPT_KEY = "kept_answers"


def switch_request() -> str | None:
    """The language a form was posted to switch to (the header's language buttons)."""
    chosen = request.form.get("switch_lang")
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


def _require_editable(case: Case):
    if not services.editable(case):
        flash(_("This application has been sent and can no longer be changed here."), "info")
        return redirect(url_for("cases.status", reference=case.reference), 303)
    return None


@bp.route("/services/<code>/apply", methods=["GET", "POST"])
@access("public")
def start(code):
    """First page: how to reach the applicant, their language and where they live."""
    item = _item_or_404(code)
    locale = g.lang
    if request.method == "POST":
        target = switch_request()
        if target:
            keep_answers(f"start:{item.code}", {k: request.form.get(k, "") for k in
                                                ("email", "phone", "language", "country",
                                                 "city", "tz", "start_key")})
            return redirect(url_for("cases.start", code=item.code, lang=target), 303)
        values, errors = validate_start(request.form, locale)
        start_key = request.form.get("start_key", "")
        if not (16 <= len(start_key) <= 64):
            abort(400)
        if errors:
            return render_template("cases/start.html", item=item, values=values, errors=errors,
                                   countries=countries(locale), start_key=start_key), 422
        started = services.start_case(
            item, start_key=start_key, locale=values["language"], email=values["email"] or None,
            phone=values["phone"] or None, country=values["country"], city=values["city"],
            tz=values["tz"])
        case = started.case
        if started.replayed:
            if case.id not in session.get("cases", []):
                # Same form posted from another browser: never hand out someone's case.
                abort(409)
        else:
            grant(case, started.access_code)
            send_access_email(case, started.token, started.access_code)
        return redirect(page_url(case, case.resume_at or "materials"), 303)
    values = {"language": locale, "country": "", "city": "", "email": "", "phone": "", "tz": ""}
    kept = kept_answers(f"start:{item.code}")
    if kept:
        values.update(kept)
    start_key = (kept or {}).get("start_key") or secrets.token_urlsafe(24)
    return render_template("cases/start.html", item=item, values=values, errors={},
                           countries=countries(locale), start_key=start_key)


@bp.route("/cases/access/<token>")
@access("public")
def access_link(token):
    """The emailed link: open the case in this browser, then drop the token from the URL."""
    case, state = case_for_token(token)
    if state == "expired":
        return render_template("cases/link_problem.html", problem="expired"), 410
    if state != "ok":
        return render_template("cases/link_problem.html", problem="unknown"), 404
    grant(case)
    target = case.resume_at if services.editable(case) else "status"
    return redirect(page_url(case, target), 303)


def _find_key():
    return "find:" + request.form.get("reference", "")[:40].upper().replace(" ", "")


@bp.route("/cases/find", methods=["GET", "POST"])
@access("public")
@limiter.limit(lambda: __import__("flask").current_app.config["FIND_CASE_RATE_LIMIT"],
               methods=["POST"])
@limiter.limit("30 per hour", key_func=_find_key, methods=["POST"])
def find():
    """Open a case with its reference and access code."""
    # The receipt's QR code brings the reference along; only the code is typed.
    values = {"reference": request.args.get("reference", "")[:40], "code": ""}
    errors = {}
    if request.method == "POST":
        values = {"reference": request.form.get("reference", "").strip()[:40],
                  "code": request.form.get("code", "").strip()[:20]}
        reference, problem = read_reference(values["reference"])
        if problem:
            errors["reference"] = problem
        if not values["code"]:
            errors["code"] = _("Enter the access code.")
        if not errors:
            case = Case.get_or_none(Case.reference == reference)
            code = normalize_access_code(values["code"])
            if case is None or not check_access_code(case, code):
                errors["code"] = _("We could not find an application with this reference and "
                                   "access code. Check both and try again.")
            else:
                grant(case)
                return redirect(url_for("cases.status", reference=case.reference), 303)
        return render_template("cases/find.html", values=values, errors=errors), 422
    return render_template("cases/find.html", values=values, errors=errors)


@bp.route("/cases/<reference>")
@access("applicant")
def status(reference):
    """Status and timeline of a case."""
    case = load_applicant_case(reference)
    events = list(case.events.order_by(Event.created_at, Event.id))
    states = services.material_states(case)
    from ..documents.context import TITLES
    from ..documents.service import available
    owed_later = ([s for s in states if s.deferred]
                  if case.status in ("accepted", "transferred", "approved") else [])
    material_names = {s.material.key: localized(s.material.names) for s in states}
    from . import appointments as appts
    video = None
    if appts.needs_video_check(case) and case.status in ("draft", "submitted", "returned",
                                                          "accepted"):
        video = {"current": appts.current_appointment(case),
                 "confirmed": appts.identity_confirmed(case)}
    return render_template("cases/status.html", video=video, case=case, item=case.item, events=events,
                           documents=available(case), DOC_TITLES=TITLES, owed_later=owed_later,
                           material_names=material_names,
                           EVENT_LABELS=EVENT_LABELS, STATUS_LABELS=STATUS_LABELS, states=states,
                           access_code=shown_access_code(case), page_url=page_url,
                           editable=services.editable(case))


@bp.route("/cases/<reference>/resume")
@access("applicant")
def resume(reference):
    """Go to where the applicant stopped."""
    case = load_applicant_case(reference)
    target = case.resume_at if services.editable(case) else "status"
    return redirect(page_url(case, target), 303)


@bp.route("/cases/<reference>/steps/<step_key>", methods=["GET", "POST"])
@access("applicant")
def step(reference, step_key):
    """One topic of the item's form."""
    case = load_applicant_case(reference)
    blocked = _require_editable(case)
    if blocked:
        return blocked
    step_def = case.item.step(step_key)
    if step_def is None:
        abort(404)
    context = journey_context(case, step_key)
    if request.method == "POST":
        clean, errors, unknown = services.validate_step(case, step_def, request.form)
        values = {f["key"]: request.form.get(f["key"], "") for f in step_def["fields"]}
        target = switch_request()
        if target and not unknown:
            # Save what is valid, keep everything typed, show the same page in the new language.
            services.save_answers(case, {k: v for k, v in clean.items() if k not in errors},
                                  step_key)
            keep_answers(f"{case.reference}:{step_key}", values)
            return redirect(url_for("cases.step", reference=case.reference, step_key=step_key,
                                    lang=target), 303)
        keys = {f["key"] for f in step_def["fields"]}
        if ({"name_zh", "name_latin"} <= keys and not values["name_latin"].strip()
                and clean.get("name_zh") and "name_zh" not in errors):
            # Offer the pinyin spelling; the applicant checks it against the passport.
            values["name_latin"] = suggest_latin(clean["name_zh"])
            errors["name_latin"] = _("We wrote your name in Latin letters from the Chinese "
                                     "characters. Check it matches your passport exactly, "
                                     "correct it if needed, then continue.")
        if unknown:
            return render_template("cases/step.html", step=step_def, values=values, errors=errors,
                                   unknown=True, **context), 400
        valid = {k: v for k, v in clean.items() if k not in errors}
        next_key = services.next_page(case, step_key)
        case = services.save_answers(case, valid, step_key if errors else next_key)
        if errors:
            context["case"] = case
            return render_template("cases/step.html", step=step_def, values=values,
                                   errors=errors, unknown=False, **context), 422
        if request.form.get("action") == "check":
            return redirect(page_url(case, "check"), 303)
        return redirect(page_url(case, next_key), 303)
    services.set_resume(case, step_key)
    values = {f["key"]: (case.answers or {}).get(f["key"], "") for f in step_def["fields"]}
    values.update(kept_answers(f"{case.reference}:{step_key}") or {})
    for f in step_def["fields"]:
        # Contact details given on the start page are offered again, not retyped.
        if not values[f["key"]] and f["type"] == "phone" and case.contact_phone:
            values[f["key"]] = format_phone(case.contact_phone)
        if not values[f["key"]] and f["type"] == "email" and case.contact_email:
            values[f["key"]] = case.contact_email
    return render_template("cases/step.html", step=step_def, values=values, errors={},
                           unknown=False, **context)


@bp.route("/cases/<reference>/entrustment", methods=["GET", "POST"])
@access("applicant")
def entrustment(reference):
    """Do it myself, or entrust a relative at home (only for items that allow it)."""
    case = load_applicant_case(reference)
    blocked = _require_editable(case)
    if blocked:
        return blocked
    if not case.item.agent_allowed:
        abort(404)
    context = journey_context(case, "entrustment")
    if request.method == "POST":
        target = switch_request()
        if target:
            shown = {k: request.form.get(k, "") for k in request.form if k not in {"csrf_token", "switch_lang"}}
            shown["powers"] = request.form.getlist("powers")
            keep_answers(f"{case.reference}:entrustment", shown)
            return redirect(url_for("cases.entrustment", reference=case.reference, lang=target), 303)
        values, errors = entrustment_form.validate(request.form)
        if errors:
            shown = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
            shown["powers"] = request.form.getlist("powers")
            return render_template("cases/entrustment.html", values=shown, errors=errors,
                                   **_entrustment_labels(), **context), 422
        next_key = services.next_page(case, "entrustment")
        case = services.save_entrustment(case, values, next_key)
        if request.form.get("action") == "check":
            return redirect(page_url(case, "check"), 303)
        return redirect(page_url(case, next_key), 303)
    services.set_resume(case, "entrustment")
    values = dict(entrustment_form.default_values(), **(case.entrustment or {}))
    values.update(kept_answers(f"{case.reference}:entrustment") or {})
    return render_template("cases/entrustment.html", values=values, errors={},
                           **_entrustment_labels(), **context)


def _entrustment_labels() -> dict:
    return {"agent_fields": entrustment_form.agent_fields(), "POWERS": entrustment_form.POWERS,
            "POWER_LABELS": entrustment_form.POWER_LABELS}


@bp.route("/cases/<reference>/check")
@access("applicant")
def check(reference):
    """Check your answers, with a change link for each."""
    case = load_applicant_case(reference)
    blocked = _require_editable(case)
    if blocked:
        return blocked
    services.set_resume(case, "check")
    state = services.completeness(case)
    return render_template("cases/check.html", state=state,
                           states=services.material_states(case), **journey_context(case, "check"))


@bp.route("/cases/<reference>/declaration", methods=["GET", "POST"])
@access("applicant")
def declaration(reference):
    """The declaration and the submit button."""
    case = load_applicant_case(reference)
    if request.method == "POST":
        try:
            version = int(request.form.get("version", ""))
        except ValueError:
            version = None
        try:
            fresh, replayed = services.submit(case, declared=request.form.get("declare") == "yes",
                                              expected_version=version)
        except services.SubmitError as exc:
            if exc.reason == "state":
                return redirect(url_for("cases.status", reference=case.reference), 303)
            state = services.completeness(case)
            error = (_("Tick the box to confirm the declaration.") if exc.reason == "declaration"
                     else _("Some answers or materials are still missing. See the list below."))
            return render_template("cases/declaration.html", state=state, error=error,
                                   **journey_context(case, "declaration")), 422
        if not replayed:
            send_submitted_email(fresh)
        return redirect(url_for("cases.confirmation", reference=case.reference), 303)
    blocked = _require_editable(case)
    if blocked:
        return blocked
    services.set_resume(case, "declaration")
    state = services.completeness(case)
    return render_template("cases/declaration.html", state=state, error=None,
                           **journey_context(case, "declaration"))


@bp.route("/cases/<reference>/confirmation")
@access("applicant")
def confirmation(reference):
    """Reference, access code and what happens next."""
    case = load_applicant_case(reference)
    if case.status in {"draft"}:
        return redirect(page_url(case, case.resume_at), 303)
    from .appointments import current_appointment, needs_video_check
    return render_template("cases/confirmation.html", case=case, item=case.item,
                           access_code=shown_access_code(case),
                           video_needed=needs_video_check(case)
                           and current_appointment(case) is None
                           and case.status in ("submitted", "returned"))


@bp.route("/cases/<reference>/withdraw", methods=["GET", "POST"])
@access("applicant")
def withdraw(reference):
    """Confirmation page, then withdrawal of a case not yet accepted."""
    case = load_applicant_case(reference)
    if request.method == "POST":
        try:
            services.withdraw(case)
        except TransitionError:
            flash(_("This application can no longer be withdrawn."), "error")
            return redirect(url_for("cases.status", reference=case.reference), 303)
        flash(_("Your application was withdrawn."), "info")
        return redirect(url_for("cases.status", reference=case.reference), 303)
    if case.status not in {"draft", "submitted", "returned"}:
        return redirect(url_for("cases.status", reference=case.reference), 303)
    return render_template("cases/withdraw.html", case=case, item=case.item)


@bp.route("/cases/<reference>/forget", methods=["POST"])
@access("applicant")
def forget_case(reference):
    """Remove the case from this browser (for shared computers)."""
    case = load_applicant_case(reference)
    forget(case)
    flash(_("This browser no longer has access to %(reference)s. Use your access code to open "
            "it again.", reference=case.reference), "info")
    return redirect(url_for("cases.find"), 303)

