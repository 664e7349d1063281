"""A question to the window that turns out to be an application: the draft case it
becomes, with what the asker already told the window.

The case is started the way every case is (:func:`.journey.start_case`: its reference,
its access link and code, the access email to the asker's address), then the window's
clerk who made it writes down where it came from: the question's text, as an internal
note the window reads once the asker sends the application.
"""

import re

from ..clock import utcnow
from ..models import CaseNote, QuestionEvent
from . import lifecycle
from .fields import FieldError, clean_field
from .journey import Started, start_case
from .start import zone_for

#: A name written in Chinese characters goes to the Chinese-name field, else to the Latin one.
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: The longest note a case keeps (as a clerk's note).
NOTE_CHARS = 4000


def carried_answers(item, question, country: str) -> dict:
    """The answers of the item's form the asker already gave the window: their name
    (when the item asks for one, in the field of its script) and their phone number;
    a value the field would refuse is left for the asker to type."""
    wanted = {}
    name = (question.asker_name or "").strip()
    if name:
        wanted["name_zh" if HAN.search(name) else "name_latin"] = name
    if question.contact_phone:
        wanted["phone"] = question.contact_phone
    answers = {}
    for step in item.steps or ():
        for field in step["fields"]:
            value = wanted.get(field["type"])
            if value is None or field["key"] in answers:
                continue
            try:
                answers[field["key"]] = clean_field(field, value, country)
            except FieldError:
                continue
    return {key: value for key, value in answers.items() if value is not None}


def start_from_question(item, staff, question, *, country: str, city: str,
                        start_key: str) -> Started:
    """A draft case of ``item`` for the asker of ``question``, started by ``staff``: the
    asker's language, email, phone, name, country, city and time zone carried over, the
    question's text noted on the case. The asker is emailed the access link (when they
    gave an address). The caller records the question's conversion in the same
    transaction."""
    started = start_case(item, start_key=start_key, locale=question.locale,
                         email=question.contact_email, phone=question.contact_phone,
                         country=country, city=city, tz=zone_for(country, None),
                         from_question=question.reference)
    if started.replayed:
        return started
    case = started.case
    answers = carried_answers(item, question, country)
    name = " ".join(filter(None, (answers.get("name_zh"), answers.get("name_latin"))))
    body = f"{question.reference}: {first_text(question)}"[:NOTE_CHARS]
    changes = {"answers": answers, "applicant_name": name[:120]} if answers else None
    done = lifecycle.change(
        case, "note", actor="staff", staff=staff, changes=changes,
        data={"question": question.reference},
        within=lambda: CaseNote.create(case=case.id, staff=staff.id, body=body,
                                       to_applicant=False, created_at=utcnow()))
    return Started(done.case, token=started.token, access_code=started.access_code)


def first_text(question) -> str:
    """What the asker first wrote (or the volunteer logged)."""
    event = (QuestionEvent.select(QuestionEvent.body)
             .where((QuestionEvent.question == question.id)
                    & QuestionEvent.kind.in_(["asked", "logged"]))
             .order_by(QuestionEvent.id).first())
    return event.body if event is not None else ""
