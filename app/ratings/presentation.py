"""The public statistics as tables, charts and CSV files, from :mod:`app.ratings.figures`.

One definition per table (:data:`TABLES`) serves the page and its CSV download, so
both always say the same. Charts are plain numbers for the template's inline SVG
(bars, their heights and labels); nothing here reads the database.
"""

import csv
import io
from decimal import Decimal

from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal
from flask_babel import gettext as _, lazy_gettext as _l

from ..models.ratings import LEVELS
from ..templating import format_locale, format_share
from .figures import Figures, Row, month_start

#: The five levels' names, best first (非常满意 … 非常不满意).
LEVEL_LABELS = {5: _l("Very satisfied"), 4: _l("Satisfied"), 3: _l("Fairly satisfied"),
                2: _l("Dissatisfied"), 1: _l("Very dissatisfied")}
#: Times the applicant's family went in person, as the rating asked.
VISIT_LABELS = {0: _l("No visit"), 1: _l("1 visit"), 2: _l("2 visits"),
                3: _l("3 or more visits")}


class Column:
    """One column: its key (a :class:`Row` attribute), header, kind of number, and the
    section whose smallest group decides whether it is shown (``cases``, ``ratings``)."""

    def __init__(self, key, label, kind="count", section="cases"):
        self.key, self.label, self.kind, self.section = key, label, kind, section

    def value(self, row: Row):
        """The number, or None when it is not shown."""
        if not row.shown or (self.section == "ratings" and not row.ratings_shown):
            return None
        return getattr(row, self.key)


def _questions_column(key, label, kind="count"):
    return Column(key, label, kind, section="questions")


TABLES = {
    "cases": (_l("Cases, results and time limits"), [
        Column("received", _l("Received")),
        Column("accepted", _l("Accepted")),
        Column("delivered", _l("Delivered")),
        Column("results", _l("Results")),
        Column("share_on_time", _l("Results on time"), "share"),
        Column("median_taken", _l("Median working days to the result"), "days"),
        Column("median_limit", _l("Median time limit promised, working days"), "days"),
        Column("deferred", _l("Accepted with materials owed")),
        Column("share_deferred_on_time", _l("Materials supplied on time"), "share"),
    ]),
    "ratings": (_l("Ratings"), [
        Column("rated", _l("Ratings"), section="ratings"),
        *[Column(f"level_{level}", LEVEL_LABELS[level], section="ratings") for level in LEVELS],
        Column("satisfaction", _l("Satisfaction rate"), "share", "ratings"),
        Column("excluded", _l("Found unfair on appeal, left out"), section="ratings"),
    ]),
    "trips": (_l("Trips home avoided"), [
        *[Column(f"visits_{n}", VISIT_LABELS[n], section="ratings") for n in VISIT_LABELS],
        Column("guide_yes", _l("Guide matched"), section="ratings"),
        Column("guide_partly", _l("Guide partly matched"), section="ratings"),
        Column("guide_no", _l("Guide did not match"), section="ratings"),
        Column("trips_abroad", _l("Trips from abroad avoided"), section="ratings"),
        Column("trips_province", _l("Trips across provinces avoided"), section="ratings"),
        Column("money", _l("Saved, yuan"), "money", "ratings"),
    ]),
    "questions": (_l("Questions"), [
        _questions_column("asked", _l("Questions")),
        _questions_column("answered", _l("Answered")),
        _questions_column("share_in_time", _l("Answered in time"), "share"),
        _questions_column("median_hours", _l("Median time to a first answer"), "hours"),
    ]),
}


def month_label(month: int | None, short: bool = False) -> str:
    """A month in the page's language ("2026年3月", "mar. de 2026"); the total's label for
    None."""
    if month is None:
        return _("Total of the months shown")
    return format_skeleton("MMM" if short else "yMMM", month_start(month),
                           locale=format_locale())


