"""A question from an item guide to the FAQ, in real browsers (issue 17).

An Italian asker (a phone in Milan, it-IT) asks from the licence guide, sees the answers
that may help first and sends anyway; a clerk of the window (zh-CN, Beijing) answers with
a standard answer, which goes out in Italian; the asker opens the private link from the
email on another browser, reads the answer in Italian and replies; the clerk drafts an
FAQ entry from the question; the supervisor (who answers for what the county publishes)
completes the six languages and publishes it; a new visitor finds it by searching in
Chinese and says it helped. Interface texts come from the real catalogs (translations/),
never typed here by hand.
"""

import email
import re
from email import policy
from functools import cache
from pathlib import Path

from babel.support import Translations
from playwright.sync_api import expect

from app.models import FaqEntry, Item, Question, QuestionEvent, StandardAnswer, Staff, db

from ..conftest import make_staff, totp_now
from .test_journey_browser import TIMEOUT_MS
from .test_volunteer_italian_browser import english_left, shot

ROOT = Path(__file__).resolve().parents[2]
ASKED = ("Buongiorno, vivo a Milano: come posso rinnovare la patente di guida cinese che "
         "scade a marzo? <script>alert(1)</script>")
REPLY = "Grazie! Posso mandare le foto dei documenti dal telefono?"
#: The entry the supervisor publishes, in six languages.
ENTRY = {
    "zh": ("在意大利怎样换领驾驶证？", "可以在线申请换领，照片和材料用手机上传，亲属代领或邮寄。"),
    "en": ("How do I renew my driving licence from Italy?",
           "Apply online: upload photos of the papers from your phone; a relative collects "
           "the new licence or it is posted."),
    "it": ("Come rinnovo la patente cinese dall'Italia?",
           "Si chiede online: carichi le foto dei documenti dal telefono; la nuova patente la "
           "ritira un parente o arriva per posta."),
    "fr": ("Comment renouveler mon permis chinois depuis l'Italie ?",
           "En ligne : envoyez les photos des pièces depuis votre téléphone ; un proche retire "
           "le nouveau permis ou il est envoyé."),
    "es": ("¿Cómo renuevo el permiso de conducir chino desde Italia?",
           "En línea: suba fotos de los documentos desde el teléfono; un familiar recoge el "
           "nuevo permiso o se envía."),
    "pt": ("Como renovo a carta de condução chinesa a partir de Itália?",
           "Online: envie fotos dos documentos pelo telemóvel; um familiar levanta a nova "
           "carta ou é enviada."),
}


@cache
def _catalog(lang):
    return Translations.load(str(ROOT / "translations"), [lang])


def t(msgid, lang="it"):
    """``msgid`` as the real catalog of ``lang`` translates it (and it must be translated)."""
    text = _catalog(lang).gettext(msgid)
    assert text != msgid, f"not translated to {lang}: {msgid!r}"
    return text


def context_of(browser, locale, zone, width=1280, height=900):
    context = browser.new_context(locale=locale, timezone_id=zone,
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text else None)
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    return context, page, problems


def sign_in(page, base, app, email_address):
    """Password, then the authenticator code (the pages in the browser's language)."""
    with app.app_context(), db.connection_context():
        Staff.update(totp_last_step=0).where(Staff.email == email_address).execute()
    page.goto(f"{base}/staff/login")
    page.locator("input[name=email]").fill(email_address)
    page.locator("input[name=password]").fill("correct horse battery")
    page.locator("main form button[type=submit]").click()
    page.locator("input[name=code]").fill(totp_now())
    page.locator("main form button[type=submit]").click()
    expect(page.locator("header")).to_contain_text(email_address.split("@")[0])


