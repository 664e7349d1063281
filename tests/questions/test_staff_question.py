"""The staff's question page: the thread, the files, and each action with its refusals."""


from app.models import AuditEvent, QuestionEvent, Staff, StandardAnswer, db
from tests.conftest import jpeg_bytes, sign_in

from .conftest import ask, question_of


def _events(app, reference):
    with app.app_context(), db.connection_context():
        return list(QuestionEvent.select().where(
            QuestionEvent.question == question_of(app, reference).id).order_by(QuestionEvent.id))


def test_script_in_a_question_is_text_on_every_staff_page(staff_app):
    reference = ask(staff_app, text="<script>alert('x')</script>\nsecond line")
    clerk = sign_in(staff_app, "clerk@test")
    for url in ("/staff/questions", f"/staff/questions/{reference}"):
        html = clerk.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def test_the_page_shows_language_contact_and_due_time(staff_app):
    reference = ask(staff_app, asker_name="Lin Mei")
    page = sign_in(staff_app, "clerk@test").page(f"/staff/questions/{reference}")
    assert "Italiano" in page.main and "lin.mei@example.it" in page.main
    # Asked Tuesday 17 Nov 2026 14:30 in Beijing: due on the 2nd working day at closing time.
    assert "19 Nov 2026 22:00 (Beijing time)" in page.main
    assert "Lin Mei" in page.main
    with staff_app.app_context(), db.connection_context():
        assert AuditEvent.select().where((AuditEvent.action == "question_view")
                                         & (AuditEvent.target == reference)).exists()


def test_free_answer_in_chinese_and_the_asker_language(staff_app):
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/questions/{reference}"
    page = clerk.page(url)
    assert page.field("lang", page.form("#d-answer")) == "zh"  # English staff page: Chinese
    assert [o["value"] for o in page.select("#d-answer select[name=lang] option")] == ["zh", "it"]
    clerk.submit(f"{url}/answer", {"text": "可以，请在网上办理。", "lang": "zh"}, csrf_from=url)
    answer = _events(staff_app, reference)[-1]
    assert (answer.kind, answer.lang, answer.body) == ("answer", "zh", "可以，请在网上办理。")
    # The answer owes the asker an email, through the outbox: sent at once here (the job
    # queue runs immediately in tests), pending until the worker runs in production.
    assert answer.recipients == ["asker"] and answer.outbox_state in ("pending", "sent")
    question = question_of(staff_app, reference)
    assert question.status == "answered" and question.due_at is None
    assert question.answered_in_time is True
    page = clerk.page(url)
    assert "Written in 中文" in page.main
    # A language that is neither Chinese nor the asker's is refused.
    refused = clerk.submit(f"{url}/answer", {"text": "Yes.", "lang": "fr"}, csrf_from=url,
                           status=422)
    assert "Choose Chinese or the asker's language." in " ".join(refused.errors())


def test_standard_answer_goes_in_the_askers_language(staff_app):
    reference = ask(staff_app, locale="it")
    with staff_app.app_context(), db.connection_context():
        standard = StandardAnswer.get((StandardAnswer.key == "which_county")
                                      & (StandardAnswer.jurisdiction
                                         == question_of(staff_app, reference).jurisdiction_id))
        italian = standard.texts["it"]
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/questions/{reference}"
    # Chosen and sent as it is: the Italian text.
    page = clerk.page(f"{url}?standard={standard.id}")
    form = page.form_data("#d-answer")
    assert form["standard"] == str(standard.id) and form["text"] == italian
    clerk.submit(f"{url}/answer", form)
    sent = _events(staff_app, reference)[-1]
    assert (sent.body, sent.lang, sent.standard_answer_id) == (italian, "it", standard.id)
    # Edited first: the edited words go, still marked as the asker's language.
    form = clerk.page(f"{url}?standard={standard.id}").form_data("#d-answer")
    form["text"] = italian + "\nContea di Wencheng?"
    clerk.submit(f"{url}/answer", form)
    sent = _events(staff_app, reference)[-1]
    assert sent.body.endswith("Contea di Wencheng?") and sent.lang == "it"
    # Chosen with an empty box: the standard text itself.
    form["text"] = ""
    form["lang"] = "zh"
    clerk.submit(f"{url}/answer", form, csrf_from=url)
    sent = _events(staff_app, reference)[-1]
    assert (sent.body, sent.lang) == (italian, "it")


