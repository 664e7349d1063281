"""A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's server, made in a
temporary directory, listening on loopback only, stopped and deleted afterwards.

``ONEVISIT_TEST_DATABASE=postgresql`` runs the suite on it (see ``tests/conftest.py``).
Durability is off (fsync, synchronous commit, full-page writes): the cluster lives for
one run. As root the server runs as Debian's ``postgres`` account (PostgreSQL refuses
to run as root).
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time

from .topology import free_port


class ClusterError(RuntimeError):
    """The cluster could not be made or started."""


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise ClusterError(f"PostgreSQL's {name} was not found: install Debian's server "
                           "(apt-get install postgresql); scripts/setup.sh does when root")
    return path


class Cluster:
    """One PostgreSQL server of its own: ``start()``, ``url(name)``, ``create()``, ``stop()``."""

    def __init__(self):
        self.directory = None
        self.port = None
        self._owner = None

    def _run(self, *args, **kwargs):
        command = list(args)
        if self._owner:
            command = ["runuser", "-u", self._owner, "--"] + command
        result = subprocess.run(command, capture_output=True, text=True, **kwargs)
        if result.returncode:
            raise ClusterError(f"{' '.join(args[:2])} failed: {result.stderr.strip()[-800:]}")
        return result

    def start(self) -> "Cluster":
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        self.directory = tempfile.mkdtemp(prefix="onevisit-pg-")
        if os.geteuid() == 0:
            import pwd
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterError("running as root needs Debian's postgres account "
                                   "(apt-get install postgresql)") from None
            self._owner = "postgres"
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        data = os.path.join(self.directory, "data")
        self._run(initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        for attempt in range(5):
            self.port = free_port()
            options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=300 -c shared_buffers=64MB")
            try:
                self._run(pg_ctl, "-D", data, "-l", os.path.join(self.directory, "server.log"),
                          "-w", "-t", "60", "-o", options, "start")
                return self
            except ClusterError:
                if attempt == 4:
                    raise
                time.sleep(0.5)
        return self

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg2
        con = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname="postgres")
        con.autocommit = True
        try:
            with con.cursor() as cursor:
                cursor.execute(sql)
        finally:
            con.close()

    def create(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given); returns its URL."""
        # FILE_COPY copies the template's files (a third of WAL_LOG's time; durability
        # is off in this cluster anyway).
        self.execute(f'CREATE DATABASE "{name}"' + (
            f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""))
        return self.url(name)

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.directory is None:
            return
        try:
            self._run(_binary("pg_ctl"), "-D", os.path.join(self.directory, "data"),
                      "-m", "immediate", "-w", "stop")
        except ClusterError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None
