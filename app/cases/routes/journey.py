"""The journey: start, the item's steps, entrustment, check, declaration, status.

Thin views: validate the form, call one function of :mod:`app.cases.journey`,
redirect; or show the form again with what was typed and a 4xx.
"""

import secrets

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...authz import applicant_case, public
from ...extensions import limiter
from ...documents.service import available as documents_available
from ...forms import to_int
from ...fragments import see_next, see_other
from ...i18n import localized
from ...pagecache import personal
from ...models import Case, Department, Event, Item, Jurisdiction
from ...templating import format_phone
from .. import journey
from ..access import (case_for_token, check_access_code, forget, grant, grant_lost_answer,
                      in_session, lost_answer_of, remember_start_key, revoke_everywhere,
                      shown_access_code, spend_start_key, started_here)
from ..appointments import current_appointment, identity_confirmed
from ..forms import (DeclarationForm, FindForm, StartForm, default_entrustment,
                     entrustment_form, step_form, unknown_fields)
from ..names import suggest_latin
from ..next_steps import deferred_due, what_next
from ..pages import (find_with_code, journey_context, keep_answers, kept_answers,
                     limited_by_reference, not_editable, page_url, resume_url, switch_request,
                     typed)
from ..reference import normalize_access_code
from ...ratelimits import PerTarget
from ...ratings.pages import rating_blocks
from ...reasons.library import returned as returned_reasons
from .. import lifecycle
from ..blueprint import bp


def _emailed_too_often(form, email: str) -> bool:
    """Whether this address had its new applications for today (each one emails it,
    whoever starts it); the form then says so on the email field."""
    if not email or PerTarget(current_app.config["NEW_CASES_PER_EMAIL_LIMIT"]).allow(
            "start-email", email.lower()):
        return False
    form.email.errors.append(_("Many applications were started with this email address "
                               "today. Continue one of them from the link we emailed, or "
                               "try again tomorrow."))
    return True


@bp.route("/services/<code>/apply", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["NEW_CASES_RATE_LIMIT"], methods=["POST"])
def start(code):
    """First page: how to reach the applicant, their language and where they live."""
    item = Item.active_by_code(code) or abort(404)
    if request.method == "GET":
        kept = kept_answers(f"start:{item.code}") or {"language": g.lang}
        form = StartForm(locale=g.lang, data=kept, formdata=None)
        if not started_here(form.start_key.data):  # only a key this browser was given
            form.start_key.data = secrets.token_urlsafe(24)
        remember_start_key(form.start_key.data)
        return render_template("cases/start.html", item=item, form=form)
    form = StartForm(locale=g.lang)
    target = switch_request(request.form)
    if target:
        keep_answers(f"start:{item.code}", typed(request.form))
        return see_other(url_for("cases.start", code=item.code, lang=target))
    if not 16 <= len(form.start_key.data or "") <= 64:
        abort(400)
    if not form.validate():
        return render_template("cases/start.html", item=item, form=form), 422
    values = form.values()
    if _emailed_too_often(form, values["email"]):
        return render_template("cases/start.html", item=item, form=form), 429
    started = journey.start_case(item, start_key=form.start_key.data, locale=values["language"],
                                 email=values["email"], phone=values["phone"],
                                 country=values["country"], city=values["city"], tz=values["tz"])
    return _after_start(started)


def _after_start(started: journey.Started):
    case = started.case
    if not started.replayed:
        grant(case, started.access_code)
        spend_start_key(case.start_key)
    elif not in_session(case):
        # The answer to the first post was lost: the browser that was given this form
        # (its session holds the form's key) gets in, with the code it never saw.
        # The same form posted from another browser: never hand out someone's case.
        if not lost_answer_of(case):
            abort(409)
        grant_lost_answer(case)
    return see_next(resume_url(case))


@bp.route("/cases/access/<token>")
@public
def access_link(token):
    """The emailed link: open the case in this browser, then drop the token from the URL."""
    case, state = case_for_token(token)
    if state == "expired":
        return render_template("cases/link_problem.html", problem="expired"), 410
    if state != "ok":
        return render_template("cases/link_problem.html", problem="unknown"), 404
    grant(case)
    return redirect(resume_url(case), 303)


@bp.route("/cases/find", methods=["GET", "POST"])
@public
@limited_by_reference("find")
def find():
    """Open a case with its reference and access code."""
    case, page = find_with_code(
        FindForm, "cases/find.html", lambda c, code: check_access_code(c, normalize_access_code(
            code)), _("We could not find an application with this reference and access code. "
                      "Check both and try again."))
    if case is None:
        return page
    grant(case)
    return redirect(url_for("cases.status", reference=case.reference), 303)


