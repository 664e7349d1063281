"""Plain-data contexts for each document: strings, numbers and lists only.

Templates never see a model object, so a document cannot reach the database
or lazy-load anything; whatever an applicant typed is a string here and is
escaped by the template like any other string.
"""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date, format_time, get_timezone_location
from flask import current_app

from ..cases.journey import material_states
from ..cases.entrustment import POWER_MESSAGES, POWERS, RELATIONSHIP_MESSAGES
from ..cases.fields import display_value
from ..cases.workdays import add_working_days
from ..i18n import N_, localized, on_record
from ..clock import utcnow
from ..models import ServicePoint
from ..templating import FORMAT_LOCALES
from .templates import Bilingual, second_locale
from .titles import TITLES


DOC_TYPES = ("form", "entrustment", "commitment", "receipt")
BLANK_TYPES = ("form", "entrustment", "commitment")
PAGE_SIZES = {"a4": "A4", "letter": "letter"}
BEIJING = ZoneInfo("Asia/Shanghai")


def texts_pair(texts: dict, second: str) -> dict:
    """Catalog text (``{locale: text}``) as a Chinese/second-language pair."""
    return {"zh": localized(texts, "zh"), "x": localized(texts, second)}


def when_pair(moment: datetime, zone: str, second: str) -> dict:
    """A UTC moment as local date and time in ``zone``, written in both languages."""
    aware = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
    tz = ZoneInfo(zone)
    local = aware.astimezone(tz)

    def one(locale, label):
        fmt = FORMAT_LOCALES.get(locale, locale)
        return f"{format_date(local, 'long', locale=fmt)} {format_time(local, 'HH:mm', locale=fmt)} ({label})"

    bi = Bilingual(second)
    if zone == "Asia/Shanghai":
        labels = bi.pair(N_("Beijing time"))
        return {"zh": one("zh", labels["zh"]), "x": one(second, labels["x"])}
    return {"zh": one("zh", get_timezone_location(tz, locale="zh")),
            "x": one(second, get_timezone_location(tz, locale=FORMAT_LOCALES.get(second, second)))}


def day_pair(day: date, second: str) -> dict:
    """A calendar date written in both languages."""
    return {"zh": format_date(day, "long", locale="zh_Hans_CN"),
            "x": format_date(day, "long", locale=FORMAT_LOCALES.get(second, second))}


