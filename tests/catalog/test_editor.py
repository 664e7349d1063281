"""The item editor: a county's catalog admin changes an item field by field in a draft,
previews it, and publishes it as the next version; creates new items and sub-items;
two admins on one draft lose nothing; every edit is audited; another county's admin
gets 404."""

import pytest

from app.models import AuditEvent, Item, ItemDraft, ItemVersion, db

from ..conftest import make_staff, sign_in
from ..pages import Page

LIST = "/staff/admin/catalog"
CODE = "QT-GA-HJ-001"


@pytest.fixture
def admins(app):
    make_staff(app, "qt.admin@test", "admin", jurisdiction="qingtian")
    make_staff(app, "qt.second@test", "admin", jurisdiction="qingtian")
    make_staff(app, "wc.admin@test", "admin", jurisdiction="wencheng")
    return app


def start_draft(client, code=CODE) -> str:
    token = Page(client.get(LIST)).csrf()
    response = client.post(f"{LIST}/{code}/draft", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    return response.headers["Location"]


def section(client, name, code=CODE, **query) -> Page:
    url = f"{LIST}/{code}/draft/{name}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    page = Page(client.get(url))
    assert page.status == 200, page.main[:400]
    return page


def save(client, page, changes, code=CODE, name=None, status=303, drop=()) -> Page:
    data = page.form_data()
    data.update(changes)
    for key in drop:
        data.pop(key, None)
    url = f"{LIST}/{code}/draft/{name}"
    response = client.post(url, data=data)
    assert response.status_code == status, Page(response).errors() or Page(response).main[:600]
    return Page(response)


def draft_of(app, code=CODE) -> ItemDraft:
    with app.app_context(), db.connection_context():
        return ItemDraft.get(ItemDraft.code == code)


def item_of(app, code=CODE) -> Item:
    with app.app_context(), db.connection_context():
        return Item.get(Item.code == code)


def publish(client, code=CODE, status=303) -> Page:
    token = Page(client.get(f"{LIST}/{code}/draft")).csrf()
    response = client.post(f"{LIST}/{code}/draft/publish", data={"csrf_token": token})
    assert response.status_code == status, Page(response).errors() or Page(response).main[:600]
    return Page(response)


def test_an_admin_changes_each_section_previews_and_publishes_the_next_version(admins):
    admin = sign_in(admins, "qt.admin@test")
    assert start_draft(admin).endswith(f"{LIST}/{CODE}/draft")
    before = item_of(admins)

    basics = section(admin, "basics")
    assert basics.field("time_limit_days") == str(before.time_limit_days)
    save(admin, basics, {"fee_amount": "35,5", "time_limit_days": "12",
                         "delivery.electronic": "1"}, name="basics")
    materials = section(admin, "materials")
    first = materials.select("input[name$='.max_files']")[0]["name"]
    save(admin, materials, {first: "3", "new_key": "old_photo", "new_name": "旧照片",
                            "new_need": "optional"}, name="materials")
    steps = section(admin, "steps")
    step = steps.select("input[name='remove_step']")[0]["value"]
    save(admin, steps, {f"nf.{step}.key": "previous_city", f"nf.{step}.type": "text",
                        f"nf.{step}.label": "以前居住的城市"}, name="steps")
    text = section(admin, "text", locale="it")
    assert "needs review" not in text.title.lower()
    save(admin, text, {"name": "Nome nuovo del servizio", "m.old_photo.name": "Foto vecchia",
                       f"f.{step}.previous_city.label": "Città dove viveva prima",
                       "done": "1"}, name="text")

    draft = draft_of(admins)
    doc = draft.document
    assert doc["fee"]["amount"] == "35.50" and doc["time_limit_days"] == 12
    assert "electronic" in doc["delivery"]
    assert doc["materials"][0]["max_files"] == 3
    assert doc["materials"][-1] == {"key": "old_photo", "name": {"zh": "旧照片", "it": "Foto vecchia"},
                                    "essential": True, "formats": ["jpeg", "png", "pdf"],
                                    "min_files": 0, "max_files": 1}
    assert item_of(admins).time_limit_days == before.time_limit_days, "not published yet"

    overview = Page(admin.get(f"{LIST}/{CODE}/draft"))
    statuses = dict(zip(overview.texts("table.queue tbody tr td:first-child"),
                        overview.texts("table.queue tbody tr td:nth-child(2) .badge")))
    assert statuses["中文"] == "Needs review" or statuses["中文"] == "Done"
    assert statuses["Italiano"] == "Done"
    assert statuses["English"] == "Missing", "the new material and field have no English yet"

    preview = Page(admin.get(f"{LIST}/{CODE}/draft/preview?locale=it"))
    assert preview.status == 200
    assert "Nome nuovo del servizio" in preview.title and "Foto vecchia" in preview.main
    assert "Città dove viveva prima" in preview.main
    assert preview.first("html")["lang"] == "it"
    assert not preview.select("a[href*='/start']"), "a preview starts no application"

    publish(admin)
    after = item_of(admins)
    assert after.version == before.version + 1 and after.time_limit_days == 12
    assert "en" not in after.locales and "it" in after.locales and "zh" in after.locales
    with admins.app_context(), db.connection_context():
        assert not ItemDraft.select().where(ItemDraft.code == CODE).exists()
        kept = ItemVersion.get((ItemVersion.item == after.id)
                               & (ItemVersion.version == before.version))
        assert kept.content["time_limit_days"] == before.time_limit_days
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.target == CODE)
                   .order_by(AuditEvent.id)]
    assert actions == ["catalog_draft_start"] + ["catalog_draft_edit"] * 4 + ["catalog_publish"]
    listed = Page(admin.get(f"{LIST}?q={CODE}"))
    assert "published as version 2" in listed.text
    row = listed.one("table.queue tbody tr")
    assert "en" in row.get_text(" ")

    english = Page(admin.get(f"/en/services/{CODE}"))
    assert "not yet written in your language" in english.main
    assert "旧照片" in english.main, "English falls back to Chinese where it is missing"


