"""Schema migrations that keep existing data on upgrade.

A new database is created from the current models and stamped with the latest
version. An existing database gets each pending migration in order, inside a
transaction. To change the schema: change the model, then append a function to
``MIGRATIONS`` that makes the same change with ``playhouse.migrate`` operations
(add_column, add_index, ...), so old databases arrive at the same schema.
"""

from peewee import ForeignKeyField, IntegerField, Model, SqliteDatabase, TextField, fn
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from ..config import AUDIT_FLOOR_DAYS
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
    from .documents import IssuedDocument
    if "entrustment" not in {c.name for c in db.get_columns("case")}:
        migrate(migrator.add_column("case", "entrustment", TextField(null=True)))
    if not db.table_exists("issued_document"):
        db.create_tables([IssuedDocument])


def _add_missing_columns(migrator, wanted: dict) -> None:
    """Add the ``{table: [(column, field)]}`` columns a database does not have yet."""
    operations = []
    for table, columns in wanted.items():
        present = {c.name for c in db.get_columns(table)}
        operations += [migrator.add_column(table, name, field) for name, field in columns
                       if name not in present]
    if operations:
        migrate(*operations)


def _review(migrator):
    """Version 4: offices, staff sessions and MFA, review fields on cases, audit."""
    from peewee import (BooleanField, CharField, DateField, DateTimeField, IntegerField,
                        TextField)
    from .cases import AccessToken, Case, CaseNote, MaterialReview
    from .organisation import Office
    from .staff import AuditEvent, StaffSession
    db.create_tables([Office, StaffSession, AuditEvent, MaterialReview, CaseNote, AccessToken])
    wanted = {
        "case": [("office_id", IntegerField(null=True)), ("assigned_to_id", IntegerField(null=True)),
                 ("transferred_to_id", IntegerField(null=True)),
                 ("queued_at", DateTimeField(null=True)), ("accepted_at", DateTimeField(null=True)),
                 ("due_date", DateField(null=True)), ("deferred_due", DateField(null=True)),
                 ("supplement", TextField(null=True)), ("result", TextField(null=True)),
                 ("delivery", TextField(null=True)),
                 ("applicant_name", CharField(max_length=120, default=""))],
        "staff": [("office_id", IntegerField(null=True)), ("department_id", IntegerField(null=True)),
                  ("totp_secret", CharField(max_length=64, null=True)),
                  ("totp_confirmed", BooleanField(default=False)),
                  ("totp_last_step", IntegerField(default=0)),
                  ("recovery_codes", TextField(default="[]")),
                  ("failed_logins", IntegerField(default=0)),
                  ("locked_until", DateTimeField(null=True)),
                  ("last_login_at", DateTimeField(null=True))],
        "department": [("office_id", IntegerField(null=True))],
    }
    _add_missing_columns(migrator, wanted)
    for columns in (("office_id", "status", "queued_at", "id"),
                    ("transferred_to_id", "status", "queued_at", "id"), ("office_id", "due_date")):
        name = "case_" + "_".join(columns)
        if name not in {i.name for i in db.get_indexes("case")}:
            migrate(migrator.add_index("case", columns, False))
    Case.update(queued_at=Case.submitted_at).where(Case.queued_at.is_null()).execute()
    protect_audit()


def _queue_indexes(migrator):
    """Version 5: indexes that keep the clerks' queue fast with 100,000 cases."""
    columns = ("office_id", "queued_at", "id", "status", "applicant_name")
    name = "case_" + "_".join(columns)
    if name not in {i.name for i in db.get_indexes("case")}:
        migrate(migrator.add_index("case", columns, False))
    queue_indexes()


