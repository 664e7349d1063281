"""The asker's thread: the private link, find by reference and code, answers and replies,
files, close, remove access; who may open it (issue 17, points 1 and 4)."""

import re
from datetime import timedelta

import pytest

from app.clock import utcnow
from app.models import Question, QuestionEvent, QuestionGrant, Staff, db
from app.questions import service
from tests.conftest import Journey, jpeg_bytes
from tests.pages import Page

from .asker import QUESTION, Asker


def fresh(app, reference) -> Question:
    with app.app_context(), db.connection_context():
        return Question.get(Question.reference == reference)


def answer(app, reference, text="Serve il passaporto e la patente.", lang="it"):
    with app.test_request_context(), db.connection_context():
        return service.answer(Question.get(Question.reference == reference),
                              Staff.get(Staff.email == "clerk@test"), text, lang)


@pytest.fixture
def asked(staff_app):
    """An Italian asker's question (sent from the ask page), and the page after sending."""
    asker = Asker(staff_app.test_client())
    page = asker.ask()
    asker.link = page.one("#private-link a")["href"].replace("http://onevisit.test", "")
    asker.code = page.texts(".panel strong")[1]
    return asker


def test_the_private_link_opens_the_question_without_the_token_in_the_url(staff_app, asked):
    other = staff_app.test_client()
    assert other.get(asked.base).status_code == 404
    opened = other.get(asked.link)
    assert opened.status_code == 303 and opened.headers["Location"] == asked.base
    assert "/open/" not in opened.headers["Location"]
    assert other.page(asked.base).one("h1")


def test_a_guessed_or_expired_link_says_so(staff_app, asked):
    client = staff_app.test_client()
    guessed = Page(client.get("/it/questions/open/" + "x" * 43))
    assert guessed.status == 404 and "/it/questions/find" in guessed.links()
    with staff_app.app_context(), db.connection_context():
        Question.update(access_token_expires=utcnow() - timedelta(days=1)).execute()
    expired = Page(client.get(asked.link))
    assert expired.status == 410 and "/it/questions/find" in expired.links()
    assert client.get(asked.base).status_code == 404


def test_another_browser_and_another_asker_get_404(staff_app, asked):
    stranger = Asker(staff_app.test_client())
    stranger.ask()
    for url in (asked.base, f"{asked.base}/sent", f"{asked.base}/files/1"):
        assert stranger.client.get(url).status_code == 404, url
    for url in (f"{asked.base}/reply", f"{asked.base}/close", f"{asked.base}/forget"):
        token = Page(stranger.client.get(stranger.base)).csrf()
        assert stranger.client.post(url, data={"csrf_token": token,
                                               "text": "mine"}).status_code == 404, url
    assert fresh(staff_app, asked.reference).status == "waiting"
    # A signed-in clerk is no asker either: the asker's pages are the asker's.
    from tests.conftest import sign_in
    assert sign_in(staff_app, "clerk@test").get(asked.base).status_code == 404


def test_find_by_reference_and_code(staff_app, asked):
    client = staff_app.test_client()
    form = client.page("/it/questions/find")
    wrong = Page(client.post("/it/questions/find", data={
        "csrf_token": form.csrf(), "reference": asked.reference, "code": "AAAA-AAAA"}))
    assert wrong.status == 422 and wrong.errors()
    assert wrong.field("reference") == asked.reference
    # One digit mistyped (never the digit it already was): the check digits catch it.
    last = asked.reference[-1]
    mistyped = asked.reference[:-1] + ("1" if last != "1" else "2")
    typo = Page(client.post("/it/questions/find", data={
        "csrf_token": form.csrf(), "reference": mistyped, "code": asked.code}))
    assert typo.status == 422
    found = client.post("/it/questions/find", data={
        "csrf_token": form.csrf(), "reference": asked.reference.lower().replace("-", " "),
        "code": asked.code.lower()})
    assert found.status_code == 303 and found.headers["Location"] == asked.base
    assert client.get(asked.base).status_code == 200


def test_find_is_rate_limited_per_reference_in_the_database(staff_app, asked):
    staff_app.config["CODE_TRIES_LIMIT"] = "3 per 15 minutes"
    statuses = []
    for number in range(5):
        # A new address each time: the limit is on the reference, whoever tries.
        client = staff_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.9.9.{number + 1}"
        token = client.page("/it/questions/find").csrf()
        statuses.append(client.post("/it/questions/find", data={
            "csrf_token": token, "reference": asked.reference,
            "code": "AAAA-AAAA"}).status_code)
    assert statuses[:3] == [422, 422, 422] and statuses[3:] == [429, 429]
    # Even the right code waits now.
    client = staff_app.test_client()
    token = client.page("/it/questions/find").csrf()
    assert client.post("/it/questions/find", data={"csrf_token": token,
                                                   "reference": asked.reference,
                                                   "code": asked.code}).status_code == 429


