"""Every staff page and staff email in the five languages besides English: no untranslated
English (the applicant side's test, tests/i18n/test_no_english_leaks.py, for staff)."""

import email
import email.policy
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.models import Office, ServicePoint, Staff, db

from ..conftest import csrf_token, sign_in, staff_post, submitted_case
from .test_no_english_leaks import english_catalog_texts, english_messages, leaks, visible_text
from .test_staff_languages import choose

LOCALES = ("zh", "it", "fr", "es", "pt")
#: Staff GET pages that are not HTML pages to read (files, PDFs, YAML), not pages at all
#: (a redirect), or read inside another (the clocks, in the queue and the desk).
NOT_PAGES = {"review.case_document", "review.case_file", "points.desk_blanks",
             "points.desk_pack", "points.desk_slip", "catalog_admin.export_one",
             "catalog_admin.export_all", "review.home", "points.shift_clocks",
             "questions_staff.question_file"}


def window_at_work(app, clients, ref, lang) -> tuple[int, str]:
    """What the staff pages show once the window is at work on ``ref``: a return with a
    reason, a draft of its item in the editor, a case a volunteer started at the desk (the
    point looked after by the licence window). Returns the point's id and that case."""
    assert staff_post(clients["clerk"], ref, "return", materials="id_photo",
                      reason_id_photo="—", due="2099-01-01").status_code == 303
    admin = clients["admin"]
    admin.post("/staff/admin/catalog/JJ-JZ-001/draft", data={
        "csrf_token": csrf_token(admin, "/staff/admin/catalog")})
    volunteer = clients["volunteer"]
    started = volunteer.post("/staff/point/start", data={
        "csrf_token": csrf_token(volunteer, "/staff/point/"), "item": "JJ-JZ-001",
        "language": lang, "email": "walk.in@example.it", "consent": "yes"})
    assisted = started.headers["Location"].split("/cases/", 1)[1].split("/", 1)[0]
    with app.app_context(), db.connection_context():
        point = Staff.get(Staff.email == "volunteer@test").service_point_id
        ServicePoint.update(office=Office.get(Office.key == "police-global-window")).where(
            ServicePoint.id == point).execute()
    return point, assisted

def staff_pages(app, ref, point_id, assisted="X", day="") -> dict:
    """Each staff page to read, by endpoint: (who, url, status); the day sheet of ``day``
    (YYYY-MM-DD; empty: today)."""
    case, code = f"/staff/cases/{ref}", "JJ-JZ-001"
    online, logged, answer = questions_at_work(app)
    entry, question = faq_at_work(app)
    follow_up = follow_up_at_work(app)
    return {
        "follow_ups.follow_ups": ("supervisor", "/staff/follow-ups", 200),
        "follow_ups.follow_up_view": ("supervisor", f"/staff/follow-ups/{follow_up}", 200),
        "faq_admin.entries": ("admin", "/staff/admin/faq", 200),
        "faq_admin.new": ("admin", "/staff/admin/faq/new", 200),
        "faq_admin.entry": ("admin", f"/staff/admin/faq/{entry}", 200),
        "faq_admin.text": ("admin", f"/staff/admin/faq/{entry}/text?locale=it", 200),
        "faq_admin.from_question": ("clerk", f"/staff/questions/{question}/faq", 200),
        "auth.login": (None, "/staff/login", 200),
        "auth.verify": ("half", "/staff/login/code", 200),
        "auth.enrol": ("nomfa", "/staff/mfa/setup", 200),
        "auth.password": ("clerk", "/staff/password", 200),
        "auth.sessions": ("clerk", "/staff/sessions", 200),
        "auth.accounts": ("supervisor", "/staff/accounts", 200),
        "review.queue": ("clerk", "/staff/queue?status=all", 200),
        "review.workload": ("supervisor", "/staff/workload", 200),
        "review.case_view": ("clerk", case, 200),
        "review.case_audit": ("supervisor", f"{case}/audit", 200),
        "review.day_sheet": ("clerk", f"/staff/day-sheet?day={day}", 200),
        "points.desk": ("volunteer", "/staff/point/", 200),
        "points.desk_case": ("volunteer", f"/staff/point/cases/{assisted}", 200),
        "points.admin_list": ("admin", "/staff/admin/service-points", 200),
        "points.admin_new": ("admin", "/staff/admin/service-points/new", 200),
        "points.admin_edit": ("admin", f"/staff/admin/service-points/{point_id}", 200),
        "catalog_admin.items": ("admin", "/staff/admin/catalog", 200),
        "catalog_editor.new_item": ("admin", "/staff/admin/catalog/new", 200),
        "catalog_editor.draft": ("admin", f"/staff/admin/catalog/{code}/draft", 200),
        "catalog_editor.section": ("admin", f"/staff/admin/catalog/{code}/draft/materials",
                                   200),
        "catalog_editor.preview": ("admin", f"/staff/admin/catalog/{code}/draft/preview", 200),
        "reasons_admin.reasons": ("admin", "/staff/admin/return-reasons", 200),
        "reasons_admin.new": ("admin", "/staff/admin/return-reasons/new", 200),
        "reasons_admin.edit": ("admin", f"/staff/admin/return-reasons/{default_reason(app)}",
                               200),
        "question_case.case": ("clerk", f"/staff/questions/{a_question(app)}/case", 200),
        "question_case.figures_page": ("supervisor", "/staff/questions/figures", 200),
        "dashboard.dashboard": ("supervisor", "/staff/dashboard", 200),
        "questions_staff.questions": ("clerk", "/staff/questions", 200),
        "questions_staff.question_view": ("clerk", f"/staff/questions/{online}", 200),
        "questions_staff.desk_questions": ("volunteer", "/staff/desk/questions", 200),
        "questions_staff.desk_question_new": ("volunteer", "/staff/desk/questions/new", 200),
        "questions_staff.desk_question": ("volunteer", f"/staff/desk/questions/{logged}", 200),
        "answers_admin.answers_list": ("admin", "/staff/admin/answers", 200),
        "answers_admin.new": ("admin", "/staff/admin/answers/new", 200),
        "answers_admin.edit": ("admin", f"/staff/admin/answers/{answer}", 200),
    }


