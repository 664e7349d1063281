"""Version 30 (``_ratings_fixrate``): a database upgraded from before the ratings learns
when the materials its cases promised arrived (from their ``deferred_supplied`` events)
and when they were waived, and its counts are built again with them."""

from app.models import Case, Event, StatCell, db
from app.models import migrations
from app.models.migrations import SchemaVersion
from tests.conftest import decide, jpeg_bytes, sign_in

from .helpers import delivered_case, fresh_case


def _whole():
    return StatCell.get((StatCell.county == 0) & (StatCell.item == 0) & (StatCell.point == 0))


def test_promised_materials_before_the_upgrade_count_when_they_arrived(staff_app):
    supplied, _clerk = delivered_case(staff_app, defer=True)
    assert supplied.upload("medical_certificate", jpeg_bytes()).status_code == 303
    waived, _clerk = delivered_case(staff_app, defer=True)
    decide(sign_in(staff_app, "supervisor@test"), waived.reference, "waive",
           reason="Checked with the hospital directly")
    owed, _clerk = delivered_case(staff_app, defer=True)
    with staff_app.app_context(), db.connection_context():
        assert (_whole().deferred, _whole().deferred_on_time) == (3, 1)
        arrived = Event.get((Event.case == fresh_case(staff_app, supplied.reference).id)
                            & (Event.kind == "deferred_supplied")).created_at
        # As version 29 left them: no such columns, nothing recorded, counts built so.
        Case.update(deferred_done_at=None).execute()
        db.execute_sql('ALTER TABLE "case" DROP COLUMN "deferred_waived_at"')
        StatCell.delete().execute()
        SchemaVersion.update(version=29).execute()
    output = staff_app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version 29 -> {migrations.latest_version()}" in output
    with staff_app.app_context(), db.connection_context():
        assert fresh_case(staff_app, supplied.reference).deferred_done_at == arrived
        assert fresh_case(staff_app, waived.reference).deferred_waived_at is not None
        assert fresh_case(staff_app, waived.reference).deferred_done_at is None
        assert fresh_case(staff_app, owed.reference).deferred_done_at is None
        assert fresh_case(staff_app, owed.reference).deferred_waived_at is None
        assert (_whole().deferred, _whole().deferred_on_time) == (3, 1)
    again = staff_app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version {migrations.latest_version()} -> {migrations.latest_version()}" in again
