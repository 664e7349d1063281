"""Ratings (好差评), their follow-ups, and the figures kept current for statistics.

An applicant (or their agent) rates a case at a stage (``delivered``, and optionally
``accepted``): one :class:`Rating` per case and stage, changeable for a week (and again
after a follow-up has answered them). A bad rating (不满意, 非常不满意) opens a
:class:`FollowUp` for the window's supervisors, due in 15 Chinese working days; its
steps are :class:`FollowUpEvent` rows. ``app/ratings/service.py`` is the one module that
writes these.

The public statistics and the staff dashboard never scan cases: :class:`StatCell`,
:class:`StaffCell` and :class:`StatDays` hold counts per month, kept current in the
same transaction as every change of a case or a rating (``app/ratings/tally.py``), and
rebuilt from the cases by ``flask statistics-rebuild``.
"""

from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from ..clock import utcnow
from .base import BaseModel, JSONField
from .cases import Case
from .organisation import Office
from .staff import Staff

#: The five levels, best first, as stored (5 非常满意 … 1 非常不满意).
LEVELS = (5, 4, 3, 2, 1)
#: Levels that open a follow-up (不满意, 非常不满意).
BAD_LEVELS = (2, 1)
#: Levels counted as satisfied (非常满意, 满意, 基本满意): the satisfaction rate is their
#: share of all ratings counted.
SATISFIED_LEVELS = (5, 4, 3)
#: The stages a case is rated at.
STAGES = ("delivered", "accepted")
#: Times the applicant or their family went in person; 3 stands for "3 or more".
VISITS = (0, 1, 2, 3)
#: Whether the guide's list of materials matched what was asked.
GUIDE_ANSWERS = ("yes", "partly", "no")
#: Aspects rated on the same five levels (optional).
ASPECTS = ("speed", "service", "website")
#: Days a rating stays changeable.
CHANGEABLE_DAYS = 7
#: Where a follow-up stands: ``open`` (the window owes the applicant a reply),
#: ``replied`` (the reply went out; the window may still put things right), ``closed``.
FOLLOW_UP_STATUSES = ("open", "replied", "closed")
#: Where an appeal against a rating stands.
APPEAL_STATES = ("pending", "upheld", "dismissed")
#: Kinds of follow-up steps.
FOLLOW_UP_KINDS = ("opened", "assigned", "verified", "visit", "reply", "note", "closed",
                   "rerated", "appealed", "appeal_upheld", "appeal_dismissed")


class Rating(BaseModel):
    """The applicant's rating of a case at one stage (the latest answers; earlier ones are
    in ``history``)."""

    case = ForeignKeyField(Case, backref="ratings", on_delete="CASCADE")
    stage = CharField(max_length=10)
    level = IntegerField()
    visits = IntegerField()
    guide = CharField(max_length=8, null=True)
    speed = IntegerField(null=True)
    service = IntegerField(null=True)
    website = IntegerField(null=True)
    comment = TextField(default="")
    locale = CharField(max_length=5)
    by = CharField(max_length=10, default="applicant")  # applicant | agent
    # The window and clerk who handled the case when it was rated (the dashboard's rows).
    office = ForeignKeyField(Office, null=True, backref="ratings", on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, backref="ratings", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    changeable_until = DateTimeField()
    # Earlier answers, oldest first: [{"level", "visits", ..., "at"}].
    history = JSONField(default=list)
    # An appeal found the rating unfair: it stays on record, out of the figures.
    excluded = BooleanField(default=False)

    class Meta:
        indexes = ((("case", "stage"), True),)

    @property
    def is_bad(self) -> bool:
        """不满意 or 非常不满意: a follow-up is owed."""
        return self.level in BAD_LEVELS

    def changeable(self, now=None) -> bool:
        """The applicant may still change it."""
        return (now or utcnow()) <= self.changeable_until


class FollowUp(BaseModel):
    """A bad rating verified, the applicant contacted, put right and answered (差评整改)."""

    rating = ForeignKeyField(Rating, backref="follow_ups", on_delete="CASCADE")
    case = ForeignKeyField(Case, backref="follow_ups", on_delete="CASCADE")
    office = ForeignKeyField(Office, null=True, backref="follow_ups", on_delete="SET NULL")
    level = IntegerField()  # the level that opened it
    status = CharField(max_length=8, default="open", index=True)
    assigned_to = ForeignKeyField(Staff, null=True, backref="follow_ups",
                                  on_delete="SET NULL")
    opened_at = DateTimeField(default=utcnow, index=True)
    due_date = DateField(index=True)  # 15 Chinese working days after the rating (Beijing)
    verified_at = DateTimeField(null=True)
    verified = BooleanField(null=True)  # what the verification found: the complaint holds
    visited_at = DateTimeField(null=True)  # the return visit (回访) was recorded
    replied_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    closed_on_time = BooleanField(null=True)
    appeal = CharField(max_length=10, null=True)  # pending | upheld | dismissed
    appealed_by = ForeignKeyField(Staff, null=True, backref="appeals_made",
                                  on_delete="SET NULL")
    decided_by = ForeignKeyField(Staff, null=True, backref="appeals_decided",
                                 on_delete="SET NULL")
    # Who held the follow-up when the appeal was made: they may not decide it either
    # (handing it over first would not make them impartial).
    appeal_holder = ForeignKeyField(Staff, null=True, backref="appeals_held",
                                    on_delete="SET NULL")
    version = IntegerField(default=1)

    @classmethod
    def visible_to(cls, staff):
        """The condition selecting the follow-ups ``staff`` may open (None: none): those of
        the cases they may open (:meth:`Case.visible_to`; a query joined to Case)."""
        return Case.visible_to(staff)

    @classmethod
    def for_staff(cls, staff, follow_up_id) -> "FollowUp | None":
        """The follow-up ``follow_up_id`` if ``staff`` may open its case, else None."""
        condition = Case.visible_to(staff)
        if condition is None or not isinstance(follow_up_id, int):
            return None
        return (cls.select(cls, Case).join(Case, on=(cls.case == Case.id))
                .where(condition & (cls.id == follow_up_id)).first())

    @property
    def is_open(self) -> bool:
        """Not closed yet."""
        return self.status != "closed"

    @property
    def appeal_pending(self) -> bool:
        """An appeal waits for another supervisor's decision."""
        return self.appeal == "pending"


class FollowUpEvent(BaseModel):
    """One step of a follow-up: who did what, when, with their words (``lang``: the
    language they were written in)."""

    follow_up = ForeignKeyField(FollowUp, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=20)
    staff = ForeignKeyField(Staff, null=True, backref="follow_up_events", on_delete="SET NULL")
    note = TextField(default="")
    lang = CharField(max_length=5, default="")
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)