def queue_indexes():
    """Expression and partial indexes of the queue (portable SQLite/PostgreSQL SQL)."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_office_deadline ON "case" '
                   "(office_id, COALESCE(due_date, '9999-12-31'), id)")
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_transferred_deadline ON "case" '
                   "(transferred_to_id, COALESCE(due_date, '9999-12-31'), id)")
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_office_deferred ON "case" '
                   "(office_id, deferred_due) WHERE deferred_due IS NOT NULL")
    from .cases import OPEN_SQL
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_office_open_due ON "case" '
                   f"(office_id, due_date) WHERE status {OPEN_SQL}")
    # "Mine" and each clerk's list: the cases a person holds, in the queue's order. Partial,
    # so that "nobody yet" (IS NULL) keeps the office's own index.
    db.execute_sql("DROP INDEX IF EXISTS case_holder_queued")
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_held_queued ON "case" '
                   "(assigned_to_id, queued_at, id) WHERE assigned_to_id IS NOT NULL")


def refresh_statistics():
    """Let the query planner know the data (ANALYZE); run after upgrades and daily."""
    if isinstance(db.obj, SqliteDatabase):
        db.execute_sql("PRAGMA optimize")
        db.execute_sql("ANALYZE")
    else:
        db.execute_sql("ANALYZE")


def protect_audit():
    """Make the audit table append-only in the database itself: no update ever, and no
    delete of an event younger than ``AUDIT_FLOOR_DAYS`` (the retention purge deletes
    older ones)."""
    floor = int(AUDIT_FLOOR_DAYS)
    if isinstance(db.obj, SqliteDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
        db.execute_sql("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                       "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
        # Times are kept as naive UTC text ('YYYY-MM-DD HH:MM:SS[.ffffff]'), which
        # compares as text with SQLite's own datetime().
        db.execute_sql(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            f"WHEN OLD.created_at >= datetime('now', '-{floor} days') "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only and kept a year at least'); "
            "END")
    else:
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN "
            "IF TG_OP = 'DELETE' AND OLD.created_at < "
            f"(now() AT TIME ZONE 'UTC') - interval '{floor} days' THEN RETURN OLD; END IF; "
            "RAISE EXCEPTION 'audit events are append-only and kept a year at least'; "
            "END; $$ LANGUAGE plpgsql")
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        db.execute_sql("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON "
                       "audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")


def _resumable(migrator):
    """Version 6: resumable uploads (tus)."""
    from .cases import TusUpload
    db.create_tables([TusUpload])


def _service_points(migrator):
    """Version 7: service points, volunteers, assisted cases, video checks, agent codes."""
    from peewee import CharField, IntegerField
    from .appointments import Appointment
    from .organisation import ServicePoint
    db.create_tables([ServicePoint, Appointment])
    wanted = {"case": [("service_point_id", IntegerField(null=True)),
                       ("assisted_by_id", IntegerField(null=True)),
                       ("agent_code_hash", CharField(max_length=64, null=True))],
              "staff": [("service_point_id", IntegerField(null=True))]}
    _add_missing_columns(migrator, wanted)
    if "case_service_point_id" not in {i.name for i in db.get_indexes("case")}:
        migrate(migrator.add_index("case", ("service_point_id",), False))


def _foreign_keys(migrator):
    """Version 8: integer columns become real foreign keys; events carry their outbox.

    Every row is kept. A reference to a row that no longer exists (a deleted
    account, say) is set to NULL where the column allows it; a dangling
    reference in a required column stops the upgrade with its name. The
    case's ``resume_at`` goes: the resume point lives in the applicant's session.
    """
    from .appointments import Appointment
    from .catalog import Department
    from .cases import Case, CaseNote, Event, MaterialReview
    from .organisation import ServicePoint
    from .staff import Staff
    models = [Department, ServicePoint, Staff, Case, Event, MaterialReview, CaseNote, Appointment]
    for model in models:
        _null_dangling_references(model)
    if isinstance(db.obj, SqliteDatabase):
        for model in models:
            _rebuild_sqlite_table(model)
    else:
        for model in models:
            _add_postgres_foreign_keys(migrator, model)
    queue_indexes()


def _foreign_keys_of(model):
    return [f for f in model._meta.sorted_fields if isinstance(f, ForeignKeyField)]


def _null_dangling_references(model) -> None:
    """Clear references to rows that are gone; refuse when the column is required."""
    table = model._meta.table_name
    present = {c.name for c in db.get_columns(table)}
    for field in _foreign_keys_of(model):
        if field.column_name not in present:
            continue
        target = field.rel_model._meta.table_name
        dangling = (f'"{field.column_name}" IS NOT NULL AND "{field.column_name}" NOT IN '
                    f'(SELECT "{field.rel_field.column_name}" FROM "{target}")')
        if field.null:
            db.execute_sql(f'UPDATE "{table}" SET "{field.column_name}" = NULL WHERE {dangling}')
            continue
        count = db.execute_sql(f'SELECT COUNT(*) FROM "{table}" WHERE {dangling}').fetchone()[0]
        if count:
            raise RuntimeError(f"{table}.{field.column_name}: {count} rows refer to missing "
                               f"{target} rows; repair them before upgrading")


def _rebuild_sqlite_table(model) -> None:
    """SQLite cannot add a constraint to a table: make the table anew and copy every row.

    The procedure of https://www.sqlite.org/lang_altertable.html#otheralter,
    run with foreign keys off (see :func:`upgrade`): create the new table from
    the model, copy the columns both have (new columns get the model's
    default), drop the old table, rename, recreate the indexes.
    """
    table = model._meta.table_name
    old = [c.name for c in db.get_columns(table)]
    sql, params = model._schema._create_table(safe=False).query()
    quoted = f'"{table}"'
    db.execute_sql(sql.replace(quoted, f'"{table}__new"', 1), params)
    fields = {f.column_name: f for f in model._meta.sorted_fields}
    kept = [name for name in fields if name in old]
    added = [f for name, f in fields.items() if name not in old]
    columns = ", ".join(f'"{name}"' for name in kept + [f.column_name for f in added])
    values = ", ".join([f'"{name}"' for name in kept] + ["?"] * len(added))
    defaults = [f.db_value(f.default() if callable(f.default) else f.default) for f in added]
    db.execute_sql(f'INSERT INTO "{table}__new" ({columns}) SELECT {values} FROM {quoted}',
                   defaults)
    db.execute_sql(f"DROP TABLE {quoted}")
    db.execute_sql(f'ALTER TABLE "{table}__new" RENAME TO {quoted}')
    model._schema.create_indexes(safe=True)


def _add_postgres_foreign_keys(migrator, model) -> None:
    """PostgreSQL adds the constraints (and the new columns) in place."""
    table = model._meta.table_name
    present = {c.name for c in db.get_columns(table)}
    # Columns of later versions (a link to a table a later migration makes) wait for it.
    later = {f.column_name for f in _foreign_keys_of(model)
             if not db.table_exists(f.rel_model._meta.table_name)}
    operations = [migrator.add_column(table, f.column_name, f) for f in model._meta.sorted_fields
                  if f.column_name not in present and f.column_name not in later]
    if table == "case" and "resume_at" in present:
        operations.append(migrator.drop_column(table, "resume_at"))
    if operations:
        migrate(*operations)
    existing = {fk.column for fk in db.get_foreign_keys(table)}
    for field in _foreign_keys_of(model):
        if field.column_name in existing or field.column_name in later:
            continue
        on_delete = field.on_delete or "NO ACTION"
        migrate(migrator.add_foreign_key_constraint(
            table, field.column_name, field.rel_model._meta.table_name,
            field.rel_field.column_name, on_delete=on_delete))
    _create_present_indexes(model)


def _create_present_indexes(model) -> None:
    """The model's indexes on columns the table has (a later version's wait for it)."""
    present = {c.name for c in db.get_columns(model._meta.table_name)}
    for index in model._meta.fields_to_index():
        columns = {getattr(e, "column_name", None) for e in index._expressions}
        if columns <= present:
            db.execute(model._schema._create_index(index, safe=True))


def _jurisdictions(migrator):
    """Version 9: the network of jurisdictions; offices, departments and accounts belong to one.

    The new links start empty; loading the catalog (``flask load-catalog``, run by
    every start) fills them from the data files.
    """
    from peewee import CharField
    from .catalog import Department, Item
    from .organisation import Jurisdiction, Office, PointJurisdiction
    from .staff import Staff
    db.create_tables([Jurisdiction, PointJurisdiction])
    _add_missing_columns(migrator, {
        "office": [("jurisdiction_id", Office.jurisdiction)],
        "department": [("jurisdiction_id", Department.jurisdiction)],
        "staff": [("jurisdiction_id", Staff.jurisdiction)],
        "item": [("kind", CharField(max_length=64, default=""))],
        "item_search": [("jurisdiction", IntegerField(null=True))]})
    for model in (Office, Department, Staff, Item):
        model._schema.create_indexes(safe=True)
    from .catalog import ItemSearch
    ItemSearch._schema.create_indexes(safe=True)


def _item_versions(migrator):
    """Version 10: the published version of each item, which cases keep. Every item's
    current text becomes its current version, so each case keeps what it was shown."""
    from .catalog import Item, ItemVersion
    db.create_tables([ItemVersion])
    # A version keeps each material as the model reads it now: its record name (version
    # 22) is read here already.
    _material_records(migrator)
    present = {c.name for c in db.get_columns("item")}
    for item in Item.select(*[f for f in Item._meta.sorted_fields if f.column_name in present]):
        ItemVersion.keep(item)


def _item_drafts(migrator):
    """Version 11: drafts of items edited in the browser, and each item's complete locales
    (filled by the next catalog load, which every start runs)."""
    from .drafts import ItemDraft
    db.create_tables([ItemDraft])
    _add_missing_columns(migrator, {"item": [("locales", TextField(default="[]"))]})


def _periodic_runs(migrator):
    """Version 12: periodic jobs claim their period, so each runs once across hosts."""
    from .jobs import PeriodicRun
    db.create_tables([PeriodicRun])


def _clean_file_names(_migrator):
    """Version 13: file names kept before they were cleaned lose their control and
    bidirectional characters (``invoice\u202egpj.jpg``), wherever they are shown."""
    from ..storage import clean_filename
    from .cases import Upload
    for upload in Upload.select(Upload.id, Upload.original_name):
        cleaned = clean_filename(upload.original_name)
        if cleaned != upload.original_name:
            Upload.update(original_name=cleaned).where(Upload.id == upload.id).execute()


def _rate_counters(_migrator):
    """Version 14: rate-limit counters in the database, shared by every worker and host."""
    from .jobs import RateCounter
    db.create_tables([RateCounter])


def _case_grants(_migrator):
    """Version 15: applicants' holds on their cases kept on the server (the cookie keeps
    a random token only). Holds kept in cookies before are not carried over: those
    browsers open their case again with the access code or link."""
    from .cases import CaseGrant
    db.create_tables([CaseGrant])


def _retention(migrator):
    """Version 16: when a case ended, lost its files and lost its personal details (the
    retention periods run from its end); audit events older than a year may be deleted;
    a staff password the system made must be changed at first use. Cases that ended
    before take the time of the event that ended them."""
    from peewee import BooleanField, DateTimeField
    from .cases import ENDED, Case, Event
    _add_missing_columns(migrator, {"case": [
        ("ended_at", DateTimeField(null=True)), ("files_deleted_at", DateTimeField(null=True)),
        ("anonymised_at", DateTimeField(null=True))], "staff": [
        ("must_change_password", BooleanField(default=False)),
        ("password_set_at", DateTimeField(null=True))]})
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_ended_at ON "case" (ended_at)')
    kinds = ["delivered", "rejected", "closed", "withdrawn", "answered"]
    for case in Case.select(Case.id, Case.updated_at).where(
            Case.status.in_(list(ENDED)) & Case.ended_at.is_null()):
        first = (Event.select(fn.MIN(Event.created_at)).where(
            (Event.case == case.id) & Event.kind.in_(kinds)).scalar())
        Case.update(ended_at=first or case.updated_at).where(Case.id == case.id).execute()
    protect_audit()


def _demo_accounts(migrator):
    """Version 17: demo accounts are marked (they sign in only while the demo is on)."""
    from peewee import BooleanField
    from .staff import Staff
    _add_missing_columns(migrator, {"staff": [("demo", BooleanField(default=False))]})
    Staff.update(demo=True).where(Staff.email.endswith("@demo.onevisit")).execute()


def _staff_languages(migrator):
    """Version 18: each staff account keeps the language of its pages and emails."""
    from peewee import CharField
    _add_missing_columns(migrator, {"staff": [("lang", CharField(max_length=5, default=""))]})


def _held_refusals(_migrator):
    """Version 19: a refused decision waits on the server for the case page that shows it
    (the refusal answers with a redirect, so a reload does not post it again)."""
    from .staff import HeldRefusal
    db.create_tables([HeldRefusal])


def _transfer_opened(migrator):
    """Version 20: when a department first opened a case passed to it; the cases each
    person holds, indexed in the queue's order."""
    from peewee import DateTimeField
    _add_missing_columns(migrator, {"case": [("transfer_opened_at",
                                              DateTimeField(null=True))]})
    queue_indexes()


