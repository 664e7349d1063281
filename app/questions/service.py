"""The one module that writes Question and QuestionEvent rows.

Every change to a question is one transaction that records its thread event; an event
that owes the asker an email is put in the outbox (``recipients``) and announced after
the commit through :data:`recorded`, as a case's events are.
"""

import hashlib
import secrets
from datetime import datetime, timezone

from blinker import signal
from flask import current_app

from ..cases.access import access_expiry, secret_hash
from ..cases.reference import new_access_code, new_reference
from ..cases.workdays import add_working_days
from ..clock import utcnow
from ..models import (Department, Jurisdiction, Office, Question, QuestionEvent, QuestionFile,
                      QuestionGrant, Staff, SuggestionShown)
from ..models.base import after_commit, together
from ..models.questions import MAX_TEXT
from ..sealing import seal
from ..storage import clean_filename, write_atomically
from ..uploads.service import path_for

#: References of questions: ``QA-1234-5678-90`` (the case's scheme, another prefix).
PREFIX = "QA"
#: Sent with the ids of events that owe an email, once their transaction committed.
recorded = signal("question-recorded")


class QuestionClosed(ValueError):
    """A reply or answer to a closed question."""


def window_of(county: Jurisdiction) -> Office | None:
    """The window that answers a county's questions: its first office."""
    return (Office.select().where(Office.jurisdiction == county.id)
            .order_by(Office.sort, Office.id).first())


def due_after(moment: datetime) -> datetime:
    """When a first (or next) answer is owed for a question that came at ``moment``
    (naive UTC): the window's closing time on the ``QUESTION_ANSWER_DAYS``-th Chinese
    working day after the day it came (Beijing time)."""
    from ..points.window import BEIJING, window_span
    received = moment.replace(tzinfo=timezone.utc).astimezone(BEIJING)
    day, _exact = add_working_days(received.date(), current_app.config["QUESTION_ANSWER_DAYS"])
    closing = datetime.combine(day, window_span()[1], tzinfo=BEIJING)
    return closing.astimezone(timezone.utc).replace(tzinfo=None)