def format_yuan(amount) -> str:
    """Whole yuan in the page's locale: "CN¥60,000", "60.000 CN¥", "¥60,000"."""
    locale = format_locale()
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace(".00", "").replace(",00", "")
    return format_currency(Decimal(int(amount)), "CNY", format=pattern, locale=locale,
                           currency_digits=False)


def cell_text(kind: str, value) -> str:
    """A number of the page as shown: counts and shares in the page's locale."""
    if value is None:
        return "—"
    if kind == "share":
        return format_share(value)
    if kind in ("days", "hours"):
        text = format_decimal(round(value, 1), locale=format_locale())
        return _("%(hours)s h", hours=text) if kind == "hours" else text
    if kind == "money":
        return format_yuan(value)
    return format_decimal(value, locale=format_locale())


def plain(kind: str, value) -> str:
    """A number of the CSV: digits and a point, shares as percentages."""
    if value is None:
        return ""
    if kind == "share":
        return f"{value * 100:.1f}"
    if kind in ("days", "hours"):
        return f"{value:.1f}".removesuffix(".0")
    return str(int(value))


class QuestionRow:
    """A row of the question figures read like a :class:`Row`."""

    def __init__(self, data: dict):
        self.data = data
        self.month = data["month"]
        self.shown = data["shown"]
        self.ratings_shown = True
        self.size = data["asked"]

    def __getattr__(self, name):
        return self.__dict__["data"][name]


def table_rows(figures: Figures, key: str) -> list:
    """The rows of table ``key``: each month, then the total."""
    if key == "questions":
        return [QuestionRow(r) for r in figures.questions["months"]] + [
            QuestionRow(figures.questions["totals"])]
    return [*figures.months, figures.total]


def note_of(key: str, row, smallest: int) -> str:
    """Why a row's numbers are not shown ("" when they are)."""
    if not row.shown:
        return _hidden_note("questions" if key == "questions" else "cases", row.month,
                            getattr(row, "hidden", "small"), smallest)
    if key in ("ratings", "trips") and not row.ratings_shown:
        return _hidden_note("ratings", row.month, row.ratings_hidden, smallest)
    return ""


def _hidden_note(key: str, month, why: str, smallest: int) -> str:
    if month is None:
        return _("No month above is shown, so there is no total.")
    if why == "rest":
        if key == "ratings":
            return _("Not shown: subtracted from a wider choice, it would reveal fewer "
                     "than %(num)d ratings", num=smallest)
        return _("Not shown: subtracted from a wider choice, it would reveal fewer than "
                 "%(num)d cases", num=smallest)
    if key == "questions":
        return _("Fewer than %(num)d questions: not shown", num=smallest)
    if key == "ratings":
        return _("Fewer than %(num)d ratings: not shown", num=smallest)
    return _("Fewer than %(num)d cases: not shown", num=smallest)


def table(figures: Figures, key: str) -> dict:
    """Table ``key`` for the page: caption, headers, and per row its month label, its
    cells' text (or a note why none are shown)."""
    caption, columns = TABLES[key]
    rows = []
    for row in table_rows(figures, key):
        note = note_of(key, row, figures.smallest)
        rows.append({"label": month_label(row.month), "total": row.month is None,
                     "note": note,
                     "cells": [] if note else [cell_text(c.kind, c.value(row))
                                               for c in columns]})
    return {"key": key, "caption": caption, "headers": [c.label for c in columns],
            "rows": rows}


def csv_bytes(figures: Figures, key: str) -> bytes:
    """Table ``key`` as CSV: UTF-8 with a byte-order mark (Excel then reads Chinese),
    headers in the page's language, plain numbers, blanks and a note where a group is
    too small to show."""
    _caption, columns = TABLES[key]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Month"), *[f"{c.label} (%)" if c.kind == "share" else str(c.label)
                                   for c in columns], _("Note")])
    for row in table_rows(figures, key):
        month = "" if row.month is None else f"{row.month // 100:04d}-{row.month % 100:02d}"
        note = note_of(key, row, figures.smallest)
        writer.writerow([month or month_label(None),
                         *[plain(c.kind, c.value(row)) for c in columns], note])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- Charts -------------------------------------------------------------------------------