def _return_reasons(migrator):
    """Version 21: the library of standard return reasons (the defaults seeded), and a
    material verdict keeps its standard reasons and the language of the clerk's words."""
    from peewee import CharField
    from .reasons import ReturnReason
    from ..reasons.library import seed_defaults
    db.create_tables([ReturnReason])
    _add_missing_columns(migrator, {"material_review": [
        ("reason_keys", TextField(default="[]")), ("reason_lang", CharField(max_length=5,
                                                                            default=""))]})
    seed_defaults()


def _material_records(migrator):
    """Version 22: a material's name on the case record (staff pages, documents)."""
    _add_missing_columns(migrator, {"material": [("record", TextField(default="{}"))]})


def _questions(_migrator):
    """Version 23: questions (咨询), their threads, files and holds, the suggestions shown
    before sending, standard answers and the FAQ."""
    from . import questions as q
    db.create_tables([q.Question, q.QuestionEvent, q.QuestionFile, q.QuestionGrant,
                      q.SuggestionShown, q.StandardAnswer, q.FaqEntry, q.FaqItem])


def _questions_staffq(_migrator):
    """Version 24: the staff queue's keyset indexes of questions (by window, department
    and holder, each in due order then id), and the default standard answers of every
    county."""
    from . import questions as q
    from ..questions.answers import seed_standard_answers
    _create_present_indexes(q.Question)
    seed_standard_answers()


