"""Connecting the peewee proxy to the configured database."""

import time

from flask import Flask
from playhouse.db_url import connect, register_database
from playhouse.pool import PooledPostgresqlDatabase

from .models.base import db


class KeptPostgresqlDatabase(PooledPostgresqlDatabase):
    """PostgreSQL connections pooled per process, handed out without a round trip when
    they were in use a moment ago.

    peewee's pool asks the server (``SELECT 1``) before it lends a kept connection: a
    round trip for every request, as many as the page's own query. A connection given
    back within ``FRESH_S`` seconds, idle and not closed, is lent as it is; one that sat
    longer is asked first (the server may have restarted meanwhile)."""

    FRESH_S = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned = {}

    def _close(self, conn, close_conn=False):
        self._returned[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _is_closed(self, conn):
        returned = self._returned.pop(self.conn_key(conn), None)
        if (returned is not None and time.monotonic() - returned < self.FRESH_S
                and not conn.closed
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)


register_database(KeptPostgresqlDatabase, "postgresql+kept", "postgres+kept")


def init_db(app: Flask) -> None:
    """Bind ``db`` to ``DATABASE_URL``: a pool of kept connections per process, which a
    request takes with its first query and gives back at its end (opening one costs a
    PostgreSQL handshake, or SQLite's file opening and five pragmas; reusing one none).
    SQLite gets WAL and sensible pragmas."""
    url = app.config["DATABASE_URL"]
    scheme, _sep, rest = url.partition("://")
    if scheme.startswith("postgres"):
        url = f"postgresql+kept://{rest}"
    elif not scheme.endswith("+pool"):
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
