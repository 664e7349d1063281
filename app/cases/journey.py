"""The applicant's journey: its pages, what is still missing, and the applicant's changes.

Views call these functions; every change goes through :mod:`.lifecycle`.
"""

from dataclasses import dataclass, field as dc_field
from types import SimpleNamespace

from flask import current_app
from flask_babel import format_decimal, gettext as _
from peewee import IntegrityError, fn

from ..clock import utcnow
from ..models import Case, Item, Material, Office, Upload
from ..storage import document_file
from ..uploads.service import StoredFiles, UploadError, remove as remove_stored, store
from . import lifecycle
from .access import access_expiry, new_access_token, secret_hash
from .fields import FieldError, clean_field
from .forms import entrustment_complete
from .reference import new_access_code, new_reference

JOURNEY_TAIL = ("materials", "check", "declaration")


@dataclass
class Started:
    """Result of :func:`start_case`: the case, and the secrets shown once (none on a replay)."""

    case: Case
    token: str | None = None
    access_code: str | None = None
    replayed: bool = False


def home_office(item: Item) -> Office | None:
    """The window that receives the item's cases: its department's, else the first window
    of the item's county (never another county's)."""
    if item.department.office_id:
        return item.department.office
    return (Office.select().where(Office.jurisdiction == item.department.jurisdiction_id)
            .order_by(Office.sort, Office.id).first())


def start_case(item: Item, *, start_key: str, locale: str, email: str | None,
               phone: str | None, country: str, city: str, tz: str,
               assisted_by=None, from_question: str | None = None,
               demo: bool = False) -> Started:
    """Create a draft case; a replay of the same start form returns the first one.

    ``assisted_by`` is the volunteer who starts it for a walk-in applicant at
    their service point (the applicant's consent was ticked on the form);
    ``from_question`` the reference of the question the window turned into it (the
    access email says so); ``demo`` marks a case of the demo history (never a person's).
    """
    existing = Case.get_or_none(Case.start_key == start_key)
    if existing is not None:
        return Started(existing, replayed=True)
    token, token_hash = new_access_token()
    code = new_access_code()
    fields = dict(item=item, item_version=item.version, locale=locale, contact_email=email,
                  contact_phone=phone, country=country, city=city, timezone=tz, answers={},
                  deferred=[], access_token_hash=token_hash,
                  access_token_expires=access_expiry(), access_code_hash=secret_hash(code),
                  start_key=start_key,
                  service_point=assisted_by.service_point_id if assisted_by else None,
                  assisted_by=assisted_by.id if assisted_by else None, demo=demo)
    try:
        case = lifecycle.start(fields, reference_factory=new_reference, assisted_by=assisted_by,
                               secrets={"token": token, "code": code},
                               data={"question": from_question} if from_question else None)
    except IntegrityError:
        return Started(Case.get(Case.start_key == start_key), replayed=True)
    return Started(case, token=token, access_code=code)


# -- Pages -------------------------------------------------------------------------------

def pages(case: Case) -> list[str]:
    """Every page key of the journey in order: item steps, the entrustment
    choice where the item allows an agent, then the fixed tail."""
    keys = [s["key"] for s in case.spec.steps]
    if case.spec.agent_allowed:
        keys.append("entrustment")
    return keys + list(JOURNEY_TAIL)


def next_page(case: Case, current: str) -> str:
    """The page after ``current`` in the journey."""
    keys = pages(case)
    index = keys.index(current)
    return keys[min(index + 1, len(keys) - 1)]


def previous_page(case: Case, current: str) -> str | None:
    """The page before ``current``, or ``None`` on the first one."""
    keys = pages(case)
    index = keys.index(current) if current in keys else 0
    return keys[index - 1] if index > 0 else None


def first_incomplete_page(case: Case) -> str:
    """Where to continue when this browser does not know: the first page with
    something missing, else the check page."""
    state = completeness(case)
    for key in pages(case):
        if key in state.step_errors:
            return key
        if key == "materials" and state.missing_materials:
            return key
    return "check"


# -- Materials ---------------------------------------------------------------------------

@dataclass
class MaterialState:
    """One material slot as the applicant sees it."""

    material: Material
    uploads: list = dc_field(default_factory=list)
    deferred: bool = False

    @property
    def complete(self) -> bool:
        """Enough files are there."""
        return len(self.uploads) >= self.material.min_files

    @property
    def can_add(self) -> bool:
        """Another file fits in the slot."""
        return len(self.uploads) < self.material.max_files

    @property
    def missing(self) -> bool:
        """Not enough files and not deferred."""
        return not self.complete and not self.deferred


