"""The case aggregate (办件): the case, its files, reviews, notes, links and timeline.

The state machine's rules live here, as predicates the views and templates
ask (``case.can("accept")``, ``case.is_editable``, ``case.owes_deferred``);
``app/cases/lifecycle.py`` is the one module that writes Case and Event rows.
"""

from peewee import (JOIN, BigIntegerField, BooleanField, CharField, DateField, DateTimeField,
                    ForeignKeyField, IntegerField, TextField)

from datetime import timedelta

from ..clock import utcnow
from .base import BaseModel, Compiled, JSONField
from .catalog import Department, Item, ItemSpec
from .organisation import Office, ServicePoint
from .staff import Staff

#: action -> (statuses it is allowed from, status it leads to)
TRANSITIONS = {
    "submit": (("draft",), "submitted"),
    "resubmit": (("returned",), "submitted"),
    "return": (("submitted",), "returned"),
    "accept": (("submitted",), "accepted"),
    "transfer": (("accepted",), "transferred"),
    "transfer_back": (("transferred",), "accepted"),
    "approve": (("accepted", "transferred"), "approved"),
    "reject": (("submitted", "accepted", "transferred"), "rejected"),
    "result_ready": (("approved",), "result_ready"),
    "deliver": (("result_ready",), "delivered"),
    "close": (("delivered", "rejected"), "closed"),
    "withdraw": (("draft", "submitted", "returned"), "withdrawn"),
    # Another matter (not in the catalog) becomes an application for a catalog item: back
    # to the applicant, who completes only what the item needs beyond what was sent.
    "convert": (("submitted",), "returned"),
    # Another matter answered by the window: nothing more to do.
    "answer": (("submitted",), "closed"),
}
#: The kind of the catalog's "another matter" items (one per county).
OTHER_MATTER = "other-matter"
#: Answers and materials can change.
EDITABLE = ("draft", "returned")
#: Accepted and not decided yet: the promised time limit runs, deferred materials can come.
IN_PROGRESS = ("accepted", "transferred", "approved")
#: A video identity check can be booked, moved or cancelled.
VIDEO_BOOKABLE = ("submitted", "returned")
#: Until acceptance (and at it) the identity check matters to the applicant.
IDENTITY_CHECK_MATTERS = ("draft", "submitted", "returned", "accepted")
#: Statuses that wait for the window (the queue's default view).
WAITING = ("submitted", "accepted", "transferred", "approved", "result_ready", "delivered")
#: Not finished: the time limit counts (the queue's "overdue" and "due soon").
OPEN = WAITING + ("returned",)
#: The open statuses as SQL text: the same text is the WHERE clause of the partial
#: index case_office_open_due (SQLite uses a partial index only for a literal match).
OPEN_SQL = "IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"
#: Assignment makes sense while the window still works on the case.
ASSIGNABLE = ("submitted", "accepted", "approved", "result_ready")
#: A clerk gives a verdict on each material.
REVIEWABLE = ("submitted", "accepted")
#: The application has ended: the retention periods of its files and details run from here.
ENDED = ("delivered", "rejected", "closed", "withdrawn")
#: Events of the window's own bookkeeping, left out of what applicants and volunteers see.
STAFF_ONLY_EVENTS = frozenset({"answers_changed", "entrustment_changed", "deferred_changed",
                               "file_added", "file_removed", "material_reviewed", "note"})