def test_a_broken_edit_names_the_field_and_loses_nothing_typed(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    revision = draft_of(admins).revision
    page = save(admin, section(admin, "basics"),
                {"time_limit_days": "twelve", "fee_amount": "-3", "kind": "Mixed Case",
                 "fee_currency": "CNY"}, name="basics", status=422,
                drop=[f"delivery.{d}" for d in ("courier", "electronic", "agent_pickup",
                                                "self_pickup")])
    summary = page.texts(".error-summary li")
    assert any(s.startswith("Time limit in working days") for s in summary)
    assert any(s.startswith("Fee:") for s in summary)
    assert any(s.startswith("How the result is received") for s in summary)
    assert page.field("time_limit_days") == "twelve" and page.field("kind") == "Mixed Case"
    assert page.field_error("time_limit_days").startswith("Enter a whole number")
    assert draft_of(admins).revision == revision, "nothing saved"

    steps = section(admin, "steps")
    step = steps.select("input[name='remove_step']")[0]["value"]
    choice = save(admin, steps, {f"nf.{step}.key": "Bad Key", f"nf.{step}.label": "问题"},
                  name="steps", status=422)
    assert choice.field(f"nf.{step}.key") == "Bad Key" and choice.field(f"nf.{step}.label") == "问题"
    assert choice.field_error(f"nf.{step}.key").startswith("Enter a new key")


def test_broken_edits_are_told_in_the_admins_language(admins):
    admin = sign_in(admins, "qt.admin@test")
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    start_draft(admin)
    page = save(admin, section(admin, "basics"), {"time_limit_days": "0"}, name="basics",
                status=422)
    assert "工作日" in page.field_error("time_limit_days")


def test_two_admins_on_one_draft_each_keep_their_work_and_the_second_is_told(admins):
    first = sign_in(admins, "qt.admin@test")
    second = sign_in(admins, "qt.second@test")
    start_draft(first)
    assert start_draft(second).endswith(f"{LIST}/{CODE}/draft"), "the same draft"
    mine = section(first, "text", locale="zh")
    theirs = section(second, "text", locale="zh")
    save(first, mine, {"summary": "第一位管理员写的摘要。"}, name="text")
    told = save(second, theirs, {"summary": "第二位管理员写的摘要。", "guidance": "新的办事指南。"},
                name="text", status=409)
    assert "qt.admin" in told.one("#conflicts").get_text(" ")
    assert "Summary" in told.one("#conflicts").get_text(" ")
    assert told.field("summary") == "第二位管理员写的摘要。", "what the second admin typed"
    doc = draft_of(admins).document
    assert doc["summary"]["zh"] == "第一位管理员写的摘要。", "the first save stands"
    assert doc["guidance"]["zh"] == "新的办事指南。", "the second admin's other change is saved"
    save(second, told, {}, name="text")
    assert draft_of(admins).document["summary"]["zh"] == "第二位管理员写的摘要。"
    with admins.app_context(), db.connection_context():
        edits = [e.data for e in AuditEvent.select().where(
            (AuditEvent.target == CODE) & (AuditEvent.action == "catalog_draft_edit"))
            .order_by(AuditEvent.id)]
    assert [e["conflicts"] for e in edits] == [[], ["summary"], []]


def test_changing_the_chinese_sends_other_languages_back_to_review(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    assert "Done" in section(admin, "text", locale="fr").one("h1 .badge").get_text()
    save(admin, section(admin, "text", locale="zh"), {"name": "户口登记（新名称）", "done": "1"},
         name="text")
    assert "Needs review" in section(admin, "text", locale="fr").one("h1 .badge").get_text()
    refused = save(admin, section(admin, "text", locale="fr"), {"name": "", "done": "1"},
                   name="text", status=422)
    assert refused.field_error("done").startswith("Write every required text")


def test_a_new_item_and_a_sub_item_are_written_previewed_and_published(admins):
    admin = sign_in(admins, "qt.admin@test")
    form = Page(admin.get(f"{LIST}/new"))
    data = form.form_data()
    data.update(code="qt-test-001", name="测试事项", department="qingtian-psb-household",
                category="household-registration")
    response = admin.post(f"{LIST}/new", data=data)
    assert response.status_code == 303, Page(response).errors()
    overview = Page(admin.get(f"{LIST}/QT-TEST-001/draft"))
    assert "not yet published" in overview.main
    assert any("Summary" in p and "Chinese text is empty" in p
               for p in overview.texts(".error-summary li"))
    publish(admin, "QT-TEST-001", status=422)
    assert Page(admin.get(f"{LIST}/QT-TEST-001/draft/preview")).status == 422
    save(admin, section(admin, "text", "QT-TEST-001", locale="zh"),
         {"summary": "一句话摘要。", "guidance": "指南。", "next_steps": "下一步。"},
         code="QT-TEST-001", name="text")
    assert Page(admin.get(f"{LIST}/QT-TEST-001/draft/preview?locale=zh")).status == 200
    publish(admin, "QT-TEST-001")
    item = item_of(admins, "QT-TEST-001")
    assert item.version == 1 and item.locales == ["zh"]
    assert Page(admin.get("/zh/services/QT-TEST-001")).status == 200

    data = Page(admin.get(f"{LIST}/new")).form_data()
    data.update(code="QT-TEST-002", name="测试子项", department="qingtian-psb-household",
                category="household-registration", parent="QT-TEST-001", copy_of="QT-GA-HJ-001")
    assert admin.post(f"{LIST}/new", data=data).status_code == 303
    copied = draft_of(admins, "QT-TEST-002").document
    assert copied["parent"] == "QT-TEST-001" and copied["materials"], "a copy with materials"
    publish(admin, "QT-TEST-002")
    assert item_of(admins, "QT-TEST-002").parent_id == item.id
    guide = Page(admin.get("/zh/services/QT-TEST-001"))
    assert "测试子项" in guide.main


def test_a_new_item_form_refuses_what_is_wrong(admins):
    admin = sign_in(admins, "qt.admin@test")
    data = Page(admin.get(f"{LIST}/new")).form_data()
    data.update(code="QT-GA-HJ-001", name="", department="psb-household",
                category="nowhere", copy_of="NOPE-1")
    page = Page(admin.post(f"{LIST}/new", data=data))
    assert page.status == 422
    assert page.field_error("code").startswith("This code is already used")
    assert page.field_error("department") == "Choose a department of your county."
    assert page.field_error("copy_of") == "No published service has this code."
    assert page.field("copy_of") == "NOPE-1"


def test_another_countys_admin_gets_404_on_every_draft_page(admins):
    start_draft(sign_in(admins, "qt.admin@test"))
    other = sign_in(admins, "wc.admin@test")
    token = Page(other.get(LIST)).csrf()
    for name in ("", "/basics", "/text?locale=it", "/materials", "/steps", "/preview"):
        assert other.get(f"{LIST}/{CODE}/draft{name}").status_code == 404, name
    for name in ("", "/basics", "/publish", "/discard"):
        assert other.post(f"{LIST}/{CODE}/draft{name}",
                          data={"csrf_token": token}).status_code == 404, name
    assert draft_of(admins).revision == 1


def test_a_forged_page_state_saves_nothing(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    data = section(admin, "basics").form_data()
    data.update(originals="not json", time_limit_days="9")
    page = Page(admin.post(f"{LIST}/{CODE}/draft/basics", data=data))
    assert page.status == 400 and "could not be read" in page.main
    assert draft_of(admins).revision == 1


def test_discarding_keeps_the_published_version(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    save(admin, section(admin, "basics"), {"time_limit_days": "99"}, name="basics")
    token = Page(admin.get(f"{LIST}/{CODE}/draft")).csrf()
    assert admin.post(f"{LIST}/{CODE}/draft/discard",
                      data={"csrf_token": token}).status_code == 303
    assert item_of(admins).time_limit_days != 99 and item_of(admins).version == 1
    assert admin.get(f"{LIST}/{CODE}/draft").status_code == 404


def test_the_provinces_catalog_admin_edits_any_countys_item(app):
    make_staff(app, "province.admin@test", "admin", jurisdiction="zhejiang")
    province = sign_in(app, "province.admin@test")
    start_draft(province, "LD-GA-HJ-001")
    save(province, section(province, "basics", "LD-GA-HJ-001"), {"time_limit_days": "7"},
         code="LD-GA-HJ-001", name="basics")
    publish(province, "LD-GA-HJ-001")
    item = item_of(app, "LD-GA-HJ-001")
    assert item.version == 2 and item.time_limit_days == 7


def test_an_answer_with_markup_is_shown_as_text_everywhere(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    steps = section(admin, "steps")
    field = next(n for n in (c["name"] for c in steps.select("textarea")) if n.endswith(".choices"))
    payload = '<b hx-post="discard" hx-trigger="load">x</b>'
    save(admin, steps, {field: f"one\n{payload}"}, name="steps")
    text = section(admin, "text", locale="en")
    assert payload not in text.html and not text.select("[hx-post]")
    assert "&lt;b hx-post" in text.html, "shown, as text"
    assert "<b hx-post" not in Page(admin.get(f"{LIST}/{CODE}/draft")).html


def test_a_variant_becomes_a_service_of_its_own_and_stays_one_level(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    save(admin, section(admin, "basics"), {"parent": "QT-GA-HJ-004"}, name="basics")
    publish(admin)
    assert item_of(admins).parent_id == item_of(admins, "QT-GA-HJ-004").id
    start_draft(admin, "QT-GA-HJ-004")
    page = save(admin, section(admin, "basics", "QT-GA-HJ-004"), {"parent": "QT-GA-HJ-005"},
                code="QT-GA-HJ-004", name="basics", status=422)
    assert page.field_error("parent").startswith("This service has variants of its own")
    start_draft(admin)
    save(admin, section(admin, "basics"), {"parent": ""}, name="basics")
    listed = publish(admin)
    assert item_of(admins).parent_id is None, "a service of its own again"
    assert "stays at version 1" in Page(admin.get(listed.location)).text


def test_a_version_published_meanwhile_is_taken_in_before_publishing(admins):
    from .test_admin_catalog import exported, send
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    save(admin, section(admin, "text", locale="zh"), {"summary": "草稿里改的摘要。"}, name="text")
    save(admin, section(admin, "basics"), {"fee_amount": "12"}, name="basics")
    data = exported(admin, f"{LIST}/{CODE}.yaml")
    item = data["items"][0]
    item["time_limit_days"] = 33
    item["guidance"]["zh"] = "导入改的指南。"
    item["fee"]["amount"] = "15.00"
    send(admin, data)
    assert item_of(admins).version == 2
    overview = Page(admin.get(f"{LIST}/{CODE}/draft"))
    assert "Take in its changes first" in overview.main
    publish(admin, status=422)
    token = overview.csrf()
    response = admin.post(f"{LIST}/{CODE}/draft/rebase", data={"csrf_token": token})
    assert response.status_code == 303
    told = Page(admin.get(f"{LIST}/{CODE}/draft"))
    assert "yours is kept" in told.text and "Fee" in told.text
    doc = draft_of(admins).document
    assert doc["time_limit_days"] == 33 and doc["guidance"]["zh"] == "导入改的指南。"
    assert doc["summary"]["zh"] == "草稿里改的摘要。" and doc["fee"]["amount"] == "12.00"
    publish(admin)
    after = item_of(admins)
    assert after.version == 3 and after.time_limit_days == 33


def test_what_the_editor_refuses_before_publishing(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    steps = section(admin, "steps")
    step_keys = [c["value"] for c in steps.select("input[name='remove_step']")]
    page = save(admin, steps, {"f.applicant.date_of_birth.type": "number"}, name="steps")
    steps = section(admin, "steps")
    page = save(admin, steps, {"f.applicant.date_of_birth.min": "10",
                               "f.applicant.date_of_birth.max": "1"}, name="steps", status=422)
    assert page.field_error("f.applicant.date_of_birth.max").startswith("The largest cannot")
    data = section(admin, "steps").form_data()
    data["remove_step"] = ["applicant"]
    assert admin.post(f"{LIST}/{CODE}/draft/steps", data=data).status_code == 303
    overview = Page(admin.get(f"{LIST}/{CODE}/draft"))
    assert any("does not ask for the applicant's name" in p
               for p in overview.texts(".error-summary li"))
    publish(admin, status=422)
    assert step_keys[0] == "applicant"


def test_a_forged_name_and_a_blank_name_are_refused_cleanly(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    data = section(admin, "basics").form_data()
    data.update(originals='{"m": "abc", "f.x": "abc", "s": "x"}', m="zz")
    assert admin.post(f"{LIST}/{CODE}/draft/basics", data=data).status_code in (303, 409)
    form = Page(admin.get(f"{LIST}/new")).form_data()
    form.update(code="QT-BLANK-1", name="   ", department="qingtian-psb-household",
                category="certificates")
    page = Page(admin.post(f"{LIST}/new", data=form))
    assert page.status == 422 and page.field_error("name")


def test_a_row_moved_to_a_taken_position_goes_there(admins):
    admin = sign_in(admins, "qt.admin@test")
    start_draft(admin)
    materials = section(admin, "materials")
    keys = [c["name"].split(".")[1] for c in materials.select("input[name$='.sort']")]
    save(admin, materials, {f"m.{keys[2]}.sort": "1"}, name="materials")
    moved = [m["key"] for m in draft_of(admins).document["materials"]]
    assert moved[:3] == [keys[2], keys[0], keys[1]]
