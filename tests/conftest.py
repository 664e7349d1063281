"""Shared fixtures in the flaskr style: a temporary database file per test."""

import hashlib
import os
import shutil
import tempfile

# Background jobs run at once, in the test's process; huey's file stays out of the repo.
os.environ.setdefault("ONEVISIT_HUEY_IMMEDIATE", "1")
# `flask load-demo` makes a small demo history in tests (the README's start makes 200
# cases; tests/ratings/test_demo_history.py checks the history itself).
os.environ.setdefault("ONEVISIT_DEMO_HISTORY", "8")
os.environ.setdefault("ONEVISIT_INSTANCE_DIR", tempfile.mkdtemp(prefix="onevisit-tests-"))

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from app import clock
from app.sandbox import create_sandbox_app

from .pages import Page, PageClient

ROOT = Path(__file__).resolve().parent.parent

# A valid resident ID number (check digit correct) and one with a wrong check digit.
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"


#: When the suite runs, unless ``ONEVISIT_TEST_CLOCK`` says otherwise: a Tuesday, 14:30 at
#: the window. Every test runs on this clock (it keeps ticking from there), so none
#: depends on the hour the suite happens to run; ``scripts/test-clock.sh`` runs the
#: suite at several times of day to show it.
DEFAULT_CLOCK = "2026-11-17T06:30:00+00:00"


def suite_moment() -> datetime:
    """The moment the suite's clock starts from."""
    return datetime.fromisoformat(os.environ.get("ONEVISIT_TEST_CLOCK") or DEFAULT_CLOCK)


@pytest.fixture(autouse=True)
def suite_clock():
    """Every test starts at the suite's moment; tests that need another one set it."""
    with clock.clock_at(suite_moment()):
        yield


def today():
    """Today's date as the app sees it (Beijing)."""
    return clock.beijing_today()


#: ``ONEVISIT_TEST_DATABASE=postgresql`` runs the suite on a throwaway PostgreSQL cluster
#: (``tests/pgcluster.py``) instead of SQLite files; ``scripts/test.sh`` runs both.
ON_POSTGRESQL = os.environ.get("ONEVISIT_TEST_DATABASE", "sqlite") == "postgresql"
TEMPLATE_DATABASE = "onevisit_catalog"


def release_connections() -> None:
    """Close the app's database connections (pooled ones too), so the database can be
    copied or dropped."""
    from app.models import db
    engine = db.obj
    if engine is None:
        return
    if hasattr(engine, "close_all"):
        engine.close_all()
    elif not engine.is_closed():
        engine.close()


