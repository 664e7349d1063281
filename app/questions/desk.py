"""Questions a volunteer writes down at their service point's desk or takes on its phone,
``/staff/desk/questions``: the list of the point's questions, the form, and each
question's thread (what the asker and the window wrote, to relay the answer)."""

import secrets

from flask import g, render_template, request
from peewee import IntegrityError

from .. import audit
from ..authz import staff, staff_question
from ..models import Department, Item, Jurisdiction, Question
from ..models.questions import THREAD_KINDS
from . import service
from .forms import DeskQuestionForm
from .queue import first_line, first_lines
from .staff_blueprint import bp
from .thread import CHANNEL_LABELS, QUESTION_STATUS_LABELS, STAFF_QUESTION_EVENTS, thread


def _form(formdata=None) -> DeskQuestionForm:
    point = g.staff.service_point
    places = point.jurisdiction_ids() or [0]
    counties = list(Jurisdiction.select().where(Jurisdiction.id.in_(places))
                    .order_by(Jurisdiction.sort, Jurisdiction.id))
    items = list(Item.select(Item, Department).join(Department)
                 .where((Item.active == True) & Department.jurisdiction.in_(places))  # noqa: E712
                 .order_by(Department.jurisdiction, Item.sort))
    form = DeskQuestionForm(formdata, point=point, counties=counties, items=items)
    if formdata is None:
        form.start_key.data = secrets.token_urlsafe(24)
        if len(counties) == 1:
            form.county.data = str(counties[0].id)
    return form


@bp.route("/desk/questions")
@staff("desk")
def desk_questions():
    """The questions logged at the volunteer's service point, newest first."""
    rows = list(Question.select().where(Question.service_point == g.staff.service_point_id)
                .order_by(Question.id.desc()).limit(100))
    return render_template("questions/desk_list.html", questions=rows, point=g.staff.service_point,
                           heads=first_lines(rows), first_line=first_line,
                           STATUSES=QUESTION_STATUS_LABELS, CHANNELS=CHANNEL_LABELS)


@bp.route("/desk/questions/new", methods=["GET", "POST"])
@staff("desk")
def desk_question_new():
    """Write down a question asked at the desk or on the phone; then show its reference and
    access code to hand to the asker (shown once: only their hashes are kept)."""
    if request.method == "GET":
        return render_template("questions/desk_new.html", form=_form(),
                               point=g.staff.service_point)
    form = _form(request.form)
    if not form.validate():
        return render_template("questions/desk_new.html", form=form,
                               point=g.staff.service_point), 422
    try:
        question, _token, code = service.ask(
            **form.values(), start_key=form.start_key.data,
            service_point=g.staff.service_point, logged_by=g.staff)
    except IntegrityError:  # the same form sent twice: the question exists already
        question, code = Question.get(Question.start_key == form.start_key.data), None
    audit.record("question_logged", staff=g.staff, target=question.reference)
    return render_template("questions/desk_logged.html", question=question, code=code,
                           point=g.staff.service_point), 201 if code else 200


@bp.route("/desk/questions/<reference>")
@staff_question("desk")
def desk_question(question):
    """The question and the window's answers, to relay them to the asker."""
    audit.record("question_view", staff=g.staff, target=question.reference)
    events = [e for e in thread(question) if e.kind in THREAD_KINDS]
    return render_template("questions/desk_question.html", question=question, events=events,
                           point=g.staff.service_point, LABELS=STAFF_QUESTION_EVENTS,
                           STATUSES=QUESTION_STATUS_LABELS, CHANNELS=CHANNEL_LABELS)
