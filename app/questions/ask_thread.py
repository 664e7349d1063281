"""What the asker's pages show of a question: the thread as the asker sees it (never the
window's notes and bookkeeping), its files, when the answer is due, in whose time, and
the application it became."""

from flask import g, url_for
from flask_babel import gettext as _

from ..authz import may_open
from ..i18n import language_name
from ..models import Case, Question, QuestionEvent, QuestionFile, ServicePoint
from ..models.questions import THREAD_KINDS
from ..points.window import BEIJING as BEIJING_ZONE
from ..templating import absolute_url
from . import access
from .thread import QUESTION_STATUS_LABELS

#: Beijing time's zone name, as the templates' time filters take it.
BEIJING = BEIJING_ZONE.key


def asker_zone(question: Question) -> str:
    """The asker's time zone when known: a question asked from a case, the case's; one
    written down at a service point's desk, the point's; else Beijing time."""
    if question.case_id:
        case = Case.get_or_none(Case.id == question.case_id)
        if case is not None and case.timezone:
            return case.timezone
    if question.service_point_id:
        point = ServicePoint.get_or_none(ServicePoint.id == question.service_point_id)
        if point is not None and point.timezone:
            return point.timezone
    return BEIJING


def _common(question: Question) -> dict:
    secrets_ = access.shown_secrets(question)
    return dict(question=question, item=question.item, county=question.jurisdiction,
                access_code=secrets_.get("code"), zone=asker_zone(question), BEIJING=BEIJING)


def sent_context(question: Question) -> dict:
    """The page after sending: reference, code, the private link (while this browser has
    it), when the answer is due."""
    secrets_ = access.shown_secrets(question)
    link = (absolute_url(f"/{question.locale}/questions/open/{secrets_['token']}")
            if secrets_.get("token") else None)
    return dict(_common(question), private_link=link)


def converted_to(question: Question) -> dict | None:
    """The application the question became, and how the asker opens it: here when this
    browser holds it; else with the emailed link, or the reference and access code."""
    if not question.converted_case_id:
        return None
    case = Case.get_or_none(Case.id == question.converted_case_id)
    if case is None:
        return None
    held = may_open(case)
    link = (url_for("cases.status", lang=g.lang, reference=case.reference) if held
            else url_for("cases.find", lang=g.lang))
    return {"case": case, "held": held, "link": link}


def thread_context(question: Question, form) -> dict:
    """The thread page: what was written, by whom, in which language, with its files."""
    events = list(QuestionEvent.select().where(
        (QuestionEvent.question == question.id) & QuestionEvent.kind.in_(list(THREAD_KINDS)))
        .order_by(QuestionEvent.created_at, QuestionEvent.id))
    files = {}
    for row in QuestionFile.select().where(QuestionFile.question == question.id).order_by(
            QuestionFile.id):
        files.setdefault(row.event_id, []).append(row)
    return dict(_common(question), events=events, files=files, form=form,
                language_name=language_name, STATUSES=QUESTION_STATUS_LABELS,
                converted=converted_to(question), holds_itself=access.holds(question))


def forget_message(question: Question) -> str:
    """What "remove access" did when the browser still opens the question through the
    application it was asked from."""
    case = Case.get_by_id(question.case_id)
    return _("This browser no longer holds %(reference)s itself, but it still opens it "
             "through your application %(case)s. To remove both, remove access to the "
             "application on its page.", reference=question.reference, case=case.reference)