def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data URI (vector, prints sharp)."""
    return segno.make(url, error="m").svg_data_uri(scale=3, border=0, dark="#000")


def verify_url(code: str) -> str:
    """Public address where an issued document can be checked."""
    return f"{current_app.config['PUBLIC_URL']}/verify/{code}"


def initials(answers: dict) -> str:
    """Initials from the Latin-script name, e.g. ``LIN Mei`` → ``L. M.``."""
    name = (answers or {}).get("name_latin") or ""
    letters = [part[0].upper() for part in name.replace("-", " ").split() if part[:1].isalpha()]
    return " ".join(f"{letter}." for letter in letters[:4])


def _item_block(item, second: str) -> dict:
    bi = Bilingual(second)
    return {
        "code": item.code,
        "name": texts_pair(item.names, second),
        "department": texts_pair(item.department.names, second),
        "time_limit_days": item.time_limit_days,
        "time_limit": bi.pair(N_("%(num)d working days from acceptance"), num=item.time_limit_days),
        "agent_allowed": item.agent_allowed,
        "video_check": item.video_check,
    }


def _value_text(field: dict, value, second: str) -> dict:
    """An answer printed in both languages (choices have two labels)."""
    if value in (None, ""):
        return {"zh": "", "x": ""}
    if field["type"] == "choice":
        for choice in field["choices"]:
            if choice["value"] == value:
                return texts_pair(choice["label"], second)
    text = display_value(field, value, localized)
    return {"zh": text, "x": text}


def _sections(item, answers: dict, second: str, blank: bool) -> list:
    sections = []
    for step in item.steps:
        rows = []
        for field in step["fields"]:
            row = {"key": field["key"], "label": texts_pair(on_record(field), second),
                   "long": field["type"] in {"textarea", "address_abroad", "address_home"},
                   "required": field["required"]}
            if blank and field["type"] == "choice":
                row["choices"] = [texts_pair(c["label"], second) for c in field["choices"]]
            row["value"] = None if blank else _value_text(field, answers.get(field["key"]), second)
            rows.append(row)
        sections.append({"key": step["key"], "title": texts_pair(on_record(step, "title"),
                                                                   second),
                         "rows": rows, "lines": _pair_up(rows)})
    return sections


def _pair_up(rows: list) -> list:
    """Lay short answers two to a line; long answers and tick-box lists get a line each."""
    lines, pending = [], None
    for row in rows:
        wide = row["long"] or bool(row.get("choices"))
        if wide:
            if pending:
                lines.append([pending])
                pending = None
            lines.append([row])
        elif pending:
            lines.append([pending, row])
            pending = None
        else:
            pending = row
    if pending:
        lines.append([pending])
    return lines


def commitment_due(case) -> tuple[date, bool, bool]:
    """``(due date, exact calendar, final)`` for deferred materials.

    Counted in Chinese working days from the submission date (Beijing); for a
    draft it is counted from today and becomes final on submission.
    """
    days = current_app.config["COMMITMENT_WORKING_DAYS"]
    submitted = case.submitted_at
    start_utc = submitted or utcnow()
    start = start_utc.replace(tzinfo=timezone.utc).astimezone(BEIJING).date()
    due, exact = add_working_days(start, days)
    return due, exact, submitted is not None


def _materials(case, second: str) -> list:
    rows = []
    for state in material_states(case):
        material = state.material
        status = "received" if state.uploads and state.complete else (
            "deferred" if state.deferred else "none" if material.optional else "missing")
        rows.append({
            "name": texts_pair(on_record(material, "names"), second),
            "essential": material.essential, "optional": material.optional,
            "status": status,
            "files": [{"name": u.original_name, "sha": u.sha256[:12], "pages": u.pages}
                      for u in state.uploads],
        })
    return rows


def _entrustment(case, second: str) -> dict | None:
    values = case.entrustment or {}
    if values.get("mode") != "agent":
        return None
    return {
        "name_zh": values.get("agent_name_zh", ""),
        "cn_id": values.get("agent_cn_id", ""),
        "relationship": Bilingual(second).pair(
            RELATIONSHIP_MESSAGES.get(values.get("agent_relationship"), "")),
        "phone": display_value({"type": "phone_cn"}, values.get("agent_phone"), localized),
        "powers": [{"key": p, "label": _power_pair(p, second), "granted": p in values.get("powers", [])}
                   for p in POWERS],
        "valid_from": values.get("valid_from", ""),
        "valid_until": values.get("valid_until", ""),
    }


def _power_pair(power: str, second: str) -> dict:
    return Bilingual(second).pair(POWER_MESSAGES[power])


def receipt_stage(case) -> str:
    """What a receipt can say of the case: ``accepted`` (the window accepted it),
    ``received`` (sent, the window has not decided yet) or ``not_accepted`` (it ended
    without an acceptance: rejected, withdrawn, answered)."""
    if case.accepted_at:
        return "accepted"
    return "received" if case.status in ("submitted", "returned") else "not_accepted"


def case_context(doc_type: str, case, code: str, page_size: str) -> dict:
    """Everything one issued document of ``case`` prints, as plain data."""
    second = second_locale(case.locale)
    item = case.spec
    answers = dict(case.answers or {})
    now = utcnow()
    due, exact, final = commitment_due(case)
    materials = _materials(case, second)
    deferred = [m for m in materials if m["status"] == "deferred"]
    find_url = (f"{current_app.config['PUBLIC_URL']}/{case.locale}/cases/find"
                f"?reference={case.reference}")
    return {
        "doc": {"type": doc_type, "title": Bilingual(second).pair(TITLES[doc_type]),
                "code": code, "verify_url": verify_url(code), "qr": qr_data_uri(verify_url(code)),
                "issued_at": when_pair(now, "Asia/Shanghai", second),
                "page_size": PAGE_SIZES[page_size], "blank": False, "second": second},
        "item": _item_block(item, second),
        "case": {
            "reference": case.reference,
            "status": case.status,
            "submitted_bj": when_pair(case.submitted_at, "Asia/Shanghai", second)
            if case.submitted_at else None,
            "submitted_local": when_pair(case.submitted_at, case.timezone, second)
            if case.submitted_at and case.timezone != "Asia/Shanghai" else None,
            "accepted_bj": when_pair(case.accepted_at, "Asia/Shanghai", second)
            if case.accepted_at else None,
            "stage": receipt_stage(case),
            "contact_email": case.contact_email or "",
            "contact_phone": display_value({"type": "phone"}, case.contact_phone, localized)
            if case.contact_phone else "",
            "city": case.city,
            "country": case.country,
            "status_qr": qr_data_uri(find_url),
            "status_url": find_url,
        },
        "applicant": {
            "name_zh": answers.get("name_zh", ""), "name_latin": answers.get("name_latin", ""),
            "cn_id": answers.get("cn_id", ""), "passport": answers.get("passport_number", ""),
            "address_abroad": answers.get("address_abroad", ""),
        },
        "sections": _sections(item, answers, second, blank=False),
        "materials": materials,
        "deferred": deferred,
        "due": {"date": day_pair(due, second), "iso": due.isoformat(), "exact": exact,
                "final": final, "days": current_app.config["COMMITMENT_WORKING_DAYS"]},
        "agent": _entrustment(case, second),
    }


def blank_context(doc_type: str, item, locale: str, page_size: str) -> dict:
    """A blank document of ``item`` for handwriting: labels, no values, no code."""
    second = second_locale(locale)
    return {
        "doc": {"type": doc_type, "title": Bilingual(second).pair(TITLES[doc_type]), "code": None,
                "verify_url": None, "qr": None, "issued_at": None,
                "page_size": PAGE_SIZES[page_size], "blank": True, "second": second},
        "item": _item_block(item, second),
        "case": {"reference": "", "status": "", "submitted_bj": None, "submitted_local": None,
                 "accepted_bj": None, "stage": "",
                 "contact_email": "", "contact_phone": "", "city": "", "country": "",
                 "status_qr": None, "status_url": None},
        "applicant": {k: "" for k in ("name_zh", "name_latin", "cn_id", "passport",
                                      "address_abroad")},
        "sections": _sections(item, {}, second, blank=True),
        "materials": [{"name": texts_pair(on_record(m, "names"), second), "essential": m.essential,
                       "optional": m.optional, "status": None, "files": []}
                      for m in item.ordered_materials()],
        "deferred": [{"name": texts_pair(on_record(m, "names"), second), "essential": False, "status": None,
                      "files": []} for m in item.ordered_materials() if not m.essential],
        "due": {"date": None, "iso": "", "exact": True, "final": False,
                "days": current_app.config["COMMITMENT_WORKING_DAYS"]},
        "agent": {"name_zh": "", "cn_id": "", "relationship": None, "phone": "",
                  "powers": [{"key": p, "label": _power_pair(p, second), "granted": False}
                             for p in POWERS],
                  "valid_from": "", "valid_until": ""},
    }


def find_url(case, with_reference: bool = True) -> str:
    """The public page where a case is opened with its reference and access code."""
    url = f"{current_app.config['PUBLIC_URL']}/{case.locale}/cases/find"
    return f"{url}?reference={case.reference}" if with_reference else url


def _service_point(case, second: str) -> dict | None:
    """The service point where the case was started, if any (names in both languages)."""
    if case.service_point_id is None:
        return None
    point = ServicePoint.get_or_none(ServicePoint.id == case.service_point_id)
    if point is None:
        return None
    return {"city": texts_pair(point.city, second), "host": texts_pair(point.host, second)}


def _printed(case, second: str) -> dict:
    """Now, in Beijing time and (when it differs) in the applicant's time zone."""
    now = utcnow()
    return {"bj": when_pair(now, "Asia/Shanghai", second),
            "local": when_pair(now, case.timezone, second)
            if case.timezone and case.timezone != "Asia/Shanghai" else None}