def _questions_ask(migrator):
    """Version 25: a browser's hold on a question keeps, sealed, the access code and
    private link it was given when it sent the question (shown again after sending)."""
    _add_missing_columns(migrator, {"question_grant": [("sealed", TextField(null=True))]})


def _question_retention(migrator):
    """Version 26: when a question's files went, and its personal details (retention)."""
    from peewee import DateTimeField
    _add_missing_columns(migrator, {"question": [("files_deleted_at", DateTimeField(null=True)),
                                                 ("anonymised_at", DateTimeField(null=True))]})


def _questions_fixstaff(migrator):
    """Version 27 (after main's ``_question_retention``, 26): an FAQ entry keeps the
    one-time key of the form that made it (unique): a replayed post opens that entry
    instead of making a second one."""
    from peewee import CharField
    from . import questions as q
    _add_missing_columns(migrator, {"faq_entry": [
        ("start_key", CharField(max_length=64, null=True))]})
    _create_present_indexes(q.FaqEntry)


def _ratings(migrator):
    """Version 28: ratings (好差评), follow-ups and the statistics' counts; a case records
    when its promised materials all arrived, when it was invited to be rated, and whether
    the demo history made it. The counts are built from the cases already there."""
    from peewee import BooleanField, DateTimeField
    from .ratings import RATING_MODELS
    from ..ratings.tally import rebuild
    _add_missing_columns(migrator, {"case": [("deferred_done_at", DateTimeField(null=True)),
                                             ("rating_invited_at", DateTimeField(null=True)),
                                             ("demo", BooleanField(default=False)),
                                             # read by the rebuild below (``_ratings_fixrate``
                                             # adds it to databases past this version)
                                             ("deferred_waived_at", DateTimeField(null=True))]})
    db.create_tables(RATING_MODELS)
    rebuild()


