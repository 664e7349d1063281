"""The one module that writes FaqEntry and FaqItem rows, and what the FAQ's pages read.

An entry is a question and its answer in six languages, each language with a status as
the catalog editor has them: *missing* (its question or answer is empty), *draft*
(written, not yet checked) or *ready*. An entry is published only when all six are ready
(the catalog's rule: nothing half-translated reaches the public); once published it may
be edited only so that every language stays ready (a save that would leave one empty or
a draft is refused: withdraw the entry first to rework it), and withdrawn. When the
Chinese text changes, every other language marked ready is a draft again: its
translation was made from the old Chinese (as in the catalog editor); so on a published
entry the Chinese cannot change, only on a withdrawn or draft one.
"""

import hashlib
import re

from peewee import IntegrityError, fn

from ..clock import utcnow
from ..config import LOCALES
from ..models import Department, FaqEntry, FaqItem, Item, Jurisdiction
from ..models.base import together
from ..models.questions import MAX_TEXT
from . import service
from .faqtext import search_text_of

#: The language every translation is made from.
SOURCE = "zh"
#: What anonymising puts where personal data was (staff review it before saving).
REDACTED = "***"


class NotReady(ValueError):
    """A publish refused: these locales are not ready."""

    def __init__(self, locales):
        super().__init__(", ".join(locales))
        self.locales = list(locales)


class Conflict(ValueError):
    """Someone else saved the entry after the page was built."""


class PublishedNotReady(ValueError):
    """A save refused on a published entry: it would leave these locales not ready (empty
    or a draft), so readers would see one language's new text beside another's old.
    Withdraw the entry first to rework it."""

    def __init__(self, locales):
        super().__init__(", ".join(locales))
        self.locales = list(locales)


# -- reading ---------------------------------------------------------------------------


def text_of(entry: FaqEntry, locale: str) -> dict:
    """``{"question": …, "answer": …}`` of one language (empty strings when missing)."""
    found = (entry.texts or {}).get(locale) or {}
    return {"question": found.get("question") or "", "answer": found.get("answer") or ""}


def locale_status(entry: FaqEntry, locale: str) -> str:
    """``missing``, ``draft`` or ``ready``."""
    text = text_of(entry, locale)
    if not text["question"] or not text["answer"]:
        return "missing"
    return "ready" if (entry.locale_status or {}).get(locale) == "ready" else "draft"


def statuses(entry: FaqEntry) -> dict:
    """The status of each of the six languages, in the site's order."""
    return {locale: locale_status(entry, locale) for locale in LOCALES}


def not_ready(entry: FaqEntry) -> list[str]:
    """The languages that stop a publish."""
    return [locale for locale, status in statuses(entry).items() if status != "ready"]


def title(entry: FaqEntry, locale: str, length: int = 140) -> str:
    """The entry's question in ``locale`` (else Chinese, else any), on one line."""
    text = text_of(entry, locale)["question"] or text_of(entry, SOURCE)["question"] or next(
        (t.get("question") for t in (entry.texts or {}).values() if t.get("question")), "")
    line = " ".join(text.split())
    return line if len(line) <= length else line[:length - 1].rstrip() + "…"


def scoped(staff):
    """The entries of the staff member's jurisdiction (and those under it)."""
    return FaqEntry.select().where(FaqEntry.jurisdiction.in_(staff.scope_ids() or [0]))


def entry_for(staff, entry_id: int) -> FaqEntry | None:
    """One entry of the staff member's scope, or None."""
    return scoped(staff).where(FaqEntry.id == entry_id).first()


def item_ids(entry: FaqEntry) -> list[int]:
    """The ids of the items the entry is about."""
    return [row.item_id for row in FaqItem.select(FaqItem.item).where(FaqItem.entry == entry.id)]


def items_of(entry: FaqEntry) -> list[Item]:
    """The active items the entry is about, in the catalog's order."""
    return list(Item.select(Item.id, Item.code, Item.names, Item.department)
                .join(FaqItem, on=(FaqItem.item == Item.id))
                .where((FaqItem.entry == entry.id) & (Item.active == True))  # noqa: E712
                .order_by(Item.sort, Item.code))