def _status_context(case: Case) -> dict:
    states = journey.material_states(case)
    video = None
    if case.needs_video_check and case.identity_check_matters:
        video = {"current": current_appointment(case), "confirmed": identity_confirmed(case)}
    events = list(Event.timeline(case, for_staff=False))
    return dict(case=case, item=case.spec, states=states, video=video, events=events,
                holder=case.holder, departments=_departments_named(events),
                documents=documents_available(case, states),
                access_code=shown_access_code(case),
                owed_later=[s for s in states if s.deferred] if case.owes_deferred else [],
                deferred_due=deferred_due(case), next_steps=what_next(case, states),
                material_names={s.material.key: localized(s.material.names) for s in states},
                returned=returned_reasons(case), ratings=rating_blocks(case),
                page_url=page_url)


def _departments_named(events) -> dict:
    """``{key: "Department, County"}`` of the departments the case was passed to."""
    keys = {(e.data or {}).get("department") for e in events if e.kind == "transferred"}
    keys.discard(None)
    if not keys:
        return {}
    rows = (Department.select(Department, Jurisdiction).join(Jurisdiction)
            .where(Department.key.in_([k for k in keys if k])))
    return {d.key: f"{localized(d.names)}, {localized(d.jurisdiction.names)}" for d in rows}


@bp.route("/cases/<reference>")
@applicant_case
def status(case):
    """Status and timeline of a case."""
    return personal(case, lambda: render_template("cases/status.html", **_status_context(case)))


@bp.route("/cases/<reference>/resume")
@applicant_case
def resume(case):
    """Go to where the applicant stopped."""
    return redirect(resume_url(case), 303)


def _offered_contacts(case: Case, step: dict) -> dict:
    """Contact details given on the start page, offered again instead of retyped."""
    offered = {}
    for field in step["fields"]:
        if field["type"] == "phone" and case.contact_phone:
            offered[field["key"]] = format_phone(case.contact_phone)
        if field["type"] == "email" and case.contact_email:
            offered[field["key"]] = case.contact_email
    return offered


@bp.route("/cases/<reference>/steps/<step_key>", methods=["GET", "POST"])
@applicant_case
def step(case, step_key):
    """One topic of the item's form."""
    step_def = case.spec.step(step_key)
    if step_def is None:
        abort(404)
    blocked = not_editable(case)
    if blocked:
        return blocked
    form_class = step_form(step_def, case.country)
    if request.method == "GET":
        data = dict(_offered_contacts(case, step_def), **{
            k: v for k, v in (case.answers or {}).items() if v not in (None, "")})
        data.update(kept_answers(f"{case.reference}:{step_key}") or {})
        return _step_page(case, step_def, form_class(formdata=None, data=data))
    return _save_step(case, step_def, form_class())


def _step_page(case, step_def, form, status=200, unknown=False):
    return render_template("cases/step.html", step=step_def, form=form, unknown=unknown,
                           **journey_context(case, step_def["key"])), status


def _save_step(case: Case, step_def: dict, form):
    """Save what is valid of a posted step; go on, or show the step again with its errors."""
    key = step_def["key"]
    unknown = unknown_fields(form, request.form)
    if unknown:
        return _step_page(case, step_def, form, 400, unknown=True)
    valid = form.validate()
    clean = {f.name: f.clean for f in form if hasattr(f, "clean") and not f.errors}
    target = switch_request(request.form)
    if target:
        # Save what is valid, keep everything typed, show the same page in the new language.
        journey.save_answers(case, clean, key)
        keep_answers(f"{case.reference}:{key}", typed(request.form))
        return see_other(url_for("cases.step", reference=case.reference, step_key=key,
                                 lang=target))
    if "name_latin" in form and clean.get("name_zh") and not (form.name_latin.data or "").strip():
        # Offer the pinyin spelling; the applicant checks it against the passport.
        form.name_latin.data = suggest_latin(clean["name_zh"])
        form.name_latin.errors = [_("We wrote your name in Latin letters from the Chinese "
                                    "characters. Check it matches your passport exactly, "
                                    "correct it if needed, then continue.")]
        valid = False
    case = journey.save_answers(case, clean, key)
    if not valid:
        return _step_page(case, step_def, form, 422)
    next_key = "check" if request.form.get("action") == "check" else journey.next_page(case, key)
    return see_next(page_url(case, next_key))


