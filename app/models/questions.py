"""Questions (咨询) and the FAQ they become.

A question is asked in the asker's own language, to a county's window (or from an open
case), and reached without a password: a secret link (only its HMAC stored) or the
reference plus an access code, like a case. Its thread (what the asker wrote, the
answers, replies, the staff's internal notes, transfers and assignments) is a list of
:class:`QuestionEvent` rows, the same way a case has its timeline; an event that owes
the asker an email carries its outbox state. ``app/questions/service.py`` is the one
module that writes Question and QuestionEvent rows.

A good question and its answer become a :class:`FaqEntry`: anonymised, in six languages
with a status per language (as the catalog editor has), attached to items and a county.
Standard answers (:class:`StandardAnswer`) are texts in six languages that admins keep
and staff send in the asker's language.
"""

from peewee import (BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from ..clock import utcnow
from ..config import LOCALES
from .base import BaseModel, JSONField
from .catalog import Department, Item
from .cases import Case
from .organisation import Jurisdiction, Office, ServicePoint
from .staff import Staff

#: Where a question stands. ``waiting``: the window owes an answer; ``answered``: the
#: asker has the window's answer (a reply makes it ``waiting`` again); ``closed``: done.
QUESTION_STATUSES = ("waiting", "answered", "closed")
#: How the question reached the window.
CHANNELS = ("web", "desk", "phone")
#: The kinds of thread events. ``asked``, ``reply`` (asker), ``answer`` (staff, sent to
#: the asker) and ``logged`` (a volunteer wrote down a question asked at the desk or on
#: the phone) are the conversation; the rest is the window's bookkeeping.
THREAD_KINDS = ("asked", "logged", "reply", "answer")
STAFF_ONLY_KINDS = ("note", "assigned", "transferred", "closed", "reopened", "converted",
                    "published")
#: The longest question, reply or answer (characters).
MAX_TEXT = 5000


class Question(BaseModel):
    """One person's question to a window, and where it stands."""

    reference = CharField(unique=True, max_length=20)
    # The county the question is for, and the window that answers it (a department's
    # officers when it was passed to one).
    jurisdiction = ForeignKeyField(Jurisdiction, backref="questions", on_delete="RESTRICT")
    office = ForeignKeyField(Office, null=True, backref="questions", on_delete="RESTRICT")
    department = ForeignKeyField(Department, null=True, backref="questions",
                                 on_delete="RESTRICT")
    item = ForeignKeyField(Item, null=True, backref="questions", on_delete="SET NULL")
    # Asked from an open case: the case's access opens the question too.
    case = ForeignKeyField(Case, null=True, backref="questions", on_delete="SET NULL")
    # Written down by a volunteer at an overseas service point (desk or phone).
    service_point = ForeignKeyField(ServicePoint, null=True, backref="questions",
                                    on_delete="SET NULL")
    logged_by = ForeignKeyField(Staff, null=True, backref="logged_questions",
                                on_delete="SET NULL")
    channel = CharField(max_length=8, default="web")
    locale = CharField(max_length=5)  # the asker's language
    status = CharField(max_length=10, default="waiting", index=True)
    asker_name = CharField(max_length=120, default="")
    contact_email = CharField(max_length=254, null=True)
    contact_phone = CharField(max_length=32, null=True)
    access_token_hash = CharField(max_length=64, unique=True)
    access_token_expires = DateTimeField()
    access_code_hash = CharField(max_length=64)
    # One-time key of the ask form: a replayed post finds this question.
    start_key = CharField(max_length=64, unique=True)
    assigned_to = ForeignKeyField(Staff, null=True, backref="assigned_questions",
                                  on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)
    # When the window owes its (next) answer, in UTC; null once answered or closed.
    due_at = DateTimeField(null=True, index=True)
    first_answered_at = DateTimeField(null=True)
    # Whether the first answer came by the due time it had (the window's figure).
    answered_in_time = BooleanField(null=True)
    closed_at = DateTimeField(null=True)
    # The case the question became (a matter that turned out to be an application).
    converted_case = ForeignKeyField(Case, null=True, backref="from_questions",
                                     on_delete="SET NULL")
    # Demo data loaded by `flask load-demo`.
    demo = BooleanField(default=False)
    # Retention (app/questions/retention.py): when its files went, and its personal details.
    files_deleted_at = DateTimeField(null=True)
    anonymised_at = DateTimeField(null=True)

    class Meta:
        # The staff queue reads a window's (or a department's, or a holder's) questions
        # of one status in due order, then by id: the keyset pages' tie-break (migration
        # _questions_staffq adds the id to the first two on databases made before it).
        indexes = ((("office", "status", "due_at"), False),
                   (("department", "status", "due_at"), False),
                   (("office", "status", "due_at", "id"), False),
                   (("department", "status", "due_at", "id"), False),
                   (("assigned_to", "status", "due_at", "id"), False),
                   # The public statistics: the questions of a range of months, of a
                   # county or all, read from these indexes alone (no row looked up).
                   (("jurisdiction", "created_at", "first_answered_at", "answered_in_time"),
                    False),
                   (("created_at", "first_answered_at", "answered_in_time"), False))

    @classmethod
    def by_reference(cls, reference: str) -> "Question | None":
        """The question with this reference (any case of letters), or None."""
        reference = (reference or "").strip().upper()
        if not reference or len(reference) > 20:
            return None
        return cls.get_or_none(cls.reference == reference)

    @classmethod
    def visible_to(cls, staff):
        """The condition selecting the questions ``staff`` may open (None: none at all).

        As for cases: a window's clerks and supervisors, and a county's admins, see the
        questions of the windows in their county (``office_ids``), and those passed to
        their own department; an officer those passed to their department; an account
        above the counties (read-only) every question of the windows and departments
        under it; a volunteer the questions logged at their service point. A question
        passed to another county's window or department has that county's window as its
        office, so it leaves the first county's sight.

        Why a clerk sees every window of their county, when a case is their own window's
        only (:meth:`Case.visible_to`): a case is routed to the window responsible for its
        item when it is sent, but a question is asked of a county, not of a service, and
        reaches the county's first window (:func:`app.questions.service.window_of`);
        its clerks pass it on from there. Limited to their own window, the clerks of
        every other window (the police's, say) would see no question at all, and could
        not answer one about their services. The figures page counts by this same
        condition (:func:`app.questions.figures.staff_figures`).
        """
        if staff.role == "volunteer":
            return (cls.service_point == staff.service_point_id
                    if staff.service_point_id else None)
        if staff.role == "officer":
            return cls.department == staff.department_id if staff.department_id else None
        offices = staff.office_ids()
        condition = cls.office.in_(offices) if offices else None
        if staff.role == "admin" or staff.read_only:
            held = Department.select(Department.id).where(
                Department.jurisdiction.in_(staff.scope_ids() or [0]))
            mine = cls.department.in_(held)
        elif staff.department_id:
            mine = cls.department == staff.department_id
        else:
            return condition
        return mine if condition is None else condition | mine

    @classmethod
    def for_staff(cls, staff, reference: str) -> "Question | None":
        """The question with this reference if ``staff`` may open it, else None."""
        condition = cls.visible_to(staff)
        reference = (reference or "").strip().upper()
        if condition is None or not reference or len(reference) > 20:
            return None
        return cls.get_or_none(condition & (cls.reference == reference))

    @property
    def is_closed(self) -> bool:
        """Nothing more happens: no reply, no answer, until a clerk reopens it."""
        return self.status == "closed"

    @property
    def awaits_window(self) -> bool:
        """The window owes an answer."""
        return self.status == "waiting"


class StandardAnswer(BaseModel):
    """An answer kept by a county's admins in six languages, sent in the asker's."""

    key = CharField(max_length=64)
    jurisdiction = ForeignKeyField(Jurisdiction, backref="standard_answers",
                                   on_delete="CASCADE")
    titles = JSONField(default=dict)  # {locale: short title for staff}
    texts = JSONField(default=dict)  # {locale: answer text}
    active = BooleanField(default=True)
    updated_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)
    sort = IntegerField(default=0)

    class Meta:
        indexes = ((("jurisdiction", "key"), True),)

    def missing_locales(self) -> list[str]:
        """The languages this answer has no title or no text in."""
        return [code for code in LOCALES if not ((self.texts or {}).get(code) or "").strip()
                or not ((self.titles or {}).get(code) or "").strip()]

    @property
    def usable(self) -> bool:
        """Offered to staff: switched on, with a title and a text in all six languages
        (it goes out in the asker's language, whichever that is)."""
        return self.active and not self.missing_locales()


