"""``/staff/questions/<reference>/case``: a question becomes an application; and
``/staff/questions/figures``: the window's question figures."""

import secrets

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit
from ..authz import staff, staff_question
from ..models import Case, Jurisdiction
from . import conversion, figures

bp = Blueprint("question_case", __name__, url_prefix="/staff/questions")


def _case_page(question, form=None, refusal: str | None = None, status: int = 200):
    """The conversion page: the question, the item chooser (narrowed by ``?department=``
    and ``?q=``), and what became of it. It shows the asker's name, contact and words:
    each showing is recorded, as on the question's page."""
    audit.record("question_view", staff=g.staff, target=question.reference)
    department, search = request.args.get("department", ""), request.args.get("q", "")[:80]
    items = conversion.county_items(question.jurisdiction_id, department, search)
    if form is None:
        form = conversion.ConvertForm(formdata=None, items=items, start_key=secrets.token_urlsafe(24))
        form.item.data = question.item.code if question.item_id else ""
        form.country.data, form.city.data = conversion.where_asker_lives(question)
    return render_template(
        "questions/convert.html", question=question, form=form, refusal=refusal,
        text=conversion.first_text(question), department=department, search=search,
        departments=conversion.departments_of(question.jurisdiction_id), items=items,
        county=Jurisdiction.get_by_id(question.jurisdiction_id),
        case=Case.get_or_none(Case.id == question.converted_case_id)
        if question.converted_case_id else None), status


@bp.route("/<reference>/case", methods=["GET", "POST"])
@staff_question("questions")
def case(question):
    """Make the question a draft application of the chosen item, for its asker."""
    if request.method == "GET":
        return _case_page(question)
    form = conversion.ConvertForm(items=conversion.county_items(question.jurisdiction_id))
    if not form.validate():
        return _case_page(question, form, status=400)
    try:
        started = conversion.convert(question, g.staff, form)
    except conversion.Refused as refused:
        return _case_page(question, form, refusal=refused.message, status=refused.status)
    audit.record("question_converted", staff=g.staff, case=started.case,
                 target=question.reference)
    if not question.contact_email:  # nobody to email: the code is shown once, to tell by phone
        return render_template("questions/converted.html", question=question,
                               case=started.case, access_code=started.access_code)
    flash(_("The application %(reference)s is started; the asker was emailed its link.",
            reference=started.case.reference), "info")
    return redirect(url_for("question_case.case", reference=question.reference), 303)


@bp.route("/figures")
@staff("question_figures")
def figures_page():
    """Questions per week, time to a first answer, answers in time, suggestions that
    resolved a question: of the questions the account may open, for one window (or all
    of the account's) over 4, 12 or 52 weeks."""
    choice = figures.parse_choice(request.args, g.staff)
    return render_template("questions/figures.html", choice=choice,
                           figures=figures.staff_figures(g.staff, choice))
