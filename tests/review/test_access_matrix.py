"""The access-control matrix of the staff side and of the applicant case routes.

DESIGN.md, "Security baseline": authorization on every object, server-side; an
applicant sees only their case, a clerk only their office's queue and the cases
transferred to it. "Test the matrix." Who may open which route is declared by each
view's guard (``app/authz.py``) and each role's permissions
(``app/auth/permissions.py``); this test checks what they do, persona by persona.
Sign-in, sessions, lockout, TOTP, recovery codes and timeouts: ``tests/auth/``.

The matrix is built from the app's url_map: every route whose view declares
access ``staff`` or ``applicant`` is tried by every persona with every method
it accepts, so a route added later is covered the day it appears. Each check
that fails is reported as ``persona METHOD URL -> status``; all of them are
collected before the test fails, so one run shows the whole picture.
"""

from contextlib import contextmanager
from datetime import timedelta
from typing import NamedTuple

from app.auth.permissions import ROLE_PERMISSIONS
from app.authz import declared_access
from tests.conftest import (Journey, Page, confirm_video, csrf_token, live_sessions, make_staff,
                            sign_in, staff_post, submitted_case)

OFFICE = "police-global-window"
DEPARTMENT = "traffic-vehicle-office"

#: Every decision a clerk or officer can post to /staff/cases/<ref>/decide/<action>.
DECIDE_ACTIONS = ("claim", "review", "return", "accept", "transfer", "transfer_back", "approve",
                  "reject", "result", "deliver", "close", "note", "video", "waive")
#: The decisions an officer of the department the case was passed to may take.
OFFICER_ACTIONS = {"transfer_back", "approve", "reject", "note"}

#: Staff of another county (Qingtian): every route of a Wencheng case is 404 to them.
OTHER_COUNTY = ("county_clerk", "county_supervisor", "county_admin")
#: People who must never get a 2xx/3xx from a route of the case.
FORBIDDEN = ("anonymous", "applicant", "other_applicant", "other_clerk", "other_officer",
             "volunteer", "disabled", "nomfa") + OTHER_COUNTY
#: Personas with a live staff session that passed two-step sign-in.
SIGNED_IN_STAFF = {"clerk", "supervisor", "officer", "other_clerk", "other_officer", "volunteer",
                   "province", *OTHER_COUNTY}
#: Personas whose role may open the queue at all (the "queue" permission).
QUEUE_ROLES = {"clerk", "supervisor", "officer", "other_clerk", "other_officer", "province",
               *OTHER_COUNTY}
#: The role of each signed-in persona. ``province`` is the province's supervisor: it
#: reads every county's cases and changes nothing.
ROLES = {"clerk": "clerk", "supervisor": "supervisor", "officer": "officer",
         "other_clerk": "clerk", "other_officer": "officer", "volunteer": "volunteer",
         "province": "supervisor", "county_clerk": "clerk", "county_supervisor": "supervisor",
         "county_admin": "admin"}
#: Who manages accounts: the window's supervisor, and in their own county only, the rest.
MANAGERS = {"supervisor", "province", "county_supervisor", "county_admin"}

DENIED = frozenset({403, 404})
#: Staff routes outside any case, each classified by hand in expected().
NON_CASE_ROUTES = {"review.home", "review.queue", "review.day_sheet", "points.shift_clocks",
                   "review.queue_bulk", "review.workload", "auth.accounts", "auth.disable",
                   "auth.password", "auth.sessions", "auth.end_account_sessions",
                   "points.desk", "points.desk_start", "points.desk_blanks",
                   "points.admin_list", "points.admin_new", "points.admin_edit",
                   "catalog_admin.items", "catalog_admin.export_all", "catalog_admin.export_one",
                   "catalog_admin.import_items", "catalog_editor.new_item", "catalog_editor.start",
                   "catalog_editor.draft", "catalog_editor.section", "catalog_editor.preview",
                   "catalog_editor.publish", "catalog_editor.discard", "catalog_editor.rebase",
                   "reasons_admin.reasons", "reasons_admin.new", "reasons_admin.edit",
                   "question_case.figures_page", "dashboard.dashboard",
                   "questions_staff.questions", "questions_staff.desk_questions",
                   "questions_staff.desk_question_new", "answers_admin.answers_list",
                   "answers_admin.new", "answers_admin.edit",
                   "faq_admin.entries", "faq_admin.new", "faq_admin.entry", "faq_admin.text",
                   "faq_admin.publish", "faq_admin.withdraw",
                   "follow_ups.follow_ups", "follow_ups.follow_up_view", "follow_ups.assign",
                   "follow_ups.verify", "follow_ups.visit", "follow_ups.reply",
                   "follow_ups.note", "follow_ups.close", "follow_ups.appeal",
                   "follow_ups.decide"}
#: The volunteer's desk; its case routes serve only cases started at the volunteer's point.
DESK_HOME = {"points.desk": 200, "points.desk_start": 422, "points.desk_blanks": 422}