def test_an_answer_in_chinese_is_marked_and_a_reply_waits_again(staff_app, asked):
    answer(staff_app, asked.reference, "需要护照和驾驶证。", "zh")
    answer(staff_app, asked.reference, "Serve anche una foto.", "it")
    page = asked.client.page(asked.base)
    assert "需要护照和驾驶证。" in page.text and "Serve anche una foto." in page.text
    marks = page.texts("#thread .tag")
    assert len(marks) == 1 and "cinese" in marks[0].lower()
    assert fresh(staff_app, asked.reference).status == "answered"
    replied = asked.reply("Grazie. E la foto deve essere a colori?",
                          files=[(jpeg_bytes(), "foto.jpg")])
    assert replied.status == 303 and replied.location.endswith("#latest")
    question = fresh(staff_app, asked.reference)
    assert question.status == "waiting" and question.due_at is not None
    page = asked.client.page(asked.base)
    link = page.links("#thread .files a")[0]
    download = asked.client.get(link)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]


def test_bad_replies_are_refused_and_kept(staff_app, asked):
    empty = asked.reply("  ")
    assert empty.status == 422 and empty.field_error("text")
    long = "x" * 20_000
    refused = asked.reply(long)
    assert refused.status == 422 and refused.field("text") == long
    bad_file = asked.reply("Ecco la lettera", files=[(b"%PDF-1.4 broken", "lettera.pdf")])
    assert bad_file.status == 422 and bad_file.field_error("files")
    assert bad_file.field("text") == "Ecco la lettera"
    script = "<script>alert(1)</script>"
    assert asked.reply(script).status == 303
    page = asked.client.page(asked.base)
    assert script in page.text and "<script>alert" not in page.html


def test_close_and_a_reply_to_a_closed_question_is_409_with_the_text_kept(staff_app, asked):
    answer(staff_app, asked.reference)
    page = asked.client.page(asked.base)
    assert page.select(f"form[action='{asked.base}/close']")
    closed = asked.post(f"{asked.base}/close")
    assert closed.status == 303
    question = fresh(staff_app, asked.reference)
    assert question.status == "closed"
    with staff_app.app_context(), db.connection_context():
        assert QuestionEvent.get(QuestionEvent.kind == "closed").actor == "asker"
    page = asked.client.page(asked.base)
    assert page.one("#closed") and not page.select(f"form[action='{asked.base}/reply']")
    # A reply posted anyway (a page left open in another tab).
    token = page.csrf()
    refused = Page(asked.client.post(f"{asked.base}/reply", data={
        "csrf_token": token, "text": "Ancora una domanda"}))
    assert refused.status == 409
    assert refused.errors() and refused.field("text") == "Ancora una domanda"


def test_staff_notes_and_bookkeeping_never_show(staff_app, asked):
    with staff_app.test_request_context(), db.connection_context():
        question = Question.get(Question.reference == asked.reference)
        service.note(question, Staff.get(Staff.email == "clerk@test"), "Internal: call him")
    page = asked.client.page(asked.base)
    assert "Internal" not in page.text


def test_remove_access_from_this_browser(staff_app, asked):
    assert asked.post(f"{asked.base}/forget").status == 303
    assert asked.client.get(asked.base).status_code == 404
    assert asked.client.get(asked.link).status_code == 303  # the link still opens it


def test_holds_on_questions_move_when_the_browser_token_is_renewed(staff_app, asked):
    # Opening a case in the same browser gives it a new token: the question stays open,
    # and an old copy of the cookie opens nothing.
    with asked.client.session_transaction() as session:
        old = dict(session)
    journey = Journey(asked.client, lang="it")
    assert journey.start(language="it").status == 303
    assert asked.client.get(asked.base).status_code == 200
    copy = staff_app.test_client()
    with copy.session_transaction() as session:
        session.update(old)
    assert copy.get(asked.base).status_code == 404


def test_a_question_asked_from_a_case_opens_for_whoever_holds_the_case(staff_app):
    owner = Journey(staff_app.test_client(), lang="it")
    owner.start(language="it")
    asker = Asker(owner.client)
    step2 = asker.check(f"?case={owner.reference}")
    asker.send(step2)
    # Another browser that opens the case (with its code) sees the question too.
    other = staff_app.test_client()
    with staff_app.app_context(), db.connection_context():
        question = Question.get(Question.reference == asker.reference)
        QuestionGrant.delete().execute()  # no hold of its own: only through the case
    assert owner.client.get(asker.base).status_code == 200
    assert other.get(asker.base).status_code == 404
    assert question.case_id