def material_states(case: Case) -> list[MaterialState]:
    """Every material of the case's item with its files and deferral."""
    files = {}
    for upload in Upload.current(case):
        files.setdefault(upload.material_key, []).append(upload)
    deferred = set(case.deferred or [])
    return [MaterialState(m, files.get(m.key, []), (not m.essential) and m.key in deferred
                          and len(files.get(m.key, [])) < m.min_files)
            for m in case.spec.ordered_materials()]


def material_state(case: Case, key: str) -> MaterialState | None:
    """One slot's state, or None for a key the item does not have."""
    return next((s for s in material_states(case) if s.material.key == key), None)


def owed_materials(case: Case) -> list[MaterialState]:
    """Deferred materials still to be sent."""
    return [s for s in material_states(case) if s.deferred]


@dataclass
class Completeness:
    """What still stands between a draft and submission."""

    step_errors: dict  # step key -> {field key: message}
    missing_materials: list  # MaterialState

    @property
    def ready(self) -> bool:
        """Nothing is missing."""
        return not self.step_errors and not self.missing_materials


def completeness(case: Case) -> Completeness:
    """Re-validate every stored answer and check every material slot."""
    step_errors = {}
    answers = case.answers or {}
    for step in case.spec.steps:
        errors = {}
        for field in step["fields"]:
            try:
                clean_field(field, answers.get(field["key"]), case.country)
            except FieldError as exc:
                errors[field["key"]] = str(exc)
        if errors:
            step_errors[step["key"]] = errors
    if case.spec.agent_allowed and not entrustment_complete(case.entrustment):
        step_errors["entrustment"] = {"mode": "incomplete"}
    missing = [s for s in material_states(case) if s.missing]
    return Completeness(step_errors, missing)


# -- The applicant's changes ------------------------------------------------------------

def _merged(case: Case, build, kind: str, data: dict) -> Case:
    """A change computed from the latest case (``build(case)`` gives its columns, or None
    when nothing would change)."""
    def attempt(current: Case) -> Case:
        changes = build(current)
        if changes is None:
            return current
        return lifecycle.change(current, kind, changes=changes, data=data).case
    return lifecycle.retried(case, attempt)


def save_answers(case: Case, clean: dict, step_key: str) -> Case:
    """Store the valid answers of a step (the draft is saved on every step)."""
    def build(current):
        answers = dict(current.answers or {})
        for key, value in clean.items():
            if value is None:
                answers.pop(key, None)
            else:
                answers[key] = value
        if answers == (current.answers or {}):
            return None
        # Kept beside the answers so the clerks' queue can search by name.
        name = " ".join(filter(None, (answers.get("name_zh"), answers.get("name_latin"))))
        return {"answers": answers, "applicant_name": name[:120]}
    return _merged(case, build, "answers_changed", {"step": step_key})


def save_entrustment(case: Case, values: dict) -> Case:
    """Store who does the formalities at home."""
    return _merged(case, lambda current: None if current.entrustment == values
                   else {"entrustment": values}, "entrustment_changed", {"mode": values.get("mode")})


def set_deferred(case: Case, material: Material, later: bool) -> Case:
    """Mark a deferrable material as "I will supply this later" (or undo)."""
    if material.essential:
        raise ValueError("essential materials cannot be deferred")

    def build(current):
        keys = [k for k in (current.deferred or []) if k != material.key]
        deferred = keys + [material.key] if later else keys
        return None if deferred == (current.deferred or []) else {"deferred": deferred}
    return _merged(case, build, "deferred_changed", {"material": material.key, "later": later})


def check_room(case: Case, adding: int, sending: int = 0) -> None:
    """Refuse ``adding`` more bytes when the application would hold more than
    ``CASE_MAX_BYTES`` with its kept files (and ``sending``: resumable uploads open)."""
    limit = current_app.config["CASE_MAX_BYTES"]
    kept = (Upload.select(fn.COALESCE(fn.SUM(Upload.size), 0))
            .where((Upload.case == case) & ~Upload.removed).scalar())
    if kept + sending + adding > limit:
        raise UploadError(_("This application already holds %(mb)s MB of files, the most it "
                            "can. Remove a file it no longer needs, or make this one smaller.",
                            mb=format_decimal(limit / 1024 / 1024, "#,##0.#")), status=413)