#: The password hasher the app ships with (argon2id, the library's recommended cost:
#: 64 MiB, 3 passes, about 170 ms a hash here); tests/auth/test_sessions.py checks it.
from app import auth as _auth  # noqa: E402
PRODUCTION_HASHER = _auth._hasher


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Within the test run, argon2id at its lowest cost (1 pass over 1 MiB): a test that
    makes a dozen accounts and signs several of them in spends milliseconds, not seconds,
    on hashing. Hashes made so are still argon2id and verified by the same code path;
    servers the tests start in their own processes keep the shipped cost."""
    from argon2 import PasswordHasher
    _auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    _auth._hasher = PRODUCTION_HASHER


@pytest.fixture(scope="session")
def postgres():
    """The run's PostgreSQL cluster (only when the suite runs on PostgreSQL)."""
    from .pgcluster import Cluster
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        release_connections()
        cluster.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A Redis of the run's own (Debian's server, loopback, no persistence)."""
    from .redisserver import RedisServer
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def clamd():
    """A clamd of the run's own (Debian's clamav-daemon, a Unix socket, EICAR only)."""
    from .clamdserver import ClamdServer
    server = ClamdServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def catalog_database(request, tmp_path_factory):
    """A database with the schema and the real catalog, made once per run: loading the
    catalog's YAML takes seconds, copying the file (or the PostgreSQL database)
    milliseconds."""
    directory = tmp_path_factory.mktemp("catalog-db")
    if ON_POSTGRESQL:
        cluster = request.getfixturevalue("postgres")
        url = cluster.create(TEMPLATE_DATABASE)
        create_sandbox_app(directory, SECRET_KEY="test-secret", DATABASE_URL=url)
        release_connections()
        return TEMPLATE_DATABASE
    import sqlite3
    create_sandbox_app(directory, SECRET_KEY="test-secret")
    path = directory / "sandbox.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path


_databases = iter(range(1, 10**9))


@pytest.fixture
def app(request, tmp_path, catalog_database):
    """An app on a fresh database with the real catalog loaded: a copy of the session's
    catalog database (a SQLite file, or a PostgreSQL database made from it)."""
    overrides = {}
    if ON_POSTGRESQL:
        cluster = request.getfixturevalue("postgres")
        name = f"test_{next(_databases)}"
        overrides["DATABASE_URL"] = cluster.create(name, template=catalog_database)
    else:
        shutil.copyfile(catalog_database, tmp_path / "sandbox.db")
    application = create_sandbox_app(tmp_path, load=False, SECRET_KEY="test-secret", **overrides)
    application.test_client_class = PageClient
    yield application
    if ON_POSTGRESQL:
        release_connections()
        cluster.drop(name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection switched on (it is on by default)."""
    return app


def csrf_token(client, url):
    """GET ``url`` and return the CSRF token from its first form."""
    response = client.get(url)
    token = form_values(response.get_data(as_text=True), "csrf_token")
    assert token, f"no CSRF token on {url} ({response.status_code})"
    return token


def form_values(html, name):
    """The value of the first input called ``name`` in ``html``."""
    from bs4 import BeautifulSoup
    found = BeautifulSoup(html, "html.parser").find("input", attrs={"name": name})
    return found.get("value") if found is not None else None


def jpeg_bytes(size=(1200, 900), color=(200, 180, 150), exif=None):
    """A real JPEG photo, optionally with EXIF."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"quality": 90}
    if exif is not None:
        kwargs["exif"] = exif
    image.save(buffer, "JPEG", **kwargs)
    return buffer.getvalue()


def png_bytes(size=(800, 600)):
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes():
    """A small valid one-page PDF made with pypdf."""
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class Journey:
    """Drives the applicant journey through the test client; each call returns the
    :class:`~tests.pages.Page` the server answered (check its ``status``)."""

    def __init__(self, client, lang="en", code="JJ-JZ-001"):
        self.client = client
        self.lang = lang
        self.code = code
        self.reference = None

    @property
    def base(self) -> str:
        """The URL of the case's status page."""
        return f"/{self.lang}/cases/{self.reference}"

    def post(self, url, data, form_page=None, **kwargs) -> Page:
        """POST with the CSRF token of ``form_page`` (default: ``url`` itself)."""
        token = Page(self.client.get(form_page or url)).csrf()
        return Page(self.client.post(url, data={"csrf_token": token, **data}, **kwargs))

    def start(self, **overrides) -> Page:
        url = f"/{self.lang}/services/{self.code}/apply"
        form = Page(self.client.get(url)).form_data("#journey-form")
        data = dict(form, email="lin.mei@example.it", phone="+39 312 345 6789",
                    language=self.lang, country="IT", city="Prato", tz="Europe/Rome")
        data.update(overrides)
        page = Page(self.client.post(url, data=data))
        if page.status == 303:
            self.reference = re.search(r"/cases/(OV-[\d-]+)/", page.location).group(1)
        return page

    def token(self, url=None) -> str:
        return Page(self.client.get(url or self.base)).csrf()

    def step(self, key, values) -> Page:
        return self.post(f"{self.base}/steps/{key}", values)

    def entrust(self, values) -> Page:
        return self.post(f"{self.base}/entrustment", values)

    def upload(self, material, content, filename="photo.jpg") -> Page:
        return self.post(f"{self.base}/materials/{material}",
                         {"file": (io.BytesIO(content), filename)},
                         form_page=f"{self.base}/materials", content_type="multipart/form-data")

    def defer(self, material, later=True) -> Page:
        return self.post(f"{self.base}/materials/{material}/later",
                         {"later": "yes" if later else "no"}, form_page=f"{self.base}/materials")

    def declaration_form(self) -> dict:
        return Page(self.client.get(f"{self.base}/declaration")).form_data()

    def submit(self, declare=True, form=None) -> Page:
        data = dict(form or self.declaration_form())
        data.pop("declare", None)
        if declare:
            data["declare"] = "yes"
        return Page(self.client.post(f"{self.base}/declaration", data=data))


