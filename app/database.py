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
        # PostgreSQL (and others): a pool of kept connections per process; a request
        # takes one and gives it back (opening one costs milliseconds, reusing it none).
        scheme, _sep, rest = url.partition("://")
        if not scheme.endswith("+pool"):
            url = f"{scheme}+pool://{rest}"
        database = connect(url, max_connections=app.config.get("DATABASE_POOL_SIZE", 20),
                           stale_timeout=300, timeout=10)
    db.initialize(database)

    # A request opens its connection with its first query (a page served from memory
    # makes none) and gives it back at the end.
    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()