def county_items(county_id: int) -> list[tuple]:
    """``[(department, [items])]`` of a county's active items, for the checklist."""
    rows = (Item.select(Item.id, Item.code, Item.names, Item.department, Department)
            .join(Department)
            .where((Department.jurisdiction == county_id) & (Item.active == True))  # noqa: E712
            .order_by(Department.sort, Department.id, Item.sort, Item.code))
    grouped = {}
    for item in rows:
        grouped.setdefault(item.department.id, (item.department, []))[1].append(item)
    return list(grouped.values())


def published():
    """The published entries (newest first)."""
    return (FaqEntry.select().where(FaqEntry.status == "published")
            .order_by(FaqEntry.sort, FaqEntry.published_at.desc(), FaqEntry.id.desc()))


def public_entry(entry_id: int) -> FaqEntry | None:
    """A published entry, or None."""
    return published().where(FaqEntry.id == entry_id).first()


def for_item(item: Item, limit: int = 10) -> list[FaqEntry]:
    """The published entries about ``item`` (for its guide)."""
    return list(published().join(FaqItem, on=(FaqItem.entry == FaqEntry.id))
                .where(FaqItem.item == item.id).limit(limit))


def counties_with_entries() -> list[Jurisdiction]:
    """The counties that have published entries, in their order."""
    ids = FaqEntry.select(FaqEntry.jurisdiction).where(FaqEntry.status == "published")
    return list(Jurisdiction.select().where(Jurisdiction.id.in_(ids)).order_by(
        Jurisdiction.sort, Jurisdiction.id))


def departments_of(entries) -> dict:
    """``{entry id: department}`` of the first item of each entry (for grouping)."""
    ids = [e.id for e in entries]
    if not ids:
        return {}
    rows = (FaqItem.select(FaqItem.entry, Department)
            .join(Item, on=(FaqItem.item == Item.id)).join(Department)
            .where(FaqItem.entry.in_(ids)).order_by(FaqItem.id))
    found = {}
    for row in rows:
        found.setdefault(row.entry_id, row.item.department)
    return found


# -- anonymising -----------------------------------------------------------------------


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PASSPORT = re.compile(r"(?<![0-9A-Za-z])[EGDSP][A-Z]?\d{7,8}(?![0-9A-Za-z])")
_REFERENCE = re.compile(r"(?<![0-9A-Za-z])(?:OV|QA)-[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*", re.I)
_PHONE = re.compile(r"(?<![0-9A-Za-z])\+?\(?\d[\d\s\-().]{5,}\d(?![0-9A-Za-z])")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{4}$")


def _phone(found: re.Match) -> str:
    text = found.group(0)
    digits = sum(ch.isdigit() for ch in text)
    return text if digits < 7 or _DATE.match(text.strip()) else REDACTED


def anonymised(text: str, names=()) -> str:
    """``text`` without email addresses, phone numbers, resident ID and passport numbers,
    OneVisit references and the given ``names`` (the asker's): a first pass that staff
    review before anything is published."""
    text = _EMAIL.sub(REDACTED, text or "")
    text = _RESIDENT_ID.sub(REDACTED, text)
    text = _PASSPORT.sub(REDACTED, text)
    text = _REFERENCE.sub(REDACTED, text)
    text = _PHONE.sub(_phone, text)
    for name in names:
        name = (name or "").strip()
        parts = {name} | {p for p in name.split() if len(p) >= 2}
        for part in sorted(parts, key=len, reverse=True):
            if not part:
                continue
            if part.isascii():
                text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(part)}(?![0-9A-Za-z])", REDACTED, text, flags=re.I)
            else:
                text = text.replace(part, REDACTED)
    return text


#: The catalog's field types that hold a person's name.
NAME_TYPES = ("name_zh", "name_latin")


