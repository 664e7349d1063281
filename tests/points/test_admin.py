"""Admins manage the service points; nobody else may. Bad input is refused with a message
and everything typed is kept. The seed file loader adds only what is missing."""

import html as htmllib
import re

import pytest

from app.models import AuditEvent, Office, ServicePoint, db
from app.points.seed import SeedError, load_service_points
from app.points.service import parse_hours, HoursError

from ..conftest import csrf_token, make_staff, sign_in

LIST = "/staff/admin/service-points"
NEW = "/staff/admin/service-points/new"

VALID = {
    "key": "la-spezia", "city_zh": "拉斯佩齐亚", "city_en": "La Spezia", "city_it": "La Spezia",
    "city_fr": "", "city_es": "", "city_pt": "",
    "host_zh": "拉斯佩齐亚华人协会", "host_en": "Chinese Association of La Spezia",
    "host_it": "Associazione dei Cinesi della Spezia", "host_fr": "", "host_es": "", "host_pt": "",
    "country": "IT", "address": "Via del Prione 12\n19121 La Spezia SP", "phone": "0187 123 4567",
    "email": "laspezia@demo.onevisit", "languages": "zh, wuu, it", "timezone": "Europe/Rome",
    "hours_mon": "", "hours_tue": "09:30-12:30, 15:00-19:00", "hours_wed": "9:30-12:30",
    "hours_thu": "09:30-12:30", "hours_fri": "09:30-12:30", "hours_sat": "10:00-12:00",
    "hours_sun": "", "office": "", "active": "yes", "sort": "70",
}


@pytest.fixture
def admin(app):
    make_staff(app, "admin@test", "admin")
    return sign_in(app, "admin@test")


