"""Schema migrations keep existing data; the CLI commands work."""

from pathlib import Path

from peewee import SqliteDatabase

from app import create_app
from app.models import Case, Item, db
from app.catalog.loader import read_catalog
from app.models import migrations


def _app(tmp_path, name="m.db"):
    return create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x",
                       "DATABASE_URL": f"sqlite:///{tmp_path / name}"})


def test_database_url_is_honoured_and_sqlite_uses_wal(tmp_path):
    app = _app(tmp_path, "custom.db")
    with app.app_context(), db.connection_context():
        migrations.upgrade()
        assert isinstance(db.obj, SqliteDatabase)
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (tmp_path / "custom.db").exists()


def test_upgrade_applies_pending_migrations_and_keeps_data(tmp_path, monkeypatch):
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    latest = migrations.latest_version()
    assert f"version 0 -> {latest}" in runner.invoke(args=["db-upgrade"]).output
    assert f"{len(read_catalog(app.config['CATALOG_DIR'])['items'])} items" in runner.invoke(
        args=["load-catalog"]).output
    with app.app_context(), db.connection_context():
        count = Item.select().count()

    # A later release adds a column: the migration adds it to the old database.
    def add_note_column(migrator):
        from peewee import TextField
        migrations.migrate(migrator.add_column("item", "internal_note", TextField(null=True)))

    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + [add_note_column])
    output = runner.invoke(args=["db-upgrade"]).output
    assert f"version {latest} -> {latest + 1}" in output
    with app.app_context(), db.connection_context():
        columns = [c.name for c in db.get_columns("item")]
        assert "internal_note" in columns
        assert Item.select().count() == count
        assert migrations.current_version() == latest + 1
    # Running it again changes nothing.
    assert f"version {latest + 1} -> {latest + 1}" in runner.invoke(args=["db-upgrade"]).output


def test_load_catalog_twice_is_an_upsert(tmp_path):
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["db-upgrade"])
    runner.invoke(args=["load-catalog"])
    runner.invoke(args=["load-catalog"])
    with app.app_context(), db.connection_context():
        assert Item.select().count() == len(read_catalog(app.config["CATALOG_DIR"])["items"])
        assert Case.select().count() == 0


def test_create_staff_and_demo_commands(tmp_path):
    app = _app(tmp_path)
    app.config["DEMO"] = True
    runner = app.test_cli_runner()
    runner.invoke(args=["db-upgrade"])
    runner.invoke(args=["load-catalog"])
    result = runner.invoke(args=["create-staff", "--email", "Clerk@Example.org", "--name", "Chen",
                                 "--role", "clerk", "--office", "overseas-centre"])
    assert result.exit_code == 0 and "clerk@example.org (clerk) password:" in result.output
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0 and "clerk@demo.onevisit" in result.output
    from app.auth import verify_password
    from app.models import Staff
    password = result.output.split("clerk@demo.onevisit")[1].split()[0]
    with app.app_context(), db.connection_context():
        staff = Staff.get(Staff.email == "clerk@demo.onevisit")
        assert staff.password_hash.startswith("$argon2id$")
        assert verify_password(staff.password_hash, password)
        assert not verify_password(staff.password_hash, "wrong password!!")


def test_version_1_database_moves_search_text_to_its_own_table(tmp_path):
    """A database from the first schema (search text on ``item``) is upgraded in place."""
    import sqlite3
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["db-upgrade"])
    runner.invoke(args=["load-catalog"])
    # Recreate the version-1 shape: search columns on item, no item_search table.
    con = sqlite3.connect(tmp_path / "m.db")
    con.execute("DROP TABLE item_search")
    con.execute("ALTER TABLE item ADD COLUMN name_text TEXT NOT NULL DEFAULT ''")
    con.execute("ALTER TABLE item ADD COLUMN search_text TEXT NOT NULL DEFAULT ''")
    con.execute("UPDATE schema_version SET version = 1")
    con.commit()
    con.close()
    assert f"version 1 -> {migrations.latest_version()}" in runner.invoke(
        args=["db-upgrade"]).output
    with app.app_context(), db.connection_context():
        from app.catalog.search import search_items
        assert "name_text" not in [c.name for c in db.get_columns("item")]
        items, total = search_items("驾驶证")
        assert "JJ-JZ-001" in [i.code for i in items]


def test_create_staff_refuses_an_unknown_office(tmp_path):
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["db-upgrade"])
    result = runner.invoke(args=["create-staff", "--email", "x@example.org", "--name", "X",
                                 "--role", "clerk", "--office", "nowhere"])
    assert result.exit_code != 0 and "no office" in result.output


SCHEMA_V7 = Path(__file__).with_name("schema_v7.sql")