def a_question(app, lang="it") -> str:
    """The reference of a question asked to Wencheng's window about the licence item."""
    import secrets
    from app.models import Item, Jurisdiction
    from app.questions import service
    with app.test_request_context(), db.connection_context():
        question, _token, _code = service.ask(
            county=Jurisdiction.local_by_key("wencheng"), locale=lang,
            text="Come rinnovo la patente? <b>grazie</b>", start_key=secrets.token_hex(8),
            item=Item.get(Item.code == "JJ-JZ-001"), contact_email="asker@example.it")
        return question.reference


def questions_at_work(app) -> tuple[str, str, int]:
    """Two questions to Wencheng, made once: one asked online (with an internal note, a
    hand-over and an answer from a standard answer), one a volunteer wrote down at the
    Milan desk; and the id of a Wencheng standard answer."""
    from app.models import Jurisdiction, Question, StandardAnswer
    from app.questions import service
    with app.app_context(), db.connection_context():
        wencheng = Jurisdiction.get(Jurisdiction.key == "wencheng")
        standard = StandardAnswer.get((StandardAnswer.key == "apply_online")
                                      & (StandardAnswer.jurisdiction == wencheng.id))
        online = Question.get_or_none(Question.start_key == "leaks-online")
        if online is None:
            clerk = Staff.get(Staff.email == "clerk@test")
            online, _t, _c = service.ask(county=wencheng, locale="it", text="Patente scaduta?",
                                         start_key="leaks-online", contact_email="a@example.it")
            service.note(online, clerk, "Licence office?")
            service.assign(online, clerk, clerk)
            service.answer(online, clerk, standard.texts["it"], "it", standard)
        logged = Question.get_or_none(Question.start_key == "leaks-desk")
        if logged is None:
            volunteer = Staff.get(Staff.email == "volunteer@test")
            logged, _t, _c = service.ask(
                county=wencheng, locale="zh", text="驾照过期了怎么办？", start_key="leaks-desk",
                channel="phone", service_point=volunteer.service_point, logged_by=volunteer)
        return online.reference, logged.reference, standard.id
def faq_at_work(app) -> tuple[int, str]:
    """A published FAQ entry of Wencheng, and a question answered at the licence window
    (made once per app): ``(entry id, question reference)``."""
    made = app.extensions.get("faq_at_work")
    if made is None:
        from ..questions.faqdata import asked_and_answered, published_entry
        made = app.extensions["faq_at_work"] = (published_entry(app), asked_and_answered(app))
    return made


