"""A case keeps the version of its item it was started with: a version published later
changes new cases only, never the answers, materials, documents or review of a case
already started."""

from app.catalog.loader import read_catalog, upsert_item
from app.models import Category, Department, ItemVersion, Item, db

from ..conftest import (Journey, copy_item, fill_driving_licence, jpeg_bytes, make_staff,
                        sign_in)
from ..documents.test_documents import pdf_text
from ..pages import Page

V2_NAME = "Renewing a driving licence from abroad (2027 rules)"


def publish_version_2(app):
    """JJ-JZ-001 at version 2: a new name, a higher fee, one more essential material."""
    with app.app_context(), db.connection_context():
        raw = next(i for i in read_catalog(app.config["CATALOG_DIR"])["items"]
                   if i["code"] == "JJ-JZ-001")
        materials = raw["materials"] + [dict(raw["materials"][0], key="residence_permit",
                                             names={"zh": "居留许可", "en": "Residence permit"},
                                             essential=True, sort=99)]
        raw = dict(raw, version=2, names=dict(raw["names"], en=V2_NAME), fee_amount=30,
                   materials=materials)
        upsert_item(raw, {d.key: d.id for d in Department.select()},
                    {c.key: c.id for c in Category.select()})
        item = Item.get(Item.code == "JJ-JZ-001")
        assert item.version == 2
        assert [v.version for v in item.versions.order_by(ItemVersion.version)] == [1, 2]


def material_keys(page) -> set[str]:
    return {s["id"].removeprefix("m-") for s in page.select("[id^=m-]")}


def test_a_case_started_on_version_1_keeps_it_after_version_2_is_published(app):
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    old = Journey(app.test_client())
    assert old.start().status == 303
    fill_driving_licence(old)
    publish_version_2(app)

    # The case started before: version 1's materials, name and fee, all the way.
    page = Page(old.client.get(f"{old.base}/materials"))
    assert "residence_permit" not in material_keys(page)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert old.upload(key, jpeg_bytes()).status == 303
    assert old.defer("medical_certificate").status == 303
    assert old.submit().status == 303, "version 1 needs no residence permit"
    status = Page(old.client.get(old.base))
    assert V2_NAME not in status.text
    receipt = pdf_text(old.client.get(f"{old.base}/documents/receipt.pdf").data)
    form = pdf_text(old.client.get(f"{old.base}/documents/form.pdf").data)
    assert V2_NAME not in receipt and V2_NAME not in form
    assert "Residence permit" not in form and "居留许可" not in form
    clerk = sign_in(app, "clerk@test")
    review = Page(clerk.get(f"/staff/cases/{old.reference}"))
    assert review.status == 200 and "Residence permit" not in review.text
    with app.app_context(), db.connection_context():
        from app.models import Case
        case = Case.get(Case.reference == old.reference)
        assert case.item_version == 1 and case.spec.version == 1
        assert str(case.spec.fee_amount) == "10.00"

    # A case started now: version 2.
    new = Journey(app.test_client())
    assert new.start().status == 303
    fill_driving_licence(new)
    assert "residence_permit" in material_keys(Page(new.client.get(f"{new.base}/materials")))
    assert V2_NAME in Page(new.client.get(new.base)).text
    with app.app_context(), db.connection_context():
        from app.models import Case
        assert Case.get(Case.reference == new.reference).item_version == 2


def test_reloading_the_same_version_keeps_one_text_per_version(app):
    copy_item(app, "JJ-JZ-001", "QT-TEST-001", "qingtian-traffic")
    copy_item(app, "JJ-JZ-001", "QT-TEST-001", "qingtian-traffic")
    with app.app_context(), db.connection_context():
        item = Item.get(Item.code == "QT-TEST-001")
        assert item.versions.count() == 1
        assert item.versions.get().content["materials"][0]["key"] == "passport_page"
