"""A county's catalog admin exports its items as YAML and imports them back: all or
nothing, each changed item published as its next version, only the county's own items."""

import io

import pytest
import yaml

from app.models import AuditEvent, Case, Item, ItemVersion, db

from ..conftest import Journey, fill_driving_licence, make_staff, sign_in
from ..pages import Page

LIST = "/staff/admin/catalog"


@pytest.fixture
def admins(app):
    make_staff(app, "qt.admin@test", "admin", jurisdiction="qingtian")
    make_staff(app, "wc.admin@test", "admin", jurisdiction="wencheng")
    make_staff(app, "province.admin@test", "admin", jurisdiction="zhejiang")
    return app


def exported(client, url=f"{LIST}/export.yaml") -> dict:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert response.headers["Content-Disposition"].startswith("attachment")
    return yaml.safe_load(response.get_data(as_text=True))


def send(client, data, status=303, name="catalog.yaml"):
    text = data if isinstance(data, (str, bytes)) else yaml.safe_dump(data, allow_unicode=True)
    body = text.encode() if isinstance(text, str) else text
    token = Page(client.get(LIST)).csrf()
    response = client.post(f"{LIST}/import", data={"csrf_token": token,
                                                   "file": (io.BytesIO(body), name)},
                           content_type="multipart/form-data")
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    return Page(response)


def versions(app, code):
    with app.app_context(), db.connection_context():
        item = Item.get(Item.code == code)
        return item.version, [v.version for v in item.versions.order_by(ItemVersion.version)]


def test_the_county_exports_and_imports_its_own_items_unchanged(admins):
    admin = sign_in(admins, "qt.admin@test")
    page = Page(admin.get(LIST))
    codes = [a.get_text() for a in page.select("table td.mono a")]
    assert codes and all(c.startswith(("QT-", "OT-QT")) for c in codes)
    data = exported(admin)
    assert sorted(i["code"] for i in data["items"]) == sorted(codes)
    done = send(admin, data)
    assert done.location.endswith(LIST)
    shown = Page(admin.get(LIST))
    assert f"{len(codes)} unchanged" in shown.text
    assert versions(admins, "QT-GA-HJ-001") == (1, [1])
    # One item file, as the repository writes them, imports too.
    with open(admins.config["CATALOG_DIR"] + "/items/QT-GA-ZM-001.yaml", encoding="utf-8") as fh:
        send(admin, fh.read(), name="QT-GA-ZM-001.yaml")
    assert versions(admins, "QT-GA-ZM-001") == (1, [1])


def test_a_changed_item_is_published_as_its_next_version_and_started_cases_keep_theirs(admins):
    from ..conftest import copy_item
    copy_item(admins, "JJ-JZ-001", "QT-TEST-001", "qingtian-traffic")
    started = Journey(admins.test_client(), code="QT-TEST-001")
    assert started.start().status == 303
    fill_driving_licence(started)
    admin = sign_in(admins, "qt.admin@test")
    data = exported(admin, f"{LIST}/QT-TEST-001.yaml")
    [item] = data["items"]
    item["fee"]["amount"] = "25.00"
    item["name"]["en"] = "Driving licence renewal (Qingtian, 2027)"
    send(admin, data)
    assert versions(admins, "QT-TEST-001") == (2, [1, 2])
    with admins.app_context(), db.connection_context():
        case = Case.get(Case.reference == started.reference)
        assert case.item_version == 1 and str(case.spec.fee_amount) == "10.00"
        assert Item.get(Item.code == "QT-TEST-001").fee_amount == 25
        audit = AuditEvent.get(AuditEvent.action == "catalog_import")
        assert audit.data["changed"] == ["QT-TEST-001"]
    assert "Driving licence renewal (Qingtian, 2027)" in admins.test_client().page(
        "/en/services/QT-TEST-001").text