class QuestionEvent(BaseModel):
    """One entry of a question's thread: what was written (in ``lang``), by whom, and
    the email it owes the asker (the transactional outbox, as for a case's events)."""

    question = ForeignKeyField(Question, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=16)
    actor = CharField(max_length=16, default="asker")  # asker | staff | system
    staff = ForeignKeyField(Staff, null=True, backref="question_events", on_delete="SET NULL")
    body = TextField(default="")
    # The language the body is written in (a free-text answer may be Chinese).
    lang = CharField(max_length=5, default="")
    # The standard answer sent, when it was one.
    standard_answer = ForeignKeyField(StandardAnswer, null=True, backref="uses",
                                      on_delete="SET NULL")
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
    recipients = JSONField(null=True)
    delivered_to = JSONField(default=list)
    outbox_state = CharField(max_length=8, null=True, index=True)
    outbox_attempts = IntegerField(default=0)
    outbox_next_at = DateTimeField(null=True)
    outbox_lease = DateTimeField(null=True)
    outbox_error = CharField(max_length=200, null=True)
    sealed = TextField(null=True)

    @property
    def staff_only(self) -> bool:
        """The window's bookkeeping, never shown to the asker."""
        return self.kind in STAFF_ONLY_KINDS


class QuestionFile(BaseModel):
    """A file sent with a question or a reply, through the same checks as materials."""

    question = ForeignKeyField(Question, backref="files", on_delete="CASCADE")
    event = ForeignKeyField(QuestionEvent, null=True, backref="files", on_delete="CASCADE")
    stored_name = CharField(max_length=64, unique=True)
    original_name = CharField(max_length=255)
    content_type = CharField(max_length=64)
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    pages = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)


