"""The catalog of a network: each county's items, the hometown the applicant chose
(remembered, changeable, offered first), and search across every county."""

import pytest

from app.catalog.loader import CatalogError, read_catalog
from app.models import Item, Jurisdiction, db

from ..pages import facts


def codes(page) -> list[str]:
    return [a["href"].rsplit("/", 1)[1] for a in page.select("ul.items > li > a")]


def test_the_demo_network_has_three_counties_and_forty_items(app):
    data = read_catalog(app.config["CATALOG_DIR"])
    counties = {p["key"] for p in data["jurisdictions"] if p["level"] in ("county", "district")}
    assert counties == {"wencheng", "qingtian", "liandu"}
    department_county = {d["key"]: d["jurisdiction"] for d in data["departments"]}
    per_county = {}
    for item in data["items"]:
        per_county.setdefault(department_county[item["department"]], []).append(item)
    assert len(data["items"]) >= 40 and all(len(per_county[c]) >= 10 for c in counties)
    # The same kind of service in several counties, each with its own office and terms.
    kinds = {}
    for item in data["items"]:
        kinds.setdefault(item["kind"], []).append(item)
    shared = [k for k, items in kinds.items() if len({department_county[i["department"]]
                                                     for i in items}) >= 2]
    assert len(shared) >= 8
    renewals = kinds["id-card-renewal"]
    assert len({department_county[i["department"]] for i in renewals}) == 3
    assert len({i["department"] for i in renewals}) == 3
    assert len({(i["time_limit_days"], i["fee_amount"], tuple(m["key"] for m in i["materials"]))
                for i in renewals}) >= 2, "not one item copied three times"
    assert len({i["guidance"]["zh"] for i in renewals}) == 3


def test_a_county_catalog_and_search_across_all(app, client):
    qingtian = client.page("/en/services?county=qingtian")
    assert qingtian.one("#county option[selected]")["value"] == "qingtian"
    shown = codes(qingtian)
    assert shown and all(code.startswith("QT-") or code == "OT-QT-001" for code in shown)
    everywhere = client.page("/en/services?county=all&q=ID%20card")
    found = codes(everywhere)
    assert {"GA-HJ-001", "QT-GA-HJ-001", "LD-GA-HJ-001"} <= set(found)
    metas = " ".join(everywhere.texts("ul.items .meta"))
    assert "Wencheng County" in metas and "Qingtian County" in metas and "Liandu District" in metas
    # A county filter combines with search; an unknown county is no filter (as a department).
    liandu = codes(client.page("/en/services?county=liandu&q=ID%20card"))
    assert "LD-GA-HJ-001" in liandu and all(c.startswith(("LD-", "OT-LD")) for c in liandu)
    assert set(codes(client.page("/en/services?county=atlantis&q=ID%20card"))) == set(found)


def test_the_hometown_is_remembered_offered_first_and_changeable(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "it"
    home = client.page("/it/")
    assert home.one("#f-county")
    chosen = client.submit("/it/services/hometown", {"county": "qingtian", "csrf_token": "-"})
    assert chosen.location.endswith("/it/services?county=qingtian")
    # The catalog without a county now shows the hometown, says so, and offers all.
    page = client.page("/it/services")
    assert all(code.startswith("QT-") or code == "OT-QT-001" for code in codes(page))
    assert "Qingtian" in " ".join(page.texts(".notice"))
    assert page.one(".notice a")["href"].endswith("county=all")
    assert "Cookie" in client.get("/it/services").headers["Vary"]
    # The home page lists the hometown's departments first and names it.
    home = client.page("/it/")
    assert home.select("main h3")[0].get_text(strip=True) == "Contea di Qingtian"
    assert home.one("#f-county option[selected]")["value"] == "qingtian"
    # Changed, then forgotten.
    client.submit("/it/services/hometown", {"county": "liandu", "csrf_token": "-"})
    assert all(code.startswith("LD-") or code == "OT-LD-001"
               for code in codes(client.page("/it/services")))
    client.submit("/it/services/hometown", {"county": "", "csrf_token": "-"})
    assert len({c.split("-")[0] for c in codes(client.page("/it/services?page=2"))}) >= 1
    assert not client.page("/it/services").select(".notice a[href$='county=all']")


@pytest.mark.parametrize("lang, message", [
    ("zh", "请从列表中选择一个县（区）。"), ("pt", "Escolha um condado ou distrito da lista.")])
def test_an_unknown_hometown_is_refused_in_the_visitors_language(app, client, lang, message):
    page = client.submit(f"/{lang}/services/hometown", {"county": "atlantis", "csrf_token": "-"},
                         status=422)
    assert message in " ".join(page.errors())
    assert "hometown" not in client.get(f"/{lang}/services").headers.get("Set-Cookie", "")


def test_the_guide_names_the_county(app, client):
    page = client.page("/en/services/QT-GA-HJ-001")
    assert facts(page)["County or district"] == "Qingtian County"
    assert page.select(".crumbs a")[0]["href"].endswith("county=qingtian")


def test_the_loader_refuses_an_office_outside_a_county(app, tmp_path):
    import shutil
    import yaml
    target = tmp_path / "data"
    shutil.copytree(app.config["CATALOG_DIR"], target)
    meta = yaml.safe_load((target / "departments.yaml").read_text())
    meta["offices"][0]["jurisdiction"] = "lishui"  # a city, not a county
    (target / "departments.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))
    with pytest.raises(CatalogError, match="office overseas-centre: jurisdiction must be"):
        read_catalog(target)
    meta["offices"][0]["jurisdiction"] = "wencheng"
    meta["jurisdictions"][2]["parent"] = "nowhere"
    (target / "departments.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))
    with pytest.raises(CatalogError, match="jurisdiction wencheng"):
        read_catalog(target)


def test_items_of_every_county_are_in_search_rows(app):
    with app.app_context(), db.connection_context():
        from app.models import ItemSearch
        liandu = Jurisdiction.get(Jurisdiction.key == "liandu")
        item = Item.get(Item.code == "LD-GA-HJ-001")
        assert ItemSearch.get(ItemSearch.item == item).jurisdiction == liandu.id


def test_a_live_search_brings_the_departments_of_the_county_shown(app, client):
    """With htmx, the results come alone; the department filter comes with them (out of
    band), so a change of county never leaves another county's departments to choose."""
    response = client.get("/en/services?county=qingtian&q=",
                          headers={"HX-Request": "true", "HX-Target": "results"})
    from ..pages import Page
    part = Page(response)
    box = part.one("#department-filter")
    assert box["data-hx-swap-oob"] == "true"
    keys = [o["value"] for o in box.select("option") if o["value"]]
    assert keys and all(k.startswith("qingtian-") for k in keys)
    assert not part.select("h1"), "the fragment only"
    everywhere = Page(client.get("/en/services?county=all",
                                 headers={"HX-Request": "true", "HX-Target": "results"}))
    assert not everywhere.select("#department-filter select")
