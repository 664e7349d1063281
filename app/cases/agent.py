"""The entrusted agent's own view (受托人): status and pickup code, never the uploads.

Once the video check has confirmed the applicant and the agent, the window
gives the agent an access code of their own. With the reference and that code
the agent's browser may open this one page per case; it holds no applicant
access, so every applicant route (uploads, documents, the journey) stays closed.
"""

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..extensions import limiter
from ..models import Case, Event, Office
from ..security import access
from .appointments import check_agent_code
from .lifecycle import STATUS_LABELS
from .reference import read_reference

bp = Blueprint("agent", __name__, url_prefix="/<lang:lang>")

AGENT_KEY = "agent_cases"


def load_agent_case(reference: str) -> Case:
    """The case if this browser opened it with the agent code; 404 otherwise."""
    case = Case.get_or_none(Case.reference == reference)
    if case is None or case.id not in session.get(AGENT_KEY, []) or not case.agent_code_hash:
        abort(404)
    return case


def _find_key():
    return "agent:" + request.form.get("reference", "")[:40].upper().replace(" ", "")


@bp.route("/agent", methods=["GET", "POST"])
@access("public")
@limiter.limit(lambda: current_app.config["FIND_CASE_RATE_LIMIT"], methods=["POST"])
@limiter.limit("30 per hour", key_func=_find_key, methods=["POST"])
def find():
    """The agent opens the case with the reference and their own code."""
    values = {"reference": request.args.get("reference", "")[:40], "code": ""}
    errors = {}
    if request.method == "POST":
        values = {"reference": request.form.get("reference", "").strip()[:40],
                  "code": request.form.get("code", "").strip()[:20]}
        reference, problem = read_reference(values["reference"])
        if problem:
            errors["reference"] = problem
        if not values["code"]:
            errors["code"] = _("Enter the agent's code.")
        if not errors:
            case = Case.get_or_none(Case.reference == reference)
            if case is None or not check_agent_code(case, values["code"]):
                errors["code"] = _("We could not find an application with this reference and "
                                   "agent's code. Check both and try again.")
            else:
                ids = [i for i in session.get(AGENT_KEY, []) if i != case.id][-19:]
                session[AGENT_KEY] = ids + [case.id]
                session.permanent = True
                return redirect(url_for("agent.case", reference=case.reference), 303)
        return render_template("cases/agent_find.html", values=values, errors=errors), 422
    return render_template("cases/agent_find.html", values=values, errors=errors)


@bp.route("/agent/cases/<reference>")
@access("agent")
def case(reference):
    """What the agent may know: status, time limit, the result and the pickup code."""
    found = load_agent_case(reference)
    office = Office.get_or_none(Office.id == found.office_id) if found.office_id else None
    milestones = list(found.events.where(Event.kind.in_(
        ["submitted", "accepted", "transferred", "approved", "rejected", "result_ready",
         "delivered", "video_confirmed"])).order_by(Event.created_at, Event.id))
    pickup = ((found.result or {}).get("pickup_code")
              or (found.delivery or {}).get("pickup_code"))
    return render_template("cases/agent_case.html", case=found, item=found.item, office=office,
                           STATUS_LABELS=STATUS_LABELS, milestones=milestones, pickup=pickup,
                           agent=found.entrustment or {})