def add_file(case: Case, material: Material, data: bytes, filename: str
             ) -> tuple[Case, Upload]:
    """Validate and store a file in a material slot; a deferred material that is
    complete with it is no longer owed. Raises ``UploadError`` for a refused file, or
    when the slot takes no more files (checked again if another change comes first)."""
    def attempt(current: Case):
        state = material_state(current, material.key)
        if not current.takes_files_for(material.key):
            raise UploadError(_("This application has been sent and can no longer be changed "
                                "here."), status=409)
        if not state.can_add:
            raise UploadError(_("This item already has the most files it takes. Remove one to "
                                "replace it."), status=409)
        check_room(current, len(data))
        kind, changes = "file_added", None
        if current.owes_deferred and material.key in (current.deferred or []) \
                and len(state.uploads) + 1 >= material.min_files:
            kind = "deferred_supplied"
            changes = {"deferred": [k for k in current.deferred if k != material.key]}
            if not changes["deferred"]:
                changes["deferred_done_at"] = utcnow()
        with StoredFiles() as kept:
            changed = lifecycle.change(
                current, kind, changes=changes,
                within=lambda: kept(store(current, material, data, filename)),
                data=lambda upload: {"material": material.key, "upload": upload.id})
        return changed.case, changed.result
    return lifecycle.retried(case, attempt)


def delete_bytes(removed: lifecycle.Removed) -> None:
    """Delete the bytes of what a committed change forgot: stored files, issued PDFs,
    unfinished uploads."""
    from ..uploads.resumable import partial_path
    for name in removed.uploads:
        remove_stored(SimpleNamespace(stored_name=name))
    for name in removed.documents:
        document_file(name).unlink(missing_ok=True)
    for upload_id in removed.partial:
        partial_path(upload_id).unlink(missing_ok=True)


def delete_draft(case: Case, by: str = "applicant") -> None:
    """Delete an application never sent, and its files' bytes (``by``: the applicant, or
    the nightly purge). Raises :class:`lifecycle.TransitionError` once it was sent."""
    from .. import audit
    reference = case.reference
    removed = lifecycle.delete_draft(case)
    delete_bytes(removed)
    audit.record("draft_deleted", target=reference,
                 data={"by": by, "files": len(removed.uploads)})


def remove_file(case: Case, upload: Upload) -> Case:
    """Take a file out of its slot (to replace it) and delete its bytes."""
    changed = lifecycle.retried(case, lambda current: lifecycle.change(
        current, "file_removed", within=lambda: Upload.update(removed=True)
        .where(Upload.id == upload.id).execute(),
        data={"material": upload.material_key, "upload": upload.id}))
    remove_stored(upload)
    return changed.case


class SubmitError(Exception):
    """Submission refused; ``reason`` is ``incomplete``, ``declaration`` or ``state``."""

    def __init__(self, reason, detail=None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def submit(case: Case, *, declared: bool, expected_version: int | None) -> tuple[Case, bool]:
    """Send the case for review; the applicant is emailed a confirmation.

    Returns ``(case, replayed)``; a second press of the button or a replayed
    POST after a dropped connection finds the case already submitted and
    changes nothing. A change made meanwhile by someone else (a clerk's note, a
    volunteer's scan, an upload finishing) does not stop it: the case is checked
    again as it is now, and sent.
    """
    for _attempt in range(3):
        if case.awaits_review and case.submitted_at is not None:
            return case, True
        if not case.is_editable:
            raise SubmitError("state")
        if not declared:
            raise SubmitError("declaration")
        state = completeness(case)
        if not state.ready:
            raise SubmitError("incomplete", state)
        try:
            return _send(case, expected_version), False
        except lifecycle.TransitionError as error:
            if error.reason != "stale":
                raise SubmitError("state") from error
            # A double press finds the case sent (a replay); anything else is checked again.
            case, expected_version = error.case, error.case.version
    raise SubmitError("state")


def _send(case: Case, expected_version: int | None) -> Case:
    first = case.is_draft
    now = utcnow()
    office = home_office(case.item)
    # A resubmitted case keeps its place: it has waited since it was first sent.
    return lifecycle.change(
        case, action="submit" if first else "resubmit", expected_version=expected_version,
        changes={"submitted_at": now if first else case.submitted_at,
                 "queued_at": now if first else (case.queued_at or now),
                 "office": office.id if office else None},
        data={"deferred": list(case.deferred or [])}, notify=["applicant"]).case


def withdraw(case: Case) -> Case:
    """The applicant withdraws a case not yet accepted."""
    return lifecycle.change(case, action="withdraw").case
