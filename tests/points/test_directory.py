"""The public directory of service points: names, hours, open now, the window's hours
converted to local time across daylight-saving changes, and the reader's own zone."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from flask_babel import force_locale

from app.clock import BEIJING, clock_at
from app.models import ServicePoint, db
from app.points.directory import format_span, point_status, window_day
from app.points.seed import load_service_points

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def seeded(app):
    with app.app_context(), db.connection_context():
        assert load_service_points() == 6
    return app


def squash(text: str) -> str:
    return " ".join(text.split())


def section(page, key) -> str:
    """The visible text of one point's section."""
    return squash(page.one(f"section.point#{key}").get_text(" "))


def window_notice(page) -> str:
    """The visible text of the box about the window at home."""
    return squash(page.one("#window").get_text(" "))


def heading(page, key) -> str:
    """A point's name as its heading shows it (without the country beside it)."""
    h2 = page.one(f"section.point#{key} h2")
    return squash("".join(h2.find_all(string=True, recursive=False)))


CITIES = {
    "en": ["Milan", "Prato", "Rome", "Paris", "Dubai", "Johannesburg"],
    "zh": ["米兰", "普拉托", "罗马", "巴黎", "迪拜", "约翰内斯堡"],
    "it": ["Milano", "Prato", "Roma", "Parigi", "Dubai", "Johannesburg"],
    "es": ["Milán", "Prato", "Roma", "París", "Dubái", "Johannesburgo"],
    "pt": ["Milão", "Prato", "Roma", "Paris", "Dubai", "Joanesburgo"],
}
KEYS = ["milan", "prato", "rome", "paris", "dubai", "johannesburg"]


@pytest.mark.parametrize("lang", sorted(CITIES))
def test_directory_lists_the_six_cities_in_order_with_localized_names(seeded, client, lang):
    page = client.page(f"/{lang}/service-points")
    assert [s["id"] for s in page.select("section.point")] == KEYS
    assert [heading(page, key) for key in KEYS] == CITIES[lang]


def test_directory_in_chinese_names_country_host_and_languages(seeded, client):
    page = client.page("/zh/service-points")
    milan = section(page, "milan")
    assert page.one("section#milan h2 .hint").get_text(strip=True) == "意大利"
    assert "米兰文成同乡会" in milan
    assert "吴语" in milan
    assert "意大利语" in milan
    assert "Via Paolo Sarpi 22" in milan
    assert page.one("section#johannesburg h2 .hint").get_text(strip=True) == "南非"
    assert heading(page, "johannesburg") == "约翰内斯堡"


def test_directory_in_english_shows_contacts_and_weekly_hours(seeded, client):
    page = client.page("/en/service-points")
    assert page.links("section#milan a[href^='tel:']") == ["tel:+390233104521"]
    assert page.links("section#milan a[href^='mailto:']") == ["mailto:milano@demo.onevisit"]
    assert page.one("section#milan a[href^='tel:']").get_text(strip=True) == "+39 02 3310 4521"
    milan = section(page, "milan")
    assert "Milan Association of People from Wencheng" in milan
    assert "Languages spoken: Chinese, Wu Chinese and Italian" in milan
    hours = dict(zip(page.texts("section#milan table.hours th"),
                     page.texts("section#milan table.hours td")))
    assert hours["Tuesday"] == "09:30–12:30, 15:00–19:00"
    assert hours["Sunday"] == "09:30–12:30"
    assert hours["Monday"] == "Closed all day"  # a day off is named, not left blank
    assert len(hours) == 7
    dubai = dict(zip(page.texts("section#dubai table.hours th"),
                     page.texts("section#dubai table.hours td")))
    assert dubai["Friday"] == "09:00–12:00, 15:00–20:00"
    assert "Dubai time (UTC+4)" in page.one("section#dubai table.hours caption").get_text()


def test_inactive_points_are_not_listed(seeded, client):
    with seeded.app_context(), db.connection_context():
        ServicePoint.update(active=False).where(ServicePoint.key == "paris").execute()
    page = client.page("/en/service-points")
    assert [s["id"] for s in page.select("section.point")] == [k for k in KEYS if k != "paris"]


def test_page_is_small_has_no_inline_script_or_style_and_is_revalidated(seeded, client):
    # Compressed bytes, not a page to parse: only the status, the headers and the size.
    compressed = client.get("/zh/service-points", headers={"Accept-Encoding": "br"})
    assert compressed.status_code == 200
    assert compressed.headers["Content-Encoding"] == "br"
    assert compressed.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in compressed.headers
    assert len(compressed.data) < 6 * 1024, len(compressed.data)
    page = client.page("/zh/service-points")
    assert all(script.has_attr("src") and not script.get_text().strip()
               for script in page.select("script"))
    assert not page.select("style")
    assert not page.select("[style]")


