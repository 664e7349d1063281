"""Video identity-check appointments (视频核验) of cases."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from ..clock import utcnow
from .base import BaseModel, JSONField
from .cases import Case
from .organisation import Office
from .staff import Staff


class Appointment(BaseModel):
    """A video call with the window that confirms the applicant's identity.

    ``slot_key`` is set while the appointment holds its slot and cleared when it
    is cancelled; its unique index is what makes two bookings of one slot
    impossible, whatever the timing.
    """

    case = ForeignKeyField(Case, backref="appointments", on_delete="CASCADE")
    office = ForeignKeyField(Office, null=True, backref="appointments", on_delete="SET NULL")
    starts_at = DateTimeField(index=True)  # naive UTC
    minutes = IntegerField(default=20)
    status = CharField(max_length=16, default="booked")  # booked | cancelled | held
    slot_key = CharField(max_length=64, null=True, unique=True)
    manage_token_hash = CharField(max_length=64, unique=True)
    room = CharField(max_length=64)
    sequence = IntegerField(default=0)  # iCalendar SEQUENCE: bumped on each change
    timezone = CharField(max_length=64)  # the zone the booker saw
    booked_by = CharField(max_length=16, default="applicant")  # applicant | volunteer
    booker = ForeignKeyField(Staff, null=True, column_name="booked_by_id",
                             object_id_name="booker_id", backref="booked_appointments",
                             on_delete="SET NULL")
    outcome = JSONField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)

    @property
    def is_booked(self) -> bool:
        """Booked and not held or cancelled yet."""
        return self.status == "booked"

    @property
    def is_held(self) -> bool:
        """The call took place and its outcome is recorded."""
        return self.status == "held"
