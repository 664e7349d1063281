"""Standard return reasons (issue 15, part 3): the clerk picks reasons from the county's
library and may add words of their own; the applicant reads the reasons in their own
language, and the clerk's words marked as theirs, with the language they were written in."""

import email
import email.policy
from datetime import timedelta
from pathlib import Path

from app.clock import beijing_today as today
from app.models import Event, Jurisdiction, MaterialReview, ReturnReason, Staff, db

from ..conftest import decide, make_staff, refuse, sign_in, submitted_case

BACKGROUND_FR = "Le fond de la photo doit être blanc et uni."
BLURRED_FR = "La photo est floue : tenez le téléphone immobile et reprenez-la bien nette."


def future(days=10):
    return (today() + timedelta(days=days)).isoformat()


def emails(app):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))]


def returned_email(app) -> str:
    found = [m for m in emails(app) if "corrections" in m["Subject"] or "corriger" in
             m["Subject"] or "correction" in m["Subject"]]
    assert found, [m["Subject"] for m in emails(app)]
    return found[-1].get_body(("plain",)).get_content()


def chinese_clerk(app):
    with app.app_context(), db.connection_context():
        Staff.update(lang="zh").where(Staff.email == "clerk@test").execute()
    return sign_in(app, "clerk@test")


def test_a_french_case_returned_with_a_standard_reason_reads_it_in_french(staff_app):
    journey = submitted_case(staff_app, lang="fr")
    clerk = sign_in(staff_app, "clerk@test")  # an English page
    decide(clerk, journey.reference, "claim")
    case_page = clerk.page(f"/staff/cases/{journey.reference}")
    offered = case_page.texts("#f-return-reasons_id_photo label")
    assert "The background of the photo must be plain white." in offered
    # A passport is no photo of a person: its list has no background rule.
    assert "The background of the photo must be plain white." not in case_page.texts(
        "#f-return-reasons_passport_page label")
    decide(clerk, journey.reference, "return", materials=["id_photo", "passport_page"],
           reasons_id_photo=["photo_background", "blurred"], reason_id_photo="",
           reason_passport_page="The stamp on page 3 hides your date of birth.",
           due=future())
    with staff_app.app_context(), db.connection_context():
        event = Event.get((Event.kind == "returned"))
        # The keys are kept, never a translation; the clerk's words with their language.
        assert event.data["items"] == [
            {"material": "id_photo", "reasons": ["photo_background", "blurred"], "reason": "",
             "lang": ""},
            {"material": "passport_page", "reasons": [],
             "reason": "The stamp on page 3 hides your date of birth.", "lang": "en"}]
    page = journey.client.page(f"/fr/cases/{journey.reference}/materials")
    beside = page.one("#m-id_photo .returned")
    assert beside.select_one("ul.reasons").get_text("|", strip=True) == (
        f"{BACKGROUND_FR}|{BLURRED_FR}")
    assert beside.select_one(".own-words") is None
    words = page.one("#m-passport_page .returned .own-words")
    assert words.get_text(" ", strip=True) == (
        "Les propres mots de l’agent (écrits en anglais) : "
        "The stamp on page 3 hides your date of birth.")
    assert words.q["lang"] == "en"
    status = journey.client.page(f"/fr/cases/{journey.reference}")
    assert BACKGROUND_FR in status.one("#r-id_photo").get_text()
    assert "Les propres mots de l’agent" in status.one("#r-passport_page").get_text()
    body = returned_email(staff_app)
    assert BACKGROUND_FR in body and BLURRED_FR in body
    assert ("Les propres mots de l’agent (écrits en anglais) : "
            "\"The stamp on page 3 hides your date of birth.\"") in body
    assert "plain white" not in body


