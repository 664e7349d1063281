"""The application's one clock: every "now" and "today" is read here.

Times are stored as naive UTC (:func:`utcnow`); the window's calendar is
Beijing's (:func:`beijing_today`). Tests and benchmarks move the clock with
:func:`set_clock` (it keeps ticking from the moment given, or stands still
with ``frozen=True``), so nothing depends on the hour a test happens to run.
"""

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)
_frozen: datetime | None = None


def _real_now() -> datetime:
    return datetime.now(timezone.utc)


def now() -> datetime:
    """Now, as an aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    return _real_now() + _offset


def utcnow() -> datetime:
    """Now as a naive UTC datetime (the only kind stored in the database)."""
    return now().replace(tzinfo=None)


def beijing_today() -> date:
    """Today's date at the window at home."""
    return now().astimezone(BEIJING).date()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def set_clock(moment: datetime, frozen: bool = False) -> None:
    """Make "now" be ``moment`` (naive means UTC); it keeps ticking unless ``frozen``."""
    global _offset, _frozen
    moment = _aware(moment).astimezone(timezone.utc)
    if frozen:
        _frozen, _offset = moment, timedelta(0)
    else:
        _frozen, _offset = None, moment - _real_now()


def reset_clock() -> None:
    """Back to the machine's clock."""
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None


@contextmanager
def clock_at(moment: datetime, frozen: bool = False):
    """The clock at ``moment`` inside the block, as it was afterwards."""
    saved = (_offset, _frozen)
    set_clock(moment, frozen)
    try:
        yield
    finally:
        _restore(saved)


def _restore(saved) -> None:
    global _offset, _frozen
    _offset, _frozen = saved
