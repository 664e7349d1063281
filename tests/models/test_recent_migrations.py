"""The latest migrations upgrade a database in place, on whichever database the suite runs
(SQLite files, or PostgreSQL with ``ONEVISIT_TEST_DATABASE=postgresql``): a database as
version 9 left it (no published versions, no drafts, no complete-locale lists) becomes
version 11 and keeps every row; one as version 15 left it learns when its ended cases ended
(the retention periods count from there) and keeps its audit trail append-only."""

from app.models import Case, Item, ItemDraft, ItemVersion, db
from app.models import migrations
from app.models.migrations import SchemaVersion

from ..conftest import submitted_case


def test_a_version_9_database_is_upgraded_in_place_and_keeps_its_rows(app):
    reference = submitted_case(app).reference
    with app.app_context(), db.connection_context():
        items = Item.select().count()
        db.execute_sql('DROP TABLE "item_draft"')
        db.execute_sql('DROP TABLE "item_version"')
        db.execute_sql('ALTER TABLE "item" DROP COLUMN "locales"')
        SchemaVersion.update(version=9).execute()
    output = app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version 9 -> {migrations.latest_version()}" in output
    with app.app_context(), db.connection_context():
        assert migrations.current_version() == migrations.latest_version()
        assert Item.select().count() == items
        assert ItemVersion.select().count() == items, "every item's text became its version"
        assert ItemDraft.select().count() == 0
        assert Case.get(Case.reference == reference).item_version == 1
        assert all(i.locales == [] for i in Item.select(Item.locales))
    output = app.test_cli_runner().invoke(args=["load-catalog"]).output
    assert "items" in output
    with app.app_context(), db.connection_context():
        assert all("zh" in i.locales for i in Item.select(Item.locales)), "filled by the load"
    again = app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version {migrations.latest_version()} -> {migrations.latest_version()}" in again


def test_a_version_15_database_learns_when_its_cases_ended(app):
    from app.cases import lifecycle
    from app.models import AuditEvent, Event
    ended, open_case = submitted_case(app).reference, submitted_case(app).reference
    with app.app_context(), db.connection_context():
        withdrawn = lifecycle.change(Case.get(Case.reference == ended), action="withdraw").event
        db.execute_sql("DROP INDEX case_ended_at")
        for column in ("ended_at", "files_deleted_at", "anonymised_at"):
            db.execute_sql(f'ALTER TABLE "case" DROP COLUMN "{column}"')
        for column in ("must_change_password", "password_set_at"):
            db.execute_sql(f'ALTER TABLE "staff" DROP COLUMN "{column}"')
        SchemaVersion.update(version=15).execute()
    output = app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version 15 -> {migrations.latest_version()}" in output
    with app.app_context(), db.connection_context():
        assert Case.get(Case.reference == ended).ended_at == Event.get_by_id(
            withdrawn.id).created_at
        assert Case.get(Case.reference == open_case).ended_at is None
        recent = AuditEvent.create(action="case_view", target=ended)
        try:
            with db.atomic():
                AuditEvent.delete().where(AuditEvent.id == recent.id).execute()
        except Exception:  # noqa: BLE001 - SQLite and PostgreSQL raise their own errors
            pass
        assert AuditEvent.get_or_none(AuditEvent.id == recent.id) is not None


def test_a_version_20_database_gets_the_library_of_return_reasons(app):
    """Version 21 (issue 15, part 3): the standard return reasons, seeded, and a material
    verdict's reasons and language; a verdict given before keeps its words."""
    from app.models import MaterialReview, ReturnReason, Staff
    reference = submitted_case(app).reference
    with app.app_context(), db.connection_context():
        clerk = Staff.create(email="c@test", name="c", role="clerk", password_hash="x")
        MaterialReview.create(case=Case.get(Case.reference == reference), staff=clerk,
                              material_key="id_photo", verdict="correction", reason="blurry")
        db.execute_sql('DROP TABLE "return_reason"')
        for column in ("reason_keys", "reason_lang"):
            db.execute_sql(f'ALTER TABLE "material_review" DROP COLUMN "{column}"')
        SchemaVersion.update(version=20).execute()
    output = app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version 20 -> {migrations.latest_version()}" in output
    with app.app_context(), db.connection_context():
        keys = {r.key for r in ReturnReason.select().where(ReturnReason.jurisdiction.is_null())}
        assert {"blurred", "cut_off", "glare", "expired", "wrong_document", "page_missing",
                "not_legible", "name_mismatch", "photo_background", "both_sides"} <= keys
        review = MaterialReview.get()
        assert (review.reason, review.reason_keys, review.reason_lang) == ("blurry", [], "")
