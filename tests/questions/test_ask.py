"""Asking a question: the two steps, the answers suggested before sending, files, the page
after sending, exactly once, and bad input (issue 17, points 1 and 2)."""

import pytest

from app.models import (Case, FaqEntry, Item, Jurisdiction, Question, QuestionEvent,
                        QuestionFile, SuggestionShown, db)
from app.questions.faqtext import search_text_of
from tests.conftest import Journey, jpeg_bytes, pdf_bytes, png_bytes
from tests.pages import Page

from .asker import QUESTION, Asker

SCRIPT = "<script>alert('x')</script> Come rinnovo la patente?"


def rows(app, model, *where):
    with app.app_context(), db.connection_context():
        query = model.select()
        return list(query.where(*where) if where else query)


def question_of(app, reference) -> Question:
    with app.app_context(), db.connection_context():
        return Question.get(Question.reference == reference)


def faq(app, question="Posso rinnovare la patente di guida dall'estero?"):
    """A published FAQ entry of Wencheng about renewing a driving licence."""
    texts = {"it": {"question": question, "answer": "Sì: si fa online, con le foto."},
             "zh": {"question": "在国外可以换驾驶证吗？", "answer": "可以。"}}
    with app.app_context(), db.connection_context():
        county = Jurisdiction.local_by_key("wencheng")
        return FaqEntry.create(jurisdiction=county.id, texts=texts, status="published",
                               locale_status={"it": "ready", "zh": "ready"},
                               search_text=search_text_of(texts)).id


@pytest.fixture
def asker(app):
    return Asker(app.test_client())


def test_every_way_in_leads_to_the_ask_page(app, client):
    guide = client.page("/it/services/JJ-JZ-001")
    assert "/it/questions/new?item=JJ-JZ-001" in guide.links()
    assert "/it/questions/new" in client.page("/it/").links()
    catalog = client.page("/it/services?county=wencheng")
    assert any(link.startswith("/it/questions/new") for link in
               catalog.links(".other-matter a"))
    owner = Journey(app.test_client(), lang="it")
    owner.start(language="it")
    status = owner.client.page(owner.base)
    assert f"/it/questions/new?case={owner.reference}" in status.links()


def test_from_a_guide_the_county_and_item_are_known(app, asker):
    entry = faq(app)
    step1 = asker.client.page("/it/questions/new?item=JJ-JZ-001")
    assert step1.field("county") == "wencheng"
    assert step1.field("item") == "JJ-JZ-001"
    step2 = asker.check("?item=JJ-JZ-001")
    assert step2.status == 200
    assert step2.one("h1").get_text().strip()
    links = step2.links("#suggestions a")
    assert links and links[0].startswith("/it/questions/suggested/")
    assert "Posso rinnovare la patente" in step2.text
    # The guide the asker came from is not suggested back to them.
    assert not any("JJ-JZ-001" in a for a in links)
    # Step 2 carries what was typed; sending records the question once.
    sent = asker.send(step2)
    assert sent.status == 303
    question = question_of(app, asker.reference)
    with app.app_context(), db.connection_context():
        assert question.item.code == "JJ-JZ-001"
        assert question.jurisdiction.key == "wencheng"
        assert question.contact_email == "lin.mei@example.it"
        assert question.asker_name == "Lin Mei"
        assert question.locale == "it"
        shown = SuggestionShown.get(SuggestionShown.question == question.id)
        assert shown.shown[0] == f"faq:{entry}" and shown.opened_at is None
    page = asker.client.page(sent.location)
    assert asker.reference in page.text
    code = page.texts(".panel strong")[1]
    assert len(code) == 9 and code[4] == "-"
    assert "/it/questions/open/" in page.one("#private-link a")["href"]
    assert page.first("time")["datetime"].endswith("Z")


def test_a_suggestion_opened_is_counted_once_and_leads_to_its_answer(app, asker):
    entry = faq(app)
    step2 = asker.check()
    key = step2.links("#suggestions a")[0].split("/")[-2]
    shown = rows(app, SuggestionShown, SuggestionShown.key == key)[0].shown
    first = step2.links("#suggestions a")[shown.index(f"faq:{entry}")]
    answer = asker.client.get(first)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/it/faq/{entry}"
    opened = rows(app, SuggestionShown, SuggestionShown.key == key)[0].opened_at
    assert opened is not None
    asker.client.get(first)
    assert rows(app, SuggestionShown, SuggestionShown.key == key)[0].opened_at == opened
    items = [link for link in step2.links("#suggestions a")]
    assert asker.client.get(f"/it/questions/suggested/{key}/99").status_code == 404
    assert asker.client.get("/it/questions/suggested/nokey/0").status_code == 404
    assert len(items) >= 2
    second = asker.client.get(items[1])
    assert second.headers["Location"].startswith("/it/")
    # Opened, and not sent: the row has no question (the figure "resolved by a suggestion").
    assert rows(app, SuggestionShown, SuggestionShown.key == key)[0].question_id is None


