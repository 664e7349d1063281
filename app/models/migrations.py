"""Schema migrations that keep existing data on upgrade.

A new database is created from the current models and stamped with the latest
version. An existing database gets each pending migration in order, inside a
transaction. To change the schema: change the model, then append a function to
``MIGRATIONS`` that makes the same change with ``playhouse.migrate`` operations
(add_column, add_index, ...), so old databases arrive at the same schema.
"""

from peewee import IntegerField, Model
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from .base import db, utcnow
from . import MODELS


class SchemaVersion(Model):
    """Single-row table holding the applied schema version."""

    version = IntegerField()

    class Meta:
        database = db
        table_name = "schema_version"


def _initial(migrator):
    """Version 1: the tables of the first release."""
    db.create_tables(MODELS)


#: Ordered migrations; entry ``n`` upgrades the schema to version ``n + 1``.
MIGRATIONS = [_initial]


def latest_version() -> int:
    """The version a fully upgraded database has."""
    return len(MIGRATIONS)


def current_version() -> int:
    """The version the connected database has, 0 if it is empty."""
    if not db.table_exists("schema_version"):
        return 0
    row = SchemaVersion.select().first()
    return row.version if row else 0


def _migrator() -> SchemaMigrator:
    engine = db.obj
    if isinstance(engine, __import__("peewee").SqliteDatabase):
        return SqliteMigrator(engine)
    return PostgresqlMigrator(engine)


def upgrade() -> tuple[int, int]:
    """Bring the database to the latest version; return (before, after)."""
    before = current_version()
    with db.atomic():
        if before == 0 and not db.table_exists("case"):
            db.create_tables([SchemaVersion, *MODELS])
            SchemaVersion.delete().execute()
            SchemaVersion.create(version=latest_version())
            return before, latest_version()
        db.create_tables([SchemaVersion])
        migrator = _migrator()
        for number in range(max(before, 1), latest_version()):
            migrate_fn = MIGRATIONS[number]
            migrate_fn(migrator)
        SchemaVersion.delete().execute()
        SchemaVersion.create(version=latest_version())
    return before, latest_version()


__all__ = ["upgrade", "current_version", "latest_version", "MIGRATIONS", "migrate", "utcnow"]
