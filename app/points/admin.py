"""Admins manage the service points: ``/staff/admin/service-points``."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..audit import record
from ..authz import staff
from ..cases.start import countries
from ..i18n import LOCALE_NAMES, localized
from ..models import Office, ServicePoint
from ..templating import current_locale
from .blueprint import bp
from .directory import COMMON_ZONES
from .forms import ServicePointForm
from .service import all_points, form_data, save_point


@bp.route("/staff/admin/service-points")
@staff("service_points")
def admin_list():
    """Every service point, active ones first, with a link to edit each."""
    return render_template("points/admin_list.html", points=all_points(g.staff))


def _form(point=None, data=None) -> ServicePointForm:
    formdata = None if data is not None else request.form
    return ServicePointForm(formdata=formdata, data=data, point=point,
                            countries=countries(current_locale()),
                            offices=Office.select().where(Office.id.in_(g.staff.office_ids()))
                            .order_by(Office.sort, Office.key))


def _page(form, point=None, status=200):
    return render_template("points/admin_form.html", form=form, point=point,
                           LOCALE_NAMES=LOCALE_NAMES,
                           zones=sorted(set(COMMON_ZONES) | {"Asia/Shanghai"})), status


def _save(point=None):
    form = _form(point)
    if form.validate():
        values = form.values()
        # A point stays in its admins' hands: without a window named, the county's first.
        values["office"] = values["office"] or next(iter(g.staff.office_ids()), None)
        try:
            saved = save_point(values, point)
        except ValueError as error:
            form.key.errors.append(str(error))
        else:
            record("service_point_saved", staff=g.staff, target=saved.key,
                   data={"created": point is None, "active": saved.active})
            flash(_("Service point %(city)s saved.", city=localized(saved.city)), "info")
            return redirect(url_for("points.admin_list"), 303)
    return _page(form, point, 422)


@bp.route("/staff/admin/service-points/new", methods=["GET", "POST"])
@staff("service_points")
def admin_new():
    """Add a service point."""
    if request.method == "POST":
        return _save()
    return _page(_form(data={"active": True, "sort": "0"}))


@bp.route("/staff/admin/service-points/<int:point_id>", methods=["GET", "POST"])
@staff("service_points")
def admin_edit(point_id):
    """Change a service point; unticking "active" takes it out of the directory."""
    point = ServicePoint.get_or_none(ServicePoint.managed_by(g.staff)
                                     & (ServicePoint.id == point_id))
    if point is None:
        abort(404)
    if request.method == "POST":
        return _save(point)
    return _page(_form(point, data=form_data(point)), point)
