"""What a follow-up's staff page shows: the rating in words, the case, the applicant's
language and contact, the due date with the working days left, the steps, and the form of
each step possible now for the signed-in account. Also the ratings shown on the staff's
case page."""

from flask_babel import force_locale, gettext as _
from peewee import JOIN

from ..clock import beijing_today
from ..models import FollowUp, FollowUpEvent, Rating, Staff
from ..models.ratings import ASPECTS
from . import follow_labels as labels
from .follow_forms import (AppealForm, AssignForm, CloseForm, DecideForm, NoteForm, ReplyForm,
                           VerifyForm, VisitForm)
from .service import may_decide_appeal
from .tally import working_days_between

#: The steps of the page, in the order they are shown.
ACTIONS = ("reply", "visit", "verify", "assign", "note", "close", "appeal", "decide")
#: Steps that take the follow-up's version (all but the note).
FORMS = {"assign": AssignForm, "verify": VerifyForm, "visit": VisitForm, "reply": ReplyForm,
         "note": NoteForm, "close": CloseForm, "appeal": AppealForm, "decide": DecideForm}


def allowed(follow_up: FollowUp, staff: Staff) -> set[str]:
    """The steps ``staff`` may take on ``follow_up`` now: supervisors and admins follow it
    up; clerks may appeal the rating; a read-only account does nothing."""
    if staff.read_only:
        return set()
    supervises = staff.role in ("supervisor", "admin")
    if not follow_up.is_open:
        return {"note"} if supervises else set()
    steps = {"appeal"} if follow_up.appeal is None else set()
    if supervises:
        steps |= {"verify", "visit", "reply", "note", "close"}
        if not follow_up.appeal_pending:  # handed over only once an appeal is decided
            steps.add("assign")
        if may_decide_appeal(follow_up, staff):
            steps.add("decide")
    return steps


def supervisors(follow_up: FollowUp) -> list:
    """Who may hold the follow-up: the active supervisors of its window and the admins of
    the window's county."""
    office = follow_up.office
    if office is None:
        return []
    return list(Staff.select().where(
        (Staff.active == True)  # noqa: E712
        & (((Staff.office == office.id) & (Staff.role == "supervisor"))
           | ((Staff.jurisdiction == office.jurisdiction_id) & (Staff.role == "admin"))))
        .order_by(Staff.name))


def build_form(action: str, follow_up: FollowUp, formdata=None):
    """The form of ``action``, posted (``formdata``) or fresh with the page's version and,
    for the return visit, the applicant's language."""
    data = {}
    if formdata is None and action != "note":
        data["version"] = str(follow_up.version)
        if action == "visit":
            data["lang"] = follow_up.case.locale
    kwargs = {"people": supervisors(follow_up)} if action == "assign" else {}
    return FORMS[action](formdata, data=data, **kwargs)


def reply_template(follow_up: FollowUp) -> str:
    """A polite start of the reply, in the applicant's language."""
    with force_locale(follow_up.case.locale):
        return _("Thank you for telling us how your application %(reference)s went. We have "
                 "looked into what you told us.\n\n[What we found and what we have put "
                 "right]\n\nYou may rate the application again from its page. We are sorry "
                 "for the trouble.", reference=follow_up.case.reference)


def steps(follow_up: FollowUp) -> list:
    """The follow-up's steps, oldest first, each with its staff member."""
    return list(FollowUpEvent.select(FollowUpEvent, Staff)
                .join(Staff, JOIN.LEFT_OUTER, on=(FollowUpEvent.staff == Staff.id))
                .where(FollowUpEvent.follow_up == follow_up.id)
                .order_by(FollowUpEvent.created_at, FollowUpEvent.id))


def days_left(due_date, today=None) -> int:
    """Chinese working days from today (Beijing) to the due date: 0 on the day it is due,
    negative once it is past."""
    today = today or beijing_today()
    if due_date >= today:
        return working_days_between(today, due_date)
    return -max(working_days_between(due_date, today), 1)


def answers(rating: Rating) -> list[tuple[str, str]]:
    """The rating's answers in words, as ``(question, answer)`` pairs (the comment apart)."""
    rows = [(_("Rating"), labels.LEVEL_LABELS[rating.level]),
            (_("Times they went in person"), labels.VISITS_LABELS.get(rating.visits, "—")),
            (_("The guide's list of materials"),
             labels.GUIDE_LABELS.get(rating.guide, _("Not answered")))]
    for aspect in ASPECTS:
        level = getattr(rating, aspect)
        rows.append((labels.ASPECT_LABELS[aspect],
                     labels.LEVEL_LABELS[level] if level else _("Not answered")))
    return [(str(question), str(answer)) for question, answer in rows]


def page_context(follow_up: FollowUp, staff: Staff, refused=None, template=False) -> dict:
    """Everything the follow-up page shows; ``refused``: ``(action, form, message)`` posted
    and refused, shown with what was typed; ``template``: a polite start in the reply box."""
    possible = allowed(follow_up, staff)
    forms = {action: build_form(action, follow_up) for action in ACTIONS if action in possible}
    if template and "reply" in forms:
        forms["reply"].text.data = reply_template(follow_up)
    if refused is not None:
        action, form, message = refused
        if message:
            form.form_errors.append(str(message))
        if isinstance(form, tuple(f for f in FORMS.values() if f is not NoteForm)):
            form.version.data = str(follow_up.version)  # sent again: meant on what is shown
        forms[action] = form
    rating = follow_up.rating
    return dict(follow_up=follow_up, case=follow_up.case, rating=rating,
                answers=answers(rating), steps=steps(follow_up), forms=forms,
                failed=refused[0] if refused else None, days=days_left(follow_up.due_date),
                holder=follow_up.assigned_to, L=labels)


def case_ratings_context(case) -> dict:
    """What the staff's case page adds for its ratings (``ratings``, labels as ``R``)."""
    return {"ratings": case_ratings(case), "R": labels}


def case_ratings(case) -> list[tuple]:
    """The case's ratings for its staff page: ``(rating, answers in words, follow-ups)``,
    by stage, each follow-up newest first."""
    ratings = list(Rating.select().where(Rating.case == case.id).order_by(Rating.id))
    follow_ups = {}
    for row in (FollowUp.select().where(FollowUp.case == case.id).order_by(FollowUp.id.desc())):
        follow_ups.setdefault(row.rating_id, []).append(row)
    return [(r, answers(r), follow_ups.get(r.id, [])) for r in ratings]


def why_not(action: str, follow_up: FollowUp, staff: Staff) -> str:
    """Why ``action`` is not possible now (a :data:`~.follow_labels.REFUSALS` key)."""
    if action == "decide":
        if not follow_up.appeal_pending:
            return "no_appeal"
        return "own_appeal" if follow_up.is_open else "already_closed"
    if not follow_up.is_open:
        return "already_closed"
    if action == "appeal":
        return "appeal_pending" if follow_up.appeal_pending else "appealed"
    if action == "assign" and follow_up.appeal_pending:
        return "appeal_pending"
    return "invalid"
