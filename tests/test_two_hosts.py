"""Two gunicorn hosts on one PostgreSQL, one Redis and one data directory, behind Debian's
nginx (``deploy/nginx.conf``, round robin): what an applicant does moves freely between
them, and one host killed mid-journey leaves the journey to finish on the other.

Everything is started here, on loopback, and stopped afterwards: the run's PostgreSQL
cluster and Redis (``tests/pgcluster.py``, ``tests/redisserver.py``), two gunicorn
processes as ``scripts/run.sh`` starts them, and an unprivileged nginx of the test's own.
"""

import pytest

from app.sandbox import create_sandbox_app
from app.uploads.pdfclean import clean

from .conftest import Journey, fill_driving_licence, jpeg_bytes, pdf_bytes
from .pages import Page
from .topology import Browser, Deployment
from .uploads.test_tus import V, meta, sha1_header

FIND = "/en/cases/find"


@pytest.fixture
def deployment(postgres, redis_server, tmp_path):
    name = f"two_hosts_{tmp_path.name}".lower().replace("-", "_")[:60]
    url = postgres.create(name)
    create_sandbox_app(tmp_path / "setup", SECRET_KEY="unused", DATABASE_URL=url)
    from .conftest import release_connections
    release_connections()
    import redis
    redis.Redis.from_url(redis_server.url).flushall()
    made = Deployment(url, redis_server.url, str(tmp_path))
    try:
        made.start_host("a")
        made.start_host("b")
        made.start_nginx()
        yield made
    finally:
        made.stop()
        postgres.drop(name)


def test_two_hosts_behind_nginx_share_everything_and_survive_one_dying(deployment):
    phone = Browser(deployment.url())
    journey = Journey(phone)
    assert journey.start().status == 303
    base = journey.base

    # A resumable upload begun on host A, finished on host B; the file then served by both.
    on_a, on_b = phone.at(deployment.url("a")), phone.at(deployment.url("b"))
    token = Page(on_a.get(f"{base}/materials")).csrf()
    data = pdf_bytes() + b"%" * 3000
    created = on_a.post("/files/", headers={**V, "X-CSRFToken": token,
                                            "Upload-Length": str(len(data)),
                                            "Upload-Metadata": meta(
                                                case=journey.reference,
                                                material="passport_page",
                                                filename="scan.pdf", lang="en")})
    assert created.status_code == 201, created.get_data(as_text=True)[:300]
    upload_url = created.headers["Location"]
    first, rest = data[:1000], data[1000:]
    chunk = {**V, "X-CSRFToken": token, "Content-Type": "application/offset+octet-stream"}
    assert on_a.patch(upload_url, first, {**chunk, "Upload-Offset": "0"}).status_code == 204
    assert on_b.head(upload_url, headers=V).headers["Upload-Offset"] == "1000"
    done = on_b.patch(upload_url, rest, {**chunk, "Upload-Offset": "1000",
                                         "Upload-Checksum": sha1_header(rest)})
    assert done.status_code == 204, done.get_data(as_text=True)[:300]
    status = Page(on_b.get(base))
    links = [link for link in status.links() if "/files/" in link]
    assert links, "the status page lists the uploaded file"
    for host in (on_a, on_b):
        answer = host.get(links[0])
        assert answer.status_code == 200 and answer.data == clean(data)[0]

    # The find-case limit holds across both hosts, whatever the client claims to be.
    statuses = []
    for attempt in range(5):
        stranger = Browser(deployment.url())
        page = Page(stranger.get(FIND))
        statuses.append(stranger.post(FIND, data={
            "csrf_token": page.csrf(), "reference": journey.reference, "code": "AAAA-AAAA"},
            headers={"X-Forwarded-For": f"203.0.113.{attempt}"}).status_code)
    assert statuses == [422, 422, 422, 422, 429]

    # The journey goes on through nginx; host A dies half-way; host B finishes it.
    assert journey.step("applicant", {
        "name_zh": "林美", "name_latin": "LIN Mei", "cn_id": "11010519491231002X",
        "passport_number": "EJ1234567", "date_of_birth": "1968-04-12",
        "phone": "+39 312 345 6789",
        "address_abroad": "Via Pistoiese 120, 59100 Prato, Italia"}).status == 303
    deployment.kill("a")
    fill_driving_licence(journey)
    for key in ("driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303
    sent = journey.submit()
    assert sent.status == 303 and sent.location.endswith("/confirmation")
    assert Page(phone.get(base)).status == 200
    assert deployment.served("a") > 0 and deployment.served("b") > 0, "both hosts served"


def test_two_consumers_send_the_daily_reminders_once(deployment):
    """Both hosts' consumers take jobs from the one Redis; the daily reminders run once
    whichever fires them (their claim in the database), and each email goes out once."""
    import glob
    import os
    import time

    from app.clock import beijing_today
    from app.models import Case, Event

    phone = Browser(deployment.url())
    journey = Journey(phone)
    assert journey.start().status == 303
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303
    assert journey.submit().status == 303
    # Accepted, the deferred certificate due today: a reminder is due.
    Case.update(status="accepted", deferred_due=beijing_today()).where(
        Case.reference == journey.reference).execute()

    for name in ("a", "b"):
        deployment.start_consumer(name)
    # Each host fires the day's reminders (as each consumer's scheduler does at 01:30 UTC).
    for name in ("a", "b"):
        deployment.run_on(name, "from app.tasks import daily_reminders; daily_reminders()")

    case = Case.get(Case.reference == journey.reference)
    outbox = os.path.join(deployment.shared, "outbox")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pending = Event.select().where((Event.case == case) & (Event.outbox_state == "pending"))
        reminded = Event.select().where((Event.case == case) & (Event.kind == "reminder"))
        if reminded.count() and not pending.count():
            break
        time.sleep(0.5)
    time.sleep(3)  # time for a second run, a second email, if either were to happen
    assert Event.select().where((Event.case == case) & (Event.kind == "reminder")).count() == 1
    sent = Event.select().where((Event.case == case) & Event.recipients.is_null(False))
    assert all(event.outbox_state == "sent" for event in sent)
    emails = glob.glob(os.path.join(outbox, "*.eml"))
    assert len(emails) == sum(len(event.recipients) for event in sent), emails