class Case(BaseModel):
    """One applicant's request for one item.

    The applicant has no password: the case is reached through a secret access
    link (only its HMAC is stored) or the reference plus an access code.
    """

    reference = CharField(unique=True, max_length=20)
    item = ForeignKeyField(Item, backref="cases", on_delete="RESTRICT")
    item_version = IntegerField()
    status = CharField(max_length=16, default="draft", index=True)
    locale = CharField(max_length=5)
    contact_email = CharField(max_length=254, null=True)
    contact_phone = CharField(max_length=32, null=True)
    country = CharField(max_length=2)
    city = CharField(max_length=100)
    timezone = CharField(max_length=64)
    answers = JSONField(default=dict)
    # Material keys the applicant will supply later (容缺).
    deferred = JSONField(default=list)
    # Who does the formalities at home: {"mode": "self"} or {"mode": "agent", agent details}.
    entrustment = JSONField(null=True)
    access_token_hash = CharField(max_length=64, unique=True)
    access_token_expires = DateTimeField()
    access_code_hash = CharField(max_length=64)
    # One-time key of the start form, so a replayed start POST finds this case.
    start_key = CharField(max_length=64, unique=True)
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True, index=True)
    # Review: the window handling it, who works on it, where it was passed.
    office = ForeignKeyField(Office, null=True, backref="cases", on_delete="RESTRICT")
    assigned_to = ForeignKeyField(Staff, null=True, backref="assigned_cases", on_delete="SET NULL")
    # When an officer of the department first opened the case after it was passed to them
    # (until then it heads their queue).
    transfer_opened_at = DateTimeField(null=True)
    transferred_to = ForeignKeyField(Department, null=True, backref="transferred_cases",
                                     on_delete="RESTRICT")
    # When the case last came (back) to the window: the queue's waiting time.
    queued_at = DateTimeField(null=True)
    accepted_at = DateTimeField(null=True)
    due_date = DateField(null=True)  # time limit: working days from acceptance
    deferred_due = DateField(null=True)  # when deferred materials are owed
    supplement = JSONField(null=True)  # what the window asked to correct
    result = JSONField(null=True)
    delivery = JSONField(null=True)
    applicant_name = CharField(max_length=120, default="", index=True)
    # Assisted at an overseas service point: which one, and the volunteer who helped.
    service_point = ForeignKeyField(ServicePoint, null=True, backref="cases",
                                    on_delete="RESTRICT")
    assisted_by = ForeignKeyField(Staff, null=True, backref="assisted_cases",
                                  on_delete="SET NULL")
    # The entrusted agent's own access code (HMAC only), issued once identity is confirmed.
    agent_code_hash = CharField(max_length=64, null=True)
    # Retention: when the case ended (entered one of ENDED), when its files were deleted,
    # when its personal details were stripped (the periods are in the README).
    ended_at = DateTimeField(null=True, index=True)
    files_deleted_at = DateTimeField(null=True)
    anonymised_at = DateTimeField(null=True)
    # When the last material promised for later (容缺) arrived (statistics: on time or not).
    deferred_done_at = DateTimeField(null=True)
    # When a supervisor waived the materials still owed (statistics: accepted with
    # materials owed, not supplied on time; ``deferred_due`` is cleared then).
    deferred_waived_at = DateTimeField(null=True)
    # When the invitation to rate the delivered case went (once, three days after delivery).
    rating_invited_at = DateTimeField(null=True)
    # Made by the demo history (``flask demo``), never by a person: shown as such.
    demo = BooleanField(default=False)

    class Meta:
        # The queue's indexes; the deadline and deferred ones are created in
        # migrations.queue_indexes() because they index an expression or are partial.
        indexes = (
            (("office", "status", "queued_at", "id"), False),
            (("transferred_to", "status", "queued_at", "id"), False),
            (("office", "due_date"), False),
            (("office", "queued_at", "id", "status", "applicant_name"), False),
        )

    # -- Queries ------------------------------------------------------------------------

    @classmethod
    def by_reference(cls, reference: str) -> "Case | None":
        """The case with this (canonical) reference, or None (its item read with it)."""
        return _BY_REFERENCE.first(str(reference))

    @classmethod
    def visible_to(cls, staff):
        """The condition selecting the cases ``staff`` may open (None: none at all).

        A case gets its office when it is submitted, so drafts (office NULL) are
        never visible at home; the conditions stay simple enough for the queue's
        indexes. A volunteer sees the cases started at their service point, for
        any county the point serves. A county's admin, and a city's or the
        province's (read-only) supervisor, see the cases of every window in
        their jurisdiction; nobody sees another county's cases.
        """
        if staff.role == "volunteer":
            return (cls.service_point == staff.service_point_id
                    if staff.service_point_id else None)
        if staff.role == "admin" or staff.read_only:
            offices = staff.office_ids()
            if not offices:
                return None
            held = Department.select(Department.id).where(
                Department.jurisdiction.in_(staff.scope_ids()))
            return cls.office.in_(offices) | (cls.transferred_to.in_(held)
                                               & (cls.status == "transferred"))
        if staff.role in ("clerk", "supervisor") and staff.office_id:
            condition = cls.office == staff.office_id
            if staff.department_id:
                condition |= cls._with_department(staff)
            return condition
        if staff.role == "officer" and staff.department_id:
            return cls._with_department(staff)
        return None

    @classmethod
    def _with_department(cls, staff):
        """Cases passed to the account's department: for good within its county; from
        another county's window only while the department holds them (point to point)."""
        own = Office.select(Office.id).where(
            Office.jurisdiction == staff.department.jurisdiction_id)
        return (cls.transferred_to == staff.department_id) & (
            cls.office.in_(own) | (cls.status == "transferred"))

    @classmethod
    def for_staff(cls, staff, reference: str) -> "Case | None":
        """The case with this reference if ``staff`` may open it, else None."""
        condition = cls.visible_to(staff)
        if condition is None:
            return None
        return cls.get_or_none(condition & (cls.reference == reference))

    # -- Predicates on the state ------------------------------------------------------

    def can(self, action: str) -> bool:
        """Whether the lifecycle allows ``action`` from the current status."""
        allowed, _target = TRANSITIONS[action]
        return self.status in allowed

    @property
    def is_draft(self) -> bool:
        """Not sent yet."""
        return self.status == "draft"

    @property
    def is_editable(self) -> bool:
        """Answers and materials can change (a draft, or returned for corrections)."""
        return self.status in EDITABLE

    def kept_until(self, days: int):
        """The day an ended case's files (or details) go, ``days`` after it ended."""
        return (self.ended_at + timedelta(days=days)).date() if self.ended_at else None

    @property
    def is_sent(self) -> bool:
        """Sent to the window at least once (it has a receipt)."""
        return self.submitted_at is not None and not self.is_draft

    @property
    def awaits_review(self) -> bool:
        """Sent and waiting for the window's first look."""
        return self.status == "submitted"

    @property
    def is_returned(self) -> bool:
        """Sent back to the applicant for corrections."""
        return self.status == "returned"

    @property
    def is_in_progress(self) -> bool:
        """Accepted and not decided yet: the promised time limit runs."""
        return self.status in IN_PROGRESS

    @property
    def is_open(self) -> bool:
        """Not finished (the time limit matters)."""
        return self.status in OPEN

    @property
    def is_transferred(self) -> bool:
        """With a department."""
        return self.status == "transferred"

    @property
    def spec(self):
        """The item as published at the version this case was started with."""
        key = (self.item_id, self.item_version)
        cached = self.__dict__.get("_spec")
        if cached is None or cached[0] != key:
            cached = (key, ItemSpec.of(self.item, self.item_version))
            self.__dict__["_spec"] = cached
        return cached[1]

    @property
    def is_other_matter(self) -> bool:
        """A matter the applicant described because it is not in the catalog."""
        return self.spec.kind == OTHER_MATTER

    @property
    def holder(self):
        """Who holds the case now (an Office or a Department, each belonging to a county):
        the department it was passed to while it is there, else its window; None for a
        draft."""
        if self.status not in OPEN:
            return None
        if self.is_transferred and self.transferred_to_id:
            return self.transferred_to
        return self.office if self.office_id else None

    @property
    def is_assignable(self) -> bool:
        """A clerk can take it or give it to a colleague."""
        return self.status in ASSIGNABLE

    @property
    def is_reviewable(self) -> bool:
        """A clerk gives verdicts on its materials."""
        return self.status in REVIEWABLE

    @property
    def owes_deferred(self) -> bool:
        """Accepted with materials still owed (容缺): those can be sent now."""
        return self.status in IN_PROGRESS and bool(self.deferred)

    def takes_files_for(self, material_key: str | None = None) -> bool:
        """Whether a file can be added to a material slot (any slot when ``None``)."""
        if self.is_editable:
            return True
        return self.owes_deferred and (material_key is None or material_key in self.deferred)

    @property
    def is_entrusted(self) -> bool:
        """A relative at home acts for the applicant."""
        return (self.entrustment or {}).get("mode") == "agent"

    @property
    def agent_collects(self) -> bool:
        """The applicant chose to have the entrusted relative collect the result."""
        return bool(self.is_entrusted and self.spec.agent_allowed
                    and "collect" in (self.entrustment or {}).get("powers", []))

    @property
    def delivery_methods(self) -> list[str]:
        """How the result can reach this applicant: the item's ways, collection by a
        relative only when one is entrusted to collect it."""
        return [m for m in self.spec.delivery if m != "agent_pickup" or self.agent_collects]

    @property
    def default_delivery(self) -> str | None:
        """The way the applicant's choices point to: their relative when they entrusted
        one to collect, else the item's first way open to them."""
        methods = self.delivery_methods
        if "agent_pickup" in methods:
            return "agent_pickup"
        return methods[0] if methods else None

    @property
    def needs_video_check(self) -> bool:
        """Items that ask for one, and every entrustment of an agent."""
        return bool(self.spec.video_check or (self.spec.agent_allowed and self.is_entrusted))

    @property
    def identity_check_matters(self) -> bool:
        """Before and at acceptance: the page shows where the video check stands."""
        return self.status in IDENTITY_CHECK_MATTERS

    @property
    def video_bookable(self) -> bool:
        """A video check can be booked, moved or cancelled now."""
        return self.status in VIDEO_BOOKABLE and self.needs_video_check

    @property
    def agent_code_issued(self) -> bool:
        """The entrusted agent has their own access code."""
        return bool(self.agent_code_hash)