def _v7_database(tmp_path):
    """A database as version 7 left it (integer columns for the case's links), with rows."""
    import sqlite3
    path = tmp_path / "m.db"
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_V7.read_text())
    con.commit()
    con.close()
    app = _app(tmp_path)
    con = sqlite3.connect(path)
    # The catalog as version 7 held it (today's loader needs today's tables).
    con.execute("INSERT INTO office (id, key, names, sort) VALUES "
                "(1, 'overseas-centre', '{\"en\": \"Centre\"}', 0), "
                "(2, 'police-global-window', '{\"en\": \"Police\"}', 1)")
    con.execute("INSERT INTO category (id, key, names, sort) VALUES "
                "(1, 'driving-vehicles', '{\"en\": \"Driving\"}', 0)")
    con.execute("INSERT INTO department (id, key, names, short, sort, office_id) VALUES "
                "(1, 'traffic-vehicle-office', '{\"en\": \"Vehicles\"}', NULL, 0, 2)")
    con.execute("INSERT INTO item (id, code, version, department_id, category_id, parent_id, "
                "names, synonyms, summary, guidance, next_steps, fee_amount, fee_currency, "
                "fee_note, time_limit_days, agent_allowed, video_check, delivery, steps, active, "
                "sort) VALUES (1, 'JJ-JZ-001', 1, 1, 1, NULL, '{\"en\": \"Licence\"}', '{}', "
                "'{}', '{}', '{}', 10, 'CNY', NULL, 5, 1, 1, '[]', '[]', 1, 0)")
    office = con.execute("SELECT id FROM office WHERE key = 'police-global-window'").fetchone()[0]
    department = con.execute("SELECT id FROM department LIMIT 1").fetchone()[0]
    item = con.execute("SELECT id FROM item WHERE code = 'JJ-JZ-001'").fetchone()[0]
    con.execute("INSERT INTO service_point (id, key, city, country, host, address, phone, email, "
                "languages, timezone, hours, office_id, active, sort, created_at, updated_at) "
                "VALUES (3, 'milan', '{\"en\": \"Milan\"}', 'IT', '{}', '', '', '', '[]', "
                "'Europe/Rome', '{}', ?, 1, 0, '2026-01-01', '2026-01-01')", (office,))
    for staff_id, email, role, point in ((7, "clerk@x", "clerk", None), (8, "vol@x", "volunteer", 3),
                                         (9, "admin@x", "admin", None)):
        con.execute("INSERT INTO staff (id, email, name, role, password_hash, active, created_at, "
                    "office_id, totp_confirmed, totp_last_step, recovery_codes, failed_logins, "
                    "service_point_id) VALUES (?, ?, ?, ?, 'x', 1, '2026-01-01', ?, 0, 0, '[]', 0, ?)",
                    (staff_id, email, email, role, office if role == "clerk" else None, point))
    columns = ("id, reference, item_id, item_version, status, locale, country, city, timezone, "
               "answers, deferred, entrustment, resume_at, access_token_hash, "
               "access_token_expires, access_code_hash, start_key, version, created_at, "
               "updated_at, office_id, assigned_to_id, transferred_to_id, applicant_name, "
               "service_point_id, assisted_by_id")
    rows = [  # the second refers to an account and a department that are gone
        (1, "OV-1000-0000-01", item, 1, "submitted", "it", "IT", "Prato", "Europe/Rome", "{}",
         "[]", None, "check", "h1", "2027-01-01", "c1", "k1", 4, "2026-01-01", "2026-01-02",
         office, 7, department, "LIN Mei", 3, 8),
        (2, "OV-1000-0000-02", item, 1, "draft", "zh", "IT", "Milano", "Europe/Rome", "{}",
         "[]", None, "materials", "h2", "2027-01-01", "c2", "k2", 1, "2026-01-01", "2026-01-01",
         None, 999, 999, "", None, None)]
    con.executemany(f"INSERT INTO \"case\" ({columns}) VALUES ({', '.join('?' * 26)})", rows)
    con.execute("INSERT INTO event (case_id, kind, actor, actor_id, created_at) "
                "VALUES (1, 'claimed', 'staff', 7, '2026-01-02')")
    con.execute("INSERT INTO event (case_id, kind, actor, actor_id, created_at) "
                "VALUES (2, 'started', 'applicant', NULL, '2026-01-01')")
    con.execute("INSERT INTO material_review (case_id, material_key, verdict, reason, staff_id, "
                "created_at) VALUES (1, 'id_photo', 'correction', 'blurred', 7, '2026-01-02')")
    con.execute("INSERT INTO case_note (case_id, staff_id, body, to_applicant, created_at) "
                "VALUES (1, 7, 'call back', 0, '2026-01-02')")
    con.execute("INSERT INTO appointment (case_id, office_id, starts_at, minutes, status, "
                "manage_token_hash, room, sequence, timezone, booked_by, booked_by_id, "
                "created_at, updated_at) VALUES (1, ?, '2026-01-05 07:00', 20, 'booked', 'm1', "
                "'r1', 0, 'Europe/Rome', 'volunteer', 8, '2026-01-02', '2026-01-02')", (office,))
    con.commit()
    con.close()
    return app


