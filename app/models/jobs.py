"""What every host shares through the database: runs of periodic jobs (each period's run
is claimed by one consumer, whichever host) and rate-limit counters."""

import socket

from peewee import CharField, DateTimeField, DoubleField, IntegerField, IntegrityError

from ..clock import utcnow
from .base import BaseModel, db


class PeriodicRun(BaseModel):
    """One periodic job's run for one period (``2026-12-02`` for a daily job,
    ``2026-12-02T10:31`` for a job of every minute). The unique pair is the claim: when
    two hosts' consumers fire the same job, the database lets one of them in."""

    name = CharField(max_length=64)
    slot = CharField(max_length=32)
    host = CharField(max_length=100, default="")
    started_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("name", "slot"), True),)

    @classmethod
    def claim(cls, name: str, slot: str) -> bool:
        """Whether this consumer runs ``name`` for ``slot`` (False: another one does)."""
        try:
            with db.atomic():
                cls.create(name=name, slot=slot, host=socket.gethostname()[:100])
            return True
        except IntegrityError:
            return False


class RateCounter(BaseModel):
    """A count of attempts under one key until ``expires_at`` (seconds since the epoch):
    per address for the rate limits when no Redis is configured, per target (a reference,
    an email address, an account) for whatever guards a secret. ``last_at``: the latest
    attempt, from which a slow-down is measured."""

    key = CharField(max_length=64, unique=True)
    count = IntegerField(default=0)
    expires_at = DoubleField(index=True)
    last_at = DoubleField(default=0)