def follow_up_at_work(app) -> int:
    """A delivered case of the licence window rated 不满意, its follow-up verified, visited,
    replied to, noted and appealed by the clerk (made once per app): the follow-up's id."""
    made = app.extensions.get("follow_up_at_work")
    if made is None:
        from app.models import FollowUp
        from app.ratings import service
        from ..ratings.follow_helpers import bad_rating
        # In English: its booking email is not one of the pages' languages (zh, it) whose
        # appointment link tests/test_html_valid.py opens.
        _journey, _clerk, made = bad_rating(app, comment="慢", lang="en")
        with app.test_request_context(), db.connection_context():
            supervisor = Staff.get(Staff.email == "supervisor@test")
            clerk = Staff.get(Staff.email == "clerk@test")
            for write in (lambda f: service.verify(f, supervisor, True, "核实"),
                          lambda f: service.record_visit(f, supervisor, channel="call",
                                                         lang="zh", note="电话回访"),
                          lambda f: service.reply(f, supervisor, "已整改", "zh"),
                          lambda f: service.note(f, supervisor, "备注"),
                          lambda f: service.appeal(f, clerk, "不公平")):
                write(FollowUp.get_by_id(made))
        app.extensions["follow_up_at_work"] = made
    return made


def default_reason(app) -> int:
    """The id of a standard return reason of the default library."""
    from app.models import ReturnReason, db
    with app.app_context(), db.connection_context():
        return ReturnReason.get(ReturnReason.key == "blurred").id


def test_every_staff_get_page_is_read(staff_app):
    """The list below is the URL map's: a new staff page joins this test."""
    pages = staff_pages(staff_app, "X", 1)
    routes = {rule.endpoint for rule in staff_app.url_map.iter_rules()
              if rule.rule.startswith("/staff") and "GET" in rule.methods}
    assert routes - NOT_PAGES == set(pages)


@pytest.mark.parametrize("lang", LOCALES)
def test_staff_pages_and_emails_have_no_english(staff_app, lang):
    from ..conftest import make_staff
    make_staff(staff_app, "admin@test", "admin")
    sources = english_messages(lang) | english_catalog_texts()
    journey = submitted_case(staff_app, lang=lang, entrust=True)
    ref = journey.reference
    clients = {who: sign_in(staff_app, f"{who}@test")
               for who in ("clerk", "supervisor", "volunteer", "admin")}
    clients["nomfa"] = sign_in(staff_app, "nomfa@test", mfa=False)
    half = staff_app.test_client()
    half.post("/staff/login", data={"csrf_token": csrf_token(half, "/staff/login"),
                                    "email": "clerk2@test",
                                    "password": "correct horse battery"})
    clients["half"], clients[None] = half, staff_app.test_client()
    for who, client in clients.items():
        client.get(f"/{lang}/staff/login")  # this browser's language
        if who not in (None, "half", "nomfa"):
            choose(client, lang, "/staff/sessions")  # and the account's
    # The case as the window knows it: a booked video check (its email to the staff), a
    # return with a reason, a draft of its item in the editor.
    video = f"/{lang}/cases/{ref}/video-check"
    slot = journey.client.page(video).first('input[name="slot"]:not([disabled])')["value"]
    journey.client.submit(video, {"slot": slot})
    # The day sheet of the call's day in Beijing (the slot's value is its UTC start).
    called = (datetime.strptime(slot, "%Y%m%dT%H%M") + timedelta(hours=8)).date().isoformat()
    point, assisted = window_at_work(staff_app, clients, ref, lang)
    problems = {}
    pages = staff_pages(staff_app, ref, point, assisted, day=called)
    for endpoint, (who, url, status) in pages.items():
        response = clients[who].get(url)
        if response.status_code != status:
            problems[endpoint] = f"status {response.status_code}"
            continue
        from ..pages import Page
        page = Page(response)
        if page.soup.html.get("lang") not in (lang, "zh-Hans"):
            problems[endpoint] = f"lang {page.soup.html.get('lang')}"
        found = leaks(visible_text(page.soup), sources)
        if found:
            problems[endpoint] = found
    outbox = sorted(Path(staff_app.config["OUTBOX_DIR"]).glob("*.eml"))
    staff_mail = [message for message in (
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in outbox) if message["To"].endswith("@test")]
    assert staff_mail, "the clerk hears of the booking"
    for message in staff_mail:
        found = leaks(message["Subject"] + " " + message.get_body(("plain",)).get_content(),
                      sources)
        if found:
            problems[f"email to {message['To']}: {message['Subject']}"] = found
    assert not problems, problems
