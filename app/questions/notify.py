"""The emails a question's events send the asker, in the asker's language.

Sent through the same outbox as a case's (:mod:`app.cases.outbox`): the event row is the
record of what is owed; the private link's token is sealed in the event until the email
has gone. "asked" and "logged": the reference, access code, private link and when the
answer is due; "answer": the answer itself (plain text: what anyone typed stays text),
the language it was written in, and where to read it and reply.
"""

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _

from ..cases.outbox import Outbox
from ..i18n import language_name, localized
from ..mail import build_message
from ..models import QuestionEvent
from ..sealing import unseal
from ..templating import format_when
from .ask_thread import BEIJING, asker_zone


def _public(path: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}{path}"


def _message_id(event) -> str:
    host = current_app.config["PUBLIC_URL"].split("//", 1)[-1].split("/", 1)[0] or "onevisit"
    return f"<question-event-{event.id}-asker@{host}>"


def _due(question) -> dict:
    """When the answer is due, in the asker's zone (and Beijing's, when that differs)."""
    zone = asker_zone(question)
    if question.due_at is None:
        return {"due": "", "due_beijing": ""}
    return {"due": format_when(question.due_at, zone),
            "due_beijing": format_when(question.due_at) if zone != BEIJING else ""}


def _email(event, question):
    """``(subject, text)`` of the asker's email about ``event``, or None."""
    common = dict(question=question, county=localized(question.jurisdiction.names),
                  find_link=_public(f"/{question.locale}/questions/find"))
    if event.kind in ("asked", "logged"):
        secrets_ = unseal(event.sealed)
        token = secrets_.get("token")
        subject = _("Your question %(reference)s: your private link",
                    reference=question.reference)
        return subject, render_template(
            "emails/question_asked.txt", **common, asked=event.body, logged=event.kind == "logged",
            link=_public(f"/{question.locale}/questions/open/{token}") if token else "",
            access_code=secrets_.get("code", ""), **_due(question))
    if event.kind == "answer":
        subject = _("An answer to your question %(reference)s", reference=question.reference)
        written_in = language_name(event.lang) if event.lang and event.lang != question.locale \
            else ""
        return subject, render_template("emails/question_answer.txt", **common,
                                        answer=event.body, written_in=written_in)
    return None


def messages(event, question, recipient: str) -> list:
    """The email(s) ``event`` sends to ``recipient`` (the asker, when they gave an address)."""
    if recipient != "asker" or not question.contact_email:
        return []
    with force_locale(question.locale):
        made = _email(event, question)
        if made is None:
            return []
        return [build_message(question.contact_email, made[0], made[1], _message_id(event))]


#: A question's events that owe the asker an email.
QUESTIONS = Outbox(QuestionEvent, "question", messages)
