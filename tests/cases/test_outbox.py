"""Notifications come from recorded events, through the job queue, after the commit.

No SMTP conversation happens inside a request: with a mail server that
accepts connections and never answers, starting and submitting still answer
at once, and every email arrives, once, when the server answers again. A
delivery killed in the middle is picked up again and sent once.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from app import clock
from app.cases import outbox
from app.models import Event, db
from app.tasks import huey

from ..conftest import ROOT, Journey, fill_driving_licence, jpeg_bytes


class MailDoor:
    """A TCP port in front of the real SMTP server: while ``silent`` it accepts
    connections and never says a word; otherwise it relays to the server."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.silent = True
        self.held = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(50)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(client)  # accepted, never answered
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()
        for held in self.held:
            held.close()


@pytest.fixture
def queued(app):
    """Jobs wait in huey's queue (no consumer runs) instead of running at once."""
    huey.immediate = False
    huey.flush()
    try:
        yield huey
    finally:
        huey.flush()
        huey.immediate = True


def run_queue(app):
    """What a consumer does: run every queued job (each job finds its own app context)."""
    count = 0
    with app.app_context():
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            count += 1
    return count


def subjects(collector):
    return sorted(message["Subject"] for _to, message in collector.messages)


def test_a_mail_server_that_never_answers_does_not_slow_a_request(app, smtp_server, queued):
    controller, collector = smtp_server
    door = MailDoor(controller.port)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=door.port, SMTP_TIMEOUT_S=1)
    try:
        journey = Journey(app.test_client())
        started = time.perf_counter()
        assert journey.start().status == 303
        start_seconds = time.perf_counter() - started
        fill_driving_licence(journey)
        for key in ("passport_page", "driving_licence", "id_photo", "medical_certificate"):
            assert journey.upload(key, jpeg_bytes()).status == 303
        form = journey.declaration_form()
        started = time.perf_counter()
        assert journey.submit(form=form).status == 303
        submit_seconds = time.perf_counter() - started
        assert start_seconds < 1.0 and submit_seconds < 1.0, (start_seconds, submit_seconds)
        assert collector.messages == []

        # The consumer tries while the server is still silent: each try times out, and
        # the events wait for a later attempt.
        assert run_queue(app) == 2
        with app.app_context(), db.connection_context():
            waiting = list(Event.select().where(Event.outbox_state == "pending"))
            assert {e.kind for e in waiting} == {"started", "submitted"}
            assert all(e.outbox_attempts == 1 and e.outbox_error for e in waiting)
        assert collector.messages == []

        # The server answers again; a minute later the sweep sends everything, once.
        door.silent = False
        with clock.clock_at(clock.now() + timedelta(minutes=2)):
            with app.app_context(), db.connection_context():
                assert outbox.sweep() == 2
                assert outbox.sweep() == 0
                assert not Event.select().where(Event.outbox_state == "pending").exists()
                assert Event.get(Event.kind == "started").sealed is None
        assert subjects(collector) == sorted([
            f"Your OneVisit application {journey.reference}: link to continue",
            f"We received your application {journey.reference}"])
        access_email = next(m for _to, m in collector.messages if "link to continue" in m["Subject"])
        body = access_email.get_content()
        assert "/en/cases/access/" in body and "Access code:" in body
    finally:
        door.close()


def test_a_job_lost_between_the_commit_and_the_send_is_delivered_by_the_sweep(
        app, smtp_server, queued):
    controller, collector = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    journey = Journey(app.test_client())
    assert journey.start().status == 303
    huey.flush()  # the worker that should have sent it died with its queue
    assert collector.messages == []
    with app.app_context(), db.connection_context():
        assert outbox.sweep() == 1
        assert outbox.sweep() == 0
    assert len(collector.messages) == 1


KILLED_WORKER = """
import sys
from datetime import datetime
from app import clock, create_app
from app.cases import outbox
from app.models import db
clock.set_clock(datetime.fromisoformat(sys.argv[2]))
app = create_app()
with app.app_context(), db.connection_context():
    print("claiming", flush=True)
    outbox.deliver(int(sys.argv[1]))
"""


def test_a_delivery_killed_in_the_middle_is_sent_again_once(app, smtp_server, queued, tmp_path):
    """A worker claims the event and is killed while it talks to the mail server: after
    its lease the sweep sends the email, and only once."""
    controller, collector = smtp_server
    door = MailDoor(controller.port)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=door.port, OUTBOX_LEASE_S=30)
    try:
        journey = Journey(app.test_client())
        assert journey.start().status == 303
        huey.flush()
        with app.app_context(), db.connection_context():
            event = Event.get(Event.kind == "started")
        env = dict(os.environ, ONEVISIT_DATABASE_URL=app.config["DATABASE_URL"],
                   ONEVISIT_INSTANCE_DIR=app.config["INSTANCE_DIR"],
                   ONEVISIT_SECRET_KEY=app.config["SECRET_KEY"],
                   ONEVISIT_SMTP_HOST="127.0.0.1", ONEVISIT_SMTP_PORT=str(door.port),
                   ONEVISIT_SMTP_TIMEOUT_S="60", ONEVISIT_OUTBOX_LEASE_S="30")
        worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, str(event.id),
                                   clock.now().isoformat()], env=env,
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert worker.stdout.readline().strip() == b"claiming"
        deadline = time.time() + 20
        while not door.held and time.time() < deadline:
            time.sleep(0.05)
        assert door.held, "the worker never reached the mail server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        with app.app_context(), db.connection_context():
            held = Event.get_by_id(event.id)
            assert held.outbox_state == "pending" and held.outbox_lease is not None
            assert outbox.sweep() == 0  # still held by the dead worker's lease
        assert collector.messages == []

        door.silent = False
        with clock.clock_at(clock.now() + timedelta(minutes=1)):
            with app.app_context(), db.connection_context():
                assert outbox.sweep() == 1
                assert outbox.sweep() == 0
        assert len(collector.messages) == 1
        assert "link to continue" in collector.messages[0][1]["Subject"]
    finally:
        door.close()
