"""The FAQ editor, ``/staff/admin/faq``: a county's entries with the status of each of
their six languages, one language's text at a time, the county and the services an entry
is about, publish (all six ready: the catalog's rule) and withdraw; and
``/staff/questions/<reference>/faq``, an entry drafted from a question and its answer."""

from babel.lists import format_list
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from .. import audit
from ..auth.permissions import allows
from ..authz import staff, staff_question
from ..catalog import editing
from ..i18n import LOCALE_NAMES, localized
from ..models import FaqEntry, Jurisdiction
from . import faq
from .faqforms import FromQuestionForm, ListFilters, NewEntryForm, PlaceForm, TextForm

bp = Blueprint("faq_admin", __name__, url_prefix="/staff")

#: Entries listed per page.
PER_PAGE = 50


def _entry(entry_id: int) -> FaqEntry:
    """An entry of the staff member's county (404 for any other)."""
    return faq.entry_for(g.staff, entry_id) or abort(404)


def _languages(locales) -> str:
    return format_list([LOCALE_NAMES[loc] for loc in locales], locale=get_locale())


@bp.route("/admin/faq")
@staff("faq")
def entries():
    """The county's entries: status, each language's status, what readers answered."""
    filters = ListFilters(request.args, staff=g.staff)
    filters.validate()
    page = max(1, min(editing_page(), 10_000))
    rows = _filtered(filters)
    total = rows.count()
    shown = list(rows.order_by(FaqEntry.updated_at.desc(), FaqEntry.id.desc())
                 .paginate(page, PER_PAGE))
    return render_template("questions/faq_admin.html", rows=shown, filters=filters,
                           total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
                           statuses={e.id: faq.statuses(e) for e in shown},
                           counties={c.id: c for c in Jurisdiction.counties()},
                           counts=faq.counts_by_status(g.staff))


def editing_page() -> int:
    """The ``?page=`` asked for (1 when it is not a number)."""
    try:
        return int(request.args.get("page", "1"))
    except ValueError:
        return 1


def _filtered(filters: ListFilters):
    rows = faq.scoped(g.staff)
    if filters.status.data in ("draft", "published", "withdrawn"):
        rows = rows.where(FaqEntry.status == filters.status.data)
    county = next((c for c in Jurisdiction.counties() if c.key == filters.county.data), None)
    if county is not None:
        rows = rows.where(FaqEntry.jurisdiction == county.id)
    if filters.lacking.data in LOCALE_NAMES:
        ids = [e.id for e in rows if faq.locale_status(e, filters.lacking.data) != "ready"]
        rows = faq.scoped(g.staff).where(FaqEntry.id.in_(ids or [0]))
    return rows


@bp.route("/admin/faq/new", methods=["GET", "POST"])
@staff("faq")
def new():
    """A new entry, started with its Chinese question and answer."""
    form = NewEntryForm(staff=g.staff)
    if not form.validate_on_submit():
        return render_template("questions/faq_new.html", form=form), (
            422 if form.is_submitted() else 200)
    entry = faq.create(form.chosen_county(), g.staff, {faq.SOURCE: {
        "question": form.question.data, "answer": form.answer.data}},
        start_key=form.start_key.data)
    if not entry.replayed:
        audit.record("faq_created", staff=g.staff, target=str(entry.id))
    return redirect(url_for(".entry", entry_id=entry.id), 303)


@bp.route("/admin/faq/<int:entry_id>", methods=["GET", "POST"])
@staff("faq")
def entry(entry_id):
    """The entry: its languages, county and services, publish and withdraw. A POST saves
    the county and the services."""
    row = _entry(entry_id)
    form = PlaceForm(staff=g.staff, county_id=row.jurisdiction_id,
                     **({} if request.method == "POST" else {
                         "data": {"county": row.jurisdiction.key, "items": [
                             str(i) for i in faq.item_ids(row)]}}))
    if not form.validate_on_submit():
        return _entry_page(row, form, status=422 if form.is_submitted() else 200)
    county = form.chosen_county()
    moved = county.id != row.jurisdiction_id
    faq.set_place(row, county, form.chosen_items())  # only the county's services are kept
    flash(_("Saved. Choose the services of %(county)s it is about.",
            county=localized(county.names)) if moved else _("Saved."), "info")
    return redirect(url_for(".entry", entry_id=row.id), 303)


