"""Database handle and shared field types."""

import functools
import json
import threading
import weakref
from contextlib import contextmanager

from peewee import DatabaseProxy, Model, SqliteDatabase, TextField

db = DatabaseProxy()


class JSONField(TextField):
    """JSON stored as text, portable between SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    """Base class binding every model to the application database."""

    class Meta:
        database = db
        legacy_table_names = False


_pending = threading.local()


@contextmanager
def together():
    """What is written inside is one transaction (a decision and its audit record, say);
    what :func:`after_commit` was given inside runs once it has committed (the emails'
    jobs, a letter rendered), and not at all when it rolled back. Nested: part of the
    outer one."""
    if getattr(_pending, "callbacks", None) is not None:
        with db.atomic():
            yield
        return
    _pending.callbacks = []
    try:
        with _writing():
            yield
        callbacks = _pending.callbacks
    finally:
        _pending.callbacks = None
    for callback in callbacks:
        callback()


def _writing():
    """A transaction that will write. SQLite takes the write lock at its start
    (``BEGIN IMMEDIATE``, waiting its turn): a transaction that read first and wrote
    later would fail outright when another connection wrote in between (WAL)."""
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def after_commit(callback) -> bool:
    """Run ``callback`` once the current :func:`together` block commits, or now outside
    any transaction; False when inside another transaction, which has no such hook."""
    if getattr(_pending, "callbacks", None) is not None:
        _pending.callbacks.append(callback)
        return True
    if db.in_transaction():
        return False
    callback()
    return True


def in_one_transaction(view):
    """A view whose writes commit together (or none of them)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with together():
            return view(*args, **kwargs)
    return wrapped


class Compiled:
    """A select whose SQL is built once per database, then run with new values.

    Building the SQL is most of what a simple lookup costs in peewee (a case by its
    reference, read with its item, is 30 columns and a join: about half a millisecond
    to build, a tenth of that to run). ``build(*marks)`` makes the query with marks where
    the values go (by default strings, compared with text columns so they reach the
    parameters unchanged; ``marks`` gives others, such as unlikely integers for integer
    columns); each run puts the values in their place and reads the rows the way the
    query itself would (joined models included).
    """

    MARK = "\x00value-{}\x00"

    def __init__(self, build, arity: int = 1, marks=None):
        self.build = build
        self.arity = arity
        # Integer columns take integer marks: values no row will ever hold.
        self.marks = list(marks) if marks else [self.MARK.format(i) for i in range(arity)]
        self._by_database = weakref.WeakKeyDictionary()

    def _compiled(self, database):
        entry = self._by_database.get(database)
        if entry is None:
            marks = self.marks
            query = self.build(*marks)
            sql, params = database.get_sql_context().sql(query).query()
            places = [params.index(mark) for mark in marks]
            entry = self._by_database[database] = (query, sql, tuple(params), places)
        return entry

    def rows(self, *values):
        database = db.obj
        query, sql, params, places = self._compiled(database)
        bound = list(params)
        for place, value in zip(places, values):
            bound[place] = value
        return query._get_cursor_wrapper(database.execute_sql(sql, bound))

    def first(self, *values):
        """The first row, or None."""
        for row in self.rows(*values):
            return row
        return None
