"""Counting attempts where every worker and host sees the same count: the database.

Two uses:

- **Per address** (flask-limiter's limits: sign-in posts, find-case posts, document
  downloads). Their storage is Redis when ``ONEVISIT_RATELIMIT_STORAGE_URI`` names one,
  else :class:`DatabaseStorage` (``onevisit+db://``), so that two gunicorn workers do not
  each keep a count of their own.
- **Per target**, always in the database whatever the storage of the per-address limits:
  tries of a reference's access code and agent code, new applications that email one
  address, changes to one case's video check (:class:`PerTarget`, a fixed window, whoever
  tries and from wherever); an email address's password and an account's
  second step (:class:`SlowDown`: a few free failures, then a growing wait; the owner is
  slowed, never locked out for long, and an unknown address is counted exactly like a
  real one, so the answers tell nothing about which accounts exist); the first time of
  something in a window (:class:`OncePer`: an FAQ vote per entry and address a day).
"""

import hashlib
import hmac
import math
import time
from datetime import timezone

from flask import current_app
from limits import parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from peewee import PeeweeException

from .clock import utcnow
from .models import RateCounter, db


def _key(key: str) -> str:
    """Counters are kept under a digest (no address or email in clear, fixed width)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _incr(key: str, expiry: float, amount: int, now: float) -> int:
    """Add ``amount`` to the live count of ``key`` (a new window of ``expiry`` seconds
    when there is none); return the count."""
    digest = _key(key)
    with db.atomic():
        RateCounter.delete().where((RateCounter.key == digest)
                                   & (RateCounter.expires_at <= now)).execute()
        (RateCounter.insert(key=digest, count=amount, expires_at=now + expiry, last_at=now)
         .on_conflict(conflict_target=[RateCounter.key],
                      update={RateCounter.count: RateCounter.count + amount,
                              RateCounter.last_at: now})
         .execute())
        return RateCounter.get(RateCounter.key == digest).count


class DatabaseStorage(Storage):
    """A ``limits`` storage (fixed windows) on the application database."""

    STORAGE_SCHEME = ["onevisit+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self):
        return PeeweeException

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return _incr(key, expiry, amount, time.time())

    def _live(self, key: str):
        return RateCounter.get_or_none((RateCounter.key == _key(key))
                                       & (RateCounter.expires_at > time.time()))

    def get(self, key: str) -> int:
        row = self._live(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return RateCounter.delete().execute()

    def clear(self, key: str) -> None:
        RateCounter.delete().where(RateCounter.key == _key(key)).execute()


_storage = DatabaseStorage()
_windows = FixedWindowRateLimiter(_storage)


class PerTarget:
    """At most ``limit`` per window on one target (tries of a code on one reference, new
    applications emailing one address, changes to one case's video check), whoever tries
    and from wherever."""

    def __init__(self, limit: str):
        self.limit = parse(limit)

    def allow(self, kind: str, target: str) -> bool:
        """Count this try; False when the target has had its tries for now."""
        return _windows.hit(self.limit, "code", kind, target.upper())

    def retry_after(self, kind: str, target: str) -> int:
        reset, _remaining = _windows.get_window_stats(self.limit, "code", kind, target.upper())
        return max(1, int(reset - time.time()))


class SlowDown:
    """Failures on one target: ``free`` of them cost nothing; after more, each further
    try must wait ``2 ** (failures - free)`` seconds after the last one, at most ``most``
    seconds. A success clears the count, and it lapses ``window`` seconds after the first
    failure. Times are the application's clock (:mod:`app.clock`)."""

    def __init__(self, name: str, free: int, most: int, window: int = 3600):
        self.name, self.free, self.most, self.window = name, free, most, window

    def wait(self, target: str) -> int:
        """Seconds before ``target`` may be tried again (0: now)."""
        now = _now()
        row = RateCounter.get_or_none((RateCounter.key == _key(f"{self.name}/{target}"))
                                      & (RateCounter.expires_at > now))
        if row is None or row.count <= self.free:
            return 0
        delay = min(self.most, 2 ** (row.count - self.free))
        return max(0, math.ceil(row.last_at + delay - now))

    def failed(self, target: str) -> int:
        """Count a failure; return the failures so far."""
        return _incr(f"{self.name}/{target}", self.window, 1, _now())

    def passed(self, target: str) -> None:
        _storage.clear(f"{self.name}/{target}")


class OncePer:
    """The first time a target is seen in a window of ``window`` seconds (from the first
    time): one "was this helpful?" vote per entry and address a day. The target is kept
    as a keyed hash (the app's secret key), never in clear."""

    def __init__(self, name: str, window: int):
        self.name, self.window = name, window

    def first(self, target: str) -> bool:
        """Count ``target``; True when this is its first time in the window."""
        secret = current_app.config["SECRET_KEY"].encode()
        digest = hmac.new(secret, target.encode(), hashlib.sha256).hexdigest()
        return _incr(f"{self.name}/{digest}", self.window, 1, _now()) == 1


def _now() -> float:
    return utcnow().replace(tzinfo=timezone.utc).timestamp()


def purge_expired() -> int:
    """Drop counters whose window is over (nightly)."""
    return RateCounter.delete().where(RateCounter.expires_at <= time.time()).execute()
