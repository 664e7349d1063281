"""Staff sign-in, two-step enrolment, sign-out and account management."""

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _

from ..audit import record
from ..config import LOCALES
from ..extensions import limiter
from ..models import Staff
from ..security import access
from . import mfa
from .sessions import (LoginError, authenticate, current_session, end_all_sessions, end_session,
                       pass_mfa, staff_required, start_session)

bp = Blueprint("auth", __name__, url_prefix="/staff")


def _after_login():
    return redirect(url_for("review.home"), 303)


@bp.route("/login", methods=["GET", "POST"])
@access("public")
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Email and password; then two-step sign-in."""
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        try:
            staff = authenticate(email, request.form.get("password", ""))
        except LoginError as exc:
            error = {"credentials": _("The email address or the password is not right."),
                     "locked": _("Too many wrong passwords: this account is locked for 15 "
                                 "minutes."),
                     "disabled": _("This account is disabled. Ask your supervisor.")}[exc.reason]
            return render_template("auth/login.html", email=email, error=error), 401
        start_session(staff)
        if not staff.needs_mfa:
            return _after_login()
        if staff.totp_confirmed:
            return redirect(url_for("auth.verify"), 303)
        return redirect(url_for("auth.enrol"), 303)
    if current_session() is not None and current_session().mfa_passed:
        return _after_login()
    return render_template("auth/login.html", email=email, error=error)


@bp.route("/login/code", methods=["GET", "POST"])
@access("public")
@limiter.limit("10 per minute", methods=["POST"])
def verify():
    """The authenticator code (or a recovery code) after the password."""
    row = current_session()
    if row is None:
        return redirect(url_for("auth.login"), 303)
    staff = row.staff
    if not staff.totp_confirmed:
        return redirect(url_for("auth.enrol"), 303)
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")
        if len("".join(c for c in code if c.isalnum())) == 10:
            ok = mfa.use_recovery_code(staff, code)
            outcome = "ok" if ok else "wrong"
        else:
            outcome = mfa.verify_code(staff, code)
        if outcome == "ok":
            pass_mfa(row)
            return _after_login()
        record("login_failed", staff=staff, data={"reason": f"totp_{outcome}"})
        error = (_("This code was already used. Wait for the next code in your app.")
                 if outcome == "reused" else _("This code is not right. Check the time on "
                                               "your phone and try the newest code."))
        return render_template("auth/verify.html", error=error), 401
    return render_template("auth/verify.html", error=error)


@bp.route("/mfa/setup", methods=["GET", "POST"])
@access("public")
def enrol():
    """Set up the authenticator app: QR code, confirm a code, get recovery codes."""
    row = current_session()
    if row is None:
        return redirect(url_for("auth.login"), 303)
    staff = row.staff
    if staff.totp_confirmed:
        # An enrolled secret is never shown again, not even to a signed-in session.
        return redirect(url_for("review.home" if row.mfa_passed else "auth.verify"), 303)
    if not staff.totp_secret or not staff.totp_confirmed:
        if not staff.totp_secret:
            staff.totp_secret = mfa.new_secret()
            Staff.update(totp_secret=staff.totp_secret).where(Staff.id == staff.id).execute()
    error = None
    if request.method == "POST":
        if mfa.verify_code(staff, request.form.get("code", "")) == "ok":
            Staff.update(totp_confirmed=True).where(Staff.id == staff.id).execute()
            codes = mfa.new_recovery_codes(staff)
            pass_mfa(row)
            record("mfa_enrolled", staff=staff)
            return render_template("auth/recovery_codes.html", codes=codes)
        error = _("This code is not right. Check the time on your phone and try the newest "
                  "code.")
    uri, qr = mfa.provisioning_qr(staff)
    return render_template("auth/enrol.html", qr=qr, secret=staff.totp_secret, error=error), \
        (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@access("public")
def logout():
    """End the session for good (the row, not only the cookie)."""
    row = current_session()
    if row is not None:
        record("logout", staff=row.staff)
    end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/language", methods=["POST"])
@access("public")
def language():
    """Choose the language of the staff pages."""
    chosen = request.form.get("lang", "")
    if chosen in LOCALES:
        session["staff_lang"] = chosen
    target = request.form.get("next", "")
    if not target.startswith("/staff/") or "//" in target:
        target = url_for("review.home")
    return redirect(target, 303)


@bp.route("/accounts")
@access("staff")
@staff_required("supervisor", "admin")
def accounts():
    """The accounts a supervisor manages: their office's (all for an admin)."""
    query = Staff.select().order_by(Staff.role, Staff.name)
    if g.staff.role != "admin":
        query = query.where(Staff.office == g.staff.office_id)
    return render_template("auth/accounts.html", accounts=list(query))


@bp.route("/accounts/<int:staff_id>/disable", methods=["POST"])
@access("staff")
@staff_required("supervisor", "admin")
def disable(staff_id):
    """Disable an account; every one of its sessions ends at once."""
    target = Staff.get_or_none(Staff.id == staff_id)
    if target is None or (g.staff.role != "admin" and target.office_id != g.staff.office_id):
        abort(404)
    if target.id == g.staff.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("auth.accounts"), 303)
    enable = request.form.get("enable") == "yes"
    Staff.update(active=enable).where(Staff.id == target.id).execute()
    if not enable:
        end_all_sessions(target)
    record("account_enabled" if enable else "account_disabled", staff=g.staff,
           target=target.email)
    flash(_("%(name)s can sign in again.", name=target.name) if enable else
          _("%(name)s is disabled and signed out everywhere.", name=target.name), "info")
    return redirect(url_for("auth.accounts"), 303)
