"""Actions on several cases of the queue at once: give them to a clerk, print their packs.

Each case goes through the same gate and the same command as one at a time (the case
must be one the account may open; the assignment is the claim command, audited), so a
bulk action can do nothing a single one could not. Cases that cannot take it are named
back, the others are done.
"""

import io

from flask import flash
from flask_babel import gettext as _, ngettext
from pypdf import PdfWriter
from werkzeug.datastructures import MultiDict

from .. import audit
from ..cases import commands
from ..cases.reference import read_reference
from ..documents.pack import print_pack
from ..models import Case

#: Cases one bulk action takes at most (a page of the queue).
MOST = 50


def chosen_cases(staff, references: list[str]) -> tuple[list, list[str]]:
    """The cases ``staff`` may open among ``references`` (in the order given, no
    repeats), and the references that are not such cases."""
    cases, unknown, seen = [], [], set()
    for text in references[:MOST]:
        reference = read_reference(text)[0]
        case = Case.for_staff(staff, reference) if reference else None
        if case is None:
            unknown.append(text[:40])
        elif case.id not in seen:
            seen.add(case.id)
            cases.append(case)
    return cases, unknown


def assign(staff, cases: list, to: str) -> tuple[list[str], list[str]]:
    """Give each case to the clerk ``to`` (a staff id; empty: ``staff`` itself) through
    the claim command. Returns ``(references done, "reference: why not" refusals)``."""
    claim = commands.COMMANDS["claim"]
    done, refused = [], []
    for case in cases:
        if not claim.permitted(staff, case):
            refused.append(_("%(reference)s: you may not assign it.", reference=case.reference))
            continue
        form = claim.form(case, MultiDict({"assignee": to, "version": str(case.version)}))
        try:
            commands.run(claim, case, staff, form)
        except commands.Refused:
            why = "; ".join(str(e) for e in [*form.form_errors, *form.assignee.errors])
            refused.append(f"{case.reference}: {why}")
            continue
        done.append(case.reference)
    return done, refused


def packs(staff, cases: list, page_size: str = "a4") -> bytes:
    """The print packs of ``cases`` as one PDF, in the order chosen (cases whose files the
    retention period removed have none)."""
    writer = PdfWriter()
    for case in cases:
        if case.files_deleted_at:
            continue
        writer.append(io.BytesIO(print_pack(case, page_size)))
        audit.record("document_download", staff=staff, case=case, target="pack")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def report(done: list[str], refused: list[str], unknown: list[str]) -> None:
    """Say what a bulk assignment did, and what it could not."""
    if done:
        flash(ngettext("%(num)d case assigned.", "%(num)d cases assigned.", len(done)), "info")
    for why in refused:
        flash(why, "error")
    if unknown:
        flash(_("Not found among the cases you may open: %(references)s",
                references=", ".join(unknown)), "error")
