"""Standard answers (标准答复): texts in six languages a county's admins keep, which staff
send in the asker's language.

An answer is offered to staff only when it has a title and a text in all six languages
(the asker may read any of them): the catalog's rule for publishing an item. Each
county starts with the defaults of ``data/standard_answers.yaml``; its admins change
them, switch them off or add their own. Another county's answers are not found.
"""

from pathlib import Path

import yaml
from flask_babel import gettext as _

from ..clock import utcnow
from ..models import Jurisdiction, StandardAnswer
from ..models.organisation import LOCAL_LEVELS

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "standard_answers.yaml"


def seed_standard_answers(path=None) -> int:
    """Give every county the default answers whose key it lacks; return how many were
    added. An answer a county's admin changed is never overwritten."""
    with open(path or DEFAULT_PATH, encoding="utf-8") as fh:
        entries = (yaml.safe_load(fh) or {}).get("answers") or []
    added = 0
    for county in Jurisdiction.select(Jurisdiction.id).where(
            Jurisdiction.level.in_(LOCAL_LEVELS)):
        present = {a.key for a in StandardAnswer.select(StandardAnswer.key)
                   .where(StandardAnswer.jurisdiction == county.id)}
        for sort, entry in enumerate(entries, start=1):
            if entry["key"] in present:
                continue
            StandardAnswer.create(key=entry["key"], jurisdiction=county.id,
                                  titles=entry["titles"], texts=entry["texts"], sort=sort * 10)
            added += 1
    return added


def kept_by(staff):
    """The condition selecting the answers ``staff`` (an admin) keeps: their county's (an
    account above the counties reads those of every county under it)."""
    return StandardAnswer.jurisdiction.in_(staff.scope_ids() or [0])


def listed(staff) -> list[StandardAnswer]:
    """The answers an admin keeps, in their order."""
    return list(StandardAnswer.select().where(kept_by(staff))
                .order_by(StandardAnswer.jurisdiction, StandardAnswer.sort, StandardAnswer.key))


def visible(staff, answer_id: int) -> StandardAnswer | None:
    """The answer ``answer_id`` if ``staff`` keeps it, else None (another county's)."""
    return StandardAnswer.get_or_none(kept_by(staff) & (StandardAnswer.id == answer_id))


def offered(question) -> list[StandardAnswer]:
    """The answers staff may send to ``question``: its county's usable ones."""
    rows = (StandardAnswer.select().where((StandardAnswer.jurisdiction == question.jurisdiction_id)
                                          & (StandardAnswer.active == True))  # noqa: E712
            .order_by(StandardAnswer.sort, StandardAnswer.key))
    return [row for row in rows if row.usable]


def save(staff, values: dict, answer: StandardAnswer | None = None) -> StandardAnswer:
    """Keep ``values`` (key, titles, texts, sort, active) as a new answer of the admin's
    county, or as ``answer``'s new state. Raises ValueError when a new answer's key is
    taken in the county."""
    now = utcnow()
    if answer is None:
        county = staff.scope
        if StandardAnswer.select().where((StandardAnswer.jurisdiction == county.id)
                                         & (StandardAnswer.key == values["key"])).exists():
            raise ValueError(_("An answer with this key exists already: change that one."))
        return StandardAnswer.create(jurisdiction=county.id, updated_by=staff.id,
                                     updated_at=now, **values)
    values = {name: value for name, value in values.items() if name != "key"}
    for name, value in values.items():
        setattr(answer, name, value)
    answer.updated_by, answer.updated_at = staff.id, now
    answer.save()
    return answer