def test_a_chinese_clerks_words_on_a_french_case_are_marked_and_the_clerk_warned(staff_app):
    journey = submitted_case(staff_app, lang="fr")
    clerk = chinese_clerk(staff_app)
    decide(clerk, journey.reference, "claim")
    page = clerk.page(f"/staff/cases/{journey.reference}")
    # Beside each of their own words' fields: the applicant reads French.
    warning = page.one("#h-return-reason_id_photo").get_text(strip=True)
    assert "法语" in warning and ("中文" in warning or "汉语" in warning)
    assert "法语" in page.one("#h-review-id_photo-reason").get_text()
    # The standard reasons are offered in the clerk's language.
    assert "照片背景必须是纯白色。" in page.texts("#f-return-reasons_id_photo label")
    decide(clerk, journey.reference, "review", material="id_photo", verdict="correction",
           reason="照片太小了")
    done = clerk.page(f"/staff/cases/{journey.reference}")
    assert "法语" in done.one(".flash.warn").get_text()
    with staff_app.app_context(), db.connection_context():
        review = MaterialReview.get(MaterialReview.material_key == "id_photo")
        assert (review.reason, review.reason_keys, review.reason_lang) == ("照片太小了", [], "zh")
    # The return starts from the verdict, and the words keep their language.
    decide(clerk, journey.reference, "return", materials="id_photo",
           reason_id_photo="照片太小了", due=future())
    assert "法语" in clerk.page(f"/staff/cases/{journey.reference}").one(".flash.warn").get_text()
    page = journey.client.page(f"/fr/cases/{journey.reference}/materials")
    assert page.one("#m-id_photo .own-words").get_text(" ", strip=True) == (
        "Les propres mots de l’agent (écrits en chinois) : 照片太小了")
    assert "(écrits en chinois)" in returned_email(staff_app)


def test_a_standard_verdict_is_shown_to_the_clerk_and_starts_the_return(staff_app):
    journey = submitted_case(staff_app, lang="fr")
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "claim")
    decide(clerk, journey.reference, "review", material="passport_page", verdict="correction",
           reasons="expired")
    page = clerk.page(f"/staff/cases/{journey.reference}")
    assert "It has expired: send one that is valid now." in page.one("#m-passport_page").text
    assert page.first(".flash.warn") is None  # no words of the clerk's own
    assert [i.get("value") for i in page.select(
        "#d-return input[name=reasons_passport_page][checked]")] == ["expired"]


def test_bad_reasons_are_refused_in_the_clerks_language_keeping_what_was_typed(staff_app):
    journey = submitted_case(staff_app, lang="fr")
    with staff_app.app_context(), db.connection_context():
        ReturnReason.update(active=False).where(ReturnReason.key == "glare").execute()
        ReturnReason.create(key="stamp_missing", texts={"en": "The stamp is missing."},
                            jurisdiction=Jurisdiction.get(Jurisdiction.key == "qingtian"))
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "claim")
    for posted, message in (
            ("no_such_reason", "does not exist"), ("stamp_missing", "does not exist"),
            ("glare", "was switched off by an admin"),
            ("photo_background", "is not one for this material")):
        page = refuse(clerk, journey.reference, "return", materials="passport_page",
                      reasons_passport_page=posted, reason_passport_page="Mes mots", due=future())
        assert message in page.one("#e-return-reasons_passport_page").text, posted
        assert page.field("reason_passport_page") == "Mes mots"
        assert page.field("due") == future()
    verdict = refuse(clerk, journey.reference, "review", material="id_photo",
                     verdict="correction", reasons="both_sides", reason="kept")
    assert "is not one for this material" in verdict.one("#m-id_photo .error-summary").text
    assert verdict.field("reason", form=verdict.first("#m-id_photo form")) == "kept"
    # The refusal reads in the clerk's language.
    with staff_app.app_context(), db.connection_context():
        Staff.update(lang="zh").where(Staff.email == "clerk@test").execute()
    chinese = sign_in(staff_app, "clerk@test")
    page = refuse(chinese, journey.reference, "return", materials="passport_page",
                  reasons_passport_page="glare", due=future())
    assert "停用" in page.one("#e-return-reasons_passport_page").text
    with staff_app.app_context(), db.connection_context():
        assert not Event.select().where(Event.kind == "returned").exists()