def names_of(question) -> list[str]:
    """The names anonymising takes out of a question: the asker's; and when it was asked
    from a case (or became one), the applicant's and every name the case's form holds
    (the applicant's in both scripts, a spouse's, a parent's, the agent's…)."""
    from ..cases.entrustment import agent_fields
    from ..models import Case
    names = [question.asker_name]
    for case_id in {question.case_id, question.converted_case_id} - {None}:
        case = Case.get_or_none(Case.id == case_id)
        if case is None:
            continue
        names.append(case.applicant_name)
        fields = [f for step in case.spec.steps or () for f in step.get("fields") or ()]
        for given, defined in ((case.answers, fields), (case.entrustment, agent_fields())):
            names += [(given or {}).get(f["key"]) for f in defined if f["type"] in NAME_TYPES]
    return [name for name in names if isinstance(name, str) and name.strip()]


def from_question(question) -> dict:
    """What an entry made from ``question`` starts with: ``{"question": (lang, text),
    "answer": (lang, text)}``, anonymised; the answer is the window's last one."""
    from ..models import QuestionEvent
    events = list(QuestionEvent.select().where(
        (QuestionEvent.question == question.id)
        & QuestionEvent.kind.in_(("asked", "logged", "answer"))).order_by(QuestionEvent.id))
    asked = next((e for e in events if e.kind in ("asked", "logged")), None)
    answer = next((e for e in reversed(events) if e.kind == "answer"), None)
    names = names_of(question)

    def lang(event):
        value = (event.lang if event else "") or question.locale
        return value if value in LOCALES else SOURCE

    return {"question": (lang(asked), anonymised(asked.body if asked else "", names)),
            "answer": (lang(answer), anonymised(answer.body if answer else "", names))}


# -- writing ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    return (text or "").replace("\r\n", "\n").strip()[:MAX_TEXT]


def _save(entry: FaqEntry, **changes) -> None:
    changes["updated_at"] = utcnow()
    if "texts" in changes:
        changes["search_text"] = search_text_of(changes["texts"])
    for name, value in changes.items():
        setattr(entry, name, value)
    FaqEntry.update(**changes).where(FaqEntry.id == entry.id).execute()


def _link_items(entry: FaqEntry, items) -> None:
    wanted = {item.id for item in items}
    FaqItem.delete().where((FaqItem.entry == entry.id) & FaqItem.item.not_in(
        list(wanted) or [0])).execute()
    have = set(item_ids(entry))
    for item_id in sorted(wanted - have):
        FaqItem.create(entry=entry.id, item=item_id)


def create(county: Jurisdiction, staff, texts: dict, items=(), source=None,
           demo: bool = False, start_key: str | None = None) -> FaqEntry:
    """A new draft entry of ``county`` with ``texts`` (``{locale: {"question", "answer"}}``,
    each a draft), about ``items`` of the county, made from the question ``source``.

    ``start_key``: the one-time key of the form posted; when an entry was already made
    with it by the same account, that entry is returned (its ``replayed`` is True) and
    nothing is written."""
    key = _one_time(start_key, staff)
    existing = made_with(key)
    if existing is not None:
        return existing
    texts = {loc: {"question": _clean(t.get("question")), "answer": _clean(t.get("answer"))}
             for loc, t in (texts or {}).items() if loc in LOCALES}
    now = utcnow()
    try:
        with together():
            entry = FaqEntry.create(
                jurisdiction=county.id, source=source.id if source is not None else None,
                texts=texts, locale_status={loc: "draft" for loc in texts},
                search_text=search_text_of(texts), created_by=staff.id if staff else None,
                created_at=now, updated_at=now, demo=demo, start_key=key)
            _link_items(entry, [i for i in items if i.department.jurisdiction_id == county.id])
    except IntegrityError:
        if made_with(key) is None:
            raise
        return made_with(key)  # the same form, posted twice at once
    entry.replayed = False
    return entry


def _one_time(start_key: str | None, staff) -> str | None:
    """What an entry keeps of its form's key: a digest of the key and the account, so a
    key is only ever one account's."""
    if not start_key:
        return None
    return hashlib.sha256(f"{staff.id if staff else 0}/{start_key}".encode()).hexdigest()


def made_with(key: str | None) -> FaqEntry | None:
    """The entry whose form's key (as :func:`_one_time` keeps it) is ``key``, marked
    ``replayed``; or None."""
    if not key:
        return None
    entry = FaqEntry.get_or_none(FaqEntry.start_key == key)
    if entry is not None:
        entry.replayed = True
    return entry


