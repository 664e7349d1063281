"""Questions for the staff tests, made through the one module that writes them."""

import secrets

from app.models import Jurisdiction, Question, db


def ask(app, text="Posso rinnovare la patente da Prato?", county="wencheng", locale="it",
        email="lin.mei@example.it", **kwargs) -> str:
    """A question asked online (by default an Italian asker's, to Wencheng); its reference."""
    from app.questions import service
    with app.app_context(), db.connection_context():
        question, _token, _code = service.ask(
            county=Jurisdiction.local_by_key(county), locale=locale, text=text,
            start_key=secrets.token_hex(8), contact_email=email, **kwargs)
        return question.reference


def question_of(app, reference) -> Question:
    """The question row, read fresh."""
    with app.app_context(), db.connection_context():
        return Question.get(Question.reference == reference)
