"""Retention of questions: files, then personal details, go after the question ended;
what the window's figures count stays."""

import secrets
from datetime import timedelta

from app import clock
from app.models import Jurisdiction, Question, QuestionEvent, QuestionFile, Staff, db
from app.questions import retention, service
from app.uploads.service import path_for, prepare
from tests.conftest import jpeg_bytes, suite_moment


def ask(app, text="Ho perso la patente, Mario Rossi, +39 312 345 6789", answer=True):
    with app.test_request_context(), db.connection_context():
        photo = dict(prepare(jpeg_bytes(), ["jpeg", "png", "pdf"]), name="patente.jpg")
        question, _token, _code = service.ask(
            county=Jurisdiction.local_by_key("wencheng"), locale="it", text=text,
            start_key=secrets.token_hex(8), contact_email="mario@example.it",
            contact_phone="+39 312 345 6789", asker_name="Mario Rossi", files=[photo])
        if answer:
            service.answer(question, Staff.get(Staff.email == "clerk@test"), "Sì.", "it")
        stored = [f.stored_name for f in question.files]
        return question.id, stored


def on_disk(app, names) -> list[bool]:
    with app.app_context():
        return [path_for(name).exists() for name in names]


def nightly_at(app, days):
    with clock.clock_at(suite_moment() + timedelta(days=days)):
        with app.app_context(), db.connection_context():
            return retention.nightly()


def test_files_then_details_go_after_the_question_ended(staff_app):
    answered, answered_files = ask(staff_app)
    waiting, waiting_files = ask(staff_app, answer=False)
    assert all(on_disk(staff_app, answered_files + waiting_files))

    assert nightly_at(staff_app, 179) == {"question_files": 0, "question_details": 0}
    assert nightly_at(staff_app, 181) == {"question_files": 1, "question_details": 0}
    assert not any(on_disk(staff_app, answered_files))
    # A question still waiting for the window keeps everything.
    assert all(on_disk(staff_app, waiting_files))
    with staff_app.app_context(), db.connection_context():
        assert not QuestionFile.select().where(QuestionFile.question == answered).exists()
        assert Question.get_by_id(answered).contact_email == "mario@example.it"

    assert nightly_at(staff_app, 731) == {"question_files": 0, "question_details": 1}
    assert nightly_at(staff_app, 732) == {"question_files": 0, "question_details": 0}
    with staff_app.app_context(), db.connection_context():
        gone = Question.get_by_id(answered)
        assert (gone.asker_name, gone.contact_email, gone.contact_phone) == ("", None, None)
        assert gone.anonymised_at is not None
        assert [e.body for e in gone.events] == ["", ""]
        # What the figures count stays.
        assert gone.first_answered_at is not None and gone.answered_in_time is True
        kept = Question.get_by_id(waiting)
        assert kept.contact_email == "mario@example.it"
        assert QuestionEvent.get(QuestionEvent.question == waiting).body.startswith("Ho perso")


def test_a_closed_question_counts_from_its_closing(staff_app):
    question_id, _files = ask(staff_app, answer=False)
    with clock.clock_at(suite_moment() + timedelta(days=100)):
        with staff_app.app_context(), db.connection_context():
            service.close(Question.get_by_id(question_id))
    assert nightly_at(staff_app, 181)["question_files"] == 0
    assert nightly_at(staff_app, 281)["question_files"] == 1