def save_text(entry: FaqEntry, locale: str, question: str, answer: str, ready: bool,
              seen: str = "") -> FaqEntry:
    """Save one language of an entry. ``seen``: the ``updated_at`` the editor's page was
    built from (:class:`Conflict` when someone saved since). Changing the Chinese makes
    every other language marked ready a draft again. On a published entry a save that
    would leave any language not ready is refused (:class:`PublishedNotReady`)."""
    question, answer = _clean(question), _clean(answer)
    with together():
        current = FaqEntry.get_by_id(entry.id)
        if seen and seen != stamp(current):
            raise Conflict(entry.id)
        texts = dict(current.texts or {})
        before = text_of(current, locale)
        texts[locale] = {"question": question, "answer": answer}
        marks = dict(current.locale_status or {})
        if locale == SOURCE and before != texts[locale]:
            marks = {loc: ("draft" if mark == "ready" else mark) for loc, mark in marks.items()}
        marks[locale] = "ready" if ready and question and answer else "draft"
        if current.status == "published":
            after = FaqEntry(texts=texts, locale_status=marks)
            if not_ready(after):
                raise PublishedNotReady(not_ready(after))
        _save(current, texts=texts, locale_status=marks)
    return current


def stamp(entry: FaqEntry) -> str:
    """What an editor's page remembers of the entry it was built from."""
    return entry.updated_at.isoformat() if entry.updated_at else ""


def set_place(entry: FaqEntry, county: Jurisdiction, items) -> None:
    """The county the entry belongs to and the items (of that county) it is about."""
    with together():
        _save(entry, jurisdiction=county.id)
        _link_items(entry, [i for i in items if i.department.jurisdiction_id == county.id])


def publish(entry: FaqEntry, staff) -> bool:
    """Publish the entry (:class:`NotReady` naming the languages that are not ready).
    True when this is its first publication: the question it came from records it."""
    current = FaqEntry.get_by_id(entry.id)  # as saved now (languages saved meanwhile)
    missing = not_ready(current)
    if missing:
        raise NotReady(missing)
    first = current.published_at is None
    with together():
        _save(entry, status="published", **({"published_at": utcnow()} if first else {}))
        if first and entry.source_id:
            from ..models import Question
            question = Question.get_or_none(Question.id == entry.source_id)
            if question is not None:
                service.published(question, staff, entry)
    return first


def withdraw(entry: FaqEntry) -> None:
    """Take the entry off the public pages (it can be published again)."""
    _save(entry, status="withdrawn")


def count_helpful(entry: FaqEntry, helpful: bool) -> None:
    """One reader's "did this answer your question?" (counted in the database)."""
    column = FaqEntry.helpful_yes if helpful else FaqEntry.helpful_no
    FaqEntry.update({column: column + 1}).where(FaqEntry.id == entry.id).execute()


def counts_by_status(staff) -> dict:
    """``{status: number}`` of the staff member's entries."""
    return {row.status: row.n for row in scoped(staff).select(
        FaqEntry.status, fn.COUNT(FaqEntry.id).alias("n")).group_by(FaqEntry.status)}


def grouped(entries) -> list[tuple]:
    """``[(county, department or None, [entries])]``: a page of entries grouped by county,
    then by the department of the first service each is about."""
    departments = departments_of(entries)
    counties = {c.id: c for c in Jurisdiction.select().where(
        Jurisdiction.id.in_({e.jurisdiction_id for e in entries} or {0}))}
    groups = {}
    for entry in entries:
        department = departments.get(entry.id)
        key = (entry.jurisdiction_id, department.id if department else 0)
        groups.setdefault(key, (counties.get(entry.jurisdiction_id), department, []))[2].append(
            entry)

    def order(group):
        county, department, _rows = group
        return (county.sort if county else 0, county.id if county else 0,
                department is None, department.sort if department else 0,
                department.id if department else 0)

    return sorted(groups.values(), key=order)


def drop_demo() -> None:
    """Delete the demo entries (``flask load-demo`` makes them again)."""
    FaqEntry.delete().where(FaqEntry.demo == True).execute()  # noqa: E712
