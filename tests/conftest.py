"""Shared fixtures in the flaskr style: a temporary database file per test."""

import os
import tempfile

# Background jobs run at once, in the test's process; huey's file stays out of the repo.
os.environ.setdefault("ONEVISIT_HUEY_IMMEDIATE", "1")
os.environ.setdefault("ONEVISIT_INSTANCE_DIR", tempfile.mkdtemp(prefix="onevisit-tests-"))

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from app.sandbox import create_sandbox_app

ROOT = Path(__file__).resolve().parent.parent

# A valid resident ID number (check digit correct) and one with a wrong check digit.
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"


@pytest.fixture
def app(tmp_path):
    """An app on a fresh SQLite file with the real catalog loaded."""
    application = create_sandbox_app(tmp_path, SECRET_KEY="test-secret")
    yield application


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
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


def form_values(html, name):
    """The value of a hidden or text input in ``html``."""
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


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
    """Drives the applicant journey through the test client."""

    def __init__(self, client, lang="en", code="JJ-JZ-001"):
        self.client = client
        self.lang = lang
        self.code = code
        self.reference = None

    def start(self, **overrides):
        url = f"/{self.lang}/services/{self.code}/apply"
        page = self.client.get(url).get_data(as_text=True)
        data = {"csrf_token": form_values(page, "csrf_token"),
                "start_key": form_values(page, "start_key"),
                "email": "lin.mei@example.it", "phone": "+39 312 345 6789",
                "language": self.lang, "country": "IT", "city": "Prato", "tz": "Europe/Rome"}
        data.update(overrides)
        response = self.client.post(url, data=data)
        if response.status_code == 303:
            match = re.search(r"/cases/(OV-[\d-]+)/", response.headers["Location"])
            self.reference = match.group(1)
        return response

    def token(self, url=None):
        return csrf_token(self.client, url or f"/{self.lang}/cases/{self.reference}")

    def step(self, key, values):
        url = f"/{self.lang}/cases/{self.reference}/steps/{key}"
        data = {"csrf_token": self.token(url), **values}
        return self.client.post(url, data=data)

    def entrust(self, values):
        url = f"/{self.lang}/cases/{self.reference}/entrustment"
        return self.client.post(url, data={"csrf_token": self.token(url), **values})

    def upload(self, material, content, filename="photo.jpg"):
        url = f"/{self.lang}/cases/{self.reference}/materials/{material}"
        token = self.token(f"/{self.lang}/cases/{self.reference}/materials")
        return self.client.post(url, data={"csrf_token": token,
                                           "file": (io.BytesIO(content), filename)},
                                content_type="multipart/form-data")

    def defer(self, material, later=True):
        url = f"/{self.lang}/cases/{self.reference}/materials/{material}/later"
        token = self.token(f"/{self.lang}/cases/{self.reference}/materials")
        return self.client.post(url, data={"csrf_token": token, "later": "yes" if later else "no"})

    def declaration_form(self):
        page = self.client.get(f"/{self.lang}/cases/{self.reference}/declaration")
        html = page.get_data(as_text=True)
        return {"csrf_token": form_values(html, "csrf_token"), "version": form_values(html, "version")}

    def submit(self, declare=True, form=None):
        data = dict(form or self.declaration_form())
        if declare:
            data["declare"] = "yes"
        return self.client.post(f"/{self.lang}/cases/{self.reference}/declaration", data=data)


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
    from datetime import date, timedelta
    values = dict(AGENT, valid_from=date.today().isoformat(),
                  valid_until=(date.today() + timedelta(days=365)).isoformat())
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


def make_point(app, key, city, tz="Europe/Rome", country="IT"):
    """A service point (open Monday to Saturday, 09:00-12:30 and 14:30-19:00 local time)."""
    from app.models import ServicePoint, db
    hours = {day: [["09:00", "12:30"], ["14:30", "19:00"]]
             for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
    with app.app_context(), db.connection_context():
        point = ServicePoint.get_or_none(ServicePoint.key == key) or ServicePoint.create(
            key=key, city={"en": city, "zh": city}, country=country,
            host={"en": f"{city} association", "zh": f"{city}同乡会"}, timezone=tz,
            hours=hours, languages=["zh", "it"], address=f"Via Roma 1, {city}")
        return point.id


def make_staff(app, email, role, office=None, department=None, mfa=True,
               password="correct horse battery", service_point=None):
    """Create a staff account (enrolled in TOTP unless ``mfa`` is false)."""
    from app.auth import create_staff
    from app.models import db
    if role == "volunteer" and service_point is None:
        service_point = "milan"
        make_point(app, "milan", "Milano")
    with app.app_context(), db.connection_context():
        staff, _ = create_staff(email, email.split("@")[0], role, password, office=office,
                                department=department, totp_secret=TOTP_SECRET if mfa else None,
                                service_point=service_point)
        return staff.id


def sign_in(app, email, password="correct horse battery", mfa=True):
    """A test client signed in as ``email`` (through two-step sign-in if ``mfa``)."""
    from app.models import Staff, db
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # staff pages in English for the asserts
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
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page)
    payload = {"csrf_token": token, **data}
    if version and "version" not in data:
        payload["version"] = version.group(1)
    return client.post(f"/staff/cases/{reference}/decide/{action}", data=payload)


def submitted_case(app, lang="en", defer=True, entrust=False):
    """A driving-licence case sent by an applicant; returns the Journey."""
    journey = Journey(app.test_client(), lang=lang)
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


@pytest.fixture
def staff_app(app):
    """The app with a clerk and a supervisor of the licence office, an officer of the
    traffic department, and people who must not see its cases."""
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    make_staff(app, "clerk2@test", "clerk", office="police-global-window")
    make_staff(app, "supervisor@test", "supervisor", office="police-global-window")
    make_staff(app, "other.clerk@test", "clerk", office="overseas-centre")
    make_staff(app, "officer@test", "officer", department="traffic-vehicle-office")
    make_staff(app, "other.officer@test", "officer", department="notary-office")
    make_staff(app, "volunteer@test", "volunteer")
    make_staff(app, "nomfa@test", "clerk", office="police-global-window", mfa=False)
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
