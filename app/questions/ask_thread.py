"""What the asker's pages show of a question: the thread as the asker sees it (never the
window's notes and bookkeeping), its files, when the answer is due, in whose time."""

from babel import Locale

from ..models import Case, Question, QuestionEvent, QuestionFile
from ..models.questions import THREAD_KINDS
from ..templating import absolute_url, format_locale
from . import access

BEIJING = "Asia/Shanghai"


def asker_zone(question: Question) -> str:
    """The asker's time zone when known (a question asked from a case: the case's)."""
    if question.case_id:
        case = Case.get_or_none(Case.id == question.case_id)
        if case is not None and case.timezone:
            return case.timezone
    return BEIJING


def language_name(code: str) -> str:
    """A language's name in the page's language ("cinese" on an Italian page)."""
    try:
        return Locale.parse(code).get_display_name(format_locale()) or code
    except (ValueError, TypeError):
        return code


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
                language_name=language_name)