class _Counts(BaseModel):
    """The counters every figure is summed from (one row per month and group)."""

    month = IntegerField()  # yyyymm, Beijing time
    received = IntegerField(default=0)  # first sent in the month
    accepted = IntegerField(default=0)
    results = IntegerField(default=0)  # result recorded in the month
    on_time = IntegerField(default=0)  # … by the promised date
    delivered = IntegerField(default=0)
    deferred = IntegerField(default=0)  # accepted with materials owed (容缺), by acceptance month
    deferred_on_time = IntegerField(default=0)  # … all of them supplied by their due date
    rated = IntegerField(default=0)
    level_5 = IntegerField(default=0)
    level_4 = IntegerField(default=0)
    level_3 = IntegerField(default=0)
    level_2 = IntegerField(default=0)
    level_1 = IntegerField(default=0)
    visits_0 = IntegerField(default=0)  # delivered-stage ratings, by visits reported
    visits_1 = IntegerField(default=0)
    visits_2 = IntegerField(default=0)
    visits_3 = IntegerField(default=0)
    guide_yes = IntegerField(default=0)
    guide_partly = IntegerField(default=0)
    guide_no = IntegerField(default=0)
    trips_abroad = IntegerField(default=0)  # delivered, rated 0 visits, applicant abroad
    trips_province = IntegerField(default=0)  # … applicant in China, in another province
    speed_rated = IntegerField(default=0)
    speed_ok = IntegerField(default=0)
    service_rated = IntegerField(default=0)
    service_ok = IntegerField(default=0)
    website_rated = IntegerField(default=0)
    website_ok = IntegerField(default=0)
    follow_ups = IntegerField(default=0)  # opened in the month
    follow_ups_closed = IntegerField(default=0)
    follow_ups_on_time = IntegerField(default=0)
    excluded = IntegerField(default=0)  # ratings an appeal found unfair
    demo = IntegerField(default=0)  # received cases the demo history made

    DIMENSIONS: tuple = ()

    @classmethod
    def counters(cls) -> list[str]:
        """Names of the counter columns."""
        return [name for name in cls._meta.sorted_field_names
                if name not in ("id", "month", *cls.DIMENSIONS)]


class StatCell(_Counts):
    """Counts for one month of one group: ``county`` (a jurisdiction id), ``item`` and
    ``point`` (a service point id; -1: no service point). 0 in a dimension means "all",
    so any filter of the public page is one row per month."""

    DIMENSIONS = ("county", "item", "point")
    county = IntegerField()
    item = IntegerField()
    point = IntegerField()

    class Meta:
        indexes = ((("county", "item", "point", "month"), True),)


class StaffCell(_Counts):
    """Counts for one month of one window (``office``), per clerk (``staff``; 0: the
    whole window)."""

    DIMENSIONS = ("office", "staff")
    office = IntegerField()
    staff = IntegerField()

    class Meta:
        indexes = ((("office", "staff", "month"), True),)


class StatDays(BaseModel):
    """How many results of a month and group took ``days`` working days (``measure``
    ``taken``), and what time limit they had been promised (``limit``): medians
    without scanning cases."""

    month = IntegerField()
    county = IntegerField()
    item = IntegerField()
    point = IntegerField()
    measure = CharField(max_length=5)  # taken | limit
    days = IntegerField()
    n = IntegerField(default=0)

    class Meta:
        indexes = ((("county", "item", "point", "month", "measure", "days"), True),)


#: The tables of this module, in dependency order.
RATING_MODELS = [Rating, FollowUp, FollowUpEvent, StatCell, StaffCell, StatDays]
