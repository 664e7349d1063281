"""The applicant journey: starting, saving steps, materials, submitting.

Views call these functions and nothing else changes a case.
"""

from dataclasses import dataclass, field as dc_field

from peewee import IntegrityError

from ..models import Case, Event, Item, Material, Upload, db, utcnow
from .access import access_expiry, new_access_token, secret_hash
from . import entrustment
from .fields import FieldError, clean_field
from .lifecycle import TransitionError, transition
from .reference import new_access_code, new_reference

JOURNEY_TAIL = ("materials", "check", "declaration")


@dataclass
class Started:
    """Result of :func:`start_case`."""

    case: Case
    token: str | None = None
    access_code: str | None = None
    replayed: bool = False


def start_case(item: Item, *, start_key: str, locale: str, email: str | None,
               phone: str | None, country: str, city: str, tz: str,
               assisted_by=None) -> Started:
    """Create a draft case; a replay of the same start form returns the first one.

    ``assisted_by`` is the volunteer who starts it for a walk-in applicant at
    their service point (the applicant's consent was ticked on the form).
    """
    existing = Case.get_or_none(Case.start_key == start_key)
    if existing is not None:
        return Started(existing, replayed=True)
    token, token_hash = new_access_token()
    code = new_access_code()
    first_step = item.steps[0]["key"] if item.steps else "materials"
    for _attempt in range(5):
        try:
            with db.atomic():
                case = Case.create(
                    reference=new_reference(), item=item, item_version=item.version,
                    locale=locale, contact_email=email, contact_phone=phone, country=country,
                    city=city, timezone=tz, answers={}, deferred=[], resume_at=first_step,
                    access_token_hash=token_hash, access_token_expires=access_expiry(),
                    access_code_hash=secret_hash(code), start_key=start_key,
                    service_point_id=assisted_by.service_point_id if assisted_by else None,
                    assisted_by_id=assisted_by.id if assisted_by else None)
                Event.create(case=case, kind="started", actor="applicant")
                if assisted_by is not None:
                    Event.create(case=case, kind="assisted", actor="staff",
                                 actor_id=assisted_by.id,
                                 data={"volunteer": assisted_by.name, "consent": True})
            return Started(case, token=token, access_code=code)
        except IntegrityError:
            replay = Case.get_or_none(Case.start_key == start_key)
            if replay is not None:
                return Started(replay, replayed=True)
            # Otherwise a reference collision: draw another one.
    raise RuntimeError("could not allocate a reference")


def journey(case: Case) -> list[str]:
    """Every page key of the journey in order: item steps, the entrustment
    choice where the item allows an agent, then the fixed tail."""
    pages = [s["key"] for s in case.item.steps]
    if case.item.agent_allowed:
        pages.append("entrustment")
    return pages + list(JOURNEY_TAIL)


def next_page(case: Case, current: str) -> str:
    """The page after ``current`` in the journey."""
    pages = journey(case)
    index = pages.index(current)
    return pages[min(index + 1, len(pages) - 1)]


def previous_page(case: Case, current: str) -> str | None:
    """The page before ``current``, or ``None`` on the first one."""
    pages = journey(case)
    index = pages.index(current)
    return pages[index - 1] if index > 0 else None


def editable(case: Case) -> bool:
    """Answers and materials can change while a draft or when returned."""
    return case.status in {"draft", "returned"}


def validate_step(case: Case, step: dict, form) -> tuple[dict, dict, list]:
    """Clean the posted values of one step.

    Returns ``(clean, errors, unknown)``: the clean values by key, the error
    message by key, and the posted names that are not fields of this step.
    """
    known = {f["key"] for f in step["fields"]}
    controls = {"csrf_token", "action", "switch_lang"}
    unknown = sorted(k for k in form.keys() if k not in known and k not in controls)
    clean, errors = {}, {}
    for field in step["fields"]:
        try:
            clean[field["key"]] = clean_field(field, form.get(field["key"]), case.country)
        except FieldError as exc:
            errors[field["key"]] = str(exc)
    return clean, errors, unknown


def save_answers(case: Case, clean: dict, resume_at: str) -> Case:
    """Store valid answers of a step (the draft is saved on every step)."""
    answers = dict(case.answers or {})
    for key, value in clean.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    # Kept beside the answers so the clerks' queue can search by name.
    name = " ".join(filter(None, (answers.get("name_zh"), answers.get("name_latin"))))[:120]
    Case.update(answers=answers, resume_at=resume_at, updated_at=utcnow(), applicant_name=name,
                version=Case.version + 1).where(Case.id == case.id).execute()
    return Case.get_by_id(case.id)


def save_entrustment(case: Case, values: dict, resume_at: str) -> Case:
    """Store who does the formalities at home."""
    Case.update(entrustment=values, resume_at=resume_at, updated_at=utcnow(),
                version=Case.version + 1).where(Case.id == case.id).execute()
    return Case.get_by_id(case.id)


def set_resume(case: Case, page: str) -> None:
    """Remember the page the applicant reached."""
    if case.resume_at != page:
        Case.update(resume_at=page, updated_at=utcnow()).where(Case.id == case.id).execute()
        case.resume_at = page


