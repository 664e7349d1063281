"""Admins keep their county's standard return reasons: ``/staff/admin/return-reasons``.

A county's admin sees the reasons its clerks are offered: the default library and
the county's own. Changing a default keeps the change as the county's own reason
under the same key (the default stays as it is for everyone else); another
county's reasons are not found (404).
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..audit import record
from ..authz import staff
from ..config import LOCALES
from ..i18n import LOCALE_NAMES, localized
from . import library
from .forms import ReasonForm, form_data

bp = Blueprint("reasons_admin", __name__, url_prefix="/staff/admin/return-reasons")


def _scope_id():
    scope = g.staff.scope
    return scope.id if scope is not None else None


def _page(form, reason=None, status=200):
    return render_template("reasons/admin_form.html", form=form, reason=reason,
                           LOCALES=LOCALES, LOCALE_NAMES=LOCALE_NAMES,
                           missing=library.missing_locales(reason) if reason else []), status


def _save(form, reason=None):
    """Save the posted reason as the admin's county's own; the list, or the form again."""
    if not form.validate():
        return _page(form, reason, 422)
    key = reason.key if reason is not None else form.key.data
    try:
        saved = library.save(_scope_id(), key, form.values(), new=reason is None)
    except ValueError as error:
        form.key.errors.append(str(error))
        return _page(form, reason, 422)
    record("return_reason_saved", staff=g.staff, target=key,
           data={"created": reason is None, "active": saved.active, "id": saved.id})
    flash(_("Standard reason “%(reason)s” saved.", reason=localized(saved.texts)), "info")
    return redirect(url_for("reasons_admin.reasons"), 303)


@bp.route("")
@staff("catalog")
def reasons():
    """The reasons the admin's clerks are offered, with the languages each one lacks."""
    rows = library.library(g.staff.scope).values()
    return render_template("reasons/admin_list.html", reasons=rows, scope_id=_scope_id(),
                           missing=library.missing_locales, KINDS=library.KINDS)


@bp.route("/new", methods=["GET", "POST"])
@staff("catalog")
def new():
    """Add a reason of the admin's county."""
    if request.method == "POST":
        return _save(ReasonForm())
    return _page(ReasonForm(formdata=None, data={"active": True, "sort": "100"}))


@bp.route("/<int:reason_id>", methods=["GET", "POST"])
@staff("catalog")
def edit(reason_id):
    """Change a reason's texts, what it applies to, its order; untick to switch it off."""
    reason = library.visible(g.staff.scope, reason_id) or abort(404)
    if request.method == "POST":
        form = ReasonForm()
        del form.key
        return _save(form, reason)
    form = ReasonForm(formdata=None, data=form_data(reason))
    del form.key
    return _page(form, reason)