APPLICANT = {"name_zh": "林美", "name_latin": "LIN Mei", "cn_id": GOOD_ID,
             "passport_number": "EJ1234567", "date_of_birth": "1968-04-12",
             "phone": "+39 312 345 6789", "address_abroad": "Via Pistoiese 120, 59100 Prato, Italia"}
LICENCE = {"licence_number": "330328196804120021", "licence_expiry": "2026-10-01",
           "licence_class": "C1", "issuing_authority": "温州市公安局交通警察支队"}


AGENT = {"mode": "agent", "agent_name_zh": "林建国", "agent_cn_id": "330328194501010010",
         "agent_relationship": "sibling", "agent_phone": "138 0013 8000",
         "powers": ["submit", "sign", "collect"], "valid_from": None, "valid_until": None}


def agent_form(**overrides):
    """The entrustment form for a brother at home, valid from today for a year."""
    start = clock.utcnow().date()
    values = dict(AGENT, valid_from=start.isoformat(),
                  valid_until=(start + timedelta(days=365)).isoformat())
    values.update(overrides)
    return values


def fill_driving_licence(journey, entrust=False):
    """Answer every step of the driving-licence item."""
    assert journey.step("applicant", APPLICANT).status_code == 303
    assert journey.step("licence", LICENCE).status_code == 303
    assert journey.step("medical", {"needs_glasses": "no"}).status_code == 303
    assert journey.entrust(agent_form() if entrust else {"mode": "self"}).status_code == 303


@pytest.fixture
def journey(client):
    return Journey(client)


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_now(secret=TOTP_SECRET, offset=0):
    """The authenticator code for now (``offset`` steps of 30 s away)."""
    import time
    import pyotp
    return pyotp.TOTP(secret).at(time.time() + offset * 30)