def test_admins_keep_their_countys_reasons(staff_app):
    make_staff(staff_app, "admin@test", "admin")  # Wencheng's
    admin = sign_in(staff_app, "admin@test")
    listing = admin.page("/staff/admin/return-reasons")
    assert len(listing.select("#reasons tbody tr")) >= 10
    assert listing.one("#reason-blurred").select_one(".missing") is None
    # Add one with two languages: the list and the form warn of the missing four.
    form = admin.page("/staff/admin/return-reasons/new")
    added = admin.submit("/staff/admin/return-reasons/new", {
        "csrf_token": form.csrf(), "key": "stamp_missing", "text_zh": "缺少印章。",
        "text_en": "The stamp is missing: send a stamped copy.", "kinds": "certificate",
        "materials": "foreign_request", "sort": "5", "active": "y"})
    assert added.status == 303
    row = admin.page("/staff/admin/return-reasons").one("#reason-stamp_missing")
    assert "missing in: it, fr, es, pt" in row.get_text()
    with staff_app.app_context(), db.connection_context():
        mine = ReturnReason.get(ReturnReason.key == "stamp_missing")
        assert mine.applies_to == ["certificate", "foreign_request"]
        assert mine.jurisdiction.key == "wencheng"
        default = ReturnReason.get(ReturnReason.key == "blurred",
                                   ReturnReason.jurisdiction.is_null())
    assert "missing in: it, fr, es, pt" in admin.page(
        f"/staff/admin/return-reasons/{mine.id}").one("#missing").text
    # The same key again is refused, with what was typed.
    again = admin.submit("/staff/admin/return-reasons/new", {
        "csrf_token": form.csrf(), "key": "blurred", "text_en": "Mine", "sort": "1"},
        status=422)
    assert "exists already" in again.text and again.field("text_en") == "Mine"
    # Editing a default keeps it as Wencheng's own; switching it off takes it off the list.
    edit = admin.page(f"/staff/admin/return-reasons/{default.id}")
    values = {"csrf_token": edit.csrf(), "sort": "10", "kinds": [],
              **{f"text_{c}": edit.field(f"text_{c}") for c in ("zh", "en", "it", "fr", "es",
                                                                 "pt")}}
    values["text_fr"] = "Photo floue : reprenez-la."
    assert admin.submit(f"/staff/admin/return-reasons/{default.id}", values).status == 303
    with staff_app.app_context(), db.connection_context():
        own = ReturnReason.get(ReturnReason.key == "blurred",
                               ReturnReason.jurisdiction.is_null(False))
        assert own.active is False and own.texts["fr"] == "Photo floue : reprenez-la."
        assert ReturnReason.get_by_id(default.id).active is True
    journey = submitted_case(staff_app, lang="fr")
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "claim")
    offered = clerk.page(f"/staff/cases/{journey.reference}").texts(
        "#f-return-reasons_id_photo label")
    assert not any("blurred" in text for text in offered)
    # Another county still has the default, and cannot open Wencheng's reasons.
    other = sign_in(staff_app, "county.admin@test")
    assert "blurred" in [r.get("id")[7:] for r in other.page(
        "/staff/admin/return-reasons").select("#reasons tbody tr")]
    assert other.get(f"/staff/admin/return-reasons/{own.id}").status_code == 404
    assert other.get(f"/staff/admin/return-reasons/{mine.id}").status_code == 404
    assert clerk.get("/staff/admin/return-reasons").status_code == 403


def test_a_reason_missing_the_applicants_language_reads_in_english(staff_app):
    journey = submitted_case(staff_app, lang="fr")
    with staff_app.app_context(), db.connection_context():
        ReturnReason.create(key="stamp_missing", texts={"zh": "缺少印章。",
                                                        "en": "The stamp is missing."},
                            jurisdiction=Jurisdiction.get(Jurisdiction.key == "wencheng"))
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "claim")
    decide(clerk, journey.reference, "return", materials="passport_page",
           reasons_passport_page="stamp_missing", due=future())
    page = journey.client.page(f"/fr/cases/{journey.reference}/materials")
    assert page.one("#m-passport_page .reasons").get_text(strip=True) == "The stamp is missing."