# -- Open now ---------------------------------------------------------------------------------

MILAN_HOURS = {day: [["09:30", "12:30"], ["15:00", "19:00"]]
               for day in ("tue", "wed", "thu", "fri", "sat")}
MILAN_HOURS["sun"] = [["09:30", "12:30"]]


def status(app, local):
    point = ServicePoint(key="milan", city={"en": "Milan"}, timezone="Europe/Rome",
                         hours=MILAN_HOURS)
    with app.test_request_context("/en/service-points"), force_locale("en"):
        return point_status(point, local.replace(tzinfo=ROME), "en_GB")


def test_open_during_hours(app):
    assert status(app, datetime(2026, 3, 24, 10, 0)) == (True, "Open now · until 12:30")
    assert status(app, datetime(2026, 3, 24, 18, 59)) == (True, "Open now · until 19:00")


def test_closed_at_lunch_opens_in_the_afternoon(app):
    assert status(app, datetime(2026, 3, 24, 13, 30)) == (False, "Closed now · opens at 15:00")
    # The end of a span is already closed.
    assert status(app, datetime(2026, 3, 24, 12, 30)) == (False, "Closed now · opens at 15:00")


def test_closed_on_a_day_off_names_the_next_opening(app):
    # Monday: closed all day; Tuesday morning is next.
    assert status(app, datetime(2026, 3, 23, 10, 0)) == (False, "Closed now · opens Tue 09:30")
    # Sunday evening, after the morning span.
    assert status(app, datetime(2026, 3, 22, 20, 0)) == (False, "Closed now · opens Tue 09:30")


def test_open_now_on_the_page_follows_the_clock(seeded, client):
    with clock_at(datetime(2026, 3, 24, 10, 0, tzinfo=ROME), frozen=True):  # Tuesday morning
        page = client.page("/en/service-points")
    assert page.one("section#milan p.state").get_text(strip=True) == "Open now · until 12:30"
    assert "ok" in page.one("section#milan p.state")["class"]
    # 10:00 in Paris too: Paris opens at 10:00 that day.
    assert page.one("section#paris p.state").get_text(strip=True) == "Open now · until 13:00"
    today = page.one('section#milan table.hours tr[aria-current="date"] th')
    assert today.get_text(strip=True) == "Tuesday"
    with clock_at(datetime(2026, 3, 23, 10, 0, tzinfo=ROME), frozen=True):  # Monday: closed
        page = client.page("/en/service-points")
        chinese = client.page("/zh/service-points")
    state = page.one("section#milan p.state")
    assert state.get_text(strip=True) == "Closed now · opens Tue 09:30"
    assert "missing" in state["class"]
    assert page.one('section#milan tr[aria-current="date"] th').get_text(strip=True) == "Monday"
    assert "周二09:30" in chinese.one("section#milan p.state").get_text(strip=True)


# -- The window at home in local time, across daylight-saving changes ------------------------

@pytest.mark.parametrize("day, milan", [
    ("2026-03-27", "07:00–15:00"),  # Friday before the last Sunday of March: UTC+1
    ("2026-03-30", "08:00–16:00"),  # Monday after: summer time, UTC+2
    ("2026-10-23", "08:00–16:00"),  # Friday before the last Sunday of October: UTC+2
    ("2026-10-26", "07:00–15:00"),  # Monday after: back to UTC+1
])
def test_window_hours_in_milan_time_across_dst(seeded, client, day, milan):
    assert chinese_calendar.is_workday(date.fromisoformat(day))
    # 09:00 in Beijing that day: the window opens later today.
    with clock_at(datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=BEIJING), frozen=True):
        page = client.page("/en/service-points")
    offset = "UTC+1" if milan.startswith("07") else "UTC+2"
    assert page.one("section#milan p.hint").get_text(strip=True) == \
        f"Window at home: {milan}, Milan time ({offset})"
    notice = window_notice(page)
    assert notice.startswith("The window at home Today, ")
    assert "it is open 14:00–22:00 Beijing time." in notice
    # Dubai has no daylight saving: always 10:00–18:00.
    assert page.one("section#dubai p.hint").get_text(strip=True) == \
        "Window at home: 10:00–18:00, Dubai time (UTC+4)"


