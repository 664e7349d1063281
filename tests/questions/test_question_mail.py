"""The asker's emails, through the outbox, in the asker's language (issue 17, point 4):
a real SMTP server in-process receives them."""

import re

import pytest

from app.cases import outbox
from app.models import Question, QuestionEvent, Staff, db
from app.questions import service
from app.questions.notify import QUESTIONS
from tests.conftest import smtp

from .asker import Asker

SCRIPT = "<script>alert('x')</script> 需要护照。"
#: Sentences of the English emails: none may be left in an email in another language.
ENGLISH = ("Hello,", "We received your question", "Reference of your question", "Access code",
           "private link", "If the link stops working", "If you did not ask",
           "answered your question", "Written in", "To reply", "hometown services from abroad",
           "An answer to your question", "Your question")


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def answer(app, reference, text, lang):
    with app.test_request_context(), db.connection_context():
        service.answer(Question.get(Question.reference == reference),
                       Staff.get(Staff.email == "clerk@test"), text, lang)


def ask(app, lang, **values):
    asker = Asker(app.test_client(), lang=lang)
    page = asker.ask(**values)
    return asker, page


def test_the_asker_is_emailed_the_private_link_and_then_the_answer(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    asker, page = ask(staff_app, "it")
    assert len(collector.messages) == 1
    recipients, message = collector.messages[0]
    assert recipients == ["lin.mei@example.it"]
    assert asker.reference in message["Subject"]
    text = body(message)
    code = page.texts(".panel strong")[1]
    assert code in text and asker.reference in text
    assert "Vorrei rinnovare la patente" in text
    assert "ora di Pechino" in text  # the due time, with its zone, in Italian
    link = re.search(r"http://onevisit\.test(/it/questions/open/\S+)", text).group(1)
    other = staff_app.test_client()
    assert other.get(link).headers["Location"] == asker.base
    with staff_app.app_context(), db.connection_context():
        event = QuestionEvent.get(QuestionEvent.kind == "asked")
        assert event.outbox_state == "sent" and event.sealed is None  # the token is gone

    answer(staff_app, asker.reference, SCRIPT, "zh")
    assert len(collector.messages) == 2
    _to, message = collector.messages[1]
    text = body(message)
    assert asker.reference in message["Subject"]
    assert SCRIPT in text  # plain text: the script is text, as written
    assert "cinese" in text  # the language it was written in, named in Italian
    assert "/it/questions/find" in text and "/open/" not in text


def test_no_email_without_an_address_and_none_for_a_reply(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    asker, _page = ask(staff_app, "it", email="")
    assert collector.messages == []
    asker.reply("Un'altra domanda")
    assert collector.messages == []
    with staff_app.app_context(), db.connection_context():
        assert not QuestionEvent.select().where(QuestionEvent.outbox_state.is_null(False)).exists()


def test_an_answer_in_the_askers_language_says_nothing_of_languages(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    asker, _page = ask(staff_app, "fr", text="Comment renouveler mon permis de conduire ?")
    answer(staff_app, asker.reference, "Il faut le passeport.", "fr")
    text = body(collector.messages[-1][1])
    assert "Il faut le passeport." in text and "chinois" not in text


def test_a_mail_server_down_is_retried_by_the_sweep(staff_app, smtp_server):
    controller, collector = smtp_server
    staff_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # nothing listens there
    asker, _page = ask(staff_app, "it")
    with staff_app.app_context(), db.connection_context():
        event = QuestionEvent.get(QuestionEvent.kind == "asked")
        assert event.outbox_state == "pending" and event.outbox_attempts == 1
        staff_app.config.update(SMTP_PORT=controller.port)
        QuestionEvent.update(outbox_next_at=event.created_at).execute()
        assert outbox.sweep(boxes=(outbox.CASES, QUESTIONS)) == 1
        assert outbox.sweep(boxes=(outbox.CASES, QUESTIONS)) == 0
    assert len(collector.messages) == 1 and asker.reference in collector.messages[0][1]["Subject"]


@pytest.mark.parametrize("lang", ["zh", "it", "fr", "es", "pt"])
def test_emails_have_no_english_in_the_other_languages(staff_app, smtp_server, lang):
    """Passes once the translations of issue 17 are merged into the catalogs."""
    collector = smtp(staff_app, smtp_server)
    asker, _page = ask(staff_app, lang, text="我想换驾驶证，需要什么材料？")
    answer(staff_app, asker.reference, "需要护照。", "zh" if lang != "zh" else "it")
    assert len(collector.messages) == 2
    for _to, message in collector.messages:
        text = f"{message['Subject']}\n{body(message)}"
        leaks = [sentence for sentence in ENGLISH if sentence in text]
        assert not leaks, (lang, leaks, text)


def test_the_email_says_the_answer_time_of_the_setting(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    staff_app.config["QUESTION_ANSWER_DAYS"] = 1
    ask(staff_app, "en")
    text = body(collector.messages[0][1])
    assert "The window answers within 1 Chinese working day: by" in text
    assert "2 Chinese working days" not in text