def test_when_nothing_matches_step_2_says_so_and_still_sends(app, asker):
    step2 = asker.check(text="Xyzzy qwerty plugh?")
    assert step2.one("#no-suggestions")
    assert not step2.select("#suggestions")
    assert asker.send(step2).status == 303


def test_i_dont_know_goes_to_the_first_county_which_passes_it_on(app, asker):
    step1 = asker.client.page("/it/questions/new")
    assert "unknown" in [o["value"] for o in step1.select("select[name=county] option")]
    step2 = asker.check(county="unknown")
    assert step2.status == 200 and step2.one("p.meta")
    asker.send(step2)
    with app.app_context(), db.connection_context():
        first = Jurisdiction.counties()[0]
        assert question_of(app, asker.reference).jurisdiction_id == first.id


def test_bad_input_is_refused_with_a_message_and_kept(app, asker):
    empty = asker.check(text="   ")
    assert empty.status == 422
    assert empty.field_error("text")
    long = "patente " * 2500  # 20,000 characters pasted
    refused = asker.check(text=long)
    assert refused.status == 422
    assert "5000" in refused.field_error("text").replace(".", "").replace(" ", "")
    assert refused.field("text") == long  # kept as pasted
    bad_phone = asker.check(phone="12")
    assert bad_phone.status == 422 and bad_phone.field_error("phone")
    bad_email = asker.check(email="lin.mei@")
    assert bad_email.status == 422 and bad_email.field_error("email")
    assert bad_email.field("text") == QUESTION
    no_county = asker.check(county="")
    assert no_county.status == 422 and no_county.field_error("county")
    assert not rows(app, Question)


def test_a_forged_start_key_is_400(app, asker):
    data = dict(asker.form(), text=QUESTION, county="wencheng", start_key="short")
    assert asker.client.post("/it/questions/new", data=data).status_code == 400


def test_a_script_stays_text_everywhere(app, asker):
    step2 = asker.check(text=SCRIPT)
    assert step2.one("#your-question").get_text() == SCRIPT
    assert "<script>alert" not in step2.html
    asker.send(step2)
    thread = asker.client.page(asker.base)
    assert SCRIPT in thread.text
    assert "<script>alert" not in thread.html
    assert question_of(app, asker.reference).reference


def test_files_go_through_the_checks_of_materials(app, asker):
    step2 = asker.check()
    refused = asker.send(step2, files=[(b"just some text, not a photo", "letter.jpg")])
    assert refused.status == 415
    assert refused.field_error("files")
    # Nothing typed is lost: the same question is carried, and sent with the next post.
    assert refused.form_data("#send-form")["text"] == QUESTION
    too_many = asker.send(refused, files=[(jpeg_bytes(), f"p{n}.jpg") for n in range(4)])
    assert too_many.status == 422 and too_many.field_error("files")
    assert not rows(app, Question)
    sent = asker.send(too_many, files=[(jpeg_bytes(), "letter.jpg"), (pdf_bytes(), "form.pdf"),
                                       (png_bytes(), "screen.png")])
    assert sent.status == 303
    stored = rows(app, QuestionFile)
    assert sorted(f.content_type for f in stored) == ["application/pdf", "image/jpeg",
                                                      "image/jpeg"]
    assert {f.original_name for f in stored} == {"letter.jpg", "form.pdf", "screen.jpg"}
    # The refused posts showed one list of suggestions: counted once.
    assert len(rows(app, SuggestionShown)) == 1


def test_sent_exactly_once_a_replay_opens_the_same_question(app, asker):
    step2 = asker.check()
    data = dict(step2.form_data("#send-form"), stage="send")
    first = asker.client.post("/it/questions/new", data=data)
    assert first.status_code == 303
    again = asker.client.post("/it/questions/new", data=data)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert len(rows(app, Question)) == 1
    # Another browser posting the same form (a copied page) gets nothing.
    other = app.test_client()
    data["csrf_token"] = Page(other.get("/it/questions/new")).csrf()
    assert other.post("/it/questions/new", data=data).status_code == 409
    assert len(rows(app, Question)) == 1


def test_a_lost_answer_is_found_again_by_the_browser_that_sent_it(app, asker):
    step2 = asker.check()
    data = dict(step2.form_data("#send-form"), stage="send")
    with asker.client.session_transaction() as before:
        kept = dict(before)
    assert asker.client.post("/it/questions/new", data=data).status_code == 303
    # The answer (and the cookie it set) never arrived: the browser still has the old one.
    with asker.client.session_transaction() as session:
        session.clear()
        session.update(kept)
    again = asker.client.post("/it/questions/new", data=data)
    assert again.status_code == 303
    page = asker.client.page(again.headers["Location"])
    assert len(page.texts(".panel strong")) == 2  # the code the lost answer would have shown
    assert len(rows(app, Question)) == 1


