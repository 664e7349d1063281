"""Volunteers write down questions asked at their desk or on the phone, and relay answers."""

from app.models import Jurisdiction, Question, QuestionEvent, Staff, db
from tests.conftest import sign_in

from .conftest import question_of


def _form(volunteer):
    return volunteer.page("/staff/desk/questions/new").form_data("main form.decision")


def test_volunteer_logs_a_phone_question_and_hands_over_reference_and_code(staff_app):
    volunteer = sign_in(staff_app, "volunteer@test")
    assert "Write down a question" in volunteer.page("/staff/point/").main
    form = _form(volunteer)
    with staff_app.app_context(), db.connection_context():
        wencheng = Jurisdiction.local_by_key("wencheng").id
    assert form["county"] == str(wencheng)  # the only county the point serves
    form.update(channel="phone", language="zh", text="<script>x</script> 驾照到期了怎么办？",
                name="王先生", phone="+39 333 123 4567", item="JJ-JZ-001")
    page = volunteer.submit("/staff/desk/questions/new", form, status=201)
    reference = page.select(".slip dd.mono")[0].get_text(strip=True)
    code = page.select(".slip dd.mono")[1].get_text(strip=True)
    assert reference.startswith("QA-") and len(code) >= 6
    question = question_of(staff_app, reference)
    assert (question.channel, question.locale, question.asker_name) == ("phone", "zh", "王先生")
    assert question.contact_phone == "+393331234567"
    with staff_app.app_context(), db.connection_context():
        assert question.logged_by_id == Staff.get(Staff.email == "volunteer@test").id
        event = QuestionEvent.get(QuestionEvent.question == question.id)
        assert event.kind == "logged"
        from app.cases.access import secret_hash
        assert question.access_code_hash == secret_hash(code.replace("-", "").replace(" ", "")) \
            or question.access_code_hash == secret_hash(code)
    # Sent twice (Back and send): the same question, no second one, no code shown again.
    again = volunteer.submit("/staff/desk/questions/new", form, status=200)
    assert reference in again.main and "already sent" in again.main
    with staff_app.app_context(), db.connection_context():
        assert Question.select().count() == 1
    # The clerk sees it in the queue with its channel and point; the script is text.
    clerk = sign_in(staff_app, "clerk@test")
    row = clerk.page("/staff/questions").one("#questions-table tbody tr").get_text(" ")
    assert "By phone to a service point" in row and "Milano" in row
    assert "<script>x</script>" in row
    assert "&lt;script&gt;" in clerk.get("/staff/questions").get_data(as_text=True)
    # The window answers; the volunteer reads the answer, not the internal notes.
    url = f"/staff/questions/{reference}"
    clerk.submit(f"{url}/note", {"note": "Internal only"}, csrf_from=url)
    clerk.submit(f"{url}/answer", {"text": "请在网上续期。", "lang": "zh"}, csrf_from=url)
    page = volunteer.page(f"/staff/desk/questions/{reference}")
    assert "请在网上续期。" in page.main and "Internal only" not in page.main
    assert "Answered" in volunteer.page("/staff/desk/questions").main


def test_refusals_keep_what_was_typed(staff_app):
    volunteer = sign_in(staff_app, "volunteer@test")
    form = _form(volunteer)
    form.update(text="", name="Anna", email="not-an-address", item="ZZ-NOPE")
    page = volunteer.submit("/staff/desk/questions/new", form, status=422)
    errors = " ".join(page.errors())
    assert "Write down the question." in errors
    assert "Choose a service of the county chosen, or none." in errors
    assert page.field("name") == "Anna"
    form.update(text="x" * 20000, email="", item="")
    page = volunteer.submit("/staff/desk/questions/new", form, status=422)
    assert "5,000 characters" in " ".join(page.errors())
    assert page.field("text") == "x" * 20000
    form.update(text="ok", start_key="")
    page = volunteer.submit("/staff/desk/questions/new", form, status=422)
    assert "out of date" in " ".join(page.errors())
    with staff_app.app_context(), db.connection_context():
        assert Question.select().count() == 0