def make_point(app, key, city, tz="Europe/Rome", country="IT", serves=("wencheng",)):
    """A service point (open Monday to Saturday, 09:00-12:30 and 14:30-19:00 local time)
    serving the counties ``serves``."""
    from app.models import Jurisdiction, ServicePoint, db
    from app.points.service import set_served
    hours = {day: [["09:00", "12:30"], ["14:30", "19:00"]]
             for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
    with app.app_context(), db.connection_context():
        point = ServicePoint.get_or_none(ServicePoint.key == key) or ServicePoint.create(
            key=key, city={"en": city, "zh": city}, country=country,
            host={"en": f"{city} association", "zh": f"{city}同乡会"}, timezone=tz,
            hours=hours, languages=["zh", "it"], address=f"Via Roma 1, {city}")
        set_served(point, [Jurisdiction.get(Jurisdiction.key == k).id for k in serves])
        return point.id


def make_staff(app, email, role, office=None, department=None, mfa=True,
               password="correct horse battery", service_point=None, jurisdiction=None):
    """Create a staff account (enrolled in TOTP unless ``mfa`` is false).

    An account with neither office nor department (an admin) belongs to
    Wencheng unless ``jurisdiction`` names another place.
    """
    from app.auth import create_staff
    from app.models import db
    if role == "volunteer" and service_point is None:
        service_point = "milan"
        make_point(app, "milan", "Milano")
    if role != "volunteer" and not (office or department or jurisdiction):
        jurisdiction = "wencheng"
    with app.app_context(), db.connection_context():
        staff, _ = create_staff(email, email.split("@")[0], role, password, office=office,
                                department=department, totp_secret=TOTP_SECRET if mfa else None,
                                service_point=service_point, jurisdiction=jurisdiction)
        return staff.id


def sign_in(app, email, password="correct horse battery", mfa=True):
    """A test client signed in as ``email`` (through two-step sign-in if ``mfa``)."""
    from app.models import Staff, db
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # staff pages in English for the asserts
    # Each account signs in from its own desk: the per-address sign-in limit is not shared.
    digest = hashlib.sha256(email.encode()).digest()
    client.environ_base["REMOTE_ADDR"] = f"10.{digest[0]}.{digest[1]}.{digest[2] or 1}"
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"csrf_token": token, "email": email,
                                                 "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    if mfa and response.headers["Location"].endswith("/staff/login/code"):
        # Each sign-in needs a code not used before: move the account's last step back.
        with app.app_context(), db.connection_context():
            Staff.update(totp_last_step=0).where(Staff.email == email).execute()
        token = csrf_token(client, "/staff/login/code")
        response = client.post("/staff/login/code", data={"csrf_token": token, "code": totp_now()})
        assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    return client


def staff_post(client, reference, action, **data):
    """POST a decision with the case's current version and a CSRF token."""
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    token = form_values(page, "csrf_token")
    version = form_values(page, "version")
    payload = {"csrf_token": token, **data}
    if version and "version" not in data:
        payload["version"] = version
    return client.post(f"/staff/cases/{reference}/decide/{action}", data=payload)


def submitted_case(app, lang="en", defer=True, entrust=False, code="JJ-JZ-001"):
    """A driving-licence case sent by an applicant (of Wencheng's item, unless ``code``
    names a copy made by :func:`copy_item`); returns the Journey."""
    journey = Journey(app.test_client(), lang=lang, code=code)
    journey.start(language=lang)
    fill_driving_licence(journey, entrust=entrust)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    if defer:
        assert journey.defer("medical_certificate").status_code == 303
    else:
        assert journey.upload("medical_certificate", jpeg_bytes()).status_code == 303
    assert journey.submit().status_code == 303
    return journey


def copy_item(app, code, new_code, department):
    """Load a copy of the catalog's item ``code`` as ``new_code`` of ``department`` (a key),
    through the catalog loader: the same kind of service in another county."""
    from app.catalog.loader import read_catalog, upsert_item
    from app.models import Category, Department, db
    with app.app_context(), db.connection_context():
        raw = next(i for i in read_catalog(app.config["CATALOG_DIR"])["items"]
                   if i["code"] == code)
        raw = dict(raw, code=new_code, department=department, parent=None)
        upsert_item(raw, {d.key: d.id for d in Department.select()},
                    {c.key: c.id for c in Category.select()})


@pytest.fixture
def staff_app(app):
    """The app with a clerk and a supervisor of the licence office, an officer of the
    traffic department, the province's (read-only) supervisor, and people who must not see
    its cases: another window's, another department's, and another county's."""
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    make_staff(app, "clerk2@test", "clerk", office="police-global-window")
    make_staff(app, "supervisor@test", "supervisor", office="police-global-window")
    make_staff(app, "other.clerk@test", "clerk", office="overseas-centre")
    make_staff(app, "officer@test", "officer", department="traffic-vehicle-office")
    make_staff(app, "other.officer@test", "officer", department="notary-office")
    make_staff(app, "volunteer@test", "volunteer")
    make_staff(app, "nomfa@test", "clerk", office="police-global-window", mfa=False)
    # Above the counties, and another county's staff.
    make_staff(app, "province@test", "supervisor", jurisdiction="zhejiang")
    make_staff(app, "county.clerk@test", "clerk", office="qingtian-police-window")
    make_staff(app, "county.supervisor@test", "supervisor", office="qingtian-police-window")
    make_staff(app, "county.admin@test", "admin", jurisdiction="qingtian")
    return app


def case_of(app, reference):
    """The case row, read fresh."""
    from app.models import Case, db
    with app.app_context(), db.connection_context():
        return Case.get(Case.reference == reference)


def smtp(app, smtp_server):
    """Point the app's mail at the in-process SMTP server; return its collector."""
    controller, collector = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    return collector


class Collector:
    """Keeps every message the in-process SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port."""
    import socket
    from aiosmtpd.controller import Controller
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, collector
    controller.stop()


def confirm_video(app, reference, clerk_email="clerk@test", agent=True, confirmed=True):
    """Book the case's first free video-check slot and record its outcome as the clerk.

    Returns the agent's code when one was issued.
    """
    from app.cases import appointments as appts
    from app.models import Case, Staff, db
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        days = appts.slot_days(appts.office_id_of(case))
        start = next(s for d in days for s, free in d.slots if free)
        appointment, _token = appts.book(case, start, case.timezone)
        clerk = Staff.get(Staff.email == clerk_email)
        _held, code = appts.record_outcome(
            Case.get_by_id(case.id), appointment, clerk, confirmed=confirmed,
            participants=["applicant", "agent"] if agent else ["applicant"],
            agent_confirmed=agent and confirmed)
        return code


def slot_started(app, reference):
    """Move the case's booked video check to a minute ago: the call is on, and its
    outcome may be recorded (tests that are not about the slot's time)."""
    from datetime import timedelta
    from app.clock import utcnow
    from app.models import Appointment, Case, db
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        Appointment.update(starts_at=utcnow() - timedelta(minutes=1)).where(
            (Appointment.case == case) & (Appointment.status == "booked")).execute()


def decide(client, reference, action, status=303, **data) -> Page:
    """POST the decision ``action`` as the staff page would (its CSRF token and the case
    version the page shows, unless ``data`` gives one); fail unless the answer is
    ``status``. Returns the :class:`~tests.pages.Page` (a refused one is the case page)."""
    page = client.page(f"/staff/cases/{reference}")
    payload = {"csrf_token": page.csrf(), **data}
    version = page.first("input[name=version]")
    if version is not None and "version" not in data:
        payload["version"] = version.get("value")
    return client.submit(f"/staff/cases/{reference}/decide/{action}", payload, status=status)


def refuse(client, reference, action, **data) -> Page:
    """POST the decision ``action`` as :func:`decide` does, one the rules refuse: the
    answer is a 303 to the case page's error summary (never a page at the POST address);
    returns the case page it leads to, which shows the refusal with what was typed."""
    return shown(client, reference, decide(client, reference, action, **data))


def shown(client, reference, answer) -> Page:
    """The case page a refused decision's ``answer`` (a 303) leads to, as it shows."""
    assert answer.status == 303, answer
    assert answer.location == f"/staff/cases/{reference}#error-summary", answer.location
    return client.page(answer.location)


def live_sessions(app, email) -> list:
    """The staff sessions of ``email`` that have not ended (rows, read fresh)."""
    from app.models import Staff, StaffSession, db
    with app.app_context(), db.connection_context():
        return list(StaffSession.select().join(Staff).where(
            (Staff.email == email) & StaffSession.ended_at.is_null()))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "markup: checks what pages are made of (valid HTML, accessibility), which "
        "the database does not change: run once, in the SQLite pass of scripts/test.sh")


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, leave out the ``markup`` tests (reported as deselected): the SQLite
    pass runs them over the same pages."""
    if not ON_POSTGRESQL:
        return
    kept = [item for item in items if item.get_closest_marker("markup") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
