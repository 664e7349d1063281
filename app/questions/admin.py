"""Admins keep their county's standard answers to questions: ``/staff/admin/answers``.

An answer is offered to staff only with a title and a text in all six languages (the
asker may read any of them): the editor keeps an unfinished one and says which languages
it lacks, as the catalog editor refuses to publish an item with a language missing.
Another county's answers are not found (404).
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..audit import record
from ..authz import staff
from ..config import LOCALES
from ..i18n import LOCALE_NAMES, localized
from . import answers
from .forms import StandardAnswerForm, answer_form_data

bp = Blueprint("answers_admin", __name__, url_prefix="/staff/admin/answers")


def lacking(answer) -> str:
    """The names of the languages ``answer`` lacks, or ""."""
    return ", ".join(LOCALE_NAMES[code] for code in answer.missing_locales())


def _page(form, answer=None, status=200):
    return render_template("questions/answer_form.html", form=form, answer=answer,
                           LOCALES=LOCALES, LOCALE_NAMES=LOCALE_NAMES,
                           missing=lacking(answer) if answer else ""), status


def _save(form, answer=None):
    """Save the posted answer; the list, or the form again with what is wrong."""
    if not form.validate():
        return _page(form, answer, 422)
    try:
        saved = answers.save(g.staff, form.values(), answer)
    except ValueError as error:
        form.key.errors.append(str(error))
        return _page(form, answer, 422)
    record("standard_answer_saved", staff=g.staff, target=saved.key,
           data={"created": answer is None, "id": saved.id, "usable": saved.usable})
    if saved.usable:
        flash(_("Standard answer “%(title)s” saved.", title=localized(saved.titles)), "info")
    else:
        flash(_("Standard answer “%(title)s” saved. Staff are not offered it until it has a "
                "title and a text in every language (missing in: %(locales)s) and is switched "
                "on.", title=localized(saved.titles) or saved.key,
                locales=lacking(saved) or "—"),
              "warning")
    return redirect(url_for("answers_admin.answers_list"), 303)


@bp.route("")
@staff("standard_answers")
def answers_list():
    """The county's standard answers, with the languages each one lacks."""
    return render_template("questions/answers.html", answers=answers.listed(g.staff),
                           lacking=lacking)


@bp.route("/new", methods=["GET", "POST"])
@staff("standard_answers")
def new():
    """Add a standard answer of the admin's county."""
    if request.method == "POST":
        return _save(StandardAnswerForm())
    return _page(StandardAnswerForm(formdata=None, data={"active": True, "sort": "100"}))


@bp.route("/<int:answer_id>", methods=["GET", "POST"])
@staff("standard_answers")
def edit(answer_id):
    """Change an answer's title and text in each language, its order; untick to switch
    it off."""
    answer = answers.visible(g.staff, answer_id) or abort(404)
    if request.method == "POST":
        form = StandardAnswerForm()
        del form.key
        return _save(form, answer)
    form = StandardAnswerForm(formdata=None, data=answer_form_data(answer))
    del form.key
    return _page(form, answer)