def mails_to(app, address) -> list:
    """The emails written to the outbox for ``address``, oldest first."""
    found = []
    for path in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def test_a_question_from_a_guide_becomes_an_answer_for_everyone(browser, live_server, tmp_path):
    app, base = live_server.app, str(live_server)
    make_staff(app, "chiara.clerk@test", "clerk", office="police-global-window")
    make_staff(app, "wang.supervisor@test", "supervisor", office="police-global-window")
    with app.app_context(), db.connection_context():
        licence = Item.active_by_code("JJ-JZ-001")
    asker, page, asker_problems = context_of(browser, "it-IT", "Europe/Rome", 412, 915)
    clerk, desk, clerk_problems = context_of(browser, "zh-CN", "Asia/Shanghai")
    try:
        # 1. The asker, on the licence guide, asks in Italian.
        page.goto(f"{base}/it/services/JJ-JZ-001")
        page.get_by_role("link", name=t("Ask a question"), exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Ask the window a question"))
        expect(page.locator(".caption")).to_contain_text(licence.names["it"])
        page.get_by_label(t("Your question")).fill(ASKED)
        page.get_by_label(t("Email address")).fill("lin.mei@example.it")
        page.get_by_role("button", name=t("Continue")).click()

        # 2. The answers that may help come first; the question is shown as typed.
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Before you send: these answers may help"))
        suggestions = page.locator("#suggestions li")
        expect(suggestions.first).to_be_visible()
        assert suggestions.count() >= 1
        expect(page.locator("#your-question")).to_have_text(ASKED)
        assert english_left(page) == [], english_left(page)
        shot(page, tmp_path, "question-suggestions")
        page.get_by_role("button", name=t("Send my question")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Question sent"))
        reference = page.locator(".panel strong.big").first.inner_text().strip()
        assert re.fullmatch(r"QA-\d{4}-\d{4}-\d{2}", reference), reference
        shot(page, tmp_path, "question-sent")
        with app.app_context(), db.connection_context():
            question = Question.get(Question.reference == reference)
            assert question.locale == "it" and question.item_id == licence.id
            assert question.suggestions.count() == 1  # shown, and sent all the same
            standard = StandardAnswer.get((StandardAnswer.key == "apply_online")
                                          & (StandardAnswer.jurisdiction
                                             == question.jurisdiction_id))

        # 3. The clerk answers with a standard answer, which goes out in Italian.
        sign_in(desk, base, app, "chiara.clerk@test")
        desk.goto(f"{base}/staff/questions")
        desk.get_by_role("link", name=reference).click()
        expect(desk.locator("main")).to_contain_text("<script>alert(1)</script>")
        desk.locator("#standard-pick").select_option(str(standard.id))
        desk.get_by_role("button", name=t("Put it in the answer box", "zh")).click()
        box = desk.locator("#f-answer-text")
        expect(box).to_have_value(standard.texts["it"])
        shot(desk, tmp_path, "question-clerk-answer")
        desk.get_by_role("button", name=t("Send the answer", "zh")).click()
        expect(desk.locator("main")).to_contain_text(standard.texts["it"])

        # 4. The email brings the private link; on another phone it opens the question,
        # and the answer reads in Italian.
        first, answered = mails_to(app, "lin.mei@example.it")[:2]
        link = re.search(r"https?://\S+/it/questions/open/\S+", first.get_content()).group(0)
        assert standard.texts["it"] in answered.get_content()
        assert "<script>" not in answered.get_content() or "alert(1)" in ASKED
        later, phone, later_problems = context_of(browser, "it-IT", "Europe/Rome", 412, 915)
        try:
            phone.goto(link.replace(app.config["PUBLIC_URL"], base))
            assert "/open/" not in phone.url
            expect(phone.locator("#question-status")).to_contain_text(t("Answered"))
            expect(phone.locator("main")).to_contain_text(standard.texts["it"])
            assert english_left(phone) == [], english_left(phone)
            shot(phone, tmp_path, "question-thread")
            phone.get_by_label(t("Your reply")).fill(REPLY)
            phone.get_by_role("button", name=t("Send my reply")).click()
            expect(phone.locator("main")).to_contain_text(REPLY)
            expect(phone.locator("#question-status")).to_contain_text(
                t("Waiting for an answer"))
            assert later_problems == [], later_problems
        finally:
            later.close()

        # 5. The clerk drafts an FAQ entry from it (anonymised); a supervisor completes it.
        desk.goto(f"{base}/staff/questions/{reference}")
        expect(desk.locator("main")).to_contain_text(REPLY)
        desk.get_by_role("link", name=t("Publish to the FAQ", "zh")).click()
        expect(desk.locator("textarea[name=question]")).not_to_have_value("")
        desk.get_by_role("button", name=t("Make the draft entry", "zh")).click()
        with app.app_context(), db.connection_context():
            entry = FaqEntry.get(FaqEntry.source == question.id)
            assert entry.status == "draft"
            assert "lin.mei@example.it" not in str(entry.texts)
        assert clerk_problems == [], clerk_problems
        clerk.close()
        clerk, desk, clerk_problems = context_of(browser, "zh-CN", "Asia/Shanghai")
        sign_in(desk, base, app, "wang.supervisor@test")
        for locale, (asked, answer) in ENTRY.items():
            desk.goto(f"{base}/staff/admin/faq/{entry.id}/text?locale={locale}")
            desk.locator("#f-question").fill(asked)
            desk.locator("#f-answer").fill(answer)
            desk.locator("#f-ready").check()
            desk.locator("main form button[type=submit]").click()
            expect(desk.locator(f"#lang-{locale}")).to_contain_text(asked[:10])
        desk.goto(f"{base}/staff/admin/faq/{entry.id}")
        desk.locator(f"#f-items-{licence.id}").check()
        desk.get_by_role("button", name=t("Save", "zh"), exact=True).click()
        desk.get_by_role("button", name=t("Publish", "zh"), exact=True).click()
        expect(desk.locator("h1 .badge")).to_have_text(t("Published", "zh"))
        shot(desk, tmp_path, "question-faq-published")
        with app.app_context(), db.connection_context():
            assert QuestionEvent.select().where((QuestionEvent.question == question.id)
                                                & (QuestionEvent.kind == "published")).exists()
        assert clerk_problems == [], clerk_problems
        assert asker_problems == [], asker_problems
    finally:
        asker.close()
        clerk.close()

    # 6. A new visitor, in Chinese, finds it by searching, and it helped.
    visitor, home, visitor_problems = context_of(browser, "zh-CN", "Europe/Paris", 412, 915)
    try:
        home.goto(f"{base}/zh/services")
        home.locator("#q").fill("换领驾驶证")
        home.locator("#q").press("Enter")
        found = home.locator(".answers-found").get_by_role("link", name=ENTRY["zh"][0])
        expect(found).to_be_visible()
        found.click()
        expect(home.get_by_role("heading", level=1)).to_have_text(ENTRY["zh"][0])
        expect(home.locator("main")).to_contain_text(ENTRY["zh"][1])
        shot(home, tmp_path, "question-faq-found")
        home.get_by_role("button", name=t("Yes", "zh"), exact=True).click()
        with app.app_context(), db.connection_context():
            assert FaqEntry.get_by_id(entry.id).helpful_yes == 1
        assert visitor_problems == [], visitor_problems
    finally:
        visitor.close()
