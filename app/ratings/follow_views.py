"""The ``follow_ups`` blueprint, ``/staff/follow-ups``: the list of follow-ups of bad
ratings, a follow-up's page, and its steps (assign, verify, return visit, reply, note,
close, appeal, decide), each a form posted to one call of :mod:`.service`."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit
from ..authz import staff, staff_follow_up
from ..fragments import page_or_fragment
from . import follow_page as page, follow_queue as queue, service
from .follow_labels import REFUSALS

bp = Blueprint("follow_ups", __name__, url_prefix="/staff")


def _done(action: str) -> str:
    return {"assign": _("The follow-up is handed over."), "verify": _("The check is recorded."),
            "visit": _("The return visit is recorded."),
            "reply": _("The reply is sent to the applicant."), "note": _("The note is added."),
            "close": _("The follow-up is closed."), "appeal": _("The appeal is sent."),
            "decide": _("The appeal is decided.")}[action]


@bp.route("/follow-ups")
@staff("rating_appeal")
def follow_ups():
    """The follow-ups of the account's windows, a tab at a time, in keyset pages."""
    filters = queue.parse_filters(request.args, g.staff)
    rows, next_cursor, counts = queue.follow_ups(g.staff, filters)
    return page_or_fragment("ratings/follow_ups.html", "ratings/partial/follow_up_table.html",
                            rows=rows, next_cursor=next_cursor, counts=counts, filters=filters,
                            tabs=queue.tabs_for(g.staff), names=queue.names(rows),
                            days_left=page.days_left, L=page.labels)


@bp.route("/follow-ups/<int:follow_up_id>")
@staff_follow_up("rating_appeal")
def follow_up_view(follow_up):
    """The rating, the applicant's language and contact (a view of personal data: audited),
    the steps, and the forms of the steps possible now (``?template=1``: a polite start of
    the reply in the applicant's language)."""
    audit.record("follow_up_view", staff=g.staff, case=follow_up.case,
                 target=f"follow_up:{follow_up.id}")
    return render_template("ratings/follow_up.html", **page.page_context(
        follow_up, g.staff, template=request.args.get("template") == "1"))


def _refused(follow_up, action, form, reason=None):
    message, status = REFUSALS[reason] if reason else (None, 422)
    context = page.page_context(follow_up, g.staff, refused=(action, form, message))
    return render_template("ratings/follow_up.html", **context), status


def _act(follow_up, action: str, run):
    """Check the posted form of ``action``; run it (one service call) and go back to the
    page, or show the page again with the refusal and what was typed."""
    form = page.build_form(action, follow_up, request.form)
    if action not in page.allowed(follow_up, g.staff):
        return _refused(follow_up, action, form, page.why_not(action, follow_up, g.staff))
    if not form.validate():
        return _refused(follow_up, action, form)
    try:
        run(form)
    except service.Refused as refusal:
        return _refused(follow_up, action, form, refusal.reason)
    flash(_done(action), "info")
    return redirect(url_for(".follow_up_view", follow_up_id=follow_up.id), 303)


@bp.route("/follow-ups/<int:follow_up_id>/assign", methods=["POST"])
@staff_follow_up("follow_ups")
def assign(follow_up):
    """Give the follow-up to a supervisor of the window, or to nobody."""
    return _act(follow_up, "assign", lambda form: service.assign(
        follow_up, g.staff, form.holder(), form.expected_version()))


@bp.route("/follow-ups/<int:follow_up_id>/verify", methods=["POST"])
@staff_follow_up("follow_ups")
def verify(follow_up):
    """Record what checking the complaint found."""
    return _act(follow_up, "verify", lambda form: service.verify(
        follow_up, g.staff, form.holds.data == "yes", form.note.data, form.expected_version()))


@bp.route("/follow-ups/<int:follow_up_id>/visit", methods=["POST"])
@staff_follow_up("follow_ups")
def visit(follow_up):
    """Record the return visit: how, in which language, what the applicant said."""
    return _act(follow_up, "visit", lambda form: service.record_visit(
        follow_up, g.staff, channel=form.channel.data, lang=form.lang.data,
        note=form.note.data, expected_version=form.expected_version()))


@bp.route("/follow-ups/<int:follow_up_id>/reply", methods=["POST"])
@staff_follow_up("follow_ups")
def reply(follow_up):
    """Send the reply, in the applicant's language, to their case page and by email."""
    return _act(follow_up, "reply", lambda form: service.reply(
        follow_up, g.staff, form.text.data, follow_up.case.locale, form.expected_version()))


@bp.route("/follow-ups/<int:follow_up_id>/note", methods=["POST"])
@staff_follow_up("follow_ups")
def note(follow_up):
    """Add an internal note."""
    return _act(follow_up, "note", lambda form: service.note(follow_up, g.staff,
                                                             form.note.data))


@bp.route("/follow-ups/<int:follow_up_id>/close", methods=["POST"])
@staff_follow_up("follow_ups")
def close(follow_up):
    """Close the follow-up (once the return visit and the reply are recorded)."""
    return _act(follow_up, "close", lambda form: service.close(
        follow_up, g.staff, form.note.data or "", form.expected_version()))


@bp.route("/follow-ups/<int:follow_up_id>/appeal", methods=["POST"])
@staff_follow_up("rating_appeal")
def appeal(follow_up):
    """Appeal the rating as unfair: another supervisor decides."""
    return _act(follow_up, "appeal", lambda form: service.appeal(
        follow_up, g.staff, form.reason.data, form.expected_version()))


@bp.route("/follow-ups/<int:follow_up_id>/decide", methods=["POST"])
@staff_follow_up("follow_ups")
def decide(follow_up):
    """Uphold or dismiss the appeal (a supervisor who neither made it nor holds it)."""
    return _act(follow_up, "decide", lambda form: service.decide_appeal(
        follow_up, g.staff, form.outcome.data == "upheld", form.note.data,
        form.expected_version()))