def test_asked_from_a_case_no_contact_fields_and_linked(app):
    owner = Journey(app.test_client(), lang="it")
    owner.start(language="it")
    asker = Asker(owner.client)
    step1 = owner.client.page(f"/it/questions/new?case={owner.reference}")
    assert step1.one("#from-case")
    assert not step1.select("[name=email]") and not step1.select("[name=county]")
    step2 = asker.check(f"?case={owner.reference}", text=QUESTION)
    assert step2.status == 200
    assert asker.send(step2).status == 303
    with app.app_context(), db.connection_context():
        question = Question.get(Question.reference == asker.reference)
        case = Case.get(Case.reference == owner.reference)
        assert question.case_id == case.id
        assert question.item_id == case.item_id
        assert question.jurisdiction_id == Item.get_by_id(case.item_id).department.jurisdiction_id
        assert question.contact_email == case.contact_email
    # Someone else's case: the link shows the plain form, a post naming it is 404.
    stranger = Asker(app.test_client())
    plain = stranger.client.page(f"/it/questions/new?case={owner.reference}")
    assert plain.select("[name=email]") and not plain.select("#from-case")
    data = dict(stranger.form(), text=QUESTION, case=owner.reference)
    assert stranger.client.post("/it/questions/new", data=data).status_code == 404


def test_change_my_question_goes_back_with_everything(app, asker):
    step2 = asker.check(text="Prima versione della domanda sulla patente")
    data = dict(step2.form_data("#send-form"), stage="edit")
    back = Page(asker.client.post("/it/questions/new", data=data))
    assert back.status == 200
    assert back.field("text") == "Prima versione della domanda sulla patente"
    assert back.field("email") == "lin.mei@example.it"
    assert not rows(app, Question)


def test_the_asked_event_holds_the_text_and_the_language(app, asker):
    asker.ask()
    event = rows(app, QuestionEvent)[0]
    assert (event.kind, event.body, event.lang, event.actor) == ("asked", QUESTION, "it", "asker")


def test_a_guide_of_another_county_does_not_ride_on_the_question(app, asker):
    step2 = asker.check("?item=JJ-JZ-001", county="qingtian")  # a Wencheng guide
    assert step2.status == 200
    assert not step2.select("p.caption")  # the Wencheng service is not shown as the matter
    asker.send(step2)
    question = question_of(app, asker.reference)
    with app.app_context(), db.connection_context():
        assert question.jurisdiction.key == "qingtian" and question.item_id is None
    # The guide's own county keeps it.
    same = Asker(app.test_client())
    step2 = same.check("?item=JJ-JZ-001", county="wencheng")
    assert step2.one("p.caption")
    same.send(step2)
    assert question_of(app, same.reference).item_id is not None


def test_i_dont_know_searches_the_answers_of_every_county(app, asker):
    with app.app_context(), db.connection_context():
        first = Jurisdiction.counties()[0]
        other = next(c for c in Jurisdiction.counties() if c.id != first.id)
        texts = {"it": {"question": "Come si ottiene il certificato di parentela notarile?",
                        "answer": "Con il libretto di famiglia."}}
        entry = FaqEntry.create(jurisdiction=other.id, texts=texts, status="published",
                                locale_status={"it": "ready"},
                                search_text=search_text_of(texts)).id
    text = "Certificato di parentela notarile: come si ottiene?"
    assert asker.check(text=text, county=first.key).status == 200
    shown = rows(app, SuggestionShown)[-1].shown
    assert f"faq:{entry}" not in shown  # a county chosen: its own answers
    unknown = Asker(app.test_client()).check(text=text, county="unknown")
    shown = rows(app, SuggestionShown)[-1]
    assert f"faq:{entry}" in shown.shown
    assert shown.jurisdiction_id == first.id  # counted for the window that receives it
    assert "parentela" in unknown.one("#suggestions").get_text()


def test_the_answer_time_follows_the_setting(app, asker):
    app.config["QUESTION_ANSWER_DAYS"] = 3
    step1 = asker.client.get("/en/questions/new").get_data(as_text=True)
    assert "within 3 Chinese working days." in step1 and "two working days" not in step1
    results = asker.client.get("/en/services?county=wencheng").get_data(as_text=True)
    assert "The window answers within 3 Chinese working days:" in results
    guide = asker.client.get("/en/services/JJ-JZ-001").get_data(as_text=True)
    assert "within 3 Chinese working days" in guide
    app.config["QUESTION_ANSWER_DAYS"] = 1
    en = Asker(app.test_client(), lang="en")
    sent = en.ask()
    assert "within 1 Chinese working day:" in sent.main
    assert "within 1 Chinese working day." in en.client.get("/en/questions/new").get_data(
        as_text=True)
