"""Schema migrations keep existing data; the CLI commands work."""

from peewee import SqliteDatabase

from app import create_app
from app.models import Case, Item, db
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
    assert "version 0 -> 7" in runner.invoke(args=["db-upgrade"]).output
    assert "14 items" in runner.invoke(args=["load-catalog"]).output
    with app.app_context(), db.connection_context():
        count = Item.select().count()

    # A later release adds a column: the migration adds it to the old database.
    def add_note_column(migrator):
        from peewee import TextField
        migrations.migrate(migrator.add_column("item", "internal_note", TextField(null=True)))

    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + [add_note_column])
    output = runner.invoke(args=["db-upgrade"]).output
    assert "version 7 -> 8" in output
    with app.app_context(), db.connection_context():
        columns = [c.name for c in db.get_columns("item")]
        assert "internal_note" in columns
        assert Item.select().count() == count
        assert migrations.current_version() == 8
    # Running it again changes nothing.
    assert "version 8 -> 8" in runner.invoke(args=["db-upgrade"]).output


def test_load_catalog_twice_is_an_upsert(tmp_path):
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["db-upgrade"])
    runner.invoke(args=["load-catalog"])
    runner.invoke(args=["load-catalog"])
    with app.app_context(), db.connection_context():
        assert Item.select().count() == 14
        assert Case.select().count() == 0


def test_create_staff_and_demo_commands(tmp_path):
    app = _app(tmp_path)
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
    assert "version 1 -> 7" in runner.invoke(args=["db-upgrade"]).output
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