def post(client, url, **changes):
    data = {**VALID, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def point(app, key):
    with app.app_context(), db.connection_context():
        return ServicePoint.get_or_none(ServicePoint.key == key)


def visible(response):
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


# -- Who may -----------------------------------------------------------------------------------

def test_anonymous_visitors_get_403(app, client):
    with app.app_context(), db.connection_context():
        load_service_points()
    pid = point(app, "milan").id
    for url in (LIST, NEW, f"{LIST}/{pid}"):
        assert client.get(url).status_code == 403
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        assert client.post(NEW, data=VALID).status_code == 403
        assert client.post(f"{LIST}/{pid}", data=VALID).status_code == 403
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert point(app, "la-spezia") is None


@pytest.mark.parametrize("email, role, office", [
    ("clerk@test", "clerk", "police-global-window"),
    ("volunteer@test", "volunteer", None),
    ("supervisor@test", "supervisor", "overseas-centre"),
])
def test_staff_who_are_not_admins_get_403(app, email, role, office):
    make_staff(app, email, role, office=office)
    client = sign_in(app, email)
    pid = point(app, "milan").id if point(app, "milan") else 1
    for url in (LIST, NEW, f"{LIST}/{pid}"):
        assert client.get(url).status_code == 403, (role, url)
    token = csrf_token(client, "/staff/queue") if role != "volunteer" else None
    if token:
        assert client.post(NEW, data={**VALID, "csrf_token": token}).status_code == 403
    assert point(app, "la-spezia") is None


def test_admin_without_two_step_sign_in_is_refused(app):
    make_staff(app, "admin@test", "admin")
    client = app.test_client()
    token = csrf_token(client, "/staff/login")
    client.post("/staff/login", data={"csrf_token": token, "email": "admin@test",
                                      "password": "correct horse battery"})
    assert client.get(LIST).status_code == 403


# -- Create, edit, deactivate ------------------------------------------------------------------

def test_admin_lists_the_points(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    page = admin.get(LIST)
    assert page.status_code == 200
    text = visible(page)
    for city in ("Milan", "Prato", "Rome", "Paris", "Dubai", "Johannesburg"):
        assert city in text
    assert f'href="{NEW}"' in page.get_data(as_text=True)


def test_admin_creates_a_point(app, admin):
    form = admin.get(NEW)
    assert form.status_code == 200
    markup = form.get_data(as_text=True)
    assert 'name="csrf_token"' in markup and 'name="hours_sun"' in markup
    with app.app_context(), db.connection_context():
        office = Office.get(Office.key == "overseas-centre").id
    response = post(admin, NEW, office=str(office))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(LIST)
    created = point(app, "la-spezia")
    assert created.city == {"zh": "拉斯佩齐亚", "en": "La Spezia", "it": "La Spezia"}
    assert created.phone == "+3901871234567"
    assert created.languages == ["zh", "wuu", "it"]
    assert created.hours == {"tue": [["09:30", "12:30"], ["15:00", "19:00"]],
                             "wed": [["09:30", "12:30"]], "thu": [["09:30", "12:30"]],
                             "fri": [["09:30", "12:30"]], "sat": [["10:00", "12:00"]]}
    assert created.office_id == office and created.active and created.sort == 70
    assert created.address == "Via del Prione 12\n19121 La Spezia SP"
    assert "La Spezia saved." in visible(admin.get(LIST))
    with app.app_context(), db.connection_context():
        event = AuditEvent.get(AuditEvent.action == "service_point_saved")
        assert event.target == "la-spezia" and event.data["created"] is True
    # The public directory shows it, with the French name falling back to English.
    page = app.test_client().get("/fr/service-points").get_data(as_text=True)
    assert 'id="la-spezia"' in page and "La Spezia" in page


def test_admin_edits_and_deactivates_a_point(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    milan = point(app, "milan")
    url = f"{LIST}/{milan.id}"
    markup = admin.get(url).get_data(as_text=True)
    assert 'value="09:30-12:30, 15:00-19:00"' in markup  # hours shown as typed
    assert 'value="+39 02 3310 4521"' in markup
    assert 'name="key"' not in markup  # the key cannot change
    values = {k: v for k, v in re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="[^"]+" '
                                          r'value="([^"]*)"', markup)}
    values["address"] = re.search(r'<textarea[^>]*name="address"[^>]*>([^<]*)</textarea>',
                                  markup).group(1)
    values.update(country="IT", hours_mon="10:00-12:00", city_it="Milano (Chinatown)",
                  key="hacked", active="yes")
    response = admin.post(url, data={"csrf_token": csrf_token(admin, url),
                                     **{k: htmllib.unescape(v) for k, v in values.items()}})
    assert response.status_code == 303
    edited = point(app, "milan")
    assert edited.key == "milan"
    assert edited.hours["mon"] == [["10:00", "12:00"]]
    assert edited.city["it"] == "Milano (Chinatown)" and edited.city["zh"] == "米兰"
    assert edited.address == "Via Paolo Sarpi 22\n20154 Milano MI"
    with app.app_context(), db.connection_context():
        event = AuditEvent.select().where(AuditEvent.action == "service_point_saved").get()
        assert event.target == "milan" and event.data["created"] is False
    # Unticking "active" takes it off the public directory; the row stays.
    values.pop("active")
    response = admin.post(url, data={"csrf_token": csrf_token(admin, url),
                                     **{k: htmllib.unescape(v) for k, v in values.items()}})
    assert response.status_code == 303
    assert point(app, "milan").active is False
    assert 'id="milan"' not in app.test_client().get("/en/service-points").get_data(as_text=True)
    assert "No, hidden" in visible(admin.get(LIST))


def test_unknown_point_is_404(admin):
    assert admin.get(f"{LIST}/99999").status_code == 404


# -- Bad input ---------------------------------------------------------------------------------

BAD = [
    ({"key": "Milano Centro"}, "key", "Use lower-case letters, digits and hyphens"),
    ({"key": ""}, "key", "Use lower-case letters, digits and hyphens"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "Unknown time zone"),
    ({"hours_tue": "nine to five"}, "hours_tue", "Write each span as HH:MM-HH:MM"),
    ({"hours_tue": "09:30-25:00"}, "hours_tue", "Write each span as HH:MM-HH:MM"),
    ({"hours_wed": "09:00-13:00, 12:00-15:00"}, "hours_wed", "09:00-13:00 and 12:00-15:00 overlap"),
    ({"hours_thu": "19:00-15:00"}, "hours_thu", "19:00-15:00 must end after it starts"),
    ({"hours_fri": "08:00-09:00, 10:00-11:00, 12:00-13:00, 14:00-15:00, 16:00-17:00"},
     "hours_fri", "At most 4 opening spans a day"),
    ({"city_zh": ""}, "city_zh", "Enter the name in Chinese and in English at least"),
    ({"city_en": "  "}, "city_en", "Enter the name in Chinese and in English at least"),
    ({"host_en": ""}, "host_en", "Enter the name in Chinese and in English at least"),
    ({"languages": "zh, klingon"}, "languages", "Unknown language code: klingon"),
    ({"languages": ""}, "languages", "Give at least one language"),
    ({"phone": "12"}, "phone", "Enter a valid phone number with its country code"),
    ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com"),
    ({"country": "XX"}, "country", "Choose a country"),
    ({"address": ""}, "address", "Enter the address"),
    ({"office": "999"}, "office", "Choose an office from the list"),
    ({"sort": "first"}, "sort", "Enter a whole number"),
]


@pytest.mark.parametrize("changes, field, message", BAD, ids=[b[1] + "-" + str(i)
                                                             for i, b in enumerate(BAD)])
def test_bad_input_is_refused_with_a_message_and_everything_kept(app, admin, changes, field,
                                                                 message):
    response = post(admin, NEW, **changes)
    assert response.status_code == 422
    markup = response.get_data(as_text=True)
    assert message in htmllib.unescape(markup)
    assert f'id="e-{field}"' in markup  # the message is next to its field
    assert f'href="#f-{field}"' in markup  # and in the summary
    # Every value typed is still there, the invalid one too.
    typed = {**VALID, **changes}
    for name, value in typed.items():
        if name in ("country", "office", "active") or not value.strip():
            continue
        escaped = htmllib.escape(value, quote=True).replace("&#x27;", "&#39;")
        assert escaped in markup, (name, value)
    assert "checked" in re.search(r'<input type="checkbox" id="f-active"[^>]*>', markup).group(0)
    assert point(app, VALID["key"]) is None and point(app, changes.get("key", "x")) is None


def test_unticked_active_is_kept_on_error(admin):
    response = post(admin, NEW, active=None, timezone="Nowhere")
    assert response.status_code == 422
    box = re.search(r'<input type="checkbox" id="f-active"[^>]*>', response.get_data(as_text=True))
    assert "checked" not in box.group(0)


def test_duplicate_key_is_refused(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    response = post(admin, NEW, key="prato", city_en="Prato Two")
    assert response.status_code == 422
    assert "Another service point already has this key." in response.get_data(as_text=True)
    assert 'value="Prato Two"' in response.get_data(as_text=True)
    assert point(app, "prato").city["en"] == "Prato"


def test_bad_edit_is_refused_and_the_row_is_unchanged(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    rome = point(app, "rome")
    url = f"{LIST}/{rome.id}"
    response = admin.post(url, data={"csrf_token": csrf_token(admin, url), **VALID,
                                     "hours_mon": "14:00-13:00"})
    assert response.status_code == 422
    assert 'value="14:00-13:00"' in response.get_data(as_text=True)
    assert point(app, "rome").hours == rome.hours and point(app, "rome").city == rome.city


def test_csrf_token_is_required(app, admin):
    response = admin.post(NEW, data=VALID)
    assert response.status_code == 400
    assert point(app, "la-spezia") is None
    response = admin.post(NEW, data={**VALID, "csrf_token": "forged"})
    assert response.status_code == 400
    assert point(app, "la-spezia") is None


def test_hours_parser():
    assert parse_hours("") == []
    assert parse_hours(" 15:00 - 19:00 ;9:30–12:30 ") == [["09:30", "12:30"], ["15:00", "19:00"]]
    assert parse_hours("12:00-13:00, 13:00-14:00") == [["12:00", "13:00"], ["13:00", "14:00"]]
    for bad in ("9-12", "09:30-", "09:30-12:30, x", "10:00-10:00", "24:00-25:00"):
        with pytest.raises(HoursError):
            parse_hours(bad)


# -- The seed file -----------------------------------------------------------------------------

def test_seed_is_idempotent_and_keeps_edited_rows(app):
    with app.app_context(), db.connection_context():
        assert load_service_points() == 6
        ServicePoint.update(city={"zh": "米兰", "en": "Milan (edited)"}, active=False).where(
            ServicePoint.key == "milan").execute()
        ServicePoint.delete().where(ServicePoint.key == "dubai").execute()
        assert load_service_points() == 1  # only the missing one comes back
        assert load_service_points() == 0
        milan = ServicePoint.get(ServicePoint.key == "milan")
        assert milan.city["en"] == "Milan (edited)" and milan.active is False
        assert ServicePoint.select().count() == 6
        office = Office.get(Office.key == "overseas-centre")
        assert {p.office_id for p in ServicePoint.select()} == {office.id}


def test_seed_keeps_a_point_a_volunteer_was_attached_to(app):
    make_staff(app, "volunteer@test", "volunteer")  # creates its own "milan" first
    with app.app_context(), db.connection_context():
        assert load_service_points() == 5
        assert ServicePoint.get(ServicePoint.key == "milan").city["en"] == "Milano"


def test_seed_names_the_point_with_bad_data(app, tmp_path):
    from app.points.seed import DEFAULT_PATH
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken = tmp_path / "points.yaml"
    broken.write_text(text.replace('sat: "10:00-13:00, 14:30-18:30"',
                                   'sat: "10:00-13:00, 12:30-18:30"'), encoding="utf-8")
    with app.app_context(), db.connection_context():
        with pytest.raises(SeedError) as info:
            load_service_points(broken)
        assert "'paris'" in str(info.value) and "hours_sat" in str(info.value)
        assert "overlap" in str(info.value)
        assert ServicePoint.select().count() == 0  # nothing half-loaded
        broken.write_text(text.replace("timezone: Asia/Dubai", "timezone: Asia/Dubay"),
                          encoding="utf-8")
        with pytest.raises(SeedError, match=r"'dubai'.*timezone: Unknown time zone"):
            load_service_points(broken)
        broken.write_text(text.replace("    sort: 60", "    sort: 60\n    colour: red"),
                          encoding="utf-8")
        with pytest.raises(SeedError, match=r"'johannesburg'.*unknown fields \['colour'\]"):
            load_service_points(broken)
        broken.write_text("points: [ {key: milan", encoding="utf-8")
        with pytest.raises(SeedError, match="points.yaml"):
            load_service_points(broken)


def test_cli_command_loads_the_points(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load-service-points"])
    assert result.exit_code == 0, result.output
    assert "6" in result.output
    result = runner.invoke(args=["load-service-points"])
    assert "0" in result.output
