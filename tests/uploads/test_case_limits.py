"""What one application may hold, and how fast applications may be started (issue 14,
finding 7): an anonymous draft cannot reserve 30 x 10 MB any more."""

from app.models import TusUpload, db

from ..conftest import Journey, jpeg_bytes
from .test_tus import Tus
from .test_uploads import slot_error


def test_resumable_uploads_open_at_once_are_capped_per_application(app, client):
    journey = Journey(client)
    journey.start()
    tus = Tus(journey)
    materials = ["passport_page", "driving_licence", "id_photo", "medical_certificate"]
    opened = [tus.create(1000, material=materials[n % 4]) for n in range(6)]
    assert [answer.status_code for answer in opened] == [201] * 6
    refused = tus.create(1000)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "being sent already" in refused.get_data(as_text=True)
    with app.app_context(), db.connection_context():
        assert TusUpload.select().count() == 6


def test_an_application_holds_at_most_its_share_of_bytes(app, client):
    app.config["CASE_MAX_BYTES"] = 100 * 1024
    journey = Journey(client, lang="es")
    journey.start(language="es")
    tus = Tus(journey)
    assert tus.create(60 * 1024, lang="es").status_code == 201
    # Counted with what is being sent: 60 + 50 KB is more than the application holds.
    refused = tus.create(50 * 1024, material="driving_licence", lang="es")
    assert refused.status_code == 413
    assert refused.get_data(as_text=True).startswith(
        "Esta solicitud ya contiene 0,1 MB de archivos")
    assert tus.create(30 * 1024, material="driving_licence", lang="es").status_code == 201
    # A form upload counts the files kept, and says so in the applicant's language.
    app.config["CASE_MAX_BYTES"] = 1024
    page = journey.upload("id_photo", jpeg_bytes())
    assert page.status == 413
    assert slot_error(page, "id_photo").startswith("Esta solicitud ya contiene")


def test_new_applications_per_address_are_limited(app):
    app.config["NEW_CASES_RATE_LIMIT"] = "3 per hour"
    statuses = []
    for _ in range(4):
        journey = Journey(app.test_client())
        statuses.append(journey.start().status)
    assert statuses == [303, 303, 303, 429]
    # Another address is not held back.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert Journey(other).start().status == 303