class Route(NamedTuple):
    endpoint: str
    access: str
    method: str
    url: str
    arguments: frozenset
    action: str | None = None


class Expect(NamedTuple):
    allowed: bool
    statuses: frozenset  # what counts as the right answer
    why: str


def personas_with(permission: str) -> set:
    """The signed-in personas whose role has ``permission`` (app/auth/permissions.py)."""
    return {persona for persona, role in ROLES.items() if permission in ROLE_PERMISSIONS[role]}


def deny(why, statuses=DENIED):
    return Expect(False, frozenset(statuses), why)


def allow(why, *statuses):
    return Expect(True, frozenset(statuses), why)


@contextmanager
def db_context(app):
    from app.models import db
    with app.app_context(), db.connection_context():
        yield


@contextmanager
def csrf_off(app):
    """POST checks test the authorization gate, not the CSRF one (which answers 400 first)."""
    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = before


def staff_id(app, email):
    from app.models import Staff
    with db_context(app):
        return Staff.get(Staff.email == email).id


def point_id(app, key):
    from app.models import ServicePoint
    with db_context(app):
        return ServicePoint.get(ServicePoint.key == key).id


def wencheng_reason(app):
    """A standard return reason Wencheng keeps for itself (another county's admin: 404)."""
    from app.models import Jurisdiction, ReturnReason
    with db_context(app):
        return ReturnReason.create(key="wencheng_stamp", texts={"en": "Stamp missing."},
                                   jurisdiction=Jurisdiction.get(Jurisdiction.key == "wencheng")).id


def wencheng_question(app) -> str:
    """A question asked online to Wencheng (its window: the overseas centre)."""
    import secrets
    from app.models import Jurisdiction
    from app.questions import service
    with db_context(app):
        question, _token, _code = service.ask(
            county=Jurisdiction.get(Jurisdiction.key == "wencheng"), locale="it",
            text="Posso rinnovare la patente?", start_key=secrets.token_hex(8))
        return question.reference


def rated_badly(app) -> int:
    """A follow-up: a delivered case of the licence window rated 不满意 by its applicant."""
    from tests.ratings.follow_helpers import bad_rating
    return bad_rating(app)[2]


def follow_up_state(app, follow_up_id):
    from app.models import FollowUp, FollowUpEvent
    with db_context(app):
        return (FollowUp.get_by_id(follow_up_id).version,
                FollowUpEvent.select().where(FollowUpEvent.follow_up == follow_up_id).count())


def wencheng_answer(app) -> int:
    """A standard answer of Wencheng's (another county's admin: 404)."""
    from app.models import Jurisdiction, StandardAnswer
    with db_context(app):
        return StandardAnswer.get((StandardAnswer.key == "apply_online") & (
            StandardAnswer.jurisdiction == Jurisdiction.get(Jurisdiction.key == "wencheng"))).id


# --- building the matrix -------------------------------------------------------------------


