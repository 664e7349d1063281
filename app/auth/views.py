"""The ``auth`` blueprint, ``/staff/…``: sign-in, two-step enrolment, sign-out, accounts."""

from flask import (Blueprint, abort, flash, g, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from ..audit import record
from ..authz import public, staff
from ..extensions import limiter
from ..models import Staff
from ..security import back_to
from . import mfa
from .forms import CodeForm, EndSessionsForm, LoginForm, PasswordChangeForm
from .sessions import (SECOND_STEPS, LoginError, authenticate, change_password,
                       current_session, current_staff, end_all_sessions, end_own_sessions,
                       end_session, keep_language, open_sessions, pass_mfa, second_step_failed,
                       set_active, start_session)

bp = Blueprint("auth", __name__, url_prefix="/staff")

LOGIN_ERRORS = {"credentials": _l("The email address or the password is not right."),
                "disabled": _l("This account is disabled. Ask your supervisor.")}
WRONG_CODE = _l("This code is not right. Check the time on your phone and try the newest code.")


def _wait_message(seconds: int) -> str:
    return ngettext("Too many tries. Wait %(num)d second, then try again.",
                    "Too many tries. Wait %(num)d seconds, then try again.", seconds)


def _slowed(page, wait: int):
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _after_login():
    return redirect(url_for("review.home"), 303)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Email and password; then two-step sign-in."""
    form = LoginForm()
    if request.method == "GET":
        row = current_session()
        if row is not None and row.mfa_passed:
            return _after_login()
        return render_template("auth/login.html", form=form)
    try:
        staff_member = authenticate(form.email.data, form.password.data or "")
    except LoginError as error:
        if error.reason == "slowed":
            form.form_errors.append(_wait_message(error.wait))
            return _slowed(render_template("auth/login.html", form=form), error.wait)
        form.form_errors.append(str(LOGIN_ERRORS[error.reason]))
        return render_template("auth/login.html", form=form), 401
    start_session(staff_member)
    target = "auth.verify" if staff_member.totp_confirmed else "auth.enrol"
    return redirect(url_for(target), 303)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def verify():
    """The authenticator code (or a recovery code) after the password."""
    row = current_session()
    if row is None:
        return redirect(url_for("auth.login"), 303)
    if not row.staff.totp_confirmed:
        return redirect(url_for("auth.enrol"), 303)
    form = CodeForm()
    if request.method == "GET":
        return render_template("auth/verify.html", form=form)
    wait = SECOND_STEPS.wait(str(row.staff_id))
    if wait:
        form.code.errors = [_wait_message(wait)]
        return _slowed(render_template("auth/verify.html", form=form), wait)
    outcome = mfa.check_second_step(row.staff, form.code.data or "")
    if outcome == "ok":
        SECOND_STEPS.passed(str(row.staff_id))
        pass_mfa(row)
        return _after_login()
    record("login_failed", staff=row.staff, data={"reason": f"totp_{outcome}"})
    if second_step_failed(row):
        flash(_("Too many wrong codes. Sign in again with your password."), "error")
        return redirect(url_for("auth.login"), 303)
    form.code.errors = [_("This code was already used. Wait for the next code in your app.")
                        if outcome == "reused" else str(WRONG_CODE)]
    return render_template("auth/verify.html", form=form), 401


def _confirm_enrolment(row, form):
    """The first code from the app: the recovery codes page once it is right; the
    sign-in page after too many wrong ones (they count like the second step's: whoever
    is here knows the password); else None, with the form's error set."""
    wait = SECOND_STEPS.wait(str(row.staff_id))
    if wait:
        form.code.errors = [_wait_message(wait)]
        return None
    if mfa.verify_code(row.staff, form.code.data or "") == "ok":
        SECOND_STEPS.passed(str(row.staff_id))
        codes = mfa.confirm_enrolment(row.staff)
        pass_mfa(row)
        return render_template("auth/recovery_codes.html", codes=codes)
    if second_step_failed(row):
        flash(_("Too many wrong codes. Sign in again with your password."), "error")
        return redirect(url_for("auth.login"), 303)
    form.code.errors = [str(WRONG_CODE)]
    return None


@bp.route("/mfa/setup", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def enrol():
    """Set up the authenticator app: QR code, confirm a code, get recovery codes."""
    row = current_session()
    if row is None:
        return redirect(url_for("auth.login"), 303)
    staff_member = row.staff
    if staff_member.totp_confirmed:
        # An enrolled secret is never shown again, not even to a signed-in session.
        return redirect(url_for("review.home" if row.mfa_passed else "auth.verify"), 303)
    mfa.ensure_secret(staff_member)
    form = CodeForm()
    if request.method == "POST":
        done = _confirm_enrolment(row, form)
        if done is not None:
            return done
    _uri, qr = mfa.provisioning_qr(staff_member)
    return render_template("auth/enrol.html", qr=qr, secret=staff_member.totp_secret,
                           form=form), (401 if form.code.errors else 200)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """End the session for good (the row, not only the cookie)."""
    row = current_session()
    if row is not None:
        record("logout", staff=row.staff)
    end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/language", methods=["POST"])
@public
def language():
    """Choose the language of the staff pages."""
    keep_language(current_staff(), request.form.get("lang", ""))
    return redirect(back_to(request.form.get("next"), "/staff/", url_for("review.home")), 303)


@bp.route("/password", methods=["GET", "POST"])
@staff("own")
def password():
    """Change one's own password (the password in use and a second-step code)."""
    form = PasswordChangeForm()
    if request.method == "GET" or not form.validate():
        return render_template("auth/password.html", form=form), (
            422 if request.method == "POST" else 200)
    wrong = change_password(current_session(), form.current.data, form.new.data,
                            form.again.data, form.code.data)
    if wrong.get("ended"):
        flash(_("Too many wrong codes. Sign in again with your password."), "error")
        return redirect(url_for("auth.login"), 303)
    if not wrong:
        flash(_("Your password is changed. Your other sessions have ended."), "info")
        return redirect(url_for("review.home"), 303)
    messages = {"current": _("This is not the password you have now."),
                "code": str(WRONG_CODE), "again": _("The two new passwords are not the same."),
                "same": _("The new password must be different from the one you have now.")}
    for name, what in wrong.items():
        if name == "wait":
            continue
        text = (_wait_message(wrong["wait"]) if what == "slowed" else
                messages["same"] if what == "same" else
                messages.get(name) if what in ("wrong", "different") else what)
        getattr(form, name).errors = [text]
    status = 429 if wrong.get("code") == "slowed" else 422
    return render_template("auth/password.html", form=form), status


@bp.route("/accounts")
@staff("accounts")
def accounts():
    """The accounts a supervisor manages: their office's (their jurisdiction's for an admin)."""
    scope = Staff.managed_by(g.staff)
    query = [] if scope is None else Staff.select().where(scope).order_by(Staff.role, Staff.name)
    return render_template("auth/accounts.html", accounts=list(query))


@bp.route("/sessions", methods=["GET", "POST"])
@staff("own")
def sessions():
    """One's own sessions (where and when); end any of the others with the password."""
    form, row = EndSessionsForm(), current_session()
    if request.method == "POST" and form.validate():
        chosen = [int(v) for v in request.form.getlist("session") if v.isdigit()]
        outcome = end_own_sessions(row, form.password.data, chosen)
        if outcome.get("signed_out"):
            flash(_("Too many wrong tries. Sign in again with your password."), "error")
            return redirect(url_for("auth.login"), 303)
        if "ended" in outcome:
            flash(ngettext("%(num)d session ended.", "%(num)d sessions ended.",
                           outcome["ended"]), "info")
            return redirect(url_for("auth.sessions"), 303)
        form.password.errors = [_wait_message(outcome["wait"]) if "wait" in outcome
                                else _("This is not the password you have now.")]
    status = 422 if form.errors_by_field() else 200
    return render_template("auth/sessions.html", form=form, rows=open_sessions(g.staff),
                           current=row.id), status


def _managed(staff_id: int) -> Staff:
    """An account the signed-in manager manages, or 404."""
    scope = Staff.managed_by(g.staff)
    target = None if scope is None else Staff.get_or_none(scope & (Staff.id == staff_id))
    return target or abort(404)


@bp.route("/accounts/<int:staff_id>/sessions/end", methods=["POST"])
@staff("accounts")
def end_account_sessions(staff_id):
    """Sign an account out everywhere (it may sign in again: a lost phone, a shared desk)."""
    target = _managed(staff_id)
    if target.id == g.staff.id:
        return redirect(url_for("auth.sessions"), 303)
    ended = end_all_sessions(target)
    record("account_signed_out", staff=g.staff, target=target.email, data={"count": ended})
    flash(_("%(name)s is signed out everywhere.", name=target.name), "info")
    return redirect(url_for("auth.accounts"), 303)


@bp.route("/accounts/<int:staff_id>/disable", methods=["POST"])
@staff("accounts")
def disable(staff_id):
    """Disable an account (every one of its sessions ends at once), or enable it again."""
    target = _managed(staff_id)
    if target.id == g.staff.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("auth.accounts"), 303)
    enable = request.form.get("enable") == "yes"
    set_active(target, enable)
    record("account_enabled" if enable else "account_disabled", staff=g.staff,
           target=target.email)
    flash(_("%(name)s can sign in again.", name=target.name) if enable else
          _("%(name)s is disabled and signed out everywhere.", name=target.name), "info")
    return redirect(url_for("auth.accounts"), 303)