def test_window_on_a_day_off_shows_the_next_working_day(seeded, client):
    # Saturday 28 March 2026: closed; Monday 30 March is after the change to summer time.
    with clock_at(datetime(2026, 3, 28, 12, 0, tzinfo=BEIJING), frozen=True):
        page = client.page("/en/service-points")
    assert page.one("#window p").get_text(" ", strip=True) == \
        "Closed today. Next working day: Monday 30 March, 14:00–22:00 Beijing time."
    assert page.one("section#milan p.hint").get_text(strip=True) == \
        "Window at home: 08:00–16:00, Milan time (UTC+2)"
    # The opening hours themselves are shown with the offset of now (winter).
    assert page.one("section#milan table.hours caption").get_text(strip=True) == \
        "Opening hours, Milan time (UTC+1)"


def test_window_day_and_spans_as_functions(app):
    with app.app_context():
        span, today = window_day(datetime(2026, 10, 23, 1, 0, tzinfo=timezone.utc))
        assert today is True
        assert span.start == datetime(2026, 10, 23, 14, 0, tzinfo=BEIJING)
        assert format_span(span, ROME, "en_GB") == "08:00–16:00"
        span, today = window_day(datetime(2026, 10, 24, 1, 0, tzinfo=timezone.utc))  # Saturday
        assert today is False
        assert span.start.date().isoformat() == "2026-10-26"
        assert format_span(span, ROME, "en_GB") == "07:00–15:00"
        # A zone where the span crosses midnight gets weekdays.
        los_angeles = ZoneInfo("America/Los_Angeles")
        assert format_span(span, los_angeles, "en_GB") == "Sun 23:00 – Mon 07:00"


# -- The reader's own time zone ---------------------------------------------------------------

def test_viewer_time_zone_paris_and_new_york(seeded, client):
    with clock_at(datetime(2026, 3, 27, 9, 0, tzinfo=BEIJING), frozen=True):
        paris = client.page("/en/service-points?tz=Europe/Paris")
        new_york = client.page("/en/service-points?tz=America/New_York")
        chinese = client.page("/zh/service-points?tz=America/New_York")
    assert paris.one("#window strong").get_text(strip=True) == \
        "In your time zone, France Time (UTC+1): 07:00–15:00"
    assert paris.field("tz") == "Europe/Paris"
    # New York is already on summer time (since 8 March): UTC-4.
    assert new_york.one("#window strong").get_text(strip=True) == \
        "In your time zone, United States (New York) Time (UTC-4): 02:00–10:00"
    assert new_york.field("tz") == "America/New_York"
    viewer = chinese.one("#window strong").get_text(strip=True)
    assert "美国（纽约）时间" in viewer
    assert viewer.endswith("02:00–10:00")


def test_viewer_time_zone_not_in_the_list_is_added(seeded, client):
    with clock_at(datetime(2026, 3, 27, 9, 0, tzinfo=BEIJING), frozen=True):
        plain = client.page("/en/service-points")
        page = client.page("/en/service-points?tz=Asia/Kolkata")
    assert "Asia/Kolkata" not in [o["value"] for o in plain.select("select#tz option")]
    assert page.one("#window strong").get_text(strip=True).endswith("(UTC+5:30): 11:30–19:30")
    assert page.field("tz") == "Asia/Kolkata"
    assert page.one('select#tz option[value="Asia/Kolkata"]').has_attr("selected")


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "Mars/Olympus_Mons", "x" * 500,
                                   "../../etc/passwd", "Europe/Rome\x00"])
def test_garbage_time_zone_gets_a_message_not_an_echo(seeded, client, value):
    page = client.page("/en/service-points", status=400, query_string={"tz": value})
    assert page.texts("#window .error") == [
        "We do not know this time zone. Please choose one from the list."]
    assert page.one("select#tz")["aria-invalid"] == "true"
    assert not [s for s in page.select("script") if "alert(1)" in s.get_text()]
    assert value.rstrip("\x00") not in page.text
    assert page.select("section#milan")  # the page is still there
    assert not page.select("select#tz option[selected]")
    assert page.field("tz") == ""


def test_time_zone_form_works_without_javascript(seeded, client):
    page = client.page("/fr/service-points")
    form = page.form("form.tzform")
    assert form["method"] == "get"
    assert form["action"] == "/fr/service-points"
    select = form.select_one("select#tz")
    assert select["name"] == "tz"
    values = [o["value"] for o in select.select("option")]
    for zone in ("Europe/Rome", "Europe/Paris", "Asia/Dubai", "Africa/Johannesburg",
                 "America/New_York"):
        assert zone in values
    assert form.select_one('button[type="submit"]')