def _entry_page(row, form=None, refused=None, status=200):
    statuses = faq.statuses(row)
    return render_template(
        "questions/faq_entry.html", entry=row, statuses=statuses, refused=refused,
        form=form or PlaceForm(staff=g.staff, county_id=row.jurisdiction_id, data={
            "county": row.jurisdiction.key, "items": [str(i) for i in faq.item_ids(row)]}),
        lacking=_languages(faq.not_ready(row)), title=faq.title(row, str(get_locale())),
        source=row.source), status


@bp.route("/admin/faq/<int:entry_id>/text", methods=["GET", "POST"])
@staff("faq")
def text(entry_id):
    """One language of the entry, with another beside it to translate from."""
    row = _entry(entry_id)
    locale = editing.locale_arg()
    form = TextForm(published=row.status == "published", data={
        **faq.text_of(row, locale), "ready": faq.locale_status(row, locale) == "ready",
        "seen": faq.stamp(row)})
    if not form.validate_on_submit():
        return _text_page(row, locale, form, 422 if form.is_submitted() else 200)
    try:
        faq.save_text(row, locale, form.question.data, form.answer.data, form.ready.data,
                      form.seen.data)
    except faq.Conflict:
        return _text_page(faq.entry_for(g.staff, row.id), locale, form, 409, conflict=True)
    except faq.PublishedNotReady as refused:
        return _text_page(row, locale, form, 409, kept=_languages(refused.locales))
    flash(_("Saved."), "info")
    return redirect(url_for(".entry", entry_id=row.id), 303)


def _text_page(row, locale, form, status, conflict=False, kept=None):
    beside = editing.beside_arg(locale)
    return render_template("questions/faq_text.html", entry=row, locale=locale, form=form,
                           beside=beside, beside_text=faq.text_of(row, beside),
                           saved=faq.text_of(row, locale), conflict=conflict, kept=kept,
                           status=faq.locale_status(row, locale),
                           stamp=form.seen.data if form.errors else faq.stamp(row)), status


@bp.route("/admin/faq/<int:entry_id>/publish", methods=["POST"])
@staff("faq")
def publish(entry_id):
    """Publish the entry: refused, naming them, while a language is not ready."""
    row = _entry(entry_id)
    try:
        first = faq.publish(row, g.staff)
    except faq.NotReady as refused:
        return _entry_page(row, refused=_languages(refused.locales), status=422)
    audit.record("faq_published", staff=g.staff, target=str(row.id))
    flash(_("The entry is published.") if first else _("The entry is published again."),
          "info")
    return redirect(url_for(".entry", entry_id=row.id), 303)


@bp.route("/admin/faq/<int:entry_id>/withdraw", methods=["POST"])
@staff("faq")
def withdraw(entry_id):
    """Take the entry off the public pages."""
    row = _entry(entry_id)
    if row.status == "published":
        faq.withdraw(row)
        audit.record("faq_withdrawn", staff=g.staff, target=str(row.id))
        flash(_("The entry is withdrawn: readers no longer see it."), "info")
    return redirect(url_for(".entry", entry_id=row.id), 303)


@bp.route("/questions/<reference>/faq", methods=["GET", "POST"])
@staff_question("faq_draft")
def from_question(question):
    """An FAQ entry drafted from the question and its last answer, anonymised."""
    start = faq.from_question(question)
    form = FromQuestionForm(data={
        "question": start["question"][1], "question_lang": start["question"][0],
        "answer": start["answer"][1], "answer_lang": start["answer"][0]})
    if not form.validate_on_submit():
        return _from_question_page(question, form, 422 if form.is_submitted() else 200)
    entry = faq.create(question.jurisdiction, g.staff, form.texts(), source=question,
                       items=[question.item] if question.item_id else [],
                       start_key=form.start_key.data)
    if not entry.replayed:
        audit.record("faq_created", staff=g.staff, target=str(entry.id),
                     data={"question": question.reference})
    if allows(g.staff.role, "faq") and faq.entry_for(g.staff, entry.id):
        return redirect(url_for(".entry", entry_id=entry.id), 303)
    flash(_("The draft entry is made: your supervisor or admin completes its six languages "
            "and publishes it."), "info")
    return redirect(url_for(".from_question", reference=question.reference), 303)


def _from_question_page(question, form, status):
    drafts = list(FaqEntry.select().where(FaqEntry.source == question.id)
                  .order_by(FaqEntry.id))
    return render_template("questions/faq_from_question.html", question=question, form=form,
                           drafts=drafts, editable=allows(g.staff.role, "faq"),
                           titles={e.id: faq.title(e, str(get_locale())) for e in drafts}
                           ), status
