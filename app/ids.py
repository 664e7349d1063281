"""Whole numbers read from URLs and query strings, bounded to what the database stores.

A row id in a URL or a cursor is a 64-bit signed integer in every database we run on
(SQLite's INTEGER, PostgreSQL's bigint and serial). Python reads any number of digits,
and SQLite's driver raises OverflowError for one beyond 64 bits: a 500 for a typed URL.
So a number out of that range is read as "no such row" (404) or as "no cursor".
"""

from werkzeug.routing.converters import IntegerConverter

#: The largest (and, negated minus one, the smallest) value a 64-bit signed column holds.
MAX_ID = 2**63 - 1
MIN_ID = -(2**63)


def _up_to(bound: int) -> str:
    """A regular expression for the decimal numbers from 0 to ``bound`` (leading zeros
    allowed): shorter numbers, or as long and smaller digit by digit."""
    digits = str(bound)
    shorter = rf"\d{{1,{len(digits) - 1}}}" if len(digits) > 1 else ""
    same = [digits[:i] + f"[0-{int(d) - 1}]" + (rf"\d{{{len(digits) - i - 1}}}"
                                                  if i < len(digits) - 1 else "")
            for i, d in enumerate(digits) if d != "0"] + [digits]
    return "0*(?:" + "|".join(filter(None, [shorter, *same])) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` for this app: Werkzeug's integer converter, bounded to 64 bits by
    default, so ``/faq/99999999999999999999`` does not match (404) instead of reaching
    the database. A rule may still narrow it (``<int(max=9):…>``).

    The bound is in the pattern, not only in :meth:`to_python`: Werkzeug counts a rule
    whose pattern matched but whose value was refused as a match for its methods, so a
    GET of ``/faq/<huge>/helpful`` (a POST rule beside a GET one) would be a 405."""

    regex = _up_to(MAX_ID)

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits,
                         min=MIN_ID if min is None else min,
                         max=MAX_ID if max is None else max, signed=signed)


def read_id(text) -> int:
    """``text`` as an integer a 64-bit column can hold; ValueError when it is out of
    that range, and what :func:`int` raises for a non-number (ValueError, TypeError)."""
    value = int(text)
    if not MIN_ID <= value <= MAX_ID:
        raise ValueError(f"{text!r} is out of range")
    return value


def init_ids(app) -> None:
    """Make ``<int:…>`` the bounded converter for every route (before any is added)."""
    app.url_map.converters["int"] = BoundedIntConverter