def test_a_broken_item_imports_nothing_and_says_which_and_what(admins):
    admin = sign_in(admins, "qt.admin@test")
    data = exported(admin)
    by_code = {i["code"]: i for i in data["items"]}
    by_code["QT-GA-HJ-004"]["fee"]["amount"] = "99.00"         # a good change …
    del by_code["QT-GA-ZM-001"]["name"]["zh"]                   # … and a broken item
    by_code["QT-GA-CR-001"]["time_limit_days"] = 0               # … and another
    page = send(admin, data, status=422)
    problems = page.texts(".error-summary li")
    assert any(p.startswith("QT-GA-ZM-001") and "at least zh" in p for p in problems)
    assert any(p.startswith("QT-GA-CR-001") and "time_limit_days" in p for p in problems)
    assert versions(admins, "QT-GA-HJ-004") == (1, [1]), "nothing imported"
    with admins.app_context(), db.connection_context():
        assert Item.get(Item.code == "QT-GA-HJ-004").fee_amount == 0


def test_a_chinese_speaking_admin_reads_the_refusal_in_chinese(admins):
    admin = sign_in(admins, "qt.admin@test")
    data = exported(admin)
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    by_code = {i["code"]: i for i in data["items"]}
    del by_code["QT-GA-ZM-001"]["name"]["zh"]
    by_code["QT-GA-CR-001"]["time_limit_days"] = 0
    by_code["QT-GA-HJ-004"]["delivery"] = ["by pigeon"]
    page = send(admin, data, status=422)
    problems = page.texts(".error-summary li")
    assert any(p.startswith("QT-GA-ZM-001.name") and "至少需要 zh" in p for p in problems)
    assert any(p.startswith("QT-GA-CR-001") and "time_limit_days 至少为 1" in p
               for p in problems)
    assert any(p.startswith("QT-GA-HJ-004") and "送达方式（delivery）" in p for p in problems)
    assert not any("must" in p or "needs" in p for p in problems), "no English left"
    assert "不是有效的 YAML（第 1 行）" in send(admin, "items: [", status=422).text


@pytest.mark.parametrize("body, message", [
    ("items: [", "not valid YAML"),
    ("just: text", "no items"),
    ("", "Choose the YAML file to import."),
    (b"\xff\xfe\x00bad", "The file is not text in UTF-8."),
])
def test_a_file_that_is_not_a_catalog_is_refused_with_a_message(admins, body, message):
    admin = sign_in(admins, "qt.admin@test")
    page = send(admin, body, status=422)
    assert message in page.text
    assert not page.select(".notice.info")


def test_another_countys_items_are_out_of_reach(admins):
    qingtian = sign_in(admins, "qt.admin@test")
    assert qingtian.get(f"{LIST}/JJ-JZ-001.yaml").status_code == 404
    wencheng = sign_in(admins, "wc.admin@test")
    data = exported(wencheng, f"{LIST}/JJ-JZ-001.yaml")
    page = send(qingtian, data, status=422)
    assert "another county" in " ".join(page.texts(".error-summary li"))
    data["items"][0]["code"] = "QT-NEW-001"
    page = send(qingtian, data, status=422)
    assert "department 'traffic-vehicle-office' belongs to another county" in page.text
    with admins.app_context(), db.connection_context():
        assert not Item.select().where(Item.code == "QT-NEW-001").exists()


def test_the_province_runs_every_countys_catalog_and_nothing_else(admins):
    province = sign_in(admins, "province.admin@test")
    page = Page(province.get(LIST))
    codes = {a.get_text() for a in page.select("table td.mono a")}
    assert {"JJ-JZ-001", "QT-GA-HJ-001", "LD-GA-HJ-001"} <= codes
    data = exported(province)
    for item in data["items"]:
        if item["code"] in ("JJ-JZ-001", "LD-GA-HJ-001"):
            item["time_limit_days"] += 1
    send(province, data)
    assert versions(admins, "JJ-JZ-001") == (2, [1, 2])
    assert versions(admins, "LD-GA-HJ-001") == (2, [1, 2])
    # Above the counties the account changes nothing but the catalog.
    assert province.post("/staff/admin/service-points/new",
                         data={"csrf_token": page.csrf()}).status_code == 403
