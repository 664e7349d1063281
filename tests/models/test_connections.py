"""Requests give their database connection back: on PostgreSQL to the process's pool
(one kept connection serves request after request), on SQLite by closing it."""

from playhouse.pool import PooledPostgresqlDatabase

from app.models import db

from ..conftest import ON_POSTGRESQL


def test_requests_give_their_connection_back(app):
    client = app.test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/en/services?q=passport").status_code == 200
    if ON_POSTGRESQL:
        assert isinstance(db.obj, PooledPostgresqlDatabase)
        assert not db.obj._in_use, "no connection is left checked out"
        assert len(db.obj._connections) == 1, "one kept connection served every request"
    else:
        assert db.is_closed()
