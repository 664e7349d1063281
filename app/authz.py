"""Who may use each route, enforced by the decorator that declares it.

Every view is wrapped by :func:`guard`: the rule it declares (``public``,
``applicant``, ``agent`` or ``staff``) and the check that enforces it are one
object, so a route cannot claim a rule it does not apply. The loaders give the
view the object it may touch (``case=…``) or refuse: 404 for a case this
browser or account may not open (a guessed reference reveals nothing), 403
for a staff role without the permission.
"""

from functools import wraps

from flask import abort, g, redirect, render_template, request, url_for

from .auth.permissions import PERMISSIONS, allows
from .auth.sessions import current_session, current_staff
from .cases import access
from .models import Case, FollowUp, Question
from .questions import access as question_access

RULES = ("public", "applicant", "agent", "staff")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def guard(rule: str, enforce):
    """A decorator declaring ``rule`` and running ``enforce(kwargs)`` before the view.

    ``enforce`` may replace view arguments (a reference by the loaded case)
    and returns a response to refuse, or None to let the view run.
    """
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            refused = enforce(kwargs)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        guarded.__authz__ = rule
        return guarded

    return decorate


def _nothing(kwargs):
    return None


#: Anyone may use the route.
public = guard("public", _nothing)
#: The code object every guarded view runs: what the route audit checks.
GUARD_CODE = public(lambda: None).__code__


def declared_access(view) -> str | None:
    """The rule a view enforces, or None when it is not guarded."""
    if getattr(view, "__code__", None) is not GUARD_CODE:
        return None
    return getattr(view, "__authz__", None)


def volunteer_here(case_id: int) -> bool:
    """Whether a signed-in volunteer of the case's service point uses this browser."""
    staff = current_staff()
    if staff is None or staff.role != "volunteer" or not staff.service_point_id:
        return False
    return Case.select(Case.id).where((Case.id == case_id) & (
        Case.service_point == staff.service_point_id)).exists()


def may_open(case: Case | None) -> bool:
    """Whether this browser holds ``case`` as its applicant (or the helping volunteer)."""
    return case is not None and access.holds(case.id, volunteer_here)


def _applicant(kwargs):
    case = Case.by_reference(kwargs.pop("reference", ""))
    if not may_open(case):
        abort(404)
    kwargs["case"] = case


def _agent(kwargs):
    case = Case.by_reference(kwargs.pop("reference", ""))
    if case is None or not access.holds_as_agent(case):
        abort(404)
    kwargs["case"] = case


def _rater(kwargs):
    case = Case.by_reference(kwargs.pop("reference", ""))
    if may_open(case):
        kwargs["by"] = "applicant"
    elif case is not None and access.holds_as_agent(case):
        kwargs["by"] = "agent"
    else:
        abort(404)
    kwargs["case"] = case


def may_open_question(question: Question | None) -> bool:
    """Whether this browser holds ``question``: its own hold, or, for a question asked from
    a case, a hold on that case."""
    if question is None:
        return False
    if question_access.holds(question):
        return True
    return question.case_id is not None and may_open(Case.get_or_none(Case.id == question.case_id))


def _asker(kwargs):
    question = Question.by_reference(kwargs.pop("reference", ""))
    if not may_open_question(question):
        abort(404)
    kwargs["question"] = question


#: The applicant's own case (``<reference>`` in the URL becomes ``case``).
applicant_case = guard("applicant", _applicant)
#: The asker's own question (``<reference>`` in the URL becomes ``question``).
asker_question = guard("applicant", _asker)
#: The case as its entrusted agent sees it.
agent_case = guard("agent", _agent)
#: The case of the browser that holds it as its applicant or as its entrusted agent: who
#: may rate it (``case``, and ``by``: ``applicant`` or ``agent``).
rater_case = guard("applicant", _rater)


def _signed_in(permission: str):
    row = current_session()
    if row is None:
        return render_template("auth/signin_needed.html", reason="signin"), 403
    if not row.mfa_passed:
        return render_template("auth/signin_needed.html", reason="mfa"), 403
    if not allows(row.staff.role, permission):
        abort(403)
    if row.staff.must_change_password and permission != "own":
        # A password the system made opens one page: the one to choose one's own.
        return redirect(url_for("auth.password"), 303)
    if permission == "desk" and not row.staff.service_point_id:
        abort(403)  # a volunteer whose service point is gone has no desk
    if (row.staff.read_only and request.method not in SAFE_METHODS and permission != "own"
            and not (permission == "catalog" and row.staff.role == "admin")):
        # An account above the counties reads, and changes nothing but itself (its
        # password); except the province's catalog admins, who run the catalog of every
        # county under them.
        abort(403)
    g.staff = row.staff
    return None


def staff(permission: str = "staff"):
    """A signed-in staff member (through two-step sign-in) whose role has ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return guard("staff", lambda kwargs: _signed_in(permission))


def _staff_loads(permission: str, name: str, load, key: str = "reference"):
    """As :func:`staff`, with ``<reference>`` (or the URL's ``key``) loaded by
    ``load(staff, value)`` into the view's ``name`` argument; None (not there, or not the
    account's to open) is 404."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def enforce(kwargs):
        refused = _signed_in(permission)
        if refused is not None:
            return refused
        found = load(g.staff, kwargs.pop(key, ""))
        if found is None:
            abort(404)
        kwargs[name] = found
        return None

    return guard("staff", enforce)


def staff_case(permission: str = "case"):
    """As :func:`staff`, with ``<reference>`` loaded as a case the account may open."""
    return _staff_loads(permission, "case", Case.for_staff)


def staff_question(permission: str = "questions"):
    """As :func:`staff`, with ``<reference>`` loaded as a question the account may open
    (:meth:`Question.visible_to`); any other question, or none, is 404."""
    return _staff_loads(permission, "question", Question.for_staff)


def staff_follow_up(permission: str = "rating_appeal"):
    """As :func:`staff`, with ``<follow_up_id>`` loaded as a follow-up of a bad rating whose
    case the account may open (:meth:`FollowUp.for_staff`); any other, or none, is 404."""
    return _staff_loads(permission, "follow_up", FollowUp.for_staff, key="follow_up_id")
