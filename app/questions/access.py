"""How an asker (who has no password) reaches their question: as a case is reached.

The private link carries a 256-bit token; only its HMAC is stored. Visiting it gives this
browser a hold on the question (a :class:`QuestionGrant` named by the keyed hash of the
browser's random token, exactly as :class:`CaseGrant` is) and leads to a URL without the
token. The reference plus the access code is the second way in (rate-limited per
reference by the view). Holds end as a case's do: "remove access", 30 days unused, 180
days in all. A question asked from a case opens for whoever holds the case too (the
guard, :func:`app.authz.asker_question`, asks that).
"""

import hmac

from flask import g, session

from ..cases.access import (BROWSER_KEY, LOST_ANSWER_WINDOW, live, renew_browser_token,
                            secret_hash, spend_start_key, started_here)
from ..cases.access import purge_ended_grants as purge_case_grants
from ..cases.reference import normalize_access_code
from ..clock import utcnow
from ..models import Question, QuestionGrant
from ..sealing import seal, unseal


def question_for_token(token: str):
    """``(question, state)`` for a private link's token: ``ok``, ``expired`` or ``unknown``."""
    if not token or len(token) > 100:
        return None, "unknown"
    question = Question.get_or_none(Question.access_token_hash == secret_hash(token))
    if question is None:
        return None, "unknown"
    return question, ("expired" if question.access_token_expires < utcnow() else "ok")


def check_access_code(question: Question, code: str) -> bool:
    """Constant-time comparison of a typed access code with the stored hash."""
    return hmac.compare_digest(question.access_code_hash,
                               secret_hash(normalize_access_code(code)))


def _hold(question_id: int) -> QuestionGrant | None:
    """This browser's live hold on the question (timeouts end it here)."""
    token = session.get(BROWSER_KEY)
    if not token:
        return None
    cache = g.setdefault("question_grants", {})
    if question_id in cache:
        return cache[question_id]
    row = live(QuestionGrant.select().where(
        (QuestionGrant.token_hash == secret_hash(token)) & (QuestionGrant.question == question_id)
        & QuestionGrant.ended_at.is_null()).order_by(QuestionGrant.id.desc()).first())
    cache[question_id] = row
    return row


def holds(question: Question) -> bool:
    """Whether this browser holds the question (its own hold, not through a case)."""
    return _hold(question.id) is not None


def _end(question: Question) -> None:
    token = session.get(BROWSER_KEY)
    if token:
        QuestionGrant.update(ended_at=utcnow()).where(
            (QuestionGrant.question == question.id) & QuestionGrant.ended_at.is_null()
            & (QuestionGrant.token_hash == secret_hash(token))).execute()
    g.pop("question_grants", None)


def grant(question: Question, token: str | None = None, code: str | None = None) -> None:
    """Let this browser open ``question``; ``token`` and ``code``: the private link and
    access code it was just given, kept sealed to show again (else those of its last hold)."""
    before = _hold(question.id)
    sealed = seal({"token": token, "code": code}) if code else (
        before.sealed if before is not None else None)
    _end(question)
    QuestionGrant.create(token_hash=secret_hash(renew_browser_token()), question=question.id,
                         sealed=sealed)


def shown_secrets(question: Question) -> dict:
    """``{"token": …, "code": …}`` this browser was given when it sent the question, or {}."""
    row = _hold(question.id)
    return unseal(row.sealed) if row is not None and row.sealed else {}


def forget(question: Question) -> None:
    """Remove the question from this browser: every copy of its cookie loses it too."""
    _end(question)


def lost_answer_of(question: Question) -> bool:
    """Whether this browser may open ``question`` by replaying the form that sent it: it
    was given that form, never got the answer, and the question is under an hour old."""
    return (started_here(question.start_key)
            and question.created_at >= utcnow() - LOST_ANSWER_WINDOW)


def grant_lost_answer(question: Question) -> None:
    """Hold the question after a replayed send, with the code the first (lost) answer
    would have shown: the one sealed on the first hold, if any."""
    first = (QuestionGrant.select().where((QuestionGrant.question == question.id)
                                          & QuestionGrant.sealed.is_null(False))
             .order_by(QuestionGrant.id).first())
    secrets_ = unseal(first.sealed) if first is not None else {}
    grant(question, secrets_.get("token"), secrets_.get("code"))
    spend_start_key(question.start_key)


def purge_ended_grants() -> int:
    """Forget question holds that ended, or can no longer be used, a week ago (nightly)."""
    return purge_case_grants(QuestionGrant)
