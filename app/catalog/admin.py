"""Catalog admins' pages, ``/staff/admin/catalog``: their county's items, exported as YAML
for bulk work and imported back (each changed item published as its next version)."""

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from wtforms import FileField, ValidationError

from .. import audit
from ..authz import staff
from ..forms import Asked, Form
from ..models import Department, Item, ItemDraft, ItemSearch, Jurisdiction
from ..models.base import in_one_transaction
from .loader import normalize
from .transfer import ImportRefused, check, dump, publish

bp = Blueprint("catalog_admin", __name__, url_prefix="/staff/admin/catalog")

#: The largest file an import takes.
MAX_IMPORT_BYTES = 8 * 1024 * 1024


class ImportForm(Form):
    """A YAML file of items (as exported, or as the item files are written)."""

    file = FileField(_l("YAML file of items"), validators=[Asked()])

    def validate_file(self, field):
        data = field.data.read(MAX_IMPORT_BYTES + 1) if field.data else b""
        if not data:
            raise ValidationError(_("Choose the YAML file to import."))
        if len(data) > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than %(size)s MB.", size=MAX_IMPORT_BYTES // (1024 * 1024)))
        try:
            self.text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not text in UTF-8.")) from None


def scoped_items(*columns):
    """The items of the signed-in admin's jurisdiction (and those under it)."""
    return (Item.select(*(columns or (Item,)), Department, Jurisdiction)
            .join(Department).join(Jurisdiction)
            .where(Department.jurisdiction.in_(g.staff.scope_ids()))
            .order_by(Jurisdiction.sort, Item.sort, Item.code))


def _listed(query: str):
    """The list's rows (no form steps read), matching ``query`` in a code or a name."""
    rows = scoped_items(Item.id, Item.code, Item.names, Item.version, Item.active, Item.sort,
                        Item.locales)
    if query:
        rows = rows.join(ItemSearch, on=(ItemSearch.item == Item.id)).where(
            ItemSearch.name_text.contains(query) | ItemSearch.code.contains(query.upper()))
    return list(rows)


def _page(form=None, problems=(), status=200):
    query = normalize(request.args.get("q", ""))[:100]
    drafts = {d.code: d for d in ItemDraft.select(ItemDraft.code, ItemDraft.item).where(
        ItemDraft.jurisdiction.in_(g.staff.scope_ids() or [0]))}
    return render_template("catalog/admin.html", items=_listed(query), query=query,
                           drafts=drafts, unpublished=sorted(
                               code for code, d in drafts.items() if d.item_id is None),
                           form=form or ImportForm(formdata=None), problems=problems), status


@bp.route("")
@staff("catalog")
def items():
    """The county's items, with their versions; export and import."""
    return _page()


@bp.route("/export.yaml")
@staff("catalog")
def export_all():
    """Every item of the county as one YAML file."""
    return _yaml(dump(scoped_items()), "catalog")


@bp.route("/<code>.yaml")
@staff("catalog")
def export_one(code):
    """One item as YAML (404 for another county's item)."""
    item = scoped_items().where(Item.code == code).first() or abort(404)
    return _yaml(dump([item]), item.code)


def _yaml(text: str, name: str) -> Response:
    response = Response(text, mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.yaml"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/import", methods=["POST"])
@staff("catalog")
@in_one_transaction
def import_items():
    """Import a YAML file: all its items, or none when one is broken."""
    form = ImportForm()
    if not form.validate():
        return _page(form, status=422)
    try:
        outcome = publish(check(form.text, g.staff.scope_ids()))
    except ImportRefused as refused:
        audit.record("catalog_import_refused", staff=g.staff, target=refused.problems[0][:200])
        return _page(form, problems=refused.problems, status=422)
    audit.record("catalog_import", staff=g.staff, data=outcome,
                 target=f"{len(outcome['new'])} new, {len(outcome['changed'])} changed")
    flash(_("Imported: %(new)s, %(changed)s, %(same)s.",
            new=ngettext("%(num)d new item", "%(num)d new items", len(outcome["new"])),
            changed=ngettext("%(num)d item published as a new version",
                             "%(num)d items published as a new version",
                             len(outcome["changed"])),
            same=ngettext("%(num)d unchanged", "%(num)d unchanged", len(outcome["unchanged"]))),
          "info")
    return redirect(url_for("catalog_admin.items"), 303)
