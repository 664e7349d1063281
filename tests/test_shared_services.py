"""What hosts share through Redis and the database: the job queue, the rate-limit
counters (and pages that keep answering when Redis is down), and periodic jobs that run
once per period however many consumers fire them."""

import os
import subprocess
import sys
import threading

from huey import RedisHuey, SqliteHuey

from app import create_app, tasks
from app.models import PeriodicRun, db

from .conftest import ROOT
from .pages import PageClient
from .topology import free_port

FIND = "/en/cases/find"
WRONG = {"reference": "OV-1234-5678-90", "code": "AAAA-AAAA"}


def host(app, tmp_path, name, **config):
    """Another host of the test app's database (its own instance folder)."""
    made = create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path / name),
                       "SECRET_KEY": "shared-secret", "PUBLIC_URL": "http://onevisit.test",
                       "DATABASE_URL": app.config["DATABASE_URL"], **config})
    made.test_client_class = PageClient
    return made


def test_the_job_queue_is_on_redis_when_configured_and_every_host_shares_it(redis_server):
    env = dict(os.environ, ONEVISIT_HUEY_REDIS_URL=redis_server.url, ONEVISIT_HUEY_IMMEDIATE="")
    shown = subprocess.run([sys.executable, "-c", "from app import tasks; "
                            "print(type(tasks.huey).__name__)"], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert shown == "RedisHuey"
    assert isinstance(tasks.make_huey(None, immediate=False), SqliteHuey)

    sender = tasks.make_huey(redis_server.url, immediate=False)
    receiver = tasks.make_huey(redis_server.url, immediate=False)
    assert isinstance(sender, RedisHuey)
    sender.flush()
    done = []

    @sender.task(name="echo")
    def echo_on_a(value):
        done.append(("a", value))

    @receiver.task(name="echo")
    def echo_on_b(value):
        done.append(("b", value))

    echo_on_a("hello")                       # queued by host A …
    assert receiver.pending_count() == 1
    receiver.execute(receiver.dequeue())     # … run by host B's consumer
    assert done == [("b", "hello")] and sender.pending_count() == 0


def test_a_periodic_job_runs_once_however_many_consumers_fire_it(app, monkeypatch):
    runs = []
    monkeypatch.setattr(tasks, "send_due_reminders", lambda: runs.append(1) or 1)
    start = threading.Barrier(4)
    results = []

    def consumer():
        start.wait()
        with app.app_context(), db.connection_context():
            results.append(tasks.daily_reminders.call_local())
    threads = [threading.Thread(target=consumer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs == [1] and sorted(results, key=str) == [1, None, None, None]
    with app.app_context(), db.connection_context():
        assert PeriodicRun.select().where(PeriodicRun.name == "daily_reminders").count() == 1
        tasks.nightly_maintenance.call_local()
        assert PeriodicRun.select().where(PeriodicRun.name == "daily_reminders").count() == 1


def test_the_find_case_limit_counts_across_hosts_on_redis(app, tmp_path, redis_server):
    import redis
    redis.Redis.from_url(redis_server.url).flushall()
    shared = {"RATELIMIT_STORAGE_URI": redis_server.url, "FIND_CASE_RATE_LIMIT": "4 per hour"}
    a = host(app, tmp_path, "a", **shared).test_client()
    b = host(app, tmp_path, "b", **shared).test_client()
    statuses = []
    for client in (a, b, a, b, a):
        token = client.page(FIND).csrf()
        statuses.append(client.post(FIND, data=dict(WRONG, csrf_token=token)).status_code)
    assert statuses == [422, 422, 422, 422, 429]


def test_pages_keep_answering_when_redis_is_down(app, tmp_path):
    closed = free_port()
    client = host(app, tmp_path, "a", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed}/0",
                  FIND_CASE_RATE_LIMIT="3 per hour").test_client()
    assert client.get("/en/services").status_code == 200
    token = client.page(FIND).csrf()
    statuses = [client.post(FIND, data=dict(WRONG, csrf_token=token)).status_code
                for _ in range(4)]
    assert statuses == [422, 422, 422, 429], "counted in the process meanwhile, no 500"