def test_sent_page_in_the_askers_zone_when_asked_from_a_case(staff_app):
    owner = Journey(staff_app.test_client(), lang="it")
    owner.start(language="it")
    asker = Asker(owner.client)
    sent = asker.send(asker.check(f"?case={owner.reference}"))
    page = owner.client.page(sent.location)
    due = page.select("time")[0].get_text()
    # Italy's time first, Beijing's beside it.
    assert "Italia" in due or "Roma" in due, due
    assert re.search(r"Pechino", page.text)
    assert "QUESTION" not in page.text and QUESTION


def _convert(app, reference, with_code=False):
    """The window makes the question a draft application (as the staff page does)."""
    from app.cases.from_question import start_from_question
    from app.models import Item
    with app.test_request_context(), db.connection_context():
        question = Question.get(Question.reference == reference)
        clerk = Staff.get(Staff.email == "clerk@test")
        started = start_from_question(Item.active_by_code("JJ-JZ-001"), clerk, question,
                                      country="IT", city="Prato", start_key="k" * 24)
        service.converted(question, clerk, started.case)
        if with_code:
            return started.case.reference, started.access_code
        return started.case.reference


def test_the_asker_is_told_the_question_became_an_application(staff_app, asked):
    case = _convert(staff_app, asked.reference)
    page = asked.client.page(asked.base)
    notice = page.one("#converted").get_text(" ")
    assert case in notice
    assert "lin.mei@example.it" in notice  # where its link and code went
    assert page.links("#converted a.button") == ["/it/cases/find"]
    assert not page.select("#closed")  # not just "closed, ask a new question"
    assert not page.select(f"form[action='{asked.base}/reply']")


def test_a_converted_question_links_its_application_once_this_browser_holds_it(staff_app,
                                                                              asked):
    case, code = _convert(staff_app, asked.reference, with_code=True)
    form = asked.client.page("/it/cases/find").form_data("main form")
    form.update(reference=case, code=code)
    assert asked.client.post("/it/cases/find", data=form).status_code == 303
    page = asked.client.page(asked.base)
    assert page.links("#converted a.button") == [f"/it/cases/{case}"]


def test_remove_access_says_the_truth_when_the_question_opens_through_a_case(staff_app):
    owner = Journey(staff_app.test_client(), lang="it")
    owner.start(language="it")
    asker = Asker(owner.client)
    asker.send(asker.check(f"?case={owner.reference}"))
    page = owner.client.page(asker.base)
    # The browser holds the question itself, and through the case: both are said.
    assert page.select(f"form[action='{asker.base}/forget']")
    assert owner.reference in page.one(".actions").get_text()
    gone = asker.post(f"{asker.base}/forget")
    assert gone.status == 303 and gone.location == asker.base
    page = owner.client.page(gone.location)
    assert owner.reference in " ".join(page.texts(".flash"))
    assert owner.client.get(asker.base).status_code == 200  # as the message says
    # Now it opens only through the case: no button that would do nothing, the way instead.
    assert not page.select(f"form[action='{asker.base}/forget']")
    assert f"/it/cases/{owner.reference}" in page.links("#through-case a")


def test_a_desk_question_is_shown_in_the_service_points_time(staff_app):
    from app.models import ServicePoint
    from app.questions.ask_thread import asker_zone
    from tests.conftest import sign_in
    volunteer = sign_in(staff_app, "volunteer@test")
    form = volunteer.page("/staff/desk/questions/new").form_data("main form.decision")
    form.update(channel="desk", language="it", text="Patente scaduta: cosa faccio?")
    page = volunteer.submit("/staff/desk/questions/new", form, status=201)
    reference = page.select(".slip dd.mono")[0].get_text(strip=True)
    with staff_app.app_context(), db.connection_context():
        question = Question.get(Question.reference == reference)
        point = ServicePoint.get_by_id(question.service_point_id)
        assert point.timezone != "Asia/Shanghai"
        assert asker_zone(question) == point.timezone


def test_language_names_are_in_the_pages_language_on_both_sides(staff_app, asked):
    from tests.conftest import sign_in
    answer(staff_app, asked.reference, "需要护照。", "zh")
    assert "cinese" in asked.client.page(asked.base).one("#thread .tag").get_text()
    staff = sign_in(staff_app, "clerk@test").page(f"/staff/questions/{asked.reference}")
    assert "Written in Chinese" in staff.texts("p.hint")
