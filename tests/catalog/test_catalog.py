"""The catalog data files, the loader's checks, browsing and search."""

import shutil

import pytest
import yaml

from app.catalog.loader import CatalogError, read_catalog
from app.catalog.search import search_items
from app.models import Department, Item, db

from ..pages import facts


def test_real_catalog_is_complete(app):
    data = read_catalog(app.config["CATALOG_DIR"])
    items = data["items"]
    assert len(items) >= 12
    assert len({i["department"] for i in items}) >= 6
    assert any(i["parent"] for i in items)
    for item in items:
        assert item["materials"] and item["steps"] and item["delivery"]
        assert item["time_limit_days"] >= 1
        for text in (item["names"], item["summary"], item["guidance"], item["next_steps"]):
            assert text.get("zh") and text.get("en")
        assert any(m["essential"] for m in item["materials"]), item["code"]
    # Some materials may be sent later (accepted with a promise, 容缺受理).
    assert any(not m["essential"] for item in items for m in item["materials"])
    licence = next(i for i in items if i["code"] == "JJ-JZ-001")
    assert licence["agent_allowed"] and licence["video_check"]
    assert [m["key"] for m in licence["materials"] if m["essential"]] == [
        "passport_page", "driving_licence", "id_photo"]


@pytest.mark.parametrize("query,expected", [
    ("驾驶证", "JJ-JZ-001"), ("driving licence", "JJ-JZ-001"), ("PATENTE", "JJ-JZ-001"),
    ("permis de conduire", "JJ-JZ-001"), ("户口簿", "GA-HJ-003"), ("无犯罪", "GA-ZM-001"),
    ("inheritance", "BDC-JC-001"), ("调解", "SF-TJ-001"), ("pension", "RS-YL-001"),
    ("护照资料页", "JJ-JZ-001"),  # a material name
])
def test_search_finds_items_in_chinese_and_latin_languages(app, query, expected):
    with app.app_context(), db.connection_context():
        items, total = search_items(query, per_page=100)
        assert expected in [i.code for i in items], query
        assert total == len(items)


def test_search_is_accent_and_wildcard_safe(app):
    with app.app_context(), db.connection_context():
        assert search_items("%")[1] == 0
        assert search_items("_")[1] == 0
        assert search_items("zzzzqqq")[1] == 0
        assert search_items("condução")[1] == search_items("conducao")[1]


def test_browse_by_department_and_category(app, client):
    with app.app_context(), db.connection_context():
        dept = Department.get(Department.key == Item.get(Item.code == "JJ-JZ-001").department.key)
        expected = {i.names["en"] for i in Item.select().where(Item.department == dept)}
    page = client.page(f"/en/services?department={dept.key}")
    names = page.texts("ul.items > li > a")
    assert "Driving licence renewal for holders living abroad" in names
    assert set(names) <= expected
    assert "household register" not in page.one("#results").get_text(" ").lower()
    assert page.field("department") == dept.key
    # A department belongs to one county: the link shows that county.
    assert page.one("#county option[selected]")["value"] == "wencheng"
    # An unknown filter is ignored, not an error; across every county there is no
    # department filter (each county has its own departments).
    everything = client.page("/en/services?department=nope&category=nope&page=abc")
    assert not everything.select("[name=department]")
    assert everything.texts("ul.items > li > a")
    # A department of another county than the one shown is no filter either.
    other = client.page(f"/en/services?county=qingtian&department={dept.key}")
    assert other.field("department") == ""
    assert all(c.startswith(("QT-", "OT-QT")) for c in
               [a["href"].rsplit("/", 1)[1] for a in other.select("ul.items > li > a")])


def test_guide_page_shows_checklist_fee_and_time_limit(client):
    page = client.page("/en/services/JJ-JZ-001")
    headings = page.texts("main h2")
    assert "Materials checklist" in headings and "What happens next" in headings
    checklist = {li.strong.get_text(strip=True): li.select_one(".tag").get_text(strip=True)
                 for li in page.select("ol.checklist > li")}
    assert checklist["Passport photo page"] == "Essential"
    assert "Can be sent later" in checklist.values()
    shown = facts(page)
    assert shown["Fee"].startswith("CN¥10.00")
    assert shown["Time limit"] == "5 working days from acceptance"
    assert shown["Video identity check"].startswith("Required")
    starts = page.select("a.button")
    assert starts and {a.get_text(strip=True) for a in starts} == {"Start your application"}
    assert {a["href"] for a in starts} == {"/en/services/JJ-JZ-001/apply"}
    zh = client.page("/zh/services/JJ-JZ-001")
    assert "护照资料页" in zh.texts("ol.checklist > li > strong")


def test_search_partial_for_htmx(client):
    page = client.page("/en/services?q=licence", headers={"HX-Request": "true"})
    assert page.first("html") is None and page.first("header") is None
    assert "Driving licence renewal for holders living abroad" in page.texts("ul.items > li > a")


def _copy_catalog(app, tmp_path):
    target = tmp_path / "catalog"
    shutil.copytree(app.config["CATALOG_DIR"], target)
    return target


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.update(department="nowhere"), "unknown department"),
    (lambda d: d.update(code="bad code"), "bad item code"),
    (lambda d: d["steps"][1]["fields"][0].update(type="colour"), "unknown field type"),
    (lambda d: d["materials"][0].update(formats=["gif"]), "formats"),
    (lambda d: d["name"].pop("zh"), "at least zh"),
    (lambda d: d.update(parent="NOT-THERE"), "parent"),
    (lambda d: d.update(steps=[s for s in d["steps"] if s.get("use") != "applicant"]),
     "applicant's name"),
])
def test_loader_rejects_bad_data_files(app, tmp_path, mutate, message):
    directory = _copy_catalog(app, tmp_path)
    path = directory / "items" / "JJ-JZ-001.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        read_catalog(directory)


def test_a_number_field_needs_whole_numbers_with_min_not_above_max():
    from app.catalog.loader import _field
    base = {"key": "count", "type": "number", "label": {"zh": "数量"}}
    assert _field(dict(base, min=1, max=5), "x")["max"] == 5
    with pytest.raises(CatalogError, match="min is above max"):
        _field(dict(base, min=5, max=1), "x")
    with pytest.raises(CatalogError, match="whole number"):
        _field(dict(base, min="one"), "x")