def _ratings_stats(_migrator):
    """Version 29 (after ``_ratings``): the public statistics read the questions of a range
    of months, of a county or all, from two covering indexes (``jurisdiction_id``,
    ``created_at``, ``first_answered_at``, ``answered_in_time``; the same without the
    county)."""
    from . import questions as q
    _create_present_indexes(q.Question)


def _ratings_fixrate(migrator):
    """Version 30 (after ``_ratings_stats``): a follow-up keeps who held it when its rating
    was appealed (they may not decide the appeal); a case keeps when its promised materials
    were waived (still counted as accepted with materials owed). Cases accepted with
    materials owed before version 28 get when the last of them arrived (from their
    ``deferred_supplied`` events), and when they were waived; then the counts are built
    again."""
    from peewee import DateTimeField, IntegerField, NodeList, SQL, fn
    from .cases import Case, Event
    from ..ratings.tally import rebuild
    _add_missing_columns(migrator, {"case": [("deferred_waived_at", DateTimeField(null=True))],
                                    "follow_up": [("appeal_holder_id",
                                                   IntegerField(null=True))]})

    def events(kind, *columns):
        return Event.select(*columns).where((Event.case == Case.id) & (Event.kind == kind))
    Case.update(deferred_done_at=events("deferred_supplied", fn.MAX(Event.created_at))).where(
        Case.deferred_due.is_null(False) & Case.deferred_done_at.is_null()
        & NodeList((Case.deferred, SQL("= '[]'")))
        & fn.EXISTS(events("deferred_supplied", Event.id))).execute()
    Case.update(deferred_waived_at=events("deferred_waived", fn.MAX(Event.created_at))).where(
        Case.deferred_waived_at.is_null()
        & fn.EXISTS(events("deferred_waived", Event.id))).execute()
    rebuild()


