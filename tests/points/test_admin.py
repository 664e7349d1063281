"""Admins manage the service points; nobody else may. Bad input is refused with a message
and everything typed is kept. The seed file loader adds only what is missing."""

import phonenumbers
import pytest

from app.models import AuditEvent, Office, ServicePoint, db
from app.points.forms import parse_hours
from app.points.seed import DEFAULT_PATH, SeedError, load_service_points

from ..conftest import make_staff, sign_in

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
    "hours_sun": "", "office": "", "serves": ["wencheng", "liandu"], "active": "yes",
    "sort": "70",
}


@pytest.fixture
def admin(app):
    make_staff(app, "admin@test", "admin")
    return sign_in(app, "admin@test")


def post(client, url, status=303, **changes):
    """Submit the point form with VALID changed by ``changes`` (None leaves a field out)."""
    data = {k: v for k, v in {**VALID, **changes}.items() if v is not None}
    return client.submit(url, data, status=status)


def point(app, key):
    with app.app_context(), db.connection_context():
        return ServicePoint.get_or_none(ServicePoint.key == key)


def shown(page, name) -> str:
    """What a browser shows in a control: a textarea's first newline is not part of it."""
    value = page.field(name)
    if page.one(f'[name="{name}"]').name == "textarea" and value[:1] in ("\r", "\n"):
        value = value[2:] if value.startswith("\r\n") else value[1:]
    return value


def error_at(page, name) -> str | None:
    """The message shown at a field, without the "Error:" read out to screen readers."""
    message = page.field_error(name)
    return message.removeprefix("错误：").strip() if message else message


# -- Who may -----------------------------------------------------------------------------------

def test_anonymous_visitors_get_403(app, client):
    with app.app_context(), db.connection_context():
        load_service_points()
    pid = point(app, "milan").id
    for url in (LIST, NEW, f"{LIST}/{pid}"):
        client.page(url, status=403)
    # Refused for who they are, not only for a missing CSRF token.
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client.submit(NEW, {**VALID, "csrf_token": "-"}, status=403)
        client.submit(f"{LIST}/{pid}", {**VALID, "csrf_token": "-"}, status=403)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert point(app, "la-spezia") is None
    assert point(app, "milan").city["en"] == "Milan"


@pytest.mark.parametrize("email, role, office, home", [
    ("clerk@test", "clerk", "police-global-window", "/staff/queue"),
    ("volunteer@test", "volunteer", None, "/staff/point/"),
    ("supervisor@test", "supervisor", "overseas-centre", "/staff/queue"),
])
def test_staff_who_are_not_admins_get_403(app, email, role, office, home):
    make_staff(app, email, role, office=office)
    with app.app_context(), db.connection_context():
        load_service_points()
    client = sign_in(app, email)
    milan = point(app, "milan")
    pid = milan.id
    for url in (LIST, NEW, f"{LIST}/{pid}"):
        client.page(url, status=403)
    token = client.page(home).csrf()  # a valid token from a page they may open
    client.submit(NEW, {**VALID, "csrf_token": token}, status=403)
    client.submit(f"{LIST}/{pid}", {**VALID, "csrf_token": token, "city_en": "Hacked"},
                  status=403)
    assert point(app, "la-spezia") is None
    assert point(app, "milan").city == milan.city


def test_admin_without_two_step_sign_in_is_refused(app):
    make_staff(app, "admin@test", "admin")
    client = app.test_client()
    step = client.submit("/staff/login", {"email": "admin@test",
                                          "password": "correct horse battery"})
    assert step.location.endswith("/staff/login/code")
    client.page(LIST, status=403)


# -- Create, edit, deactivate ------------------------------------------------------------------

