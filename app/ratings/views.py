"""The applicant's rating of a case (好差评), under ``/<lang>/cases/…``.

``/<lang>/cases/<reference>/rating/<stage>``: the form (GET) and its answers (POST), for
the browser holding the case as its applicant or as the entrusted agent; a stage the
case may not be rated at is 404, like a case this browser does not hold.
``/<lang>/cases/access/<token>/rating/<stage>``: the emailed link (an invitation, a
follow-up's reply) that opens the case in this browser and lands on that page.
Thin views: the form checks, :func:`app.ratings.service.rate` records.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..authz import public, rater_case
from ..cases.access import case_for_token, grant
from ..cases.pages import keep_answers, kept_answers, switch_request, typed
from ..fragments import see_other
from . import service
from .forms import RatingForm, form_data
from .pages import after_rating_url, landing_url, rateable

bp = Blueprint("ratings", __name__, url_prefix="/<lang:lang>")

#: Why a rating was not saved, as the applicant (or the agent: ``by``) reads it
#: (``Refused.reason``).
REFUSALS = {
    "closed": lambda by: _("This rating can no longer be changed: the week to change it is "
                           "over. Your answers below were not saved."),
    "not_rateable": lambda by: _("This application cannot be rated now."),
    "invalid": lambda by: _("Some answers are not valid. Check them and send again."),
    "excluded": lambda by: _("This rating can no longer be changed: the window appealed it "
                             "and the appeal was upheld. Your answers below were not saved."),
    "not_yours": lambda by: (
        _("Your entrusted agent already rated this service: only they can change the "
          "rating. Your answers below were not saved.") if by == "applicant" else
        _("The applicant already rated this service: only they can change the rating. Your "
          "answers below were not saved.")),
}
#: Refusals that say the rating stands as it is (409); the rest are invalid answers (422).
LOCKED = ("closed", "excluded", "not_yours")


@bp.route("/cases/<reference>/rating/<stage>", methods=["GET", "POST"])
@rater_case
def rate(case, by, stage):
    """Rate the case at ``stage``, or change the rating within its week."""
    if not rateable(case, stage):
        abort(404)
    rating = service.rating_of(case, stage)
    key = f"{case.reference}:rating:{stage}"
    if request.method == "GET":
        mine = rating if rating is None or rating.by == by else None  # not theirs to see
        data = dict(form_data(mine), **(kept_answers(key) or {}))
        return _page(case, by, stage, rating, RatingForm(formdata=None, data=data))
    form = RatingForm()
    target = switch_request(request.form)
    if target:
        keep_answers(key, typed(request.form))
        return see_other(url_for("ratings.rate", reference=case.reference, stage=stage,
                                 lang=target))
    if not form.validate():
        return _page(case, by, stage, rating, form, 422)
    try:
        service.rate(case, stage, form.answers(), locale=g.lang, by=by)
    except service.Refused as refused:
        form.form_errors.append(REFUSALS.get(refused.reason, REFUSALS["invalid"])(by))
        return _page(case, by, stage, rating, form, 409 if refused.reason in LOCKED else 422)
    flash(_("Thank you: your rating is saved.") if rating is None
          else _("Thank you: your rating is changed."), "info")
    return see_other(after_rating_url(case, by))


def _page(case, by, stage, rating, form, status=200):
    return render_template("ratings/rate.html", case=case, item=case.spec, by=by, stage=stage,
                           rating=rating, form=form, locked=service.locked(rating, by),
                           back_url=after_rating_url(case, by)), status


@bp.route("/cases/access/<token>/rating/<stage>")
@public
def access_link(token, stage):
    """The emailed link to rate: open the case in this browser, then go to its rating page
    (or, when it can no longer be rated, to its status page), without the token."""
    case, state = case_for_token(token)
    if state == "expired":
        return render_template("cases/link_problem.html", problem="expired"), 410
    if state != "ok":
        return render_template("cases/link_problem.html", problem="unknown"), 404
    grant(case)
    return redirect(landing_url(case, stage), 303)