def test_a_standard_answer_rewritten_in_chinese_says_so(staff_app):
    """A standard answer goes in the box in the asker's language; staff may rewrite it in
    Chinese and say so with "Written in" (the asker then sees it marked as Chinese)."""
    reference = ask(staff_app, locale="it")
    with staff_app.app_context(), db.connection_context():
        standard = StandardAnswer.get((StandardAnswer.key == "which_county")
                                      & (StandardAnswer.jurisdiction
                                         == question_of(staff_app, reference).jurisdiction_id))
        italian = standard.texts["it"]
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/questions/{reference}"
    page = clerk.page(f"{url}?standard={standard.id}")
    assert page.field("lang", page.form("#d-answer")) == "it"  # the asker's, to start with
    assert [o["value"] for o in page.select("#d-answer select[name=lang] option")] == ["zh", "it"]
    form = dict(page.form_data("#d-answer"), text="请告诉我们您的户籍在哪个县。", lang="zh")
    clerk.submit(f"{url}/answer", form)
    sent = _events(staff_app, reference)[-1]
    assert (sent.body, sent.lang, sent.standard_answer_id) == (
        "请告诉我们您的户籍在哪个县。", "zh", standard.id)
    assert "Written in 中文" in clerk.page(url).main
    # The standard text sent as it is stays the asker's language, whatever the select said.
    form = dict(clerk.page(f"{url}?standard={standard.id}").form_data("#d-answer"), lang="zh")
    clerk.submit(f"{url}/answer", form)
    assert (_events(staff_app, reference)[-1].body, _events(staff_app, reference)[-1].lang) == (
        italian.strip(), "it")
    # A page that did not offer the choice (no ``lang`` posted): the asker's language.
    form = clerk.page(f"{url}?standard={standard.id}").form_data("#d-answer")
    form.pop("lang")
    form["text"] = italian + " Grazie."
    clerk.submit(f"{url}/answer", form)
    assert _events(staff_app, reference)[-1].lang == "it"


def test_refused_answers_keep_the_text(staff_app):
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/questions/{reference}"
    page = clerk.submit(f"{url}/answer", {"text": "   ", "lang": "zh"}, csrf_from=url, status=422)
    assert "Write the answer, or choose a standard answer." in " ".join(page.errors())
    long_text = "x" * 20000
    page = clerk.submit(f"{url}/answer", {"text": long_text, "lang": "it"}, csrf_from=url,
                        status=422)
    assert "Keep it to 5,000 characters or fewer." in " ".join(page.errors())
    assert page.field("text", page.form("#d-answer")) == long_text
    assert page.field("lang", page.form("#d-answer")) == "it"
    page = clerk.submit(f"{url}/answer", {"text": "<b>ok</b>", "lang": "it",
                                          "standard": "999999"}, csrf_from=url, status=422)
    assert "Choose one of the standard answers offered." in " ".join(page.errors())
    # Closed: the answer is refused, with the words kept.
    clerk.submit(f"{url}/close", {}, csrf_from=url)
    page = clerk.submit(f"{url}/answer", {"text": "Too late?", "lang": "zh"}, csrf_from=url,
                        status=409)
    assert "The question is closed: reopen it first." in " ".join(page.errors())
    assert page.field("text", page.form("#d-answer")) == "Too late?"
    assert [e.kind for e in _events(staff_app, reference)] == ["asked", "closed"]