class QuestionGrant(BaseModel):
    """A browser's hold on a question (as :class:`CaseGrant` is on a case): named by the
    keyed hash of the random token its cookie carries."""

    token_hash = CharField(max_length=64, index=True)
    question = ForeignKeyField(Question, backref="grants", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True, index=True)
    # The access code and private link this browser was given when it sent the question
    # (sealed), to show again on the page after sending and beside the reference.
    sealed = TextField(null=True)

    class Meta:
        indexes = ((("token_hash", "question"), False),)


class SuggestionShown(BaseModel):
    """The answers suggested to one asker before sending: whether one was opened, and
    whether the question was sent all the same (``question``)."""

    key = CharField(max_length=32, unique=True)
    jurisdiction = ForeignKeyField(Jurisdiction, null=True, on_delete="SET NULL")
    locale = CharField(max_length=5)
    shown = JSONField(default=list)  # ["faq:12", "item:ZJ-…"]
    opened_at = DateTimeField(null=True)
    question = ForeignKeyField(Question, null=True, backref="suggestions", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)


#: Where an FAQ entry stands, and where each of its languages stands.
FAQ_STATUSES = ("draft", "published", "withdrawn")
FAQ_LOCALE_STATUSES = ("missing", "draft", "ready")


class FaqEntry(BaseModel):
    """A question and its answer, anonymised, in six languages, for everyone to read."""

    jurisdiction = ForeignKeyField(Jurisdiction, backref="faq_entries", on_delete="CASCADE")
    source = ForeignKeyField(Question, null=True, backref="faq_entries", on_delete="SET NULL")
    # {locale: {"question": …, "answer": …}} and {locale: missing|draft|ready}
    texts = JSONField(default=dict)
    locale_status = JSONField(default=dict)
    status = CharField(max_length=10, default="draft", index=True)
    # Normalised text of every language (the catalog search's matching).
    search_text = TextField(default="")
    helpful_yes = IntegerField(default=0)
    helpful_no = IntegerField(default=0)
    created_by = ForeignKeyField(Staff, null=True, backref="faq_entries", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    published_at = DateTimeField(null=True, index=True)
    sort = IntegerField(default=0)
    demo = BooleanField(default=False)
    # The one-time key of the editor's form that made it: that form posted again (a
    # double click, a resent post) opens this entry instead of making a second one.
    start_key = CharField(max_length=64, null=True, unique=True)


class FaqItem(BaseModel):
    """An item an FAQ entry is about (shown on its guide)."""

    entry = ForeignKeyField(FaqEntry, backref="item_links", on_delete="CASCADE")
    item = ForeignKeyField(Item, backref="faq_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("entry", "item"), True),)
