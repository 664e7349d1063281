"""Retention: how long each kind of data is kept, and the nightly purge that ends it.

The periods (README, "What is kept how long"): drafts never sent, ``DRAFT_DAYS`` after
their last change; the files and issued PDFs of an ended case, ``ENDED_FILES_DAYS``
after it ended; its personal details, ``ENDED_DETAILS_DAYS`` after it ended; the audit
trail, ``AUDIT_DAYS`` (the database refuses to delete a year's worth or less); staff
sessions and the mail outbox's copies, a month. The audit trail outlives what it
describes: it names cases by reference and never holds their content.
"""

from datetime import timedelta, timezone
from pathlib import Path

from flask import current_app

from .. import audit
from ..clock import utcnow
from ..models import AuditEvent, Case, StaffSession, db
from ..models.cases import ENDED
from . import lifecycle
from .journey import delete_bytes, delete_draft

#: Ended and idle staff sessions are kept this long (who signed in from where), then go.
STAFF_SESSION_DAYS = 30
#: Cases handled per query, so that one night's work is many short transactions.
BATCH = 200


def _days(name: str):
    return utcnow() - timedelta(days=current_app.config[name])


def _each(query, step) -> int:
    """Apply ``step`` to every case of ``query``, a batch at a time; a case that changed
    meanwhile (reopened, already done) is left for the next night."""
    done, last = 0, 0
    while True:
        batch = list(query.where(Case.id > last).order_by(Case.id).limit(BATCH))
        if not batch:
            return done
        for case in batch:
            try:
                step(case)
                done += 1
            except lifecycle.TransitionError:
                pass
        last = batch[-1].id


def purge_old_drafts() -> int:
    """Delete drafts untouched for ``DRAFT_DAYS``; return how many."""
    return _each(Case.select().where((Case.status == "draft")
                                     & (Case.updated_at < _days("DRAFT_DAYS"))),
                 lambda case: delete_draft(case, by="retention"))


def _delete_files(case: Case) -> None:
    _case, removed = lifecycle.delete_files(case)
    delete_bytes(removed)
    audit.record("retention_files", case=case, target=case.reference,
                 data={"files": len(removed.uploads), "documents": len(removed.documents)})


def delete_ended_files() -> int:
    """Delete the files and issued PDFs of cases ended ``ENDED_FILES_DAYS`` ago."""
    return _each(Case.select().where(Case.status.in_(list(ENDED))
                                     & (Case.ended_at < _days("ENDED_FILES_DAYS"))
                                     & Case.files_deleted_at.is_null()), _delete_files)


def _anonymise(case: Case) -> None:
    _case, removed = lifecycle.anonymise(case)
    delete_bytes(removed)
    audit.record("retention_details", case=case, target=case.reference)


def anonymise_ended() -> int:
    """Strip the personal details of cases ended ``ENDED_DETAILS_DAYS`` ago."""
    return _each(Case.select().where(Case.status.in_(list(ENDED))
                                     & (Case.ended_at < _days("ENDED_DETAILS_DAYS"))
                                     & Case.anonymised_at.is_null()), _anonymise)


def purge_old_audit() -> int:
    """Delete audit events older than ``AUDIT_DAYS``."""
    with db.atomic():
        return AuditEvent.delete().where(AuditEvent.created_at < _days("AUDIT_DAYS")).execute()


def purge_staff_sessions() -> int:
    """Forget staff sessions ended, or unused, a month ago."""
    month = utcnow() - timedelta(days=STAFF_SESSION_DAYS)
    return StaffSession.delete().where((StaffSession.ended_at < month)
                                       | (StaffSession.last_seen_at < month)).execute()


def purge_mail_outbox() -> int:
    """Delete the outbox directory's copies of emails (the embedded default's mail) older
    than ``MAIL_OUTBOX_DAYS``."""
    directory = Path(current_app.config["OUTBOX_DIR"])
    if not directory.is_dir():
        return 0
    before = _days("MAIL_OUTBOX_DAYS").replace(tzinfo=timezone.utc).timestamp()
    count = 0
    for path in directory.glob("*.eml"):
        try:
            if path.stat().st_mtime < before:
                path.unlink()
                count += 1
        except FileNotFoundError:
            pass
    return count


def nightly() -> dict:
    """Run every retention step; return how much each removed (logged by the job)."""
    counts = {"drafts": purge_old_drafts(), "files": delete_ended_files(),
              "details": anonymise_ended(), "audit": purge_old_audit(),
              "staff_sessions": purge_staff_sessions(), "mail": purge_mail_outbox()}
    current_app.logger.info("retention: %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
