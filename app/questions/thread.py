"""What the staff's question page shows: the thread worded for staff, the files, and the
form of each action possible now."""

from flask import g
from flask_babel import get_locale, lazy_gettext as _l
from peewee import JOIN

from ..i18n import localized
from ..models import (Case, Department, Jurisdiction, Office, QuestionEvent, QuestionFile,
                      Staff)
from . import answers as standard_answers
from .forms import ActionForm, AnswerForm, AssignForm, NoteForm, TransferForm
from .queue import is_overdue

#: How each thread event is named to staff.
STAFF_QUESTION_EVENTS = {
    "asked": _l("Asked"),
    "logged": _l("Written down at the service point"),
    "reply": _l("The asker wrote again"),
    "answer": _l("Answer sent to the asker"),
    "note": _l("Internal note"),
    "assigned": _l("Handed to someone"),
    "transferred": _l("Passed on"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "converted": _l("Became an application"),
    "published": _l("Published to the FAQ"),
}
#: How a question came.
CHANNEL_LABELS = {"web": _l("Online"), "desk": _l("At a service point's desk"),
                  "phone": _l("By phone to a service point")}
#: How each status is named to staff.
QUESTION_STATUS_LABELS = {"waiting": _l("Waiting for an answer"), "answered": _l("Answered"),
                          "closed": _l("Closed")}
#: The actions of the question page, in the order they are shown.
ACTIONS = ("answer", "note", "assign", "transfer", "close", "reopen")


def allowed(question, staff) -> set[str]:
    """The actions ``staff`` may take on ``question`` now (nothing for a read-only account)."""
    if staff.read_only:
        return set()
    if question.is_closed:
        return {"note", "reopen"}
    return {"answer", "note", "assign", "transfer", "close"}


def colleagues(staff) -> list:
    """Who ``staff`` may hand a question to: the clerks and supervisors of the windows of
    their county; an officer, the officers of their department."""
    if staff.role == "officer":
        return list(Staff.select().where((Staff.department == staff.department_id)
                                         & (Staff.role == "officer")
                                         & (Staff.active == True))  # noqa: E712
                    .order_by(Staff.name))
    return list(Staff.holders_in(staff.office_ids() or [0]))


def transfer_targets(question) -> dict:
    """``{value: (group, label, row)}``: every department ("d<id>"), grouped by county,
    and every window ("o<id>") but the question's own."""
    counties = {j.id: localized(j.names) for j in Jurisdiction.select()}
    targets = {}
    for d in (Department.select().order_by(Department.jurisdiction, Department.sort,
                                           Department.id)):
        if d.id != question.department_id:
            targets[f"d{d.id}"] = (counties.get(d.jurisdiction_id, ""),
                                   localized(d.short or d.names), d)
    windows = str(_l("Windows"))
    for o in Office.select().order_by(Office.jurisdiction, Office.sort, Office.id):
        if o.id != question.office_id:
            targets[f"o{o.id}"] = (windows, f"{localized(o.names)} · "
                                            f"{counties.get(o.jurisdiction_id, '')}", o)
    return targets


def make_forms(question, staff, refused=None) -> dict:
    """The form of each action possible now; ``refused``: ``(action, form)`` posted and
    refused, shown as it was typed."""
    forms = {action: build_form(action, question, staff, None) for action in ACTIONS
             if action in allowed(question, staff)}
    if refused is not None:
        forms[refused[0]] = refused[1]
    return forms


def _answer_form(question, formdata):
    # Own words: Chinese, or the asker's language when the page is in it. A standard
    # answer: the asker's language (a post without the choice keeps to it).
    page = str(get_locale() or "zh")
    lang = page if page in ("zh", question.locale) else "zh"
    if formdata is not None and formdata.get("standard"):
        lang = question.locale
    return AnswerForm(formdata, question=question, answers=standard_answers.offered(question),
                      data={"lang": lang})


def build_form(action, question, staff, formdata):
    """The posted form of ``action`` (whether it is possible now is :func:`allowed`'s)."""
    if action == "answer":
        return _answer_form(question, formdata)
    if action == "assign":
        return AssignForm(formdata, staff=staff, colleagues=colleagues(staff))
    if action == "transfer":
        return TransferForm(formdata, targets=transfer_targets(question))
    return NoteForm(formdata) if action == "note" else ActionForm(formdata)


def thread(question) -> list:
    """The question's events, oldest first, with their staff member."""
    return list(QuestionEvent.select(QuestionEvent, Staff)
                .join(Staff, on=(QuestionEvent.staff == Staff.id), join_type=JOIN.LEFT_OUTER)
                .where(QuestionEvent.question == question.id)
                .order_by(QuestionEvent.created_at, QuestionEvent.id))


def place_names(events) -> dict:
    """``{"o<id>"|"d<id>": name}`` of the windows and departments the transfers name."""
    offices, departments = set(), set()
    for e in events:
        if e.kind == "transferred" and e.data:
            if e.data.get("office"):
                offices.add(e.data["office"])
            if e.data.get("department"):
                departments.add(e.data["department"])
    names = {f"o{o.id}": localized(o.names) for o in
             Office.select().where(Office.id.in_(offices or {0}))}
    names.update({f"d{d.id}": localized(d.names) for d in
                  Department.select().where(Department.id.in_(departments or {0}))})
    return names


def openable_cases(question, staff) -> set[int]:
    """The ids of the question's applications (the one it was asked from, the one it
    became) that ``staff`` may open: a draft, not sent yet, is nobody's at home."""
    ids = {question.case_id, question.converted_case_id} - {None}
    condition = Case.visible_to(staff)
    if not ids or condition is None:
        return set()
    return {row.id for row in Case.select(Case.id).where(condition & Case.id.in_(list(ids)))}


def page_context(question, refused=None, standard=None) -> dict:
    """Everything the staff's question page shows. ``standard``: the id of a standard
    answer to put in the answer box (its text in the asker's language)."""
    events = thread(question)
    forms = make_forms(question, g.staff, refused)
    answer = forms.get("answer")
    if answer is not None and refused is None and standard in answer.answers:
        chosen = answer.answers[standard]
        answer.standard.data = standard
        answer.text.data = chosen.texts[question.locale]
        answer.lang.data = question.locale
    return dict(question=question, events=events, places=place_names(events),
                files=list(QuestionFile.select().where(QuestionFile.question == question.id)
                           .order_by(QuestionFile.id)),
                forms=forms, failed=refused[0] if refused else None,
                openable=openable_cases(question, g.staff),
                overdue=is_overdue(question), LABELS=STAFF_QUESTION_EVENTS,
                CHANNELS=CHANNEL_LABELS, STATUSES=QUESTION_STATUS_LABELS)