#: The charts' drawing area (SVG user units): wide enough for 24 months, small enough
#: that its text stays readable on a phone.
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 360, 184, 36, 34, 8


def _nice_top(value: int) -> int:
    """A round number at least ``value`` for the axis (1, 2, 5 × a power of ten)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def _x_labels(months: list, slot: float) -> tuple[list, list]:
    """Each month's short name under its bars (every other one past 12 months: 13 names
    such as "10月" do not fit side by side), and the year under the first month and
    each January."""
    every = 1 if len(months) <= 12 else 2
    labels, years = [], []
    for index, row in enumerate(months):
        x = round(LEFT + slot * (index + 0.5), 1)
        if index % every == 0:
            labels.append({"x": x, "text": month_label(row.month, short=True)})
        # The first month's year, unless a January follows too closely to share the row.
        to_january = (13 - row.month % 100) % 12
        if row.month % 100 == 1 or (index == 0 and to_january * slot >= 45):
            years.append({"x": x, "text": format_skeleton("y", month_start(row.month),
                                                          locale=format_locale())})
    return labels, years


def _frame(months: list, slot: float) -> dict:
    labels, years = _x_labels(months, slot)
    plot = HEIGHT - BOTTOM - TOP
    return {"labels": labels, "years": years, "plot": plot, "base": TOP + plot,
            "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP}


def bars_chart(figures: Figures) -> dict:
    """Received and delivered per month: two bars a month, a scale with its top value.
    A month not shown draws no bars."""
    months = figures.months
    slot = (WIDTH - LEFT) / max(len(months), 1)
    shown = [r for r in months if r.shown]
    top = _nice_top(max([max(r.received, r.delivered) for r in shown] + [1]))
    plot = HEIGHT - BOTTOM - TOP
    bars = []
    for index, row in enumerate(months):
        if not row.shown:
            continue
        for offset, (key, value) in enumerate((("a", row.received), ("b", row.delivered))):
            height = round(plot * value / top, 1)
            bars.append({"cls": key, "x": round(LEFT + slot * index + slot * (0.12 + 0.38 * offset), 1),
                         "y": round(TOP + plot - height, 1), "w": round(slot * 0.36, 1),
                         "h": height})
    return {"bars": bars, "top_text": format_decimal(top, locale=format_locale()),
            **_frame(months, slot)}


def share_chart(figures: Figures) -> dict:
    """Results on time per month (0 to 100 %): one bar a month with its share shown."""
    months = figures.months
    slot = (WIDTH - LEFT) / max(len(months), 1)
    plot = HEIGHT - BOTTOM - TOP
    bars = []
    for index, row in enumerate(months):
        if row.share_on_time is None:
            continue
        height = round(plot * row.share_on_time, 1)
        bars.append({"cls": "c", "x": round(LEFT + slot * (index + 0.2), 1),
                     "y": round(TOP + plot - height, 1), "w": round(slot * 0.6, 1),
                     "h": height})
    return {"bars": bars, "top_text": format_share(1), **_frame(months, slot)}


def levels_chart(figures: Figures) -> dict | None:
    """The five levels' shares of all ratings counted in the range: one bar of five
    parts, with a legend. None when the ratings are too few to show."""
    total = figures.total
    if total.satisfaction is None:
        return None
    parts, x = [], 0.0
    for level in LEVELS:
        share = total.level_shares[level] or 0
        width = round((WIDTH - 2) * share, 1)
        parts.append({"cls": f"l{level}", "x": round(x + 1, 1), "w": width,
                      "label": LEVEL_LABELS[level], "share": format_share(share),
                      "count": format_decimal(getattr(total, f"level_{level}"),
                                              locale=format_locale())})
        x += width
    return {"parts": parts}
