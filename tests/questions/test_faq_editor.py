"""The FAQ editor: an entry drafted from a question (anonymised), six languages with a
status each, publish only when all six are ready, edit after publish, withdraw, scope."""

from app.models import FaqEntry, FaqItem, QuestionEvent, Question
from app.questions.faq import anonymised
from tests.conftest import csrf_token, sign_in

from .faqdata import TEXTS, asked_and_answered, ctx, published_entry


def entry_row(app, entry_id) -> FaqEntry:
    with ctx(app):
        return FaqEntry.get_by_id(entry_id)


def save_text(client, entry_id, locale, question, answer, ready=True, seen=None, status=303):
    url = f"/staff/admin/faq/{entry_id}/text?locale={locale}"
    page = client.page(url)
    data = {"csrf_token": page.csrf(), "locale": locale, "question": question, "answer": answer,
            "seen": page.form_data()["seen"] if seen is None else seen}
    if ready:
        data["ready"] = "y"
    response = client.post(f"/staff/admin/faq/{entry_id}/text", data=data)
    assert response.status_code == status, response.get_data(as_text=True)[-2000:]
    return response


def test_anonymising_takes_out_what_tells_who_asked():
    text = anonymised("Sono Mario Rossi, mario.rossi@example.it, tel. +39 333 123 4567, "
                      "身份证 33032719800101123X, passaporto E12345678, OV-2024-0001-23 e "
                      "QA-1111-2222-33; il 2025-03-01 scade. 我叫王小明，电话13812345678。",
                      ["Mario Rossi", "王小明"])
    for gone in ("Mario", "Rossi", "mario.rossi", "333 123", "33032719800101123X", "E12345678",
                 "OV-2024", "QA-1111", "王小明", "13812345678"):
        assert gone not in text, (gone, text)
    assert "2025-03-01" in text and "scade" in text and "passaporto" in text


