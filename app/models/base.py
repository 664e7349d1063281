"""Database handle and shared field types."""

import json

from peewee import DatabaseProxy, Model, TextField

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