def test_admin_lists_the_points(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    page = admin.page(LIST)
    cities = page.texts("table.queue tbody tr td:first-child")
    assert cities == ["Milan", "Prato", "Rome", "Paris", "Dubai", "Johannesburg"]
    assert page.texts("table.queue tbody td.mono") == ["milan", "prato", "rome", "paris",
                                                        "dubai", "johannesburg"]
    milan = point(app, "milan")
    assert page.one(f'td a[href="{LIST}/{milan.id}"]').get_text(strip=True) == "Milan"
    assert page.one(f'a[href="{NEW}"]').get_text(strip=True) == "Add a service point"


def test_required_fields_are_not_marked_optional(admin):
    page = admin.page(NEW)
    for name in ("key", "city_zh", "city_en", "host_zh", "host_en", "country", "address",
                 "languages", "timezone", "hours_mon", "sort"):
        assert not page.one(f'label[for="f-{name}"]').select(".opt"), name
    for name in ("city_it", "host_fr", "phone", "email", "office"):
        assert page.one(f'label[for="f-{name}"] .opt').get_text(strip=True) == "(optional)", name


def test_admin_creates_a_point(app, admin):
    form = admin.page(NEW)
    assert form.one("h1").get_text(strip=True) == "Add a service point"
    assert form.csrf()
    assert form.one('input[name="hours_sun"]')["id"] == "f-hours_sun"
    assert form.one("#f-active").has_attr("checked")  # a new point is shown unless unticked
    assert form.field("sort") == "0"
    with app.app_context(), db.connection_context():
        office = Office.get(Office.key == "overseas-centre").id
    response = post(admin, NEW, office=str(office))
    assert response.location.endswith(LIST)
    created = point(app, "la-spezia")
    assert created.city == {"zh": "拉斯佩齐亚", "en": "La Spezia", "it": "La Spezia"}
    assert created.host == {"zh": "拉斯佩齐亚华人协会", "en": "Chinese Association of La Spezia",
                            "it": "Associazione dei Cinesi della Spezia"}
    assert created.phone == "+3901871234567"
    assert created.email == "laspezia@demo.onevisit"
    assert created.languages == ["zh", "wuu", "it"]
    assert created.hours == {"tue": [["09:30", "12:30"], ["15:00", "19:00"]],
                             "wed": [["09:30", "12:30"]], "thu": [["09:30", "12:30"]],
                             "fri": [["09:30", "12:30"]], "sat": [["10:00", "12:00"]]}
    assert created.office_id == office
    assert created.active is True
    assert created.sort == 70
    assert created.address == "Via del Prione 12\n19121 La Spezia SP"
    assert admin.page(LIST).texts(".flash") == ["Service point La Spezia saved."]
    with app.app_context(), db.connection_context():
        event = AuditEvent.get(AuditEvent.action == "service_point_saved")
        assert event.target == "la-spezia"
        assert event.data["created"] is True
    # The public directory shows it, with the French name falling back to English.
    page = app.test_client().page("/fr/service-points")
    assert page.one("section#la-spezia h2").get_text(" ", strip=True).startswith("La Spezia")


def test_admin_edits_and_deactivates_a_point(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    milan = point(app, "milan")
    url = f"{LIST}/{milan.id}"
    page = admin.page(url)
    assert page.one("h1").get_text(strip=True) == "Edit the service point Milan"
    assert page.field("hours_tue") == "09:30-12:30, 15:00-19:00"  # hours shown as typed
    assert page.field("phone") == "+39 02 3310 4521"
    assert page.field("country") == "IT"
    assert shown(page, "address") == "Via Paolo Sarpi 22\n20154 Milano MI"
    assert page.one("#f-active").has_attr("checked")
    assert not page.select('[name="key"]')  # the key cannot change
    assert "milan" in page.texts("main form .mono")
    values = page.form_data()
    values.update(address=shown(page, "address"), hours_mon="10:00-12:00",
                  city_it="Milano (Chinatown)", key="hacked")
    admin.submit(url, values)
    edited = point(app, "milan")
    assert edited.key == "milan"
    assert edited.hours["mon"] == [["10:00", "12:00"]]
    assert edited.hours["tue"] == milan.hours["tue"]
    assert edited.city["it"] == "Milano (Chinatown)"
    assert edited.city["zh"] == "米兰"
    assert edited.phone == milan.phone
    assert edited.address == "Via Paolo Sarpi 22\n20154 Milano MI"
    assert point(app, "hacked") is None
    with app.app_context(), db.connection_context():
        event = AuditEvent.select().where(AuditEvent.action == "service_point_saved").get()
        assert event.target == "milan"
        assert event.data["created"] is False
    assert app.test_client().page("/en/service-points").select("section#milan")
    # Unticking "active" takes it off the public directory; the row stays.
    values.pop("active")
    admin.submit(url, values)
    assert point(app, "milan").active is False
    assert not app.test_client().page("/en/service-points").select("section#milan")
    shown_in_directory = {row.select_one("td.mono").get_text(strip=True):
                          row.select("td")[-1].get_text(strip=True)
                          for row in admin.page(LIST).select("table.queue tbody tr")}
    assert shown_in_directory["milan"] == "No, hidden"
    assert shown_in_directory["prato"] == "Yes"


def test_unknown_point_is_404(admin):
    admin.page(f"{LIST}/99999", status=404)


# -- Bad input ---------------------------------------------------------------------------------

#: (changes, field in error, message in English, message in Chinese)
BAD = [
    ({"key": "Milano Centro"}, "key",
     "Use lower-case letters, digits and hyphens, for example milan or la-spezia.",
     "请使用小写字母、数字和连字符，例如 milan 或 la-spezia。"),
    ({"key": ""}, "key",
     "Use lower-case letters, digits and hyphens, for example milan or la-spezia.",
     "请使用小写字母、数字和连字符，例如 milan 或 la-spezia。"),
    ({"timezone": "Europe/Atlantis"}, "timezone",
     "Unknown time zone. Use a name such as Europe/Rome.",
     "无法识别的时区。请使用 Europe/Rome 这样的名称。"),
    ({"hours_tue": "nine to five"}, "hours_tue",
     "Write each span as HH:MM-HH:MM, separated by commas, for example 09:30-12:30, 15:00-19:00.",
     "每个时段按 HH:MM-HH:MM 填写，用英文逗号分隔，例如 09:30-12:30, 15:00-19:00。"),
    ({"hours_tue": "09:30-25:00"}, "hours_tue",
     "Write each span as HH:MM-HH:MM, separated by commas, for example 09:30-12:30, 15:00-19:00.",
     "每个时段按 HH:MM-HH:MM 填写，用英文逗号分隔，例如 09:30-12:30, 15:00-19:00。"),
    ({"hours_wed": "09:00-13:00, 12:00-15:00"}, "hours_wed",
     "09:00-13:00 and 12:00-15:00 overlap.", "09:00-13:00 与 12:00-15:00 时间重叠。"),
    ({"hours_thu": "19:00-15:00"}, "hours_thu",
     "19:00-15:00 must end after it starts.", "19:00-15:00 的结束时间必须晚于开始时间。"),
    ({"hours_fri": "08:00-09:00, 10:00-11:00, 12:00-13:00, 14:00-15:00, 16:00-17:00"},
     "hours_fri", "At most 4 opening spans a day.", "每天最多 4 个营业时段。"),
    ({"city_zh": ""}, "city_zh", "Enter the name in Chinese and in English at least.",
     "请至少填写中文和英文名称。"),
    ({"city_en": "  "}, "city_en", "Enter the name in Chinese and in English at least.",
     "请至少填写中文和英文名称。"),
    ({"host_en": ""}, "host_en", "Enter the name in Chinese and in English at least.",
     "请至少填写中文和英文名称。"),
    ({"languages": "zh, klingon"}, "languages",
     "Unknown language code: klingon. Use codes such as zh, wuu, it.",
     "无法识别的语言代码：klingon。请使用 zh, wuu, it 这样的代码。"),
    ({"languages": ""}, "languages", "Give at least one language, for example zh, wuu, it.",
     "请至少填写一种语言，例如 zh, wuu, it。"),
    ({"phone": "12"}, "phone",
     "Enter a valid phone number with its country code, for example +39 312 345 6789.",
     "请填写带国家代码的有效电话号码，例如 +39 312 345 6789。"),
    # Well formed but not a number that can exist (phonenumbers' is_valid_number).
    ({"phone": "+39 612 345 6789"}, "phone",
     "Enter a valid phone number with its country code, for example +39 312 345 6789.",
     "请填写带国家代码的有效电话号码，例如 +39 312 345 6789。"),
    ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com.",
     "请填写电子邮箱地址，格式如 name@example.com。"),
    ({"country": "XX"}, "country", "Choose a country.", "请选择国家。"),
    ({"address": ""}, "address", "Enter the address where applicants can find the point.",
     "请填写服务点的地址，方便申请人找到。"),
    ({"office": "999"}, "office", "Choose an office from the list.", "请从列表中选择窗口。"),
    ({"sort": "first"}, "sort", "Enter a whole number.", "请填写整数。"),
]

#: Fields whose typed value cannot be shown again when it is not one of the choices.
CHOICES = ("country", "office")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("changes, field, english, chinese", BAD,
                         ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_refused_with_a_message_and_everything_kept(app, admin, lang, changes,
                                                                 field, english, chinese):
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    message = english if lang == "en" else chinese
    page = post(admin, NEW, status=422, **changes)
    # The message is next to its field, and in the summary with a link to the field.
    assert error_at(page, field) == message
    assert page.one(f"#f-{field}")["aria-invalid"] == "true"
    assert f"e-{field}" in page.one(f"#f-{field}")["aria-describedby"].split()
    linked = page.texts(f'.error-summary a[href="#f-{field}"]')
    assert len(linked) == 1 and linked[0].endswith(message)
    # Nothing else is refused (a number written without its country code needs the country).
    refused = {a["href"] for a in page.select(".error-summary li a")}
    assert refused == {f"#f-{field}"} | ({"#f-phone"} if field == "country" else set())
    # Every value typed is still there, the invalid one too.
    typed = {**VALID, **changes}
    for name, value in typed.items():
        if name == "active":
            assert page.one("#f-active").has_attr("checked")
        elif name == "serves":
            ticked = {box["value"] for box in page.select('input[name="serves"][checked]')}
            assert ticked == set(value)
        elif name == "address":
            assert shown(page, name) == value
        elif name not in CHOICES:
            assert page.field(name) == value.strip(), name
        elif name != field:
            assert page.field(name) == value, name
    assert point(app, VALID["key"]) is None
    assert point(app, changes.get("key") or "x") is None


def test_unticked_active_is_kept_on_error(admin):
    page = post(admin, NEW, status=422, active=None, timezone="Nowhere")
    assert not page.one("#f-active").has_attr("checked")
    assert page.field_error("timezone") == "Unknown time zone. Use a name such as Europe/Rome."


def test_duplicate_key_is_refused(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    page = post(admin, NEW, status=422, key="prato", city_en="Prato Two")
    assert page.field_error("key") == "Another service point already has this key."
    assert page.field("key") == "prato"
    assert page.field("city_en") == "Prato Two"
    assert point(app, "prato").city["en"] == "Prato"


def test_bad_edit_is_refused_and_the_row_is_unchanged(app, admin):
    with app.app_context(), db.connection_context():
        load_service_points()
    rome = point(app, "rome")
    url = f"{LIST}/{rome.id}"
    page = post(admin, url, status=422, hours_mon="14:00-13:00")
    assert page.field("hours_mon") == "14:00-13:00"
    assert page.field_error("hours_mon") == "14:00-13:00 must end after it starts."
    assert page.field("city_en") == "La Spezia"  # what was typed, not the stored name
    assert point(app, "rome").hours == rome.hours
    assert point(app, "rome").city == rome.city


def test_csrf_token_is_required(app, admin):
    admin.submit(NEW, {**VALID, "csrf_token": ""}, status=400)
    assert point(app, "la-spezia") is None
    admin.submit(NEW, {**VALID, "csrf_token": "forged"}, status=400)
    assert point(app, "la-spezia") is None


def test_hours_parser():
    assert parse_hours("") == []
    assert parse_hours(" 15:00 - 19:00 ;9:30–12:30 ") == [["09:30", "12:30"], ["15:00", "19:00"]]
    assert parse_hours("12:00-13:00, 13:00-14:00") == [["12:00", "13:00"], ["13:00", "14:00"]]
    for bad in ("9-12", "09:30-", "09:30-12:30, x", "10:00-10:00", "24:00-25:00"):
        with pytest.raises(ValueError):
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
        assert milan.city["en"] == "Milan (edited)"
        assert milan.active is False
        assert ServicePoint.select().count() == 6
        office = Office.get(Office.key == "overseas-centre")
        assert {p.office_id for p in ServicePoint.select()} == {office.id}


def test_seed_phone_numbers_are_valid_numbers_of_their_city(app):
    """The demo file passes the admin form's phone check (phonenumbers' is_valid_number)."""
    with app.app_context(), db.connection_context():
        assert load_service_points() == 6
        phones = {p.key: (p.phone, p.country) for p in ServicePoint.select()}
    prefixes = {"milan": "+3902", "prato": "+390574", "rome": "+3906", "paris": "+331",
                "dubai": "+9714", "johannesburg": "+2711"}
    for key, (phone, country) in phones.items():
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number), key
        assert phonenumbers.region_code_for_number(number) == country, key
        assert phone.startswith(prefixes[key]), key  # the city's own area code


def test_seed_keeps_a_point_a_volunteer_was_attached_to(app):
    make_staff(app, "volunteer@test", "volunteer")  # creates its own "milan" first
    with app.app_context(), db.connection_context():
        assert load_service_points() == 5
        assert ServicePoint.get(ServicePoint.key == "milan").city["en"] == "Milano"


def test_seed_names_the_point_with_bad_data(app, tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken = tmp_path / "points.yaml"
    broken.write_text(text.replace('sat: "10:00-13:00, 14:30-18:30"',
                                   'sat: "10:00-13:00, 12:30-18:30"'), encoding="utf-8")
    with app.app_context(), db.connection_context():
        with pytest.raises(SeedError) as info:
            load_service_points(broken)
        assert "'paris'" in str(info.value)
        assert "hours_sat" in str(info.value)
        assert "overlap" in str(info.value)
        assert ServicePoint.select().count() == 0  # nothing half-loaded
        broken.write_text(text.replace("timezone: Asia/Dubai", "timezone: Asia/Dubay"),
                          encoding="utf-8")
        with pytest.raises(SeedError, match=r"'dubai'.*timezone: Unknown time zone"):
            load_service_points(broken)
        broken.write_text(text.replace('"+39 06 4470 2318"', '"+39 06 12"'), encoding="utf-8")
        with pytest.raises(SeedError, match=r"'rome'.*phone: Enter a valid phone number"):
            load_service_points(broken)
        broken.write_text(text.replace("    sort: 60", "    sort: 60\n    colour: red"),
                          encoding="utf-8")
        with pytest.raises(SeedError, match=r"'johannesburg'.*unknown fields \['colour'\]"):
            load_service_points(broken)
        broken.write_text("points: [ {key: milan", encoding="utf-8")
        with pytest.raises(SeedError, match="points.yaml"):
            load_service_points(broken)
        assert ServicePoint.select().count() == 0


def test_cli_command_loads_the_points(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load-service-points"])
    assert result.exit_code == 0, result.output
    assert "6" in result.output
    result = runner.invoke(args=["load-service-points"])
    assert result.exit_code == 0, result.output
    assert "0" in result.output