def test_note_assign_transfer_close_reopen(staff_app):
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/questions/{reference}"
    page = clerk.submit(f"{url}/note", {"note": ""}, csrf_from=url, status=422)
    assert "Write the note." in " ".join(page.errors())
    clerk.submit(f"{url}/note", {"note": "Call the traffic office <first>."}, csrf_from=url)
    page = clerk.page(url)
    internal = page.one(".thread li.internal")
    assert "Internal: the asker does not see this" in internal.get_text()
    assert "Call the traffic office <first>." in internal.get_text()
    with staff_app.app_context(), db.connection_context():
        colleague = Staff.get(Staff.email == "clerk2@test").id
        me = Staff.get(Staff.email == "clerk@test").id
    clerk.submit(f"{url}/assign", {"to": str(colleague)}, csrf_from=url)
    assert question_of(staff_app, reference).assigned_to_id == colleague
    clerk.submit(f"{url}/assign", {"to": str(me)}, csrf_from=url)
    assert question_of(staff_app, reference).assigned_to_id == me
    page = clerk.submit(f"{url}/assign", {"to": "123456"}, csrf_from=url, status=422)
    assert "Choose who handles the question." in " ".join(page.errors())
    clerk.submit(f"{url}/assign", {"to": "nobody"}, csrf_from=url)
    assert question_of(staff_app, reference).assigned_to_id is None
    # Transfer: a reason is needed; to the traffic department of the county.
    from app.models import Department
    with staff_app.app_context(), db.connection_context():
        traffic = Department.get(Department.key == "traffic-vehicle-office").id
    page = clerk.submit(f"{url}/transfer", {"to": f"d{traffic}", "why": ""}, csrf_from=url,
                        status=422)
    assert "Say why the question goes there." in " ".join(page.errors())
    assert page.field("to", page.form("#d-transfer")) == f"d{traffic}"
    clerk.submit(f"{url}/transfer", {"to": f"d{traffic}", "why": "Licence question."},
                 csrf_from=url)
    assert question_of(staff_app, reference).department_id == traffic
    assert "Vehicle and Driver Administration Office" in clerk.page(url).one(".thread li:last-child").get_text()
    clerk.submit(f"{url}/close", {}, csrf_from=url)
    assert question_of(staff_app, reference).status == "closed"
    page = clerk.page(url)
    assert not page.select("#d-answer") and page.select("#d-reopen")
    assert clerk.submit(f"{url}/close", {}, csrf_from=url, status=409)
    clerk.submit(f"{url}/reopen", {}, csrf_from=url)
    question = question_of(staff_app, reference)
    assert question.status == "waiting" and question.due_at is not None
    kinds = [e.kind for e in _events(staff_app, reference)]
    assert kinds == ["asked", "note", "assigned", "assigned", "assigned", "transferred",
                     "closed", "reopened"]


def test_transfer_to_another_countys_window_goes_back_to_the_queue(staff_app):
    from app.models import Office
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    url = f"/staff/questions/{reference}"
    with staff_app.app_context(), db.connection_context():
        window = Office.get(Office.key == "qingtian-police-window").id
    done = clerk.submit(f"{url}/transfer", {"to": f"o{window}", "why": "Qingtian's matter."},
                        csrf_from=url)
    assert done.location.endswith("/staff/questions")
    assert clerk.get(url).status_code == 404
    assert sign_in(staff_app, "county.clerk@test").get(url).status_code == 200


def test_files_download_as_attachments_with_an_audit_event(staff_app):
    from app.uploads.service import prepare
    with staff_app.app_context(), db.connection_context():
        prepared = prepare(jpeg_bytes(), ["jpeg", "png", "pdf"])
    prepared["name"] = "licence.jpg"
    reference = ask(staff_app, files=[prepared])
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}")
    link = page.links(".thread .files a")[0]
    response = clerk.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    with staff_app.app_context(), db.connection_context():
        assert AuditEvent.select().where(AuditEvent.action == "question_file_download").exists()
    # Another question's file under this reference: 404.
    other = ask(staff_app)
    assert clerk.get(link.replace(reference, other)).status_code == 404
    assert sign_in(staff_app, "county.clerk@test").get(link).status_code == 404
