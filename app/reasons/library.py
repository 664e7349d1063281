"""The library of standard return reasons, as a case's county offers it.

A clerk who returns a case, or marks a material as needing correction, picks
standard reasons that apply to the material and may add words of their own. What
is stored is the reasons' keys and the clerk's words with the language they were
written in; the text of a standard reason is read in the reader's language when
it is shown (the applicant's page and email, the clerk's page).
"""

from pathlib import Path
from types import SimpleNamespace

import yaml
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from ..config import LOCALES
from ..i18n import language_name, localized
from ..models import Jurisdiction, ReturnReason

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "return_reasons.yaml"

#: Kinds of material a reason may apply to (besides single material keys).
KINDS = {"photo": _l("Photos of a person"),
         "identity": _l("Identity papers (passport, ID card, permits, licences)"),
         "certificate": _l("Certificates"),
         "document": _l("Any document (every material but photos of a person)")}
PHOTO_KEYS = frozenset({"id_photo", "notary_photo", "id_card_photo"})
IDENTITY_KEYS = frozenset({
    "passport_page", "id_card", "id_document", "old_id_card", "residence_permit",
    "residence_document", "old_chinese_passport", "old_passports", "old_passport_pages",
    "parent_passport", "child_passport", "child_identity", "attorney_id_card",
    "driving_licence", "id_or_ss_card", "social_security_card", "hukou_record",
    "id_and_booklet", "household_document", "vehicle_licence", "heirs_identity",
    "relatives_identity", "settlement_proof", "status_proof"})


def material_kinds(key: str) -> set[str]:
    """The kinds of the material ``key`` (a photo of a person, or a document that may
    also be an identity paper or a certificate)."""
    if key in PHOTO_KEYS:
        return {"photo"}
    kinds = {"document"}
    if key in IDENTITY_KEYS:
        kinds.add("identity")
    if "certificate" in key or key in ("death_proof", "hukou_cancellation", "life_certificate",
                                       "marriage_certificate", "insurance_policy"):
        kinds.add("certificate")
    return kinds


def applies(reason: ReturnReason, material_key: str) -> bool:
    """Whether ``reason`` may be given for the material ``material_key``."""
    wanted = set(reason.applies_to or [])
    return not wanted or material_key in wanted or bool(wanted & material_kinds(material_key))


def missing_locales(reason: ReturnReason) -> list[str]:
    """The locales a reason has no text in."""
    return [code for code in LOCALES if not (reason.texts or {}).get(code, "").strip()]


def chain(jurisdiction) -> list[int]:
    """The jurisdiction's id and its parents', the province first."""
    ids, place = [], jurisdiction
    while place is not None and len(ids) < 8:
        ids.insert(0, place.id)
        place = Jurisdiction.get_or_none(Jurisdiction.id == place.parent_id) \
            if place.parent_id else None
    return ids


def library(jurisdiction) -> dict[str, ReturnReason]:
    """Every reason ``jurisdiction`` offers, by key (switched-off ones too, so that what
    was given before still reads): the default library, each reason replaced by the
    one its province, city or county keeps under the same key."""
    ids = chain(jurisdiction) if jurisdiction is not None else []
    depth = {place: n for n, place in enumerate(ids, start=1)}
    rows = ReturnReason.select().where(ReturnReason.jurisdiction.is_null()
                                       | ReturnReason.jurisdiction.in_(ids or [0]))
    found = {}
    for row in sorted(rows, key=lambda r: depth.get(r.jurisdiction_id, 0)):
        found[row.key] = row
    return dict(sorted(found.items(), key=lambda kv: (kv[1].sort, kv[0])))


def case_jurisdiction(case):
    """The county whose reasons a case is given: its window's."""
    if case.office_id and case.office.jurisdiction_id:
        return case.office.jurisdiction
    return None


def for_case(case) -> dict[str, ReturnReason]:
    """The reasons of the case's county (see :func:`library`)."""
    return library(case_jurisdiction(case))


def offered(reasons: dict, material_key: str) -> list[ReturnReason]:
    """The active reasons of ``reasons`` that apply to the material."""
    return [r for r in reasons.values() if r.active and applies(r, material_key)]


def explain(entry: dict, reasons: dict, locale: str | None = None) -> SimpleNamespace:
    """What one returned material says to its reader, in ``locale`` (the page's):
    the standard reasons' texts, and the clerk's own words with their language."""
    locale = locale or str(get_locale() or "zh")
    standard = [localized(reasons[key].texts, locale) for key in entry.get("reasons") or []
                if key in reasons]
    words = (entry.get("reason") or "").strip()
    lang = entry.get("lang") or ""
    return SimpleNamespace(material=entry.get("material", ""), standard=standard, words=words,
                           lang=lang, foreign=bool(words and lang and lang != locale),
                           language=language_name(lang, locale) if lang else "")


def seed_defaults(path=None) -> int:
    """Add the default reasons whose key the default library lacks; return how many.
    A default an admin changed is never overwritten."""
    with open(path or DEFAULT_PATH, encoding="utf-8") as fh:
        entries = (yaml.safe_load(fh) or {}).get("reasons") or []
    present = {r.key for r in ReturnReason.select(ReturnReason.key)
               .where(ReturnReason.jurisdiction.is_null())}
    added = 0
    for sort, entry in enumerate(entries, start=1):
        if entry["key"] in present:
            continue
        ReturnReason.create(key=entry["key"], texts=entry["texts"], sort=sort * 10,
                            applies_to=list(entry.get("applies_to") or []))
        added += 1
    return added


def returned(case, locale: str | None = None) -> dict[str, SimpleNamespace]:
    """What the window asked to correct, by material, while the case is back with the
    applicant: each as :func:`explain` reads it in ``locale`` (the page's)."""
    if not case.is_returned or not case.supplement:
        return {}
    items = case.supplement.get("items") or []
    if not items:
        return {}
    reasons = for_case(case)
    return {entry["material"]: explain(entry, reasons, locale) for entry in items
            if entry.get("material")}


def visible(jurisdiction, reason_id: int) -> ReturnReason | None:
    """The reason ``reason_id`` if an admin of ``jurisdiction`` may see it: a default, or
    one of the jurisdiction's own or of the places above it; None for another county's."""
    reason = ReturnReason.get_or_none(ReturnReason.id == reason_id)
    if reason is None or reason.jurisdiction_id is None:
        return reason
    ids = chain(jurisdiction) if jurisdiction is not None else []
    return reason if reason.jurisdiction_id in ids else None


def save(jurisdiction_id, key: str, values: dict, new: bool = False) -> ReturnReason:
    """Keep ``values`` as the reason ``key`` of ``jurisdiction_id`` (None: the default
    library). A change to a reason of the places above becomes the jurisdiction's own.
    Raises ValueError when ``new`` and the key is taken."""
    mine = ReturnReason.jurisdiction.is_null() if jurisdiction_id is None \
        else ReturnReason.jurisdiction == jurisdiction_id
    own = ReturnReason.get_or_none(mine & (ReturnReason.key == key))
    if new:
        place = (Jurisdiction.get_or_none(Jurisdiction.id == jurisdiction_id)
                 if jurisdiction_id else None)
        if own is not None or key in library(place):
            raise ValueError(_("A reason with this key exists already: change that one."))
    if own is None:
        return ReturnReason.create(key=key, jurisdiction=jurisdiction_id, **values)
    for name, value in values.items():
        setattr(own, name, value)
    own.save()
    return own
