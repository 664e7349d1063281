"""Connecting the peewee proxy to the configured database."""

from flask import Flask
from playhouse.db_url import connect

from .models.base import db


def init_db(app: Flask) -> None:
    """Bind ``db`` to ``DATABASE_URL``; SQLite gets WAL and sensible pragmas."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        database = connect(url, pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 5000,
            "synchronous": "normal",
            "cache_size": -16000,
        })
    else:
        database = connect(url)
    db.initialize(database)

    @app.before_request
    def _open():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()