def matrix_routes(app, values):
    """Every (endpoint, method, URL) of a route declaring ``staff`` or ``applicant`` access."""
    routes, unbuildable = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        rule_access = declared_access(app.view_functions[rule.endpoint])
        if rule_access not in ("staff", "applicant"):
            continue
        missing = set(rule.arguments) - set(values) - {"action"}
        if missing:
            unbuildable.append(f"{rule.rule} needs {sorted(missing)}")
            continue
        if rule.rule.startswith(QUESTION_PREFIX):
            variants = [dict(values, reference=values["question"])]
        else:
            variants = ([dict(values, action=a) for a in DECIDE_ACTIONS]
                        if "action" in rule.arguments else [values])
        for variant in variants:
            url = rule.build(variant, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append(Route(rule.endpoint, rule_access, method, url,
                                    frozenset(rule.arguments), variant.get("action")
                                    if "action" in rule.arguments else None))
    return routes, unbuildable


#: Routes of one question (``<reference>`` is a question's): see expected_question().
QUESTION_PREFIX = "/staff/questions/<reference>"
def sees_case(persona, phase):
    """Who may open the case: its office's clerk and supervisor, the province's supervisor
    (reading only); the department's officer once the case was transferred to it."""
    return (persona in ("clerk", "supervisor", "province")
            or (persona == "officer" and phase == "transferred"))


def officer_after_return(route):
    """The department's officer once it passed the case back to the window.

    Its decisions are over: the case is the window's again, so every decision is refused.
    Whether the officer may still read the case it handled is not specified, so reads
    are not asserted here.
    """
    if route.endpoint == "review.decide":
        return deny("the department passed the case back: its decisions are over")
    if route.endpoint == "review.case_audit":
        return deny("the audit trail is for supervisors and admins")
    return None


def expected(persona, route, phase):
    """The right answer for ``persona`` on ``route``; ``None`` means not exercised here."""
    if route.endpoint.startswith("questions."):
        return None  # a question's routes: test_question_routes_open_only_for_their_asker
    if route.access == "applicant":
        if route.endpoint.startswith("ratings.") and persona == "applicant":
            # The rating page opens for the holder once the case is delivered
            # (tests/ratings/test_rate.py); this case is not: nothing to rate yet.
            return deny("the case is not delivered: it cannot be rated yet", {404})
        if persona == "applicant":
            if route.method != "GET":
                return None  # the holder's own POSTs change the case: the journey tests cover them
            return allow("the holder of the case", 200, 303)
        if route.endpoint.startswith("uploads."):
            # The resumable-upload protocol first demands its version header (412);
            # with it, an upload or case not held by this browser is 404 (tests/uploads).
            return deny("tus: version header first, then only the case's browser", {404, 412})
        # load_applicant_case answers 404 (not 403) so a guessed reference reveals nothing.
        return deny("only the browser holding the case opens applicant pages", {404})

    if persona not in SIGNED_IN_STAFF:
        return deny("no live staff session through two-step sign-in")
    endpoint = route.endpoint
    if endpoint == "review.home":
        # Only a redirect to the person's own queue; the queue itself decides.
        return allow("any signed-in staff member lands on their queue", 303)
    if endpoint == "review.queue":
        if persona not in QUEUE_ROLES:
            return deny("a volunteer has no review queue")
        return allow("a reviewer's own queue (the case is listed only if theirs)", 200)
    if endpoint == "review.day_sheet":
        if persona not in QUEUE_ROLES:
            return deny("a volunteer has no day sheet", {403})
        return allow("the day sheet of a reviewer's own window or county", 200)
    if endpoint == "points.shift_clocks":
        return allow("any signed-in staff member reads the clocks of their own points", 200)
    if endpoint == "auth.password":
        # Everyone changes their own password, the province's read-only supervisor too
        # (the form, or a refused empty post).
        return allow("any signed-in staff member changes their own password", 200, 422)
    if endpoint == "auth.sessions":
        # Everyone sees and ends their own sessions (a refused empty post: no password).
        return allow("any signed-in staff member's own sessions", 200, 422)
    if endpoint == "review.queue_bulk":
        if persona not in QUEUE_ROLES or persona == "province":
            return deny("a bulk action changes cases: reviewers who may decide", {403})
        # Nothing ticked, no action: refused as such; each ticked case is then opened
        # through the same gate as one at a time (tests/review/test_handling.py).
        return allow("reviewers act on the cases they may open, checked case by case", 400)
    if endpoint == "review.workload":
        if persona not in MANAGERS:
            return deny("work in hand is for supervisors and admins")
        return allow("the work of the manager's own windows", 200)
    if endpoint == "auth.accounts":
        if persona not in MANAGERS:
            return deny("accounts are managed by supervisors and admins")
        return allow("the accounts of the manager's own window or county", 200)
    if endpoint in ("auth.disable", "auth.end_account_sessions"):
        if persona == "province":
            return deny("the province's supervisor changes nothing", {403})
        if persona in OTHER_COUNTY:
            return deny("the account belongs to another county", {403, 404})
        if persona != "supervisor":
            return deny("accounts are disabled by supervisors and admins")
        return None  # the supervisor's own POST: test_supervisor_disabling_ends_their_sessions
    if endpoint.startswith("points.admin_"):
        if persona != "county_admin":
            return deny("service points are managed by admins", {403})
        if endpoint == "points.admin_edit":
            return deny("the Milan point serves Wencheng only, not the admin's county", {404})
        return allow("a county's admin adds points (an empty form is refused)", 200, 422)
    if endpoint.startswith("reasons_admin."):
        if persona != "county_admin":
            return deny("standard return reasons are kept by admins", {403})
        if endpoint == "reasons_admin.edit":
            return deny("the reason is Wencheng's own, not the admin's county's", {404})
        return allow("a county's admin: its reasons (an empty new reason is refused)", 200, 422)
    if endpoint.startswith(("catalog_admin.", "catalog_editor.")):
        if persona != "county_admin":
            return deny("the catalog is managed by admins", {403})
        if "code" in route.arguments:
            return deny("JJ-JZ-001 (its export, draft, sections, preview, publish) is "
                        "Wencheng's item, not the admin's county's", {404})
        return allow("a county's admin: its items (an empty import or new item is refused)",
                     200, 422)
    if endpoint.startswith("faq_admin.") and endpoint != "faq_admin.from_question":
        if "faq" not in ROLE_PERMISSIONS[ROLES[persona]]:
            return deny("the FAQ is edited by supervisors and admins", {403})
        if persona == "province" and route.method != "GET":
            return deny("the province's supervisor reads, and changes nothing", {403})
        if "entry_id" in route.arguments:
            if persona in OTHER_COUNTY:
                return deny("the entry is Wencheng's, not their county's", {404})
            # An empty form is refused; publish and withdraw need nothing more (the entry
            # is published: published again, withdrawn, published again by the next sweep).
            return allow("the entry of the supervisor's own county", 200, 303, 422)
        return allow("the FAQ of their own county (an empty new entry is refused)", 200, 422)
    if endpoint == "dashboard.dashboard":
        if persona not in personas_with("dashboard"):
            return deny("the dashboard is for supervisors and admins", {403})
        return allow("the figures of the windows of the account's own jurisdiction", 200)
    if endpoint == "question_case.figures_page":
        if persona not in personas_with("question_figures"):
            return deny("the question figures are for supervisors and admins", {403})
        return allow("the figures of the account's own windows", 200)
    if endpoint.startswith(("questions_staff.", "answers_admin.", "question_case.",
                            "faq_admin.from_question")):
        return expected_question(persona, route)
    if endpoint in DESK_HOME:
        if persona != "volunteer":
            return deny("the desk is a volunteer's", {403})
        return allow("the volunteer's own desk (an empty form is refused with a message)",
                     DESK_HOME[endpoint])
    if endpoint.startswith("points.desk"):
        if persona != "volunteer":
            return deny("the desk is a volunteer's", {403})
        return deny("this case was not started at the volunteer's service point", {404})
    if endpoint.startswith("follow_ups."):
        return expected_follow_up(persona, route)
    if "reference" not in route.arguments:
        return None  # a staff route outside any case, not yet classified: reported by the test

    if persona == "officer" and phase == "passed_back":
        return officer_after_return(route)
    if phase == "passed_back":
        phase = "submitted"  # everyone else: the case is at the window, as before the transfer
    if not sees_case(persona, phase):
        if persona in OTHER_COUNTY:
            if endpoint == "review.case_audit" and "audit" not in ROLE_PERMISSIONS[ROLES[persona]]:
                return deny("the audit trail is for supervisors and admins (a clerk: 403)", {403})
            return deny("another county's case: it does not exist for them", {404})
        return deny("not this case's office, nor the department it was passed to")
    if persona == "province" and route.method != "GET":
        return deny("the province's supervisor reads, and changes nothing", {403})
    if endpoint == "review.case_audit":
        if persona not in ("supervisor", "province"):
            return deny("the audit trail is for supervisors and admins (a clerk: 403)", {403})
        return allow("the office supervisor, or the province's", 200)
    if endpoint == "review.decide":
        if persona == "officer" and route.action not in OFFICER_ACTIONS:
            return deny("an officer only takes the department's decisions")
        if persona != "officer" and route.action == "transfer_back":
            return deny("only the department passes a case back")
        if route.action == "waive" and persona != "supervisor":
            return deny("only the window's supervisor waives promised materials", {403})
        # An empty form (no version) passes the gate and is refused by the rules: a 303
        # back to the case page, which shows why (nothing changes: checked after).
        return allow("may decide; the empty form is refused, nothing changes", 303)
    if route.method == "GET":
        return allow("may open the case", 200)
    return allow("may act on the case", 200, 303, 422)


def expected_follow_up(persona, route):
    """Follow-ups of bad ratings (tests/ratings/test_follow_up.py has the details); the
    follow-up is one of a delivered case of the licence window, rated 不满意. Clerks read
    their window's and may appeal; supervisors and admins act; another window's or
    county's staff: 404; the province's supervisor reads only."""
    reads = route.endpoint in ("follow_ups.follow_ups", "follow_ups.follow_up_view",
                               "follow_ups.appeal")
    permission = "rating_appeal" if reads else "follow_ups"
    if persona not in personas_with(permission):
        return deny(f"follow-ups need the {permission} permission", {403})
    if route.endpoint == "follow_ups.follow_ups":
        return allow("the follow-ups of the account's own windows", 200)
    if persona in OTHER_COUNTY or persona == "other_clerk":
        return deny("the follow-up of another window's case: it does not exist for them", {404})
    if persona == "province" and route.method != "GET":
        return deny("the province's supervisor reads, and changes nothing", {403})
    if route.method == "GET":
        return allow("a follow-up of the account's window", 200)
    # An empty form is refused (422: no version, nothing typed) or the step is not possible
    # now (409: no appeal to decide).
    return allow("may take the step; the empty form is refused, nothing changes", 409, 422)


#: The question routes of the window (``<reference>``: a Wencheng question, asked online).
QUESTION_ACTIONS = {"questions_staff.answer", "questions_staff.note", "questions_staff.assign",
                    "questions_staff.transfer", "questions_staff.close",
                    "questions_staff.reopen"}


def expected_question(persona, route):
    """Questions (tests/questions/test_staff_scope.py has the details): the window's pages
    for reviewers of the county (another county's staff, a department that was passed
    nothing: 404), the desk's for the volunteer of the point, standard answers for admins."""
    endpoint = route.endpoint
    if endpoint.startswith("answers_admin."):
        if persona != "county_admin":
            return deny("standard answers are kept by admins", {403})
        if endpoint == "answers_admin.edit":
            return deny("the answer is Wencheng's, not the admin's county's", {404})
        return allow("a county's admin: its answers (an empty new answer is refused)", 200, 422)
    if endpoint.startswith("questions_staff.desk_"):
        if persona != "volunteer":
            return deny("the desk is a volunteer's", {403})
        if endpoint == "questions_staff.desk_question":
            return deny("the question was asked online, not at the volunteer's point", {404})
        return allow("the volunteer's own desk (an empty form is refused)", 200, 422)
    if persona not in QUEUE_ROLES:
        return deny("a volunteer has no questions queue", {403})
    if endpoint == "questions_staff.questions":
        return allow("a reviewer's own questions queue", 200)
    if persona in OTHER_COUNTY or persona in ("officer", "other_officer"):
        return deny("another county's question, or one not passed to the department", {404})
    if persona == "province" and route.method != "GET":
        return deny("the province's supervisor reads, and changes nothing", {403})
    if endpoint == "questions_staff.question_file":
        return deny("the file id belongs to no file of this question", {404})
    if endpoint == "faq_admin.from_question":
        if "faq_draft" not in ROLE_PERMISSIONS[ROLES[persona]]:
            return deny("only staff who answer questions draft FAQ entries from them", {403})
        return allow("may draft an FAQ entry from the question (an empty form is refused)",
                     200, 303, 422)
    if endpoint == "question_case.case" and route.method != "GET":
        return allow("may make the question a case (no item chosen is refused)", 400)
    if route.method == "GET":
        return allow("a reviewer of the question's county", 200)
    # An empty form is refused (422), or the action is not possible now (409: reopen an
    # open question); closing with only the CSRF token (off here) is done: 303.
    return allow("may act on the question", 303, 409, 422)


def sweep(app, personas, routes, phase, failures):
    """Try every route as every persona; return the number of checks made."""
    checks = 0
    with csrf_off(app):
        for persona, client in personas.items():
            for route in routes:
                rule = expected(persona, route, phase)
                if rule is None:
                    continue
                response = client.open(route.url, method=route.method)
                status = response.status_code
                checks += 1
                if status not in rule.statuses:
                    verdict = "NOT REFUSED" if not rule.allowed else "NOT SERVED"
                    failures.append(f"[{phase}] {persona} {route.method} {route.url} -> {status} "
                                    f"({verdict}; expected {sorted(rule.statuses)}: {rule.why})")
                elif route.endpoint == "review.decide" and status == 303:
                    # As a browser does: the case page shows the refused form, once.
                    shown = client.get(response.headers["Location"]).status_code
                    if shown != 200:
                        failures.append(f"[{phase}] {persona} {route.url}: the refusal's page "
                                        f"-> {shown}")
    return checks


def case_state(app, reference):
    from app.models import Case, CaseNote, Event
    with db_context(app):
        case = Case.get(Case.reference == reference)
        return (case.status, case.version, case.transferred_to_id, case.assigned_to_id,
                Event.select().where(Event.case == case).count(),
                CaseNote.select().where(CaseNote.case == case).count())


# --- the matrix ----------------------------------------------------------------------------


def test_access_matrix(staff_app):
    from app.models import Case, Office, Staff, Upload

    app = staff_app
    # The expectations below read the role map as the app declares it.
    assert personas_with("queue") == QUEUE_ROLES
    assert personas_with("accounts") == personas_with("audit") == MANAGERS
    assert personas_with("desk") == {"volunteer"}
    assert personas_with("service_points") == {"county_admin"}, "service points: admins'"
    assert personas_with("catalog") == {"county_admin"}, "the catalog: admins'"
    assert personas_with("faq") == MANAGERS, "the FAQ: supervisors' and admins'"

    owner = submitted_case(app)
    other = submitted_case(app)
    reference = owner.reference
    case_url = f"/staff/cases/{reference}"
    with db_context(app):
        case = Case.get(Case.reference == reference)
        upload_id = (Upload.select(Upload.id).where(Upload.case == case)
                     .order_by(Upload.id).first().id)
        other_upload_id = (Upload.select(Upload.id)
                           .join(Case).where(Case.reference == other.reference)
                           .order_by(Upload.id).first().id)
        assert Office.get_by_id(case.office_id).key == OFFICE
        assert case.status == "submitted"

    # A clerk of the right office whose account is disabled while signed in.
    make_staff(app, "disabled.clerk@test", "clerk", office=OFFICE)
    disabled = sign_in(app, "disabled.clerk@test")
    disabled.page(case_url)  # the clerk opens the case before the account is disabled
    with db_context(app):
        Staff.update(active=False).where(Staff.email == "disabled.clerk@test").execute()
    status = disabled.get(case_url).status_code
    assert status in DENIED, f"disabled GET {case_url} -> {status}: a disabled account opens cases"
    status = disabled.get("/staff/queue").status_code
    assert status == 403, f"disabled GET /staff/queue -> {status}"
    assert not live_sessions(app, "disabled.clerk@test"), "the disabled account's session lives on"

    # Password only, no TOTP: the session row exists but must not see anything.
    nomfa = sign_in(app, "nomfa@test", mfa=False)
    rows = live_sessions(app, "nomfa@test")
    assert rows, "nomfa@test has no session at all: the persona would be vacuous"
    assert not any(row.mfa_passed for row in rows)

    personas = {
        "anonymous": app.test_client(),
        "applicant": owner.client,
        "other_applicant": other.client,
        "other_clerk": sign_in(app, "other.clerk@test"),
        "other_officer": sign_in(app, "other.officer@test"),
        "volunteer": sign_in(app, "volunteer@test"),
        "disabled": disabled,
        "nomfa": nomfa,
        "clerk": sign_in(app, "clerk@test"),
        "supervisor": sign_in(app, "supervisor@test"),
        "officer": sign_in(app, "officer@test"),
        "province": sign_in(app, "province@test"),
        "county_clerk": sign_in(app, "county.clerk@test"),
        "county_supervisor": sign_in(app, "county.supervisor@test"),
        "county_admin": sign_in(app, "county.admin@test"),
    }
    assert set(FORBIDDEN) | {"clerk", "supervisor", "officer", "province"} == set(personas)

    # Wencheng's item has a draft: another county's admin must not reach it either.
    with db_context(app):
        from app.catalog.drafts import open_draft
        from app.models import Item
        open_draft(Item.get(Item.code == "JJ-JZ-001"), Staff.get(Staff.email == "clerk@test"))
    from tests.questions.faqdata import published_entry
    values = {"entry_id": published_entry(app), "lang": "en", "reference": reference, "step_key": "applicant",
              "key": "passport_page", "upload_id": upload_id, "doc_type": "form",
              "staff_id": staff_id(app, "clerk2@test"), "point_id": point_id(app, "milan"),
              "code": "JJ-JZ-001", "section": "basics", "reason_id": wencheng_reason(app),
              "question": wencheng_question(app), "file_id": 1,
              "answer_id": wencheng_answer(app), "follow_up_id": rated_badly(app),
              "stage": "delivered"}
    routes, unbuildable = matrix_routes(app, values)
    # Question routes name a question: one asked online to Wencheng.
    question = wencheng_question(app)
    routes = [r._replace(url=r.url.replace(reference, question))
              if r.endpoint.startswith("questions_staff.") else r for r in routes]
    endpoints = {r.endpoint for r in routes}
    for needed in ("review.case_view", "review.case_file", "review.case_document",
                   "review.case_audit", "review.decide", "review.queue", "auth.accounts",
                   "auth.disable", "cases.status", "cases.download", "cases.upload",
                   "uploads.create", "points.desk_case", "questions_staff.question_view",
                   "ratings.rate",
                   "questions_staff.answer", "questions_staff.desk_question"):
        assert needed in endpoints, f"{needed} missing from the matrix"
    assert {r.action for r in routes if r.endpoint == "review.decide"} == set(DECIDE_ACTIONS)

    failures = [f"cannot build {text}: give the matrix a real value for it"
                for text in unbuildable]
    failures += [f"classify the staff route {endpoint} in expected(): who may use it?"
                 for endpoint in sorted({r.endpoint for r in routes if r.access == "staff"
                                         and "reference" not in r.arguments} - NON_CASE_ROUTES)]
    checks = 0

    def check(persona, method, url, status, wanted, why):
        nonlocal checks
        checks += 1
        if status not in wanted:
            failures.append(f"{persona} {method} {url} -> {status} "
                            f"(expected {sorted(wanted)}: {why})")

    def queue_lists_case(phase):
        """The queue shows the case exactly to those who may open it."""
        for persona in sorted(QUEUE_ROLES):
            page = Page(personas[persona].get("/staff/queue?status=all"))
            listed = reference in page.texts("#queue-table tbody tr td:first-child a")
            check(persona, "GET", "/staff/queue?status=all", page.status, {200},
                  "a reviewer's own queue")
            check(persona, "GET", "/staff/queue?status=all", "listed" if listed else "absent",
                  {"listed" if sees_case(persona, phase) else "absent"},
                  f"[{phase}] the case in the queue only for those who may open it")

    def day_sheet_lists_case(phase):
        """The day sheets of the days that concern the case (its video check, its time
        limit, its deferred materials) list it only to those who may open it: another
        county's staff see nothing of it."""
        from app.models import Appointment
        with db_context(app):
            case = Case.get(Case.reference == reference)
            held = Appointment.get((Appointment.case == case) & (Appointment.status == "held"))
            days = {(held.starts_at + timedelta(hours=8)).date(), case.due_date,
                    case.deferred_due}
        assert None not in days, days
        for persona in sorted(QUEUE_ROLES):
            listed = False
            for day in sorted(days):
                url = f"/staff/day-sheet?day={day.isoformat()}"
                page = Page(personas[persona].get(url))
                check(persona, "GET", url, page.status, {200}, "a reviewer's own day sheet")
                listed = listed or reference in page.main
            check(persona, "GET", "/staff/day-sheet (the case's days)",
                  "listed" if listed else "absent",
                  {"listed" if sees_case(persona, phase) else "absent"},
                  f"[{phase}] the case on day sheets only for those who may open it")

    def cross_object(phase):
        """Another case's upload id under this case's reference is not served to anyone."""
        for persona in ("clerk", "supervisor") + (("officer",) if phase == "transferred" else ()):
            url = f"{case_url}/files/{other_upload_id}"
            check(persona, "GET", url, personas[persona].get(url).status_code, {404},
                  "the upload belongs to another case")
        for persona in ("applicant", "other_applicant"):
            url = f"/en/cases/{reference}/files/{other_upload_id}"
            check(persona, "GET", url, personas[persona].get(url).status_code, {404},
                  "the upload belongs to another case")

    def step(response, what, status=303):
        """A move of the test itself; if it fails, show what the sweeps found so far (a
        request that should have been refused may have changed the case)."""
        if response.status_code != status:
            raise AssertionError(f"{what} -> {response.status_code}, not {status}; "
                                 f"{len(failures)} checks failed before:\n" + "\n".join(failures))

    # Phase 1: the case waits at the window.
    before = case_state(app, reference)
    follow_up_before = follow_up_state(app, values["follow_up_id"])
    checks += sweep(app, personas, routes, "submitted", failures)
    check("everyone", "-", "follow-up after the sweep",
          follow_up_state(app, values["follow_up_id"]), {follow_up_before},
          "no refused or empty request may change the follow-up")
    queue_lists_case("submitted")
    cross_object("submitted")
    check("everyone", "-", "case state after the sweep", case_state(app, reference), {before},
          "no refused or empty request may change the case")

    # Phase 2: the clerk accepts it and passes it to the traffic department.
    clerk = personas["clerk"]
    confirm_video(app, reference, agent=False)  # the item asks for one before acceptance
    step(staff_post(clerk, reference, "accept"), "the clerk accepts the case")
    step(staff_post(clerk, reference, "transfer", department=DEPARTMENT, note="please check"),
         "the clerk transfers the case")
    with db_context(app):
        assert Case.get(Case.reference == reference).status == "transferred"
    before = case_state(app, reference)
    # Applicant routes were swept in phase 1: their gate is the browser holding the case,
    # which no staff decision changes. The staff routes are swept again.
    staff_routes = [r for r in routes if r.access == "staff"]
    checks += sweep(app, personas, staff_routes, "transferred", failures)
    queue_lists_case("transferred")
    day_sheet_lists_case("transferred")
    cross_object("transferred")
    check("everyone", "-", "case state after the sweep", case_state(app, reference), {before},
          "no refused or empty request may change the case")

    # Phase 3: the department passes the case back to the window with its result. The case
    # is "accepted" again and the window's to decide; only the officer's answers change.
    # (The province's supervisor and the other county's staff were swept in phases 1-2.)
    officer = personas["officer"]
    step(staff_post(officer, reference, "transfer_back", note="checked: fine"),
         "the officer passes the case back")
    with db_context(app):
        assert Case.get(Case.reference == reference).status == "accepted"
    before = case_state(app, reference)
    checks += sweep(app, {p: personas[p] for p in ("officer", "clerk", "supervisor",
                                                   "other_officer")},
                    staff_routes, "passed_back", failures)
    check("everyone", "-", "case state after the sweep", case_state(app, reference), {before},
          "no refused or empty request may change the case")
    # The same, with a real form: the officer tries to reject the case the window now holds.
    with db_context(app):
        version = Case.get(Case.reference == reference).version
    url = f"{case_url}/decide/reject"
    with csrf_off(app):
        response = officer.post(url, data={"version": str(version),
                                           "reason": "The department changed its mind."})
    with db_context(app):
        status_now = Case.get(Case.reference == reference).status
    check("officer", "POST", f"{url} (version {version}, with a reason)",
          f"{response.status_code}, case {status_now}", {"403, case accepted",
                                                          "404, case accepted"},
          "[passed_back] the department's decisions are over once it passed the case back")

    # A draft (not yet sent) is nobody's at the window.
    draft = Journey(app.test_client())
    draft.start()
    for persona in ("clerk", "supervisor"):
        url = f"/staff/cases/{draft.reference}"
        check(persona, "GET", url, personas[persona].get(url).status_code, {404},
              "a draft is not sent yet: the window does not see it")

    # A case started at the Milan service point: its desk routes open for Milan's volunteer
    # only; a Paris volunteer and the window's staff get nothing from the desk.
    from tests.conftest import make_point
    make_point(app, "paris", "Paris", tz="Europe/Paris", country="FR")
    make_staff(app, "volunteer.paris@test", "volunteer", service_point="paris")
    desk_personas = {"volunteer": personas["volunteer"],
                     "paris_volunteer": sign_in(app, "volunteer.paris@test"),
                     "clerk": personas["clerk"], "anonymous": personas["anonymous"]}
    volunteer = personas["volunteer"]
    token = csrf_token(volunteer, "/staff/point/")
    started = volunteer.post("/staff/point/start", data={
        "csrf_token": token, "item": "JJ-JZ-001", "language": "zh", "email": "walk.in@example.it",
        "consent": "yes"})
    step(started, "the Milan volunteer starts an assisted case")
    assisted = started.headers["Location"].split("/cases/", 1)[1].split("/", 1)[0]
    desk_routes = [r for r in routes if r.endpoint.startswith("points.desk") and "reference" in r.arguments]
    assert len(desk_routes) >= 6
    with csrf_off(app):
        for persona, client in desk_personas.items():
            for route in desk_routes:
                url = route.url.replace(reference, assisted)
                status = client.open(url, method=route.method).status_code
                if persona == "volunteer":
                    wanted, why = {200, 303, 422}, "the volunteer of the case's service point"
                elif persona == "paris_volunteer":
                    wanted, why = {404}, "another service point's case"
                else:
                    wanted, why = {403}, "the desk is a volunteer's"
                check(persona, route.method, url, status, wanted, why)
        for url in (f"/zh/cases/{assisted}", f"/staff/cases/{assisted}"):
            status = desk_personas["paris_volunteer"].get(url).status_code
            check("paris_volunteer", "GET", url, status, DENIED, "another service point's case")

    with db_context(app):
        check("all but the supervisor", "POST", f"/staff/accounts/{values['staff_id']}/disable",
              "active" if Staff.get(Staff.email == "clerk2@test").active else "disabled",
              {"active"}, "refused requests to disable clerk2 left the account as it was")
    check("disabled", "-", "live sessions of disabled.clerk@test",
          len(live_sessions(app, "disabled.clerk@test")), {0}, "a disabled account has none")

    print(f"\naccess matrix: {checks} checks over {len(routes)} route/method pairs "
          f"({len(staff_routes)} staff) and {len(personas)} personas")
    assert not failures, f"{len(failures)} of {checks} checks failed:\n" + "\n".join(failures)


def test_question_routes_open_only_for_their_asker(staff_app):
    """Every route of a question (the asker's pages, its files, reply, close, remove access)
    answers its asker, and whoever holds the case it was asked from; another asker,
    another browser, and every staff member (of its window, another county's, the
    province's) get 404: the asker's pages are the asker's."""
    from app.models import Question, QuestionEvent, QuestionFile
    from tests.conftest import jpeg_bytes
    from tests.questions.asker import Asker

    app = staff_app
    asker, other = Asker(app.test_client()), Asker(app.test_client())
    asker.ask(files=[(jpeg_bytes(), "letter.jpg")])
    other.ask(files=[(jpeg_bytes(), "other.jpg")])
    owner = Journey(app.test_client(), lang="it")
    owner.start(language="it")
    from_case = Asker(owner.client)
    from_case.send(from_case.check(f"?case={owner.reference}"))
    with db_context(app):
        file_of = {q.reference: QuestionFile.get(QuestionFile.question == q).id
                   for q in Question.select() if q.files.count()}

    def state():
        with db_context(app):
            return (tuple((q.status, q.updated_at) for q in Question.select().order_by(Question.id)),
                    QuestionEvent.select().count())

    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("questions.")
             and declared_access(app.view_functions[rule.endpoint]) == "applicant"]
    assert {r.endpoint for r in rules} >= {"questions.thread", "questions.sent",
                                           "questions.reply", "questions.close",
                                           "questions.forget", "questions.download"}
    personas = {"anonymous": app.test_client(), "other_asker": other.client,
                "case_holder": owner.client, "clerk": sign_in(app, "clerk@test"),
                "volunteer": sign_in(app, "volunteer@test"),
                "province": sign_in(app, "province@test"),
                "county_clerk": sign_in(app, "county.clerk@test")}
    failures, checks = [], 0
    before = state()
    with csrf_off(app):
        for rule in rules:
            url = rule.build({"lang": "it", "reference": asker.reference,
                              "file_id": file_of[asker.reference]}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for persona, client in personas.items():
                    status = client.open(url, method=method).status_code
                    checks += 1
                    if status != 404:
                        failures.append(f"{persona} {method} {url} -> {status} (expected 404)")
                if method == "GET":
                    status = asker.client.get(url).status_code
                    checks += 1
                    if status not in (200, 303):
                        failures.append(f"asker GET {url} -> {status} (expected 200)")
        # Another question's file under this question's reference: nobody gets it.
        url = f"/it/questions/{asker.reference}/files/{file_of[other.reference]}"
        for client in (asker.client, other.client):
            checks += 1
            if client.get(url).status_code != 404:
                failures.append(f"GET {url}: another question's file served")
        # Asked from a case: open to the browser holding the case, 404 to the others.
        for persona, client, wanted in (("case_holder", owner.client, 200),
                                        ("asker", asker.client, 404),
                                        ("clerk", personas["clerk"], 404)):
            status = client.get(f"/it/questions/{from_case.reference}").status_code
            checks += 1
            if status != wanted:
                failures.append(f"{persona} GET the case's question -> {status}, not {wanted}")
    checks += 1
    if state() != before:
        failures.append("a refused request changed a question")
    print(f"\nquestion access matrix: {checks} checks over {len(rules)} routes")
    assert not failures, "\n".join(failures)