def cover_context(case, contents: list, page_size: str) -> dict:
    """The cover sheet of a print pack, as plain data.

    ``contents`` lists the documents after the cover, in order, as dicts with
    ``type``, ``first`` and ``last`` (page numbers in the pack) and ``code``
    (the verification code printed on that document).
    """
    second = second_locale(case.locale)
    bi = Bilingual(second)
    answers = case.answers or {}
    types = {entry["type"] for entry in contents}
    deferred = []
    due = None
    if "commitment" in types:
        deferred = [m for m in _materials(case, second) if m["status"] == "deferred"]
        due = day_pair(case.deferred_due or commitment_due(case)[0], second)
    url = find_url(case)
    return {
        "doc": {"type": "cover", "title": bi.pair(TITLES["cover"]),
                "page_size": PAGE_SIZES[page_size], "second": second, "compact": False},
        "item": _item_block(case.spec, second),
        "case": {"reference": case.reference, "status_qr": qr_data_uri(url), "status_url": url},
        "applicant": {"name_zh": answers.get("name_zh", ""),
                      "name_latin": answers.get("name_latin", "")},
        "point": _service_point(case, second),
        "printed": _printed(case, second),
        "contents": [dict(entry, title=bi.pair(TITLES[entry["type"]])) for entry in contents],
        "deferred": deferred,
        "due": due,
    }


def slip_context(case, access_code: str, page_size: str) -> dict:
    """The access slip handed to an applicant: reference, access code and how to use them.

    It carries the access code, so it is built for one render and never kept.
    """
    second = second_locale(case.locale)
    url = find_url(case)
    return {
        "doc": {"type": "slip", "title": Bilingual(second).pair(TITLES["slip"]),
                "page_size": PAGE_SIZES[page_size], "second": second},
        "item": _item_block(case.spec, second),
        "case": {"reference": case.reference, "find_qr": qr_data_uri(url),
                 "find_url": find_url(case, with_reference=False)},
        "access_code": access_code,
        "point": _service_point(case, second),
        "printed": _printed(case, second),
    }
