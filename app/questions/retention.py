"""Retention of questions: how long a question's files and personal details are kept.

A question has ended when it was closed, or answered and left untouched (an asker who
got the answer often never closes it): its last change (``updated_at``) starts the
periods. Its files go ``QUESTION_FILES_DAYS`` later; its personal details (the asker's
name and contact, every text of the thread) ``QUESTION_DETAILS_DAYS`` later. What the
window's figures count stays: when it came, to which window, when it was answered and
whether in time. A question still waiting for the window keeps everything.
"""

from datetime import timedelta

from flask import current_app

from .. import audit
from ..clock import utcnow
from ..models import Question
from ..uploads.service import path_for
from . import service

#: Questions handled per query: one night's work is many short transactions.
BATCH = 200
#: Statuses in which a question may have ended.
ENDED = ("answered", "closed")


def _before(name: str):
    return utcnow() - timedelta(days=current_app.config[name])


def _each(condition, step) -> int:
    done, last = 0, 0
    while True:
        batch = list(Question.select().where(condition & (Question.id > last))
                     .order_by(Question.id).limit(BATCH))
        if not batch:
            return done
        for question in batch:
            for name in step(question):
                path_for(name).unlink(missing_ok=True)
            done += 1
        last = batch[-1].id


def delete_files() -> int:
    """Delete the files of questions ended ``QUESTION_FILES_DAYS`` ago."""
    def step(question):
        names = service.files_deleted(question)
        audit.record("retention_question_files", target=question.reference,
                     data={"files": len(names)})
        return names
    return _each(Question.status.in_(ENDED) & (Question.updated_at < _before(
        "QUESTION_FILES_DAYS")) & Question.files_deleted_at.is_null(), step)


def anonymise() -> int:
    """Strip the personal details of questions ended ``QUESTION_DETAILS_DAYS`` ago."""
    def step(question):
        names = service.anonymised(question)
        audit.record("retention_question_details", target=question.reference)
        return names
    return _each(Question.status.in_(ENDED) & (Question.updated_at < _before(
        "QUESTION_DETAILS_DAYS")) & Question.anonymised_at.is_null(), step)


def nightly() -> dict:
    """Every step; how much each did (logged by the job)."""
    counts = {"question_files": delete_files(), "question_details": anonymise()}
    current_app.logger.info("retention: %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