class Upload(BaseModel):
    """One stored file for one material slot of a case."""

    case = ForeignKeyField(Case, backref="uploads", on_delete="CASCADE")
    material_key = CharField(max_length=64)
    stored_name = CharField(max_length=64, unique=True)
    original_name = CharField(max_length=255)
    content_type = CharField(max_length=64)
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    pages = IntegerField(null=True)
    removed = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "material_key"), False),)

    @classmethod
    def current(cls, case, keys=None):
        """The case's files still in their slots (only ``keys`` when given), oldest first."""
        query = cls.select().where((cls.case == case) & (cls.removed == False))  # noqa: E712
        if keys is not None:
            query = query.where(cls.material_key.in_(list(keys)))
        return query.order_by(cls.created_at, cls.id)


class MaterialReview(BaseModel):
    """A clerk's verdict on one material of a case (the latest one counts)."""

    case = ForeignKeyField(Case, backref="reviews", on_delete="CASCADE")
    material_key = CharField(max_length=64)
    verdict = CharField(max_length=16)  # accepted | correction
    reason = TextField(default="")  # the clerk's own words, in ``reason_lang``
    reason_keys = JSONField(default=list)  # standard reasons (ReturnReason keys)
    reason_lang = CharField(max_length=5, default="")
    staff = ForeignKeyField(Staff, backref="material_reviews", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    @classmethod
    def latest(cls, case) -> dict:
        """The latest verdict per material key, each with its clerk."""
        result = {}
        for review in (cls.select(cls, Staff).join(Staff).where(cls.case == case)
                       .order_by(cls.created_at, cls.id)):
            result[review.material_key] = review
        return result


class CaseNote(BaseModel):
    """An internal note between staff, or a message to the applicant."""

    case = ForeignKeyField(Case, backref="notes", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, backref="case_notes", on_delete="RESTRICT")
    body = TextField()
    to_applicant = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    @classmethod
    def for_case(cls, case):
        """The case's notes in order, with their authors."""
        return (cls.select(cls, Staff).join(Staff).where(cls.case == case)
                .order_by(cls.created_at, cls.id))


class AccessToken(BaseModel):
    """A further access link for a case (each notification email carries one)."""

    case = ForeignKeyField(Case, backref="access_tokens", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    expires_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)


class CaseGrant(BaseModel):
    """One browser's hold on a case (the applicant's, a helping volunteer's, or the
    agent's): the browser's cookie carries only a random token, whose keyed hash names
    its rows. Ending a row (forget, a new access code, a withdrawal, a timeout) ends the
    hold for every copy of that cookie. The access code this browser was shown is kept
    sealed, to show it again."""

    token_hash = CharField(max_length=64, index=True)
    case = ForeignKeyField(Case, backref="grants", on_delete="CASCADE")
    kind = CharField(max_length=16)  # applicant | assisted | agent
    sealed_code = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True, index=True)

    class Meta:
        indexes = ((("token_hash", "case", "kind"), False),)


