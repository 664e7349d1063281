"""Connecting the peewee proxy to the configured database."""

from flask import Flask
from playhouse.db_url import connect

from .models.base import db


def init_db(app: Flask) -> None:
    """Bind ``db`` to ``DATABASE_URL``: a pool of kept connections per process, which a
    request takes with its first query and gives back at its end (opening one costs a
    PostgreSQL handshake, or SQLite's file opening and five pragmas; reusing one none).
    SQLite gets WAL and sensible pragmas."""
    url = app.config["DATABASE_URL"]
    scheme, _sep, rest = url.partition("://")
    if not scheme.endswith("+pool"):
        url = f"{scheme}+pool://{rest}"
    pool = dict(max_connections=app.config.get("DATABASE_POOL_SIZE", 20), stale_timeout=300,
                timeout=10)
    if scheme.startswith("sqlite"):
        # A kept connection serves one request at a time, from whichever thread.
        database = connect(url, check_same_thread=False, **pool, pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 5000,
            "synchronous": "normal",
            "cache_size": -16000,
        })
    else:
        database = connect(url, **pool)
    previous = db.obj
    if previous is not None and hasattr(previous, "close_all"):
        previous.close_all()  # another app in this process (tests) had the proxy
    db.initialize(database)

    # A request opens its connection with its first query (a page served from memory
    # makes none) and gives it back at the end.
    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()