def test_version_7_database_gets_real_foreign_keys_and_keeps_every_row(tmp_path):
    """Migration 8: the case's links become foreign keys; no row is lost; links to rows
    that are gone become empty; the resume point leaves the database."""
    import sqlite3
    app = _v7_database(tmp_path)
    tables = ("case", "event", "material_review", "case_note", "appointment", "staff",
              "service_point", "department")
    con = sqlite3.connect(tmp_path / "m.db")
    before = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    con.close()

    output = app.test_cli_runner().invoke(args=["db-upgrade"]).output
    assert f"version 7 -> {migrations.latest_version()}" in output

    con = sqlite3.connect(tmp_path / "m.db")
    after = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    assert after == before
    links = {row[3]: row[2] for row in con.execute("PRAGMA foreign_key_list('case')")}
    assert links == {"item_id": "item", "office_id": "office", "assigned_to_id": "staff",
                     "transferred_to_id": "department", "service_point_id": "service_point",
                     "assisted_by_id": "staff"}
    for table, column, target in (("material_review", "staff_id", "staff"),
                                  ("case_note", "staff_id", "staff"),
                                  ("appointment", "office_id", "office"),
                                  ("appointment", "booked_by_id", "staff"),
                                  ("department", "office_id", "office"),
                                  ("service_point", "office_id", "office"),
                                  ("staff", "service_point_id", "service_point"),
                                  ("event", "actor_id", "staff")):
        found = {row[3]: row[2] for row in con.execute(f"PRAGMA foreign_key_list('{table}')")}
        assert found.get(column) == target, (table, column, found)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    columns = [row[1] for row in con.execute("PRAGMA table_info('case')")]
    assert "resume_at" not in columns
    indexes = {row[1] for row in con.execute("PRAGMA index_list('case')")}
    assert {"case_office_open_due", "case_office_deadline", "case_reference"} <= indexes
    con.close()

    with app.app_context(), db.connection_context():
        from app.models import Event, Staff
        kept = Case.get(Case.reference == "OV-1000-0000-01")
        assert (kept.office.key, kept.assigned_to.email, kept.assisted_by.email,
                kept.service_point.key, kept.version) == ("police-global-window", "clerk@x",
                                                          "vol@x", "milan", 4)
        assert kept.transferred_to is not None
        gone = Case.get(Case.reference == "OV-1000-0000-02")
        assert gone.assigned_to is None and gone.transferred_to is None
        assert gone.status == "draft" and gone.locale == "zh"
        claimed = Event.get(Event.kind == "claimed")
        assert claimed.actor_staff == Staff.get(Staff.email == "clerk@x")
        assert claimed.delivered_to == [] and claimed.outbox_state is None
        assert kept.appointments.get().booker.email == "vol@x"
        assert migrations.current_version() == migrations.latest_version()
    latest = migrations.latest_version()
    assert f"version {latest} -> {latest}" in app.test_cli_runner().invoke(
        args=["db-upgrade"]).output
    # Migration 9: loading the catalog puts the old windows in their county, and the
    # window's clerk still sees the window's cases (and nobody else's county).
    app.test_cli_runner().invoke(args=["load-catalog"])
    with app.app_context(), db.connection_context():
        from app.models import Jurisdiction, Office, Staff
        assert Office.get(Office.key == "police-global-window").jurisdiction.key == "wencheng"
        clerk = Staff.get(Staff.email == "clerk@x")
        assert clerk.scope.key == "wencheng" and not clerk.read_only
        assert Case.for_staff(clerk, "OV-1000-0000-01") is not None
        assert Jurisdiction.get(Jurisdiction.key == "wencheng").parent.key == "wenzhou"
        # Rows from before the network join it: the admin of the one county there was,
        # the point serving its window's county.
        from app.models import ServicePoint
        assert Staff.get(Staff.email == "admin@x").scope.key == "wencheng"
        milan = ServicePoint.get(ServicePoint.key == "milan")
        assert milan.jurisdiction_ids() == [Jurisdiction.get(Jurisdiction.key == "wencheng").id]


def test_a_missing_account_in_a_required_link_stops_the_upgrade(tmp_path):
    """A note by an account that no longer exists cannot be kept with a foreign key:
    the upgrade refuses, says where, and changes nothing."""
    import sqlite3
    app = _v7_database(tmp_path)
    con = sqlite3.connect(tmp_path / "m.db")
    con.execute("INSERT INTO case_note (case_id, staff_id, body, to_applicant, created_at) "
                "VALUES (1, 4242, 'orphan', 0, '2026-01-02')")
    con.commit()
    con.close()
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code != 0
    assert "case_note.staff_id" in str(result.exception)
    con = sqlite3.connect(tmp_path / "m.db")
    assert con.execute("SELECT version FROM schema_version").fetchone()[0] == 7
    assert "resume_at" in [row[1] for row in con.execute("PRAGMA table_info('case')")]
    con.close()