@bp.route("/cases/<reference>/entrustment", methods=["GET", "POST"])
@applicant_case
def entrustment(case):
    """Do it myself, or entrust a relative at home (only for items that allow it)."""
    if not case.spec.agent_allowed:
        abort(404)
    blocked = not_editable(case)
    if blocked:
        return blocked
    if request.method == "GET":
        data = dict(default_entrustment(), **(case.entrustment or {}))
        data.update(kept_answers(f"{case.reference}:entrustment") or {})
        return _entrustment_page(case, entrustment_form(formdata=None, data=data))
    form = entrustment_form()
    target = switch_request(request.form)
    if target:
        keep_answers(f"{case.reference}:entrustment", typed(request.form, multi=["powers"]))
        return see_other(url_for("cases.entrustment", reference=case.reference, lang=target))
    if not form.validate():
        return _entrustment_page(case, form, 422)
    case = journey.save_entrustment(case, form.values())
    next_key = ("check" if request.form.get("action") == "check"
                else journey.next_page(case, "entrustment"))
    return see_next(page_url(case, next_key))


def _entrustment_page(case, form, status=200):
    return render_template("cases/entrustment.html", form=form,
                           **journey_context(case, "entrustment")), status


@bp.route("/cases/<reference>/check")
@applicant_case
def check(case):
    """Check your answers, with a change link for each."""
    blocked = not_editable(case)
    if blocked:
        return blocked
    return render_template("cases/check.html", state=journey.completeness(case),
                           states=journey.material_states(case), **journey_context(case, "check"))


@bp.route("/cases/<reference>/declaration", methods=["GET", "POST"])
@applicant_case
def declaration(case):
    """The declaration and the submit button."""
    if request.method == "GET":
        blocked = not_editable(case)
        if blocked:
            return blocked
        form = DeclarationForm(formdata=None, version=case.version)
        return _declaration_page(case, form)
    form = DeclarationForm()
    try:
        journey.submit(case, declared=bool(form.declare.data),
                       expected_version=to_int(form.version.data, None))
    except journey.SubmitError as error:
        if error.reason == "state":
            return see_other(url_for("cases.status", reference=case.reference))
        form.declare.errors = [_("Tick the box to confirm the declaration.")
                               if error.reason == "declaration" else
                               _("Some answers or materials are still missing. See the list "
                                 "below.")]
        return _declaration_page(case, form, 422)
    return see_next(url_for("cases.confirmation", reference=case.reference))


def _declaration_page(case, form, status=200):
    return render_template("cases/declaration.html", form=form,
                           state=journey.completeness(case),
                           **journey_context(case, "declaration")), status


@bp.route("/cases/<reference>/confirmation")
@applicant_case
def confirmation(case):
    """Reference, access code and what happens next."""
    if case.is_draft:
        return redirect(resume_url(case), 303)
    return render_template("cases/confirmation.html", **_confirmation_context(case))


def _confirmation_context(case: Case) -> dict:
    states = journey.material_states(case)
    return dict(case=case, item=case.spec, access_code=shown_access_code(case),
                video_needed=case.video_bookable and current_appointment(case) is None,
                documents=documents_available(case, states), next_steps=what_next(case, states))


@bp.route("/cases/<reference>/withdraw", methods=["GET", "POST"])
@applicant_case
def withdraw(case):
    """Confirmation page, then withdrawal of a case not yet accepted."""
    if request.method == "GET":
        if not case.can("withdraw"):
            return redirect(url_for("cases.status", reference=case.reference), 303)
        return render_template("cases/withdraw.html", case=case, item=case.spec)
    try:
        journey.withdraw(case)
    except lifecycle.TransitionError:
        flash(_("This application can no longer be withdrawn."), "error")
    else:
        # Every other browser (and copy of this one's cookie) loses the case.
        code = shown_access_code(case)
        revoke_everywhere(case)
        grant(case, code)
        flash(_("Your application was withdrawn."), "info")
    return redirect(url_for("cases.status", reference=case.reference), 303)


@bp.route("/cases/<reference>/delete", methods=["GET", "POST"])
@applicant_case
def delete_draft(case):
    """Confirmation page, then deletion of an application never sent."""
    if case.status != "draft":
        return redirect(url_for("cases.status", reference=case.reference), 303)
    if request.method == "GET":
        return render_template("cases/delete.html", case=case, item=case.spec)
    try:
        journey.delete_draft(case)
    except lifecycle.TransitionError:
        return redirect(url_for("cases.status", reference=case.reference), 303)
    forget(case)
    flash(_("Your unsent application %(reference)s is deleted, with its answers and files.",
            reference=case.reference), "info")
    return redirect(url_for("core.home", lang=g.lang), 303)


@bp.route("/cases/<reference>/forget", methods=["POST"])
@applicant_case
def forget_case(case):
    """Remove the case from this browser (for shared computers)."""
    forget(case)
    flash(_("This browser no longer has access to %(reference)s. Use your access code to open "
            "it again.", reference=case.reference), "info")
    return redirect(url_for("cases.find"), 303)