def _clean(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValueError("question text must have 1 to %d characters" % MAX_TEXT)
    return text


def _record(question: Question, kind: str, *, actor: str, staff=None, body: str = "",
            lang: str = "", standard_answer=None, data=None, notify: bool = False,
            secrets_: dict | None = None, now=None) -> QuestionEvent:
    now = now or utcnow()
    outbox = {}
    if notify and question.contact_email:
        outbox = {"recipients": ["asker"], "outbox_state": "pending", "outbox_next_at": now,
                  "sealed": seal(secrets_) if secrets_ else None}
    event = QuestionEvent.create(
        question=question.id, kind=kind, actor=actor,
        staff=staff.id if staff is not None else None, body=body, lang=lang,
        standard_answer=standard_answer.id if standard_answer is not None else None,
        data=data, created_at=now, **outbox)
    if outbox:
        after_commit(lambda: recorded.send(None, event_ids=[event.id]))
    return event


def _save(question: Question, **changes) -> None:
    changes["updated_at"] = utcnow()
    for name, value in changes.items():
        setattr(question, name, value)
    Question.update(**changes).where(Question.id == question.id).execute()


def _attach(question: Question, event: QuestionEvent, files) -> None:
    """Store prepared files (``uploads.service.prepare`` results with ``name``)."""
    for prepared in files or ():
        stored_name = secrets.token_hex(16)
        write_atomically(path_for(stored_name), prepared["bytes"])
        safe = clean_filename(prepared.get("name") or "file")
        stem = safe.rsplit(".", 1)[0] if "." in safe else safe
        QuestionFile.create(
            question=question.id, event=event.id, stored_name=stored_name,
            original_name=f"{stem}.{prepared['ext']}", content_type=prepared["content_type"],
            size=len(prepared["bytes"]), sha256=hashlib.sha256(prepared["bytes"]).hexdigest(),
            width=prepared["width"], height=prepared["height"], pages=prepared["pages"])


def ask(*, county: Jurisdiction, locale: str, text: str, start_key: str, item=None, case=None,
        contact_email: str | None = None, contact_phone: str | None = None,
        asker_name: str = "", files=(), channel: str = "web", service_point=None,
        logged_by: Staff | None = None, suggestion_key: str | None = None
        ) -> tuple[Question, str, str]:
    """Record a new question; return ``(question, access token, access code)``.

    Asked from an open case, the case's contact details are the asker's. A volunteer
    (``logged_by``) writing down a question asked at their desk or on the phone gives
    ``channel`` ``desk`` or ``phone`` and their ``service_point``. The asker is emailed
    the private link and code when there is an address.
    """
    text = _clean(text)
    if case is not None:
        contact_email = contact_email or case.contact_email
        contact_phone = contact_phone or case.contact_phone
    token, code = secrets.token_urlsafe(32), new_access_code()
    now = utcnow()
    office = window_of(county)
    with together():
        question = Question.create(
            reference=_free_reference(), jurisdiction=county.id,
            office=office.id if office else None, item=item.id if item else None,
            case=case.id if case else None, channel=channel, locale=locale,
            service_point=service_point.id if service_point else None,
            logged_by=logged_by.id if logged_by else None, asker_name=asker_name or "",
            contact_email=contact_email or None, contact_phone=contact_phone or None,
            access_token_hash=secret_hash(token), access_token_expires=access_expiry(),
            access_code_hash=secret_hash(code), start_key=start_key, created_at=now,
            updated_at=now, due_at=due_after(now))
        kind = "logged" if logged_by is not None else "asked"
        event = _record(question, kind, actor="staff" if logged_by else "asker",
                        staff=logged_by, body=text, lang=locale, notify=True,
                        secrets_={"token": token, "code": code}, now=now)
        _attach(question, event, files)
        if suggestion_key:
            SuggestionShown.update(question=question.id).where(
                SuggestionShown.key == suggestion_key).execute()
    return question, token, code


def _free_reference() -> str:
    while True:
        reference = new_reference(PREFIX)
        if not Question.select().where(Question.reference == reference).exists():
            return reference


def reply(question: Question, text: str, files=()) -> QuestionEvent:
    """The asker writes again: the window owes an answer (again)."""
    text = _clean(text)
    if question.is_closed:
        raise QuestionClosed(question.reference)
    with together():
        event = _record(question, "reply", actor="asker", body=text, lang=question.locale)
        _attach(question, event, files)
        if question.status != "waiting":
            _save(question, status="waiting", due_at=due_after(event.created_at))
        else:
            _save(question)
    return event


def answer(question: Question, staff: Staff, text: str, lang: str,
           standard_answer=None) -> QuestionEvent:
    """The window answers; the asker is emailed. ``lang``: the language of ``text`` (a
    standard answer's text in the asker's language, or the staff member's own words in
    Chinese or the asker's language)."""
    text = _clean(text)
    if question.is_closed:
        raise QuestionClosed(question.reference)
    now = utcnow()
    with together():
        event = _record(question, "answer", actor="staff", staff=staff, body=text, lang=lang,
                        standard_answer=standard_answer, notify=True, now=now)
        changes = {"status": "answered", "due_at": None}
        if question.first_answered_at is None:
            changes["first_answered_at"] = now
            changes["answered_in_time"] = question.due_at is None or now <= question.due_at
        _save(question, **changes)
    return event


def note(question: Question, staff: Staff, text: str) -> QuestionEvent:
    """An internal note: the window's staff read it, the asker never does."""
    text = _clean(text)
    with together():
        event = _record(question, "note", actor="staff", staff=staff, body=text,
                        lang=staff.lang or "")
        _save(question)
    return event


def assign(question: Question, staff: Staff, holder: Staff | None) -> QuestionEvent:
    """Give the question to a colleague (``None``: to nobody)."""
    with together():
        event = _record(question, "assigned", actor="staff", staff=staff,
                        data={"to": holder.id if holder else None,
                              "name": holder.name if holder else ""})
        _save(question, assigned_to=holder.id if holder else None)
    return event


def transfer(question: Question, staff: Staff, *, office: Office | None = None,
             department: Department | None = None, why: str = "") -> QuestionEvent:
    """Pass the question to another county's window, or to a department (of the
    question's county or another), which answers it from then on. The holder is
    cleared; the due time stays."""
    changes = {"assigned_to": None}
    data = {}
    if office is not None:
        changes.update(office=office.id, department=None, jurisdiction=office.jurisdiction_id)
        data["office"] = office.id
    if department is not None:
        changes.update(department=department.id, jurisdiction=department.jurisdiction_id)
        if office is None and department.jurisdiction_id != question.jurisdiction_id:
            county = Jurisdiction.get_by_id(department.jurisdiction_id)
            window = window_of(county)
            changes["office"] = window.id if window else None
        data["department"] = department.id
    if not data:
        raise ValueError("a transfer needs a window or a department")
    with together():
        event = _record(question, "transferred", actor="staff", staff=staff,
                        body=(why or "").strip()[:MAX_TEXT], lang=staff.lang or "", data=data)
        _save(question, **changes)
    return event


def close(question: Question, staff: Staff | None = None) -> QuestionEvent:
    """Nothing more to do (the asker said so, or the window decided)."""
    with together():
        event = _record(question, "closed", actor="staff" if staff else "asker", staff=staff)
        _save(question, status="closed", due_at=None, closed_at=utcnow())
    return event


def reopen(question: Question, staff: Staff) -> QuestionEvent:
    """A closed question waits for the window again (due from now)."""
    now = utcnow()
    with together():
        event = _record(question, "reopened", actor="staff", staff=staff, now=now)
        _save(question, status="waiting", due_at=due_after(now), closed_at=None)
    return event


def converted(question: Question, staff: Staff, case) -> QuestionEvent:
    """The question became the application ``case`` (made by ``app/cases/``, whose own
    access email gives the asker its link). Raises :class:`QuestionClosed` when the
    question was closed or converted meanwhile (the caller's transaction rolls back)."""
    with together():
        # Two clerks converting at once: the first one's case stands, the second is refused.
        now = utcnow()
        taken = Question.update(converted_case=case.id, status="closed", due_at=None,
                                closed_at=now, updated_at=now).where(
            (Question.id == question.id) & Question.converted_case.is_null()
            & (Question.status != "closed")).execute()
        if taken != 1:
            raise QuestionClosed(question.reference)
        event = _record(question, "converted", actor="staff", staff=staff,
                        data={"case": case.id, "reference": case.reference}, now=now)
        question.converted_case, question.status, question.due_at = case.id, "closed", None
        question.closed_at = question.updated_at = now
    return event


def published(question: Question, staff: Staff, entry) -> QuestionEvent:
    """The question and its answer became an FAQ entry."""
    with together():
        return _record(question, "published", actor="staff", staff=staff,
                       data={"faq": entry.id})


def new_access(question: Question) -> tuple[str, str]:
    """A new private link and code (the old ones stop working)."""
    token, code = secrets.token_urlsafe(32), new_access_code()
    _save(question, access_token_hash=secret_hash(token), access_code_hash=secret_hash(code),
          access_token_expires=access_expiry())
    return token, code


__all__ = ["ask", "reply", "answer", "note", "assign", "transfer", "close", "reopen",
           "converted", "published", "new_access", "due_after", "window_of", "recorded",
           "QuestionClosed", "PREFIX"]


def files_deleted(question: Question) -> list[str]:
    """The question's files leave it (retention); returns their stored names, whose
    bytes the caller deletes once this has committed."""
    with together():
        names = [f.stored_name for f in QuestionFile.select(QuestionFile.stored_name).where(
            QuestionFile.question == question.id)]
        QuestionFile.delete().where(QuestionFile.question == question.id).execute()
        Question.update(files_deleted_at=utcnow()).where(Question.id == question.id).execute()
    return names


def anonymised(question: Question) -> list[str]:
    """Strip the question of what tells who asked and what they wrote (retention): the
    asker's name and contact details, every text of its thread, its files and its holds.
    What the window's figures count stays: when it came, to whom, when it was answered.
    Returns the stored names of files whose bytes the caller deletes."""
    with together():
        names = files_deleted(question)
        QuestionEvent.update(body="", data=None, sealed=None).where(
            QuestionEvent.question == question.id).execute()
        QuestionGrant.delete().where(QuestionGrant.question == question.id).execute()
        Question.update(asker_name="", contact_email=None, contact_phone=None,
                        anonymised_at=utcnow()).where(Question.id == question.id).execute()
    return names
