"""A refused decision goes to the case page, and is shown there once (Post/Redirect/Get).

A refused decision used to show the case page again at its POST address, so that a
reload posted the form once more. Now the refusal answers 303 to the case page (htmx:
``HX-Redirect``), and what the clerk typed waits in the database with the reasons of
the refusal, under the clerk's session, the case and the decision: another account or
another browser never sees it. The case page takes it, shows the form as it was posted
with its errors, and forgets it: a reload shows the clean form. Files are not kept (a
browser never fills a file input again); what is not shown lapses after
:attr:`HeldRefusal.KEPT`.
"""

from flask import g, request, url_for
from werkzeug.datastructures import MultiDict

from ..auth.sessions import current_session
from ..cases import commands
from ..clock import utcnow
from ..fragments import see_other
from ..models import HeldRefusal


def hold(case, action: str, form):
    """Keep the refused ``form`` of ``action`` for the case page; the answer leading
    there, to the error summary."""
    signed_in = current_session()
    values = [[key, value] for key, value in request.form.items(multi=True)
              if key not in ("csrf_token", "version")]
    if "version" in form:  # the version it carries now (the latest, after a stale one)
        values.append(["version", str(form.version.data or "")])
    data = {"values": values,
            "errors": {field.name: [str(e) for e in field.errors]
                       for field in form if field.errors},
            "form_errors": [str(e) for e in form.form_errors]}
    HeldRefusal.purge()
    (HeldRefusal.insert(session=signed_in.id, case_id=case.id, action=action, data=data)
     .on_conflict(conflict_target=[HeldRefusal.session, HeldRefusal.case_id,
                                   HeldRefusal.action],
                  update={HeldRefusal.data: data, HeldRefusal.created_at: utcnow()})
     .execute())
    return see_other(url_for("review.case_view", reference=case.reference) + "#error-summary")


def take(case) -> list[tuple[str, object]]:
    """The refusals of this session held for ``case`` (``(action, form)``, the latest
    last), forgotten as they are taken; none of a decision this account may not take."""
    signed_in = current_session()
    if signed_in is None:
        return []
    mine = (HeldRefusal.session == signed_in.id) & (HeldRefusal.case_id == case.id)
    held = list(HeldRefusal.select().where(mine).order_by(HeldRefusal.created_at, HeldRefusal.id))
    if not held:
        return []
    HeldRefusal.delete().where(mine).execute()
    since = utcnow() - HeldRefusal.KEPT
    return [(row.action, _form(case, row)) for row in held
            if row.created_at >= since and row.action in commands.COMMANDS
            and commands.COMMANDS[row.action].permitted(g.staff, case)]


def _form(case, row: HeldRefusal):
    """The form as it was posted, with the reasons it was refused."""
    form = commands.COMMANDS[row.action].form(case, MultiDict(row.data["values"]))
    errors = row.data.get("errors", {})
    for field in form:
        field.errors = list(errors.get(field.name, []))
    form.form_errors = list(row.data.get("form_errors", []))
    return form