class Event(BaseModel):
    """A step in a case's history, shown on its timeline.

    An event that notifies someone is also the record of what must be sent
    (a transactional outbox): ``recipients`` lists who (``applicant`` or
    ``staff:<id>``), ``delivered_to`` who has had it, and the ``outbox_*``
    columns drive delivery with retries after the change is committed.
    """

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=32)
    actor = CharField(max_length=16, default="applicant")  # applicant | staff | system
    actor_staff = ForeignKeyField(Staff, null=True, column_name="actor_id", backref="events",
                                  on_delete="SET NULL")
    note = TextField(null=True)
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
    recipients = JSONField(null=True)
    delivered_to = JSONField(default=list)
    # pending | sent | failed; NULL when the event notifies nobody.
    outbox_state = CharField(max_length=8, null=True)
    outbox_attempts = IntegerField(default=0)
    outbox_next_at = DateTimeField(null=True)
    outbox_lease = DateTimeField(null=True)
    outbox_error = CharField(max_length=200, null=True)
    # Secrets an email must carry (a new access code), encrypted; erased once sent.
    sealed = TextField(null=True)

    class Meta:
        indexes = ((("outbox_state", "outbox_next_at"), False),)

    @classmethod
    def undelivered(cls, case):
        """The case's events whose email was given up after every attempt."""
        return (cls.select().where((cls.case == case) & (cls.outbox_state == "failed"))
                .order_by(cls.created_at, cls.id))

    @classmethod
    def timeline(cls, case, for_staff: bool = True):
        """The case's events in order, each with the staff member who acted (if any);
        without the window's bookkeeping unless ``for_staff``."""
        query = (cls.select(cls, Staff)
                 .join(Staff, JOIN.LEFT_OUTER, on=(cls.actor_staff == Staff.id))
                 .where(cls.case == case).order_by(cls.created_at, cls.id))
        if not for_staff:
            query = query.where(cls.kind.not_in(list(STAFF_ONLY_EVENTS)))
        return query


class TusUpload(BaseModel):
    """A resumable upload (tus 1.0) in progress for one material slot of a case."""

    id = CharField(primary_key=True, max_length=32)
    case = ForeignKeyField(Case, backref="tus_uploads", on_delete="CASCADE")
    material_key = CharField(max_length=64)
    filename = CharField(max_length=255, default="")
    length = BigIntegerField()
    offset = BigIntegerField(default=0)
    locale = CharField(max_length=5, default="zh")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)
    upload_id = IntegerField(null=True)  # the stored Upload once finished and accepted


#: Every applicant request reads its case this way: the SQL is built once.
_BY_REFERENCE = Compiled(lambda reference: Case.select(Case, Item).join(Item)
                         .where(Case.reference == reference).limit(1))