def active_uploads(case: Case) -> dict[str, list[Upload]]:
    """The case's current files, by material key."""
    result = {}
    for upload in (Upload.select().where((Upload.case == case) & (Upload.removed == False))  # noqa: E712
                   .order_by(Upload.created_at, Upload.id)):
        result.setdefault(upload.material_key, []).append(upload)
    return result


@dataclass
class MaterialState:
    """One material slot as the applicant sees it."""

    material: Material
    uploads: list = dc_field(default_factory=list)
    deferred: bool = False

    @property
    def complete(self) -> bool:
        return len(self.uploads) >= self.material.min_files

    @property
    def can_add(self) -> bool:
        return len(self.uploads) < self.material.max_files

    @property
    def missing(self) -> bool:
        """Not enough files and not deferred."""
        return not self.complete and not self.deferred


def material_states(case: Case) -> list[MaterialState]:
    """Every material of the case's item with its files and deferral."""
    uploads = active_uploads(case)
    deferred = set(case.deferred or [])
    return [MaterialState(m, uploads.get(m.key, []), (not m.essential) and m.key in deferred
                          and len(uploads.get(m.key, [])) < m.min_files)
            for m in case.item.ordered_materials()]


def set_deferred(case: Case, material: Material, deferred: bool) -> Case:
    """Mark a deferrable material as "I will supply this later" (or undo)."""
    if material.essential:
        raise ValueError("essential materials cannot be deferred")
    keys = [k for k in (case.deferred or []) if k != material.key]
    if deferred:
        keys.append(material.key)
    Case.update(deferred=keys, updated_at=utcnow(), version=Case.version + 1).where(
        Case.id == case.id).execute()
    return Case.get_by_id(case.id)


@dataclass
class Completeness:
    """What still stands between a draft and submission."""

    step_errors: dict  # step key -> {field key: message}
    missing_materials: list  # MaterialState

    @property
    def ready(self) -> bool:
        return not self.step_errors and not self.missing_materials


def completeness(case: Case) -> Completeness:
    """Re-validate every stored answer and check every material slot."""
    step_errors = {}
    answers = case.answers or {}
    for step in case.item.steps:
        errors = {}
        for field in step["fields"]:
            try:
                clean_field(field, answers.get(field["key"]), case.country)
            except FieldError as exc:
                errors[field["key"]] = str(exc)
        if errors:
            step_errors[step["key"]] = errors
    if case.item.agent_allowed and not entrustment.is_complete(case.entrustment):
        step_errors["entrustment"] = {"mode": "incomplete"}
    missing = [s for s in material_states(case) if s.missing]
    return Completeness(step_errors, missing)


class SubmitError(Exception):
    """Submission refused; ``reason`` is ``incomplete``, ``declaration`` or ``state``."""

    def __init__(self, reason, detail=None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def submit(case: Case, *, declared: bool, expected_version: int | None) -> tuple[Case, bool]:
    """Send the case for review.

    Returns ``(case, replayed)``; a second press of the button or a replayed
    POST after a dropped connection finds the case already submitted and
    changes nothing.
    """
    if case.status == "submitted" and case.submitted_at is not None:
        return case, True
    if case.status not in {"draft", "returned"}:
        raise SubmitError("state")
    if not declared:
        raise SubmitError("declaration")
    state = completeness(case)
    if not state.ready:
        raise SubmitError("incomplete", state)
    action = "submit" if case.status == "draft" else "resubmit"
    now = utcnow()
    office_id = case.item.department.office_id or _first_office_id()
    try:
        # The version check stops a double press; the loser is treated as a replay.
        # A resubmitted case keeps its place: it has waited since it was first sent.
        fresh = transition(case, action, expected_version=expected_version,
                           submitted_at=now if action == "submit" else case.submitted_at,
                           queued_at=now if action == "submit" else (case.queued_at or now),
                           office_id=office_id, resume_at="status",
                           data={"deferred": list(case.deferred or [])})
    except TransitionError as exc:
        if exc.case is not None and exc.case.status == "submitted":
            return exc.case, True
        raise SubmitError("state") from exc
    return fresh, False


def supplied_later(case: Case, material: Material) -> Case:
    """A deferred material arrived after acceptance: it is no longer owed."""
    state = next((s for s in material_states(case) if s.material.key == material.key), None)
    if state is None or not state.complete or material.key not in (case.deferred or []):
        return case
    keys = [k for k in case.deferred if k != material.key]
    with db.atomic():
        Case.update(deferred=keys, updated_at=utcnow(), version=Case.version + 1).where(
            Case.id == case.id).execute()
        Event.create(case=case, kind="deferred_supplied", actor="applicant",
                     data={"material": material.key})
    return Case.get_by_id(case.id)


def _first_office_id():
    from ..models import Office
    first = Office.select(Office.id).order_by(Office.sort, Office.id).first()
    return first.id if first else None


def withdraw(case: Case) -> Case:
    """The applicant withdraws a case not yet accepted."""
    return transition(case, "withdraw", resume_at="status")
