"""The item editor, ``/staff/admin/catalog/<code>/draft``: a catalog admin creates and
changes their county's items field by field, previews the applicant's pages from the
draft, and publishes it as the item's next version (see :mod:`app.catalog.drafts`)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from babel.lists import format_list
from flask_babel import force_locale, get_locale, gettext as _

from ..authz import staff
from ..cases.forms import step_form
from ..config import LOCALES
from ..i18n import LOCALE_NAMES
from ..models import Department, Item, ItemDraft, ItemSpec
from . import drafts, editing
from .admin import scoped_items

bp = Blueprint("catalog_editor", __name__, url_prefix="/staff/admin/catalog")


def _draft(code: str) -> ItemDraft:
    """The draft of one of the admin's county's items (404 for any other)."""
    return drafts.draft_for(code, g.staff.scope_ids()) or abort(404)


@bp.route("/new", methods=["GET", "POST"])
@staff("catalog")
def new_item():
    """A new item (or sub-item), started empty or as a copy of a published one."""
    form = editing.NewItemForm(places=g.staff.scope_ids())
    if not form.validate_on_submit():
        return render_template("catalog/new.html", form=form), 422 if form.is_submitted() else 200
    department = Department.get(Department.key == form.department.data)
    source = Item.active_by_code(form.copy_of.data) if form.copy_of.data else None
    doc = drafts.new_document(form.code.data, department, form.category.data,
                              form.parent.data or None, form.name.data, source)
    draft = drafts.create_draft(doc, department, g.staff)
    return redirect(url_for(".draft", code=draft.code), 303)


@bp.route("/<code>/draft", methods=["POST"])
@staff("catalog")
def start(code):
    """Open the item's draft (started from its published version when there is none)."""
    item = scoped_items().where(Item.code == code).first() or abort(404)
    drafts.open_draft(item, g.staff)
    return redirect(url_for(".draft", code=code), 303)


@bp.route("/<code>/draft")
@staff("catalog")
def draft(code):
    """The draft: its sections, each locale's status, preview, publish, history."""
    row = _draft(code)
    return render_template("catalog/draft.html", draft=row, **_overview(row))


def _overview(row: ItemDraft) -> dict:
    item = Item.get_or_none(Item.id == row.item_id) if row.item_id else None
    statuses = {loc: drafts.locale_status(row, loc) for loc in LOCALES}
    return {"item": item, "doc": row.document, "statuses": statuses, "newer": drafts.newer(row),
            "incomplete": format_list([LOCALE_NAMES[loc] for loc, status in statuses.items()
                                       if status == "missing"], locale=get_locale()),
            "missing": {loc: len(drafts.missing(row.document, loc)) for loc in LOCALES},
            "problems": drafts.checked(row, g.staff.scope_ids())[0],
            "history": drafts.history(row.code), "labels": drafts.HISTORY}


@bp.route("/<code>/draft/<any(basics, text, materials, steps):section>",
          methods=["GET", "POST"])
@staff("catalog")
def section(code, section):
    """One section of the draft: shown, or saved by merging what the page changed."""
    row = _draft(code)
    locale = editing.locale_arg()
    if request.method != "POST":
        return _section_page(row, section, locale)
    sent = editing.posted()
    if sent is None:
        return _section_page(row, section, locale, expired=True, status=400)
    values, originals = sent
    saved = drafts.save(row, g.staff, section, values, originals, editing.actions(section),
                        locale)
    if saved.draft is None:
        abort(404)  # discarded or published meanwhile
    if saved.errors or saved.conflicts:
        return _section_page(saved.draft, section, locale, typed=values, originals=originals,
                             errors=saved.errors, conflicts=saved.conflicts, found=saved.found,
                             status=422 if saved.errors else 409)
    flash(_("Saved."), "info")
    return redirect(url_for(".section", code=code, section=section,
                            **({"locale": locale} if section == "text" else {})), 303)