#: Ordered migrations; entry ``n`` upgrades the schema to version ``n + 1``.
MIGRATIONS = [_initial, _search_table, _documents, _review, _queue_indexes, _resumable,
              _service_points, _foreign_keys, _jurisdictions,
              _item_versions, _item_drafts, _periodic_runs, _clean_file_names,
              _rate_counters, _case_grants, _retention, _demo_accounts, _staff_languages,
              _held_refusals, _transfer_opened, _return_reasons, _material_records,
              _questions, _questions_staffq, _questions_ask,
              _question_retention, _questions_fixstaff, _ratings, _ratings_stats,
              _ratings_fixrate]


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
    if isinstance(engine, SqliteDatabase):
        return SqliteMigrator(engine)
    return PostgresqlMigrator(engine)


def upgrade() -> tuple[int, int]:
    """Bring the database to the latest version; return (before, after).

    On SQLite, foreign keys are off while the migrations run (tables are
    rebuilt), and checked as a whole before the transaction commits.
    """
    before = current_version()
    sqlite = isinstance(db.obj, SqliteDatabase)
    if sqlite:
        db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        _upgrade(before)
    finally:
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = ON")
    refresh_statistics()
    return before, latest_version()


def _upgrade(before: int) -> None:
    with db.atomic():
        if before == 0 and not db.table_exists("case"):
            db.create_tables([SchemaVersion, *MODELS])
            protect_audit()
            queue_indexes()
            SchemaVersion.delete().execute()
            SchemaVersion.create(version=latest_version())
            return
        db.create_tables([SchemaVersion])
        migrator = _migrator()
        for number in range(max(before, 1), latest_version()):
            MIGRATIONS[number](migrator)
        if isinstance(db.obj, SqliteDatabase):
            broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken after the upgrade: {broken[:5]}")
        SchemaVersion.delete().execute()
        SchemaVersion.create(version=latest_version())


__all__ = ["upgrade", "current_version", "latest_version", "MIGRATIONS", "migrate"]
