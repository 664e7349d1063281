"""Requests give their database connection back to the process's pool (one kept
connection serves request after request, SQLite and PostgreSQL alike); on PostgreSQL a
connection lent again at once skips the server round trip that checks it, and one that
sat idle is checked (a server that restarted meanwhile costs no failed page)."""

from playhouse.pool import PooledDatabase

from app.database import KeptPostgresqlDatabase
from app.models import db

from ..conftest import ON_POSTGRESQL


def test_requests_give_their_connection_back(app):
    client = app.test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/en/services?q=passport").status_code == 200
    assert isinstance(db.obj, PooledDatabase)
    assert not db.obj._in_use, "no connection is left checked out"
    assert len(db.obj._connections) == 1, "one kept connection served every request"
    assert isinstance(db.obj, KeptPostgresqlDatabase) == ON_POSTGRESQL


def test_a_connection_idle_for_long_is_checked_before_it_is_lent(app, monkeypatch):
    if not ON_POSTGRESQL:
        assert "sqlite" in app.config["DATABASE_URL"]
        return  # SQLite's connections are files of this process: nothing to check
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    executed = []
    real = db.obj._adapter.is_connection_closed
    monkeypatch.setattr(db.obj._adapter, "is_connection_closed",
                        lambda conn: executed.append("SELECT 1") or real(conn))
    assert client.get("/healthz").status_code == 200
    assert executed == [], "lent again at once: no round trip"

    # The server ends the idle connection (a restart, an idle timeout); past FRESH_S the
    # pool asks first, finds it gone, and opens a new one: the page does not fail.
    with db.connection_context():
        (pid,) = db.execute_sql("SELECT pg_backend_pid()").fetchone()
    from ..conftest import release_connections
    import psycopg2
    admin = psycopg2.connect(app.config["DATABASE_URL"])
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    monkeypatch.setattr(KeptPostgresqlDatabase, "FRESH_S", 0.0)
    assert client.get("/healthz").status_code == 200
    assert executed == ["SELECT 1"]
    release_connections()
