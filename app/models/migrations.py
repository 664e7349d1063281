"""Schema migrations that keep existing data on upgrade.

A new database is created from the current models and stamped with the latest
version. An existing database gets each pending migration in order, inside a
transaction. To change the schema: change the model, then append a function to
``MIGRATIONS`` that makes the same change with ``playhouse.migrate`` operations
(add_column, add_index, ...), so old databases arrive at the same schema.
"""

from peewee import IntegerField, Model
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from .base import db
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


def _search_table(migrator):
    """Version 2: search text moves from ``item`` to the narrow ``item_search`` table."""
    from .catalog import Item, ItemSearch, Material
    from ..catalog.loader import search_text_for
    if not db.table_exists("item_search"):
        db.create_tables([ItemSearch])
    columns = {c.name for c in db.get_columns("item")}
    drops = [migrator.drop_column("item", name) for name in ("name_text", "search_text")
             if name in columns]
    if drops:
        migrate(*drops)
    materials = {}
    for m in Material.select(Material.item, Material.names):
        materials.setdefault(m.item_id, []).append({"names": m.names})
    for item in Item.select():
        name_text, search_text = search_text_for(
            {"names": item.names, "synonyms": item.synonyms or {},
             "materials": materials.get(item.id, [])})
        row = {"active": item.active, "department": item.department_id,
               "category": item.category_id, "sort": item.sort, "code": item.code,
               "name_text": name_text, "search_text": search_text}
        (ItemSearch.insert(item=item.id, **row)
         .on_conflict(conflict_target=[ItemSearch.item], update=row).execute())


def _documents(migrator):
    """Version 3: entrustment on the case, and issued documents."""
    from peewee import TextField
    from .documents import IssuedDocument
    if "entrustment" not in {c.name for c in db.get_columns("case")}:
        migrate(migrator.add_column("case", "entrustment", TextField(null=True)))
    if not db.table_exists("issued_document"):
        db.create_tables([IssuedDocument])


#: Ordered migrations; entry ``n`` upgrades the schema to version ``n + 1``.
MIGRATIONS = [_initial, _search_table, _documents]


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


__all__ = ["upgrade", "current_version", "latest_version", "MIGRATIONS", "migrate"]
