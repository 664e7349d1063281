"""The entrusted agent's own view (受托人): status and pickup code, never the uploads.

Once the video check has confirmed the applicant and the agent, the window
gives the agent an access code of their own. With the reference and that code
the agent's browser may open this one page per case; it holds no applicant
access, so every applicant route (uploads, documents, the journey) stays closed.
"""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from ...authz import agent_case, public
from ...models import Event
from ..access import grant_agent
from ..appointments import check_agent_code
from ..blueprint import bp
from ..forms import AgentFindForm
from ..pages import find_with_code, limited_by_reference
from ...ratings.pages import rating_blocks

#: What the agent's page lists of the timeline.
MILESTONES = ["submitted", "accepted", "transferred", "approved", "rejected", "result_ready",
              "delivered", "video_confirmed"]


@bp.route("/agent", methods=["GET", "POST"])
@public
@limited_by_reference("agent")
def agent_find():
    """The agent opens the case with the reference and their own code."""
    case, page = find_with_code(AgentFindForm, "cases/agent_find.html", check_agent_code, _(
        "We could not find an application with this reference and agent's code. Check both "
        "and try again."))
    if case is None:
        return page
    grant_agent(case)
    return redirect(url_for("cases.agent_case", reference=case.reference), 303)


@bp.route("/agent/cases/<reference>")
@agent_case
def agent_case(case):
    """What the agent may know: status, time limit, the result and the pickup code."""
    milestones = list(case.events.where(Event.kind.in_(MILESTONES))
                      .order_by(Event.created_at, Event.id))
    pickup = ((case.result or {}).get("pickup_code") or (case.delivery or {}).get("pickup_code"))
    return render_template("cases/agent_case.html", case=case, item=case.spec, office=case.office,
                           milestones=milestones, pickup=pickup, agent=case.entrustment or {},
                           ratings=rating_blocks(case, "agent"))