def test_a_clerk_drafts_an_entry_from_a_question_anonymised(staff_app):
    reference = asked_and_answered(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/faq")
    data = page.form_data()
    assert "mario.rossi@example.it" not in page.text and "Rossi" not in data["question"]
    assert "330327198001011234" not in data["question"] and "OV-2024" not in data["question"]
    assert "QA-1111" not in data["answer"] and "Mario" not in data["answer"]
    assert "***" in data["question"] and "patente" in data["question"]
    assert data["question_lang"] == data["answer_lang"] == "it"
    # The asker's script is text in the form, never markup.
    assert "<script>alert(1)</script>" in data["question"]
    assert not page.select("main script")
    response = clerk.post(f"/staff/questions/{reference}/faq", data=data)
    # A clerk may draft, not edit or publish: back to the question's FAQ page, which
    # lists the draft.
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/questions/{reference}/faq")
    page = clerk.page(response.headers["Location"])
    assert "supervisor or admin" in page.text and page.select("#made li")
    assert clerk.get("/staff/admin/faq").status_code == 403
    with ctx(staff_app):
        question = Question.by_reference(reference)
        entry = FaqEntry.get(FaqEntry.source == question.id)
        assert entry.status == "draft" and entry.jurisdiction_id == question.jurisdiction_id
        assert set(entry.texts) == {"it"} and "***" in entry.texts["it"]["question"]
        assert [link.item.code for link in FaqItem.select().where(FaqItem.entry == entry)] == [
            "JJ-JZ-001"]
    # The supervisor goes straight to the editor.
    supervisor = sign_in(staff_app, "supervisor@test")
    response = supervisor.post(f"/staff/questions/{reference}/faq", data=dict(
        data, csrf_token=csrf_token(supervisor, f"/staff/questions/{reference}/faq")))
    assert response.status_code == 303 and "/staff/admin/faq/" in response.headers["Location"]


def test_a_question_of_another_county_or_office_is_not_found(staff_app):
    reference = asked_and_answered(staff_app)
    for email in ("county.clerk@test", "county.admin@test", "other.officer@test"):
        client = sign_in(staff_app, email)
        assert client.get(f"/staff/questions/{reference}/faq").status_code == 404, email
    assert sign_in(staff_app, "clerk@test").get("/staff/questions/QA-0000-0000-00/faq"
                                                ).status_code == 404
    assert staff_app.test_client().get(f"/staff/questions/{reference}/faq").status_code == 403


def test_an_empty_draft_from_a_question_is_refused_with_what_was_typed(staff_app):
    reference = asked_and_answered(staff_app, answer=False)
    clerk = sign_in(staff_app, "clerk@test")
    page = clerk.page(f"/staff/questions/{reference}/faq")
    data = page.form_data()
    assert data["answer"] == ""
    data["question"] = "Una domanda mia"
    response = clerk.submit(f"/staff/questions/{reference}/faq", data, status=422)
    assert response.field_error("answer") == "Write the answer."
    assert response.form_data()["question"] == "Una domanda mia"


def test_publish_is_refused_until_all_six_languages_are_ready(staff_app):
    supervisor = sign_in(staff_app, "supervisor@test")
    page = supervisor.page("/staff/admin/faq/new")
    response = supervisor.post("/staff/admin/faq/new", data=dict(
        page.form_data(), county="wencheng", question=TEXTS["zh"]["question"],
        answer=TEXTS["zh"]["answer"]))
    assert response.status_code == 303
    url = response.headers["Location"]
    entry_id = int(url.rsplit("/", 1)[1])
    page = supervisor.page(url)
    assert page.one("#lang-zh .badge").get_text() == "Draft"
    assert page.one("#lang-it .badge").get_text() == "Text missing"
    refused = supervisor.submit(f"{url}/publish", {"csrf_token": page.csrf()}, status=422)
    message = refused.one(".error-summary").get_text(" ", strip=True)
    assert "same rule as the catalog" in message
    for name in ("中文", "English", "Italiano", "Français", "Español", "Português"):
        assert name in message
    for locale, text in TEXTS.items():
        if locale != "pt":
            save_text(supervisor, entry_id, locale, text["question"], text["answer"])
    save_text(supervisor, entry_id, "pt", TEXTS["pt"]["question"], TEXTS["pt"]["answer"],
              ready=False)
    refused = supervisor.submit(f"{url}/publish", {"csrf_token": page.csrf()}, status=422)
    message = refused.one(".error-summary").get_text(" ", strip=True)
    assert "Português" in message and "Italiano" not in message
    assert entry_row(staff_app, entry_id).status == "draft"
    save_text(supervisor, entry_id, "pt", TEXTS["pt"]["question"], TEXTS["pt"]["answer"])
    response = supervisor.post(f"{url}/publish", data={"csrf_token": page.csrf()})
    assert response.status_code == 303
    row = entry_row(staff_app, entry_id)
    assert row.status == "published" and row.published_at and "patente" in row.search_text
    assert staff_app.test_client().get(f"/it/faq/{entry_id}").status_code == 200


def test_publishing_an_entry_from_a_question_is_on_the_question_once(staff_app):
    reference = asked_and_answered(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    form = supervisor.page(f"/staff/questions/{reference}/faq").form_data()
    url = supervisor.post(f"/staff/questions/{reference}/faq", data=form).headers["Location"]
    entry_id = int(url.rsplit("/", 1)[1])
    for locale, text in TEXTS.items():
        save_text(supervisor, entry_id, locale, text["question"], text["answer"])
    token = supervisor.page(url).csrf()
    assert supervisor.post(f"{url}/publish", data={"csrf_token": token}).status_code == 303
    assert supervisor.post(f"{url}/withdraw", data={"csrf_token": token}).status_code == 303
    assert entry_row(staff_app, entry_id).status == "withdrawn"
    assert staff_app.test_client().get(f"/en/faq/{entry_id}").status_code == 404
    assert supervisor.post(f"{url}/publish", data={"csrf_token": token}).status_code == 303
    with ctx(staff_app):
        question = Question.by_reference(reference)
        published = list(QuestionEvent.select().where(
            (QuestionEvent.question == question.id) & (QuestionEvent.kind == "published")))
        assert [event.data for event in published] == [{"faq": entry_id}]


def test_editing_a_published_entry_keeps_it_published(staff_app):
    entry_id = published_entry(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    save_text(supervisor, entry_id, "en", "Can I renew my driving licence from Milan?",
              TEXTS["en"]["answer"])
    row = entry_row(staff_app, entry_id)
    assert row.status == "published" and "milan" in row.search_text
    # A published entry keeps a text in every language.
    response = save_text(supervisor, entry_id, "fr", "", "", ready=False, status=422)
    assert "withdraw it first" in response.get_data(as_text=True)
    assert entry_row(staff_app, entry_id).texts["fr"] == TEXTS["fr"]


def test_a_published_entry_never_goes_half_translated(staff_app, client):
    """A save that would leave a language not ready is refused, the text kept: a new
    Chinese (the others would be drafts again), or a language saved with "ready" unticked.
    Readers in every language keep reading the same answer."""
    entry_id = published_entry(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    assert "withdraw the entry first" in supervisor.page(
        f"/staff/admin/faq/{entry_id}/text?locale=zh").one("main .notice").get_text()
    new_chinese = "在米兰可以换领驾驶证吗？"
    response = save_text(supervisor, entry_id, "zh", new_chinese, TEXTS["zh"]["answer"],
                         status=409)
    body = response.get_data(as_text=True)
    assert new_chinese in body  # what was typed comes back
    assert "Not saved: readers see this entry" in body and "Withdraw it first" in body
    assert "English" in body and "Italiano" in body  # the languages it would have left
    row = entry_row(staff_app, entry_id)
    assert row.texts["zh"] == TEXTS["zh"] and set(row.locale_status.values()) == {"ready"}
    assert new_chinese not in client.get(f"/zh/faq/{entry_id}").get_data(as_text=True)
    # "Ready" unticked on a published entry: refused on the form, the text kept.
    response = save_text(supervisor, entry_id, "it", "Domanda riscritta?", "Risposta.",
                         ready=False, status=422)
    body = response.get_data(as_text=True)
    assert "Domanda riscritta?" in body and "withdraw the entry first" in body
    assert entry_row(staff_app, entry_id).texts["it"] == TEXTS["it"]
    assert "Domanda riscritta?" not in client.get(f"/it/faq/{entry_id}").get_data(as_text=True)
    # The same saves once withdrawn: the Chinese changes, the other languages are drafts.
    token = supervisor.page(f"/staff/admin/faq/{entry_id}").csrf()
    assert supervisor.post(f"/staff/admin/faq/{entry_id}/withdraw",
                           data={"csrf_token": token}).status_code == 303
    save_text(supervisor, entry_id, "zh", new_chinese, TEXTS["zh"]["answer"])
    page = supervisor.page(f"/staff/admin/faq/{entry_id}")
    assert page.one("#lang-zh .badge").get_text() == "Ready"
    assert page.one("#lang-en .badge").get_text() == "Draft"
    assert entry_row(staff_app, entry_id).status == "withdrawn"


def test_the_service_refuses_a_half_translated_published_entry(staff_app):
    from app.questions import faq
    entry_id = published_entry(staff_app)
    with ctx(staff_app):
        row = FaqEntry.get_by_id(entry_id)
        for locale, question, ready in (("zh", "新的问题？", True), ("pt", "Pergunta?", False)):
            try:
                faq.save_text(row, locale, question, TEXTS[locale]["answer"], ready)
            except faq.PublishedNotReady as refused:
                assert refused.locales == (["en", "it", "fr", "es", "pt"] if locale == "zh"
                                           else ["pt"])
            else:
                raise AssertionError(f"saved {locale}")
        assert FaqEntry.get_by_id(entry_id).texts == TEXTS


def test_a_save_over_someone_elses_is_refused_and_keeps_the_text(staff_app):
    entry_id = published_entry(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    stale = supervisor.page(f"/staff/admin/faq/{entry_id}/text?locale=it").form_data()["seen"]
    save_text(supervisor, entry_id, "it", "Domanda nuova?", "Risposta nuova.")
    response = save_text(supervisor, entry_id, "it", "La mia domanda?", "La mia risposta.",
                         seen=stale, status=409)
    body = response.get_data(as_text=True)
    assert "La mia domanda?" in body and "Domanda nuova?" in body
    assert entry_row(staff_app, entry_id).texts["it"]["question"] == "Domanda nuova?"


def test_bad_text_is_refused_with_what_was_typed(staff_app):
    entry_id = published_entry(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    long_text = "x" * 6000
    response = save_text(supervisor, entry_id, "es", "¿Pregunta?", long_text, status=422)
    assert "At most 5000 characters" in response.get_data(as_text=True)
    assert long_text in response.get_data(as_text=True)
    assert supervisor.get("/staff/admin/faq/999999").status_code == 404
    assert supervisor.get("/staff/admin/faq/abc").status_code == 404
    page = supervisor.page(f"/staff/admin/faq/{entry_id}/text?locale=xx")
    assert page.one("h1").get_text().startswith("Text in 中文")


def test_entries_are_scoped_to_the_county_and_read_only_above_it(staff_app):
    entry_id = published_entry(staff_app)
    admin = sign_in(staff_app, "county.admin@test")  # Qingtian's
    assert admin.get(f"/staff/admin/faq/{entry_id}").status_code == 404
    assert admin.get(f"/staff/admin/faq/{entry_id}/text?locale=en").status_code == 404
    token = admin.page("/staff/admin/faq").csrf()
    assert admin.post(f"/staff/admin/faq/{entry_id}/withdraw",
                      data={"csrf_token": token}).status_code == 404
    assert f"entry-{entry_id}" not in admin.page("/staff/admin/faq").text
    province = sign_in(staff_app, "province@test")
    page = province.page(f"/staff/admin/faq/{entry_id}")
    assert not page.select("form[action$='/withdraw']")
    assert province.page("/staff/admin/faq").select(f"#entry-{entry_id}")
    assert province.post(f"/staff/admin/faq/{entry_id}/withdraw",
                         data={"csrf_token": page.csrf()}).status_code == 403
    assert entry_row(staff_app, entry_id).status == "published"


def test_the_list_shows_statuses_and_what_readers_answered(staff_app):
    entry_id = published_entry(staff_app)
    with ctx(staff_app):
        FaqEntry.update(helpful_yes=7, helpful_no=2).where(FaqEntry.id == entry_id).execute()
    supervisor = sign_in(staff_app, "supervisor@test")
    row = supervisor.page("/staff/admin/faq").one(f"#entry-{entry_id}").get_text(" ", strip=True)
    assert "Published" in row and "Yes: 7 · No: 2" in row and "Can I renew" in row
    assert supervisor.page("/staff/admin/faq?status=draft").select(f"#entry-{entry_id}") == []
    assert supervisor.page("/staff/admin/faq?status=published&county=wencheng&page=x").select(
        f"#entry-{entry_id}")
    assert supervisor.page("/staff/admin/faq?lacking=it").select(f"#entry-{entry_id}") == []


def test_the_county_and_services_of_an_entry(staff_app):
    entry_id = published_entry(staff_app)
    supervisor = sign_in(staff_app, "supervisor@test")
    page = supervisor.page(f"/staff/admin/faq/{entry_id}")
    data = page.form_data("form[action$='/faq/%d']" % entry_id)
    boxes = page.select("input[name=items]")
    assert len(boxes) > 5 and [b["value"] for b in boxes if b.has_attr("checked")]
    other = [b["value"] for b in boxes if not b.has_attr("checked")][0]
    response = supervisor.post(f"/staff/admin/faq/{entry_id}", data={
        "csrf_token": data["csrf_token"], "county": "wencheng", "items": [other]})
    assert response.status_code == 303
    with ctx(staff_app):
        assert [str(link.item_id) for link in FaqItem.select().where(
            FaqItem.entry == entry_id)] == [other]
    response = supervisor.submit(f"/staff/admin/faq/{entry_id}", {
        "csrf_token": data["csrf_token"], "county": "qingtian"}, status=422)
    assert response.field_error("county") == "Choose a county of your jurisdiction."


def test_a_question_asked_from_a_case_loses_the_applicants_names(staff_app):
    """Asked from a case, the question has no asker name of its own: the names are the
    case's (the applicant's in both scripts, the agent's), and they go too."""
    import secrets

    from app.models import Case, Jurisdiction, Staff
    from app.questions import service
    from tests.conftest import submitted_case
    journey = submitted_case(staff_app, lang="it", entrust=True)
    with ctx(staff_app):
        case = Case.get(Case.reference == journey.reference)
        question, _token, _code = service.ask(
            county=Jurisdiction.local_by_key("wencheng"), locale="it", case=case,
            text="Sono LIN Mei (林美). Mio fratello 林建国 può ritirare la patente? Lin chiede.",
            start_key=secrets.token_hex(8), asker_name="")
        service.answer(question, Staff.get(Staff.email == "clerk@test"),
                       "Sì, signora Lin Mei: 林建国 porti la delega.", "it")
        reference = question.reference
    data = sign_in(staff_app, "clerk@test").page(f"/staff/questions/{reference}/faq").form_data()
    for name in ("LIN Mei", "Lin Mei", "林美", "林建国"):
        assert name not in data["question"] and name not in data["answer"], name
    assert "fratello" in data["question"] and "delega" in data["answer"]
    assert data["question"].count("***") >= 3


def test_a_form_posted_twice_makes_one_entry(staff_app):
    """Each form that makes an entry carries a one-time key: its post replayed (a double
    click, a resent post) opens the entry the first post made."""
    from app.models import AuditEvent
    supervisor = sign_in(staff_app, "supervisor@test")
    form = dict(supervisor.page("/staff/admin/faq/new").form_data(), county="wencheng",
                question=TEXTS["zh"]["question"], answer=TEXTS["zh"]["answer"])
    first = supervisor.post("/staff/admin/faq/new", data=form)
    again = supervisor.post("/staff/admin/faq/new", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    # A new page is a new key: a second entry on purpose.
    other = dict(supervisor.page("/staff/admin/faq/new").form_data(), county="wencheng",
                 question="另一个问题？", answer="另一个回答。")
    assert supervisor.post("/staff/admin/faq/new", data=other).headers["Location"] != \
        first.headers["Location"]
    # The same from a question: the clerk's draft is made once.
    reference = asked_and_answered(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    data = clerk.page(f"/staff/questions/{reference}/faq").form_data()
    for _ in range(3):
        assert clerk.post(f"/staff/questions/{reference}/faq", data=data).status_code == 303
    with ctx(staff_app):
        question = Question.by_reference(reference)
        assert FaqEntry.select().where(FaqEntry.source == question.id).count() == 1
        assert FaqEntry.select().count() == 3
        assert AuditEvent.select().where(AuditEvent.action == "faq_created").count() == 3
    assert len(clerk.page(f"/staff/questions/{reference}/faq").select("#made li")) == 1


def test_a_form_without_its_key_is_refused_with_the_text_kept(staff_app):
    supervisor = sign_in(staff_app, "supervisor@test")
    form = dict(supervisor.page("/staff/admin/faq/new").form_data(), county="wencheng",
                question="我的问题？", answer="我的回答。", start_key="")
    page = supervisor.submit("/staff/admin/faq/new", form, status=422)
    assert "out of date" in " ".join(page.errors())
    data = page.form_data()
    assert data["question"] == "我的问题？" and len(data["start_key"]) >= 16
    assert supervisor.submit("/staff/admin/faq/new", data).status_code == 303
