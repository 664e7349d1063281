"""Standard answers kept by admins: six languages before they are offered, per county."""

from app.models import Jurisdiction, StandardAnswer, db
from tests.conftest import make_staff, sign_in

from .conftest import ask


def test_every_county_has_the_defaults_in_six_languages(staff_app):
    with staff_app.app_context(), db.connection_context():
        for county in Jurisdiction.counties():
            rows = list(StandardAnswer.select().where(StandardAnswer.jurisdiction == county.id))
            assert {r.key for r in rows} >= {"apply_online", "which_county"}
            assert all(r.usable for r in rows)


def test_admin_adds_an_answer_offered_only_with_six_languages(staff_app):
    make_staff(staff_app, "admin@test", "admin")
    admin = sign_in(staff_app, "admin@test")
    assert "Please apply online" in admin.page("/staff/admin/answers").main
    data = {"key": "fee_waived", "sort": "5", "active": "y",
            "title_zh": "免费", "text_zh": "该事项免费。", "title_en": "No fee",
            "text_en": "This service is free."}
    admin.submit("/staff/admin/answers/new", data, csrf_from="/staff/admin/answers/new")
    listed = admin.page("/staff/admin/answers")
    row = listed.one("#answer-fee_waived").get_text(" ")
    assert "missing in:" in row and "Italiano" in row and "Not until every language" in row
    reference = ask(staff_app)
    clerk = sign_in(staff_app, "clerk@test")
    assert "免费" not in clerk.page(f"/staff/questions/{reference}").main
    # The same key again is refused, with what was typed kept.
    page = admin.submit("/staff/admin/answers/new", data, csrf_from="/staff/admin/answers/new",
                        status=422)
    assert "exists already" in " ".join(page.errors())
    assert page.field("text_zh") == "该事项免费。"
    with staff_app.app_context(), db.connection_context():
        answer = StandardAnswer.get(StandardAnswer.key == "fee_waived")
    edit = f"/staff/admin/answers/{answer.id}"
    form = admin.page(edit).form_data()
    assert "missing in:" in admin.page(edit).main
    for code, word in (("it", "Gratis"), ("fr", "Gratuit"), ("es", "Gratis"), ("pt", "Grátis")):
        form[f"title_{code}"], form[f"text_{code}"] = word, f"{word}."
    admin.submit(edit, form)
    assert "All six" in admin.page("/staff/admin/answers").one("#answer-fee_waived").get_text()
    page = clerk.page(f"/staff/questions/{reference}")
    assert "No fee" in page.main


def test_bad_input_is_refused_with_a_message(staff_app):
    make_staff(staff_app, "admin@test", "admin")
    admin = sign_in(staff_app, "admin@test")
    page = admin.submit("/staff/admin/answers/new", {"key": "Bad Key!", "sort": "x",
                                                     "text_zh": "x" * 6000},
                        csrf_from="/staff/admin/answers/new", status=422)
    errors = " ".join(page.errors())
    assert "lower-case letters" in errors and "whole number" in errors
    assert "5,000 characters" in errors


def test_another_countys_answers_are_not_found(staff_app):
    with staff_app.app_context(), db.connection_context():
        wencheng = StandardAnswer.get((StandardAnswer.key == "apply_online") & (
            StandardAnswer.jurisdiction == Jurisdiction.local_by_key("wencheng").id)).id
    county_admin = sign_in(staff_app, "county.admin@test")
    assert county_admin.get(f"/staff/admin/answers/{wencheng}").status_code == 404
    assert sign_in(staff_app, "clerk@test").get("/staff/admin/answers").status_code == 403