def _section_page(row, section, locale, typed=None, originals=None, errors=None, conflicts=(),
                  found=None, expired=False, status=200):
    """The section's page. After refused values it shows what was typed, keeping the
    fingerprints the admin's page was built from; after a conflict it shows what is saved
    now, with the admin's own value in each field someone else changed (saved again, it
    replaces theirs)."""
    saved = drafts.values(row.document, section, locale)
    shown, prints = dict(saved), drafts.fingerprints(saved)
    if errors:
        shown.update({k: v for k, v in typed.items() if k in saved})
        prints.update({k: v for k, v in originals.items() if k in saved})
    for name in conflicts:
        if name in saved:
            shown[name] = typed[name]
    beside = editing.beside_arg(locale)
    return render_template(
        f"catalog/draft_{section}.html", draft=row, doc=row.document, section=section,
        values=shown, saved=saved, originals=prints, errors=errors or {},
        conflicts=list(conflicts), expired=expired, found=found or row, locale=locale, beside=beside,
        slots=drafts.text_slots(row.document), typed=editing.typed(section) if typed else {},
        label=lambda name: editing.field_label(row.document, name),
        status=drafts.locale_status(row, locale), get_text=drafts.get_text,
        choices=editing.choices_for(section, g.staff.scope_ids(), row.code)), status


@bp.route("/<code>/draft/preview")
@staff("catalog")
def preview(code):
    """The applicant's guide and form pages as the draft would make them, in a locale."""
    row = _draft(code)
    locale = editing.locale_arg()
    problems, item = drafts.checked(row, g.staff.scope_ids())
    if problems:
        return render_template("catalog/draft.html", draft=row, **_overview(row)), 422
    spec = _spec(item)
    g.lang = locale
    with force_locale(locale):
        return render_template(
            "catalog/preview.html", item=spec, materials=spec.ordered_materials(), children=[],
            blank_docs=[], preview=row, locale=locale,
            preview_steps=[(s, step_form(s, None)(formdata=None)) for s in spec.steps])


def _spec(checked: dict) -> ItemSpec:
    department = Department.get(Department.key == checked["department"])
    parent = Item.get_or_none(Item.code == checked["parent"]) if checked["parent"] else None
    unsaved = Item(code=checked["code"], department=department, parent=parent)
    return ItemSpec(unsaved, dict(checked, fee_amount=str(checked["fee_amount"])))


@bp.route("/<code>/draft/publish", methods=["POST"])
@staff("catalog")
def publish(code):
    """Publish the draft as the item's next version; cases keep the one they started with."""
    row = _draft(code)
    problems, checked = drafts.checked(row, g.staff.scope_ids())
    if problems:
        return render_template("catalog/draft.html", draft=row, **_overview(row)), 422
    item, new_version = drafts.publish(row, g.staff, checked)
    if new_version:
        flash(_("%(code)s is published as version %(version)d.", code=item.code,
                version=item.version), "info")
    else:
        flash(_("%(code)s is saved; what applicants read did not change, so it stays at "
                "version %(version)d.", code=item.code, version=item.version), "info")
    return redirect(url_for("catalog_admin.items", q=item.code), 303)


@bp.route("/<code>/draft/rebase", methods=["POST"])
@staff("catalog")
def rebase(code):
    """Take into the draft the changes of versions published since it began."""
    row = _draft(code)
    conflicts = drafts.rebase(row, g.staff)
    if conflicts:
        flash(_("The newer version's changes are in the draft, except where you changed the "
                "same thing (yours is kept): %(fields)s.", fields="; ".join(
                    editing.field_label(row.document, name) for name in conflicts)), "error")
    else:
        flash(_("The newer version's changes are in the draft."), "info")
    return redirect(url_for(".draft", code=code), 303)


@bp.route("/<code>/draft/discard", methods=["POST"])
@staff("catalog")
def discard(code):
    """Drop the draft; the published version stays as it is."""
    drafts.discard(_draft(code), g.staff)
    flash(_("The draft of %(code)s is discarded.", code=code), "info")
    return redirect(url_for("catalog_admin.items"), 303)
