"""The asker's side of a question, between the views and :mod:`.service`: the ask form as
it first shows (from a guide, a county, a case), the answers suggested before sending
(and whether one was opened), the files, and sending exactly once.
"""

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from ..cases.access import remember_start_key
from ..clock import utcnow
from ..models import Case, Item, Jurisdiction, Question, QuestionFile, SuggestionShown
from ..uploads.service import UploadError, prepare, read_limited
from . import service
from .ask_forms import FILE_FORMATS, MAX_FILES, UNKNOWN_COUNTY, AskForm
from .search import suggest


def asked_from(case: Case | None) -> dict:
    """What a question asked from ``case`` carries: the case, its item and its county."""
    if case is None:
        return {}
    item = Item.get_by_id(case.item_id)
    return {"case": case, "item": item, "county": item.department.jurisdiction}


def first_form(args, lang: str, case: Case | None) -> AskForm:
    """The ask form as it first shows: the item of the guide it came from (and its
    county), or the county asked for, and a fresh one-time key this browser remembers."""
    item = Item.active_by_code(args.get("item", "")[:40]) if args.get("item") else None
    data = {"item": item.code if item else ""}
    if case is not None:
        data["case"] = case.reference
    elif item is not None:
        data["county"] = item.department.jurisdiction.key
    elif Jurisdiction.local_by_key(args.get("county", "")[:64]) or args.get(
            "county") == UNKNOWN_COUNTY:
        data["county"] = args["county"]
    form = AskForm(formdata=None, data=data, locale=lang, from_case=case is not None)
    form.start_key.data = secrets.token_urlsafe(24)
    remember_start_key(form.start_key.data)
    return form


def posted_item(form: AskForm, county: Jurisdiction | None = None) -> Item | None:
    """The item the question is about (the guide it was asked from), if still offered, and
    of ``county`` when given: a guide of one county never rides on a question to another."""
    item = Item.active_by_code(form.item.data[:40]) if form.item.data else None
    if item is not None and county is not None and (
            item.department.jurisdiction_id != county.id):
        return None
    return item


def suggestions(form: AskForm, lang: str, county, item) -> tuple[str, list]:
    """The answers that may help, best first (not the guide the asker came from: they
    read it), recorded as shown (under a new key the next form carries: opening one, or
    sending anyway, is counted on that row). An asker who does not know the county gets
    the answers of every county (counted for the window that receives the question)."""
    searched = None if form.unknown_county() else county
    found = [s for s in suggest(form.text.clean, lang, county=searched, item=item)
             if not (item is not None and s.kind == "item" and s.key == item.code)]
    shown = [f"{s.kind}:{s.key}" for s in found]
    key = known_suggestion(form.suggestion_key.data)
    if key is not None and SuggestionShown.get(SuggestionShown.key == key).shown == shown:
        return key, found  # the same list shown again (a file refused): counted once
    key = secrets.token_urlsafe(16)
    SuggestionShown.create(key=key, jurisdiction=county.id if county else None, locale=lang,
                           shown=shown)
    return key, found


def opened(key: str, number: int, lang: str) -> str | None:
    """The address of the ``number``-th answer suggested under ``key`` (counted as opened,
    the first time), or None."""
    row = SuggestionShown.get_or_none(SuggestionShown.key == key[:32])
    if row is None or not 0 <= number < len(row.shown or []):
        return None
    if row.opened_at is None:
        SuggestionShown.update(opened_at=utcnow()).where(
            (SuggestionShown.id == row.id) & SuggestionShown.opened_at.is_null()).execute()
    kind, _sep, value = row.shown[number].partition(":")
    if kind == "faq":
        return f"/{lang}/faq/{int(value)}"
    return f"/{lang}/services/{value}"


def known_suggestion(key: str) -> str | None:
    """``key`` if it names suggestions shown and not yet tied to a question."""
    if not key:
        return None
    row = SuggestionShown.get_or_none(SuggestionShown.key == key[:32])
    return key if row is not None and row.question_id is None else None


def prepared_files(files, question: Question | None = None) -> list[dict]:
    """The files chosen (none, or up to three), each through the materials' checks, and
    within what ``question`` (replied to) may still hold; raises :class:`UploadError` with
    the message for the first one refused."""
    chosen = [f for f in files if f and f.filename]
    if len(chosen) > MAX_FILES:
        raise UploadError(_("Choose at most %(num)d files.", num=MAX_FILES), status=422)
    prepared = []
    for file in chosen:
        data = read_limited(file.stream, current_app.config["UPLOAD_MAX_BYTES"])
        prepared.append(dict(prepare(data, FILE_FORMATS), name=file.filename))
    if question is not None and prepared:
        check_room(question, prepared)
    return prepared


def check_room(question: Question, prepared: list[dict]) -> None:
    """Refuse files that would take ``question`` over ``QUESTION_MAX_FILES`` files or
    ``QUESTION_MAX_BYTES`` over its whole thread (as an application has its share)."""
    most, limit = (current_app.config["QUESTION_MAX_FILES"],
                   current_app.config["QUESTION_MAX_BYTES"])
    count, kept = (QuestionFile.select(fn.COUNT(QuestionFile.id),
                                       fn.COALESCE(fn.SUM(QuestionFile.size), 0))
                   .where(QuestionFile.question == question.id).tuples().get())
    if count + len(prepared) > most:
        raise UploadError(ngettext(
            "A question can hold at most %(num)d file over all its messages. Send your reply "
            "without files, or with fewer.",
            "A question can hold at most %(num)d files over all its messages. Send your reply "
            "without files, or with fewer.", most), status=422)
    if kept + sum(len(p["bytes"]) for p in prepared) > limit:
        raise UploadError(_(
            "With these files this question would hold more than %(mb)s MB, the most it can. "
            "Send your reply without files, or with smaller ones.",
            mb=format_decimal(limit / 1024 / 1024, "#,##0.#")), status=422)


@dataclass
class Sent:
    """A question sent (or found again: ``replayed``), with the secrets shown once."""

    question: Question
    token: str | None = None
    code: str | None = None
    replayed: bool = False


def send(form: AskForm, lang: str, case: Case | None, files: list) -> Sent:
    """Record the question, once: the same form posted again finds the question it made."""
    key = form.start_key.data
    existing = Question.get_or_none(Question.start_key == key)
    if existing is not None:
        return Sent(existing, replayed=True)
    origin = asked_from(case)
    county = origin.get("county") or form.chosen_county()
    try:
        question, token, code = service.ask(
            county=county, locale=lang, text=form.text.clean, start_key=key,
            item=origin.get("item") or posted_item(form, county),
            case=case, files=files, suggestion_key=known_suggestion(form.suggestion_key.data),
            **form.contact())
    except IntegrityError:
        return Sent(Question.get(Question.start_key == key), replayed=True)
    return Sent(question, token, code)


def valid_start_key(key: str | None) -> bool:
    """A start key of the shape this site hands out."""
    return bool(key) and 16 <= len(key) <= 64


__all__ = ["first_form", "suggestions", "opened", "prepared_files", "send", "Sent",
           "asked_from", "posted_item", "valid_start_key"]
