"""The public directory of service points: names, hours, open now, the window's hours
converted to local time across daylight-saving changes, and the reader's own zone."""

import html as htmllib
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.models import ServicePoint, db
from app.points import window
from app.points.directory import format_span, point_status, window_day
from app.points.seed import load_service_points

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def seeded(app):
    with app.app_context(), db.connection_context():
        assert load_service_points() == 6
    return app


def at(monkeypatch, moment):
    """Freeze the clock the directory reads."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    monkeypatch.setattr(window, "now_utc", lambda: moment.astimezone(timezone.utc))


def text_of(response):
    """The page's visible text, tags removed, entities decoded, spaces collapsed."""
    markup = response.get_data(as_text=True)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def section(response, key):
    """The visible text of one point's section."""
    markup = response.get_data(as_text=True)
    match = re.search(rf'<section class="point" id="{key}">(.*?)</section>', markup, re.S)
    assert match, f"no section for {key}"
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


CITIES = {
    "en": ["Milan", "Prato", "Rome", "Paris", "Dubai", "Johannesburg"],
    "zh": ["米兰", "普拉托", "罗马", "巴黎", "迪拜", "约翰内斯堡"],
    "it": ["Milano", "Prato", "Roma", "Parigi", "Dubai", "Johannesburg"],
    "es": ["Milán", "Prato", "Roma", "París", "Dubái", "Johannesburgo"],
    "pt": ["Milão", "Prato", "Roma", "Paris", "Dubai", "Joanesburgo"],
}


@pytest.mark.parametrize("lang", sorted(CITIES))
def test_directory_lists_the_six_cities_in_order_with_localized_names(seeded, client, lang):
    response = client.get(f"/{lang}/service-points")
    assert response.status_code == 200
    markup = response.get_data(as_text=True)
    headings = re.findall(r'<section class="point" id="[^"]+">\s*<h2>([^<]+?)\s*<span', markup)
    assert headings == CITIES[lang]


def test_directory_in_chinese_names_country_host_and_languages(seeded, client):
    page = section(client.get("/zh/service-points"), "milan")
    assert "意大利" in page
    assert "米兰文成同乡会" in page
    assert "吴语" in page and "意大利语" in page
    assert "Via Paolo Sarpi 22" in page
    page = section(client.get("/zh/service-points"), "johannesburg")
    assert "南非" in page and "约翰内斯堡" in page


def test_directory_in_english_shows_contacts_and_weekly_hours(seeded, client):
    response = client.get("/en/service-points")
    markup = response.get_data(as_text=True)
    assert 'href="tel:+390233104521"' in markup
    assert 'href="mailto:milano@demo.onevisit"' in markup
    page = section(response, "milan")
    assert "Milan Association of People from Wencheng" in page
    assert "Chinese, Wu Chinese and Italian" in page
    assert "Tuesday 09:30–12:30, 15:00–19:00" in page
    assert "Sunday 09:30–12:30" in page
    assert re.search(r"Monday \S+", page)  # a day off is named, not left blank
    dubai = section(response, "dubai")
    assert "Friday 09:00–12:00, 15:00–20:00" in dubai
    assert "Dubai time (UTC+4)" in dubai


def test_inactive_points_are_not_listed(seeded, client):
    with seeded.app_context(), db.connection_context():
        ServicePoint.update(active=False).where(ServicePoint.key == "paris").execute()
    markup = client.get("/en/service-points").get_data(as_text=True)
    assert 'id="paris"' not in markup and 'id="milan"' in markup


def test_page_is_small_has_no_inline_script_or_style_and_is_revalidated(seeded, client):
    response = client.get("/zh/service-points", headers={"Accept-Encoding": "br"})
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response.headers
    assert len(response.data) < 6 * 1024, len(response.data)
    markup = client.get("/zh/service-points").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", markup)
    assert "style=" not in markup and "<style" not in markup


# -- Open now ---------------------------------------------------------------------------------

MILAN_HOURS = {day: [["09:30", "12:30"], ["15:00", "19:00"]]
               for day in ("tue", "wed", "thu", "fri", "sat")}
MILAN_HOURS["sun"] = [["09:30", "12:30"]]


def status(app, local):
    point = ServicePoint(key="milan", city={"en": "Milan"}, timezone="Europe/Rome",
                         hours=MILAN_HOURS)
    from flask_babel import force_locale
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


def test_open_now_on_the_page_follows_the_clock(seeded, client, monkeypatch):
    at(monkeypatch, datetime(2026, 3, 24, 10, 0, tzinfo=ROME))  # Tuesday morning in Italy
    response = client.get("/en/service-points")
    assert "Open now · until 12:30" in section(response, "milan")
    assert "Open now · until 13:00" in section(response, "paris")  # 10:00 Paris opens at 10:00
    markup = response.get_data(as_text=True)
    today = re.search(r'<section class="point" id="milan">.*?aria-current="date"><th[^>]*>(\w+)',
                      markup, re.S)
    assert today.group(1) == "Tuesday"
    at(monkeypatch, datetime(2026, 3, 23, 10, 0, tzinfo=ROME))  # Monday: Milan is closed
    page = section(client.get("/en/service-points"), "milan")
    assert "Closed now · opens Tue 09:30" in page
    page = section(client.get("/zh/service-points"), "milan")
    assert "周二09:30" in page


# -- The window at home in local time, across daylight-saving changes ------------------------

@pytest.mark.parametrize("day, milan", [
    ("2026-03-27", "07:00–15:00"),  # Friday before the last Sunday of March: UTC+1
    ("2026-03-30", "08:00–16:00"),  # Monday after: summer time, UTC+2
    ("2026-10-23", "08:00–16:00"),  # Friday before the last Sunday of October: UTC+2
    ("2026-10-26", "07:00–15:00"),  # Monday after: back to UTC+1
])
def test_window_hours_in_milan_time_across_dst(seeded, client, monkeypatch, day, milan):
    import chinese_calendar
    from datetime import date
    assert chinese_calendar.is_workday(date.fromisoformat(day))
    # 09:00 in Beijing that day: the window opens later today.
    at(monkeypatch, datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=window.BEIJING))
    response = client.get("/en/service-points")
    offset = "UTC+1" if milan.startswith("07") else "UTC+2"
    assert f"Window at home: {milan}, Milan time ({offset})" in section(response, "milan")
    assert "14:00–22:00 Beijing time" in text_of(response)
    assert "Today, " in text_of(response)
    # Dubai has no daylight saving: always 10:00–18:00.
    assert "Window at home: 10:00–18:00, Dubai time (UTC+4)" in section(response, "dubai")


def test_window_on_a_day_off_shows_the_next_working_day(seeded, client, monkeypatch):
    # Saturday 28 March 2026: closed; Monday 30 March is after the change to summer time.
    at(monkeypatch, datetime(2026, 3, 28, 12, 0, tzinfo=window.BEIJING))
    response = client.get("/en/service-points")
    text = text_of(response)
    assert "Closed today. Next working day: Monday 30 March, 14:00–22:00 Beijing time." in text
    assert "Window at home: 08:00–16:00, Milan time (UTC+2)" in section(response, "milan")
    # The opening hours themselves are shown with the offset of now (winter).
    assert "Opening hours, Milan time (UTC+1)" in section(response, "milan")


def test_window_day_and_spans_as_functions(app):
    with app.app_context():
        span, today = window_day(datetime(2026, 10, 23, 1, 0, tzinfo=timezone.utc))
        assert today and span.start == datetime(2026, 10, 23, 14, 0, tzinfo=window.BEIJING)
        assert format_span(span, ROME, "en_GB") == "08:00–16:00"
        span, today = window_day(datetime(2026, 10, 24, 1, 0, tzinfo=timezone.utc))  # Saturday
        assert not today and span.start.date().isoformat() == "2026-10-26"
        assert format_span(span, ROME, "en_GB") == "07:00–15:00"
        # A zone where the span crosses midnight gets weekdays.
        assert format_span(span, ZoneInfo("America/Los_Angeles"), "en_GB") == "Sun 23:00 – Mon 07:00"


# -- The reader's own time zone ---------------------------------------------------------------

def test_viewer_time_zone_paris_and_new_york(seeded, client, monkeypatch):
    at(monkeypatch, datetime(2026, 3, 27, 9, 0, tzinfo=window.BEIJING))
    response = client.get("/en/service-points?tz=Europe/Paris")
    assert response.status_code == 200
    assert "In your time zone, France Time (UTC+1): 07:00–15:00" in text_of(response)
    assert '<option value="Europe/Paris" selected>' in response.get_data(as_text=True)
    # New York is already on summer time (since 8 March): UTC-4.
    response = client.get("/en/service-points?tz=America/New_York")
    assert "In your time zone, United States (New York) Time (UTC-4): 02:00–10:00" in \
        text_of(response)
    response = client.get("/zh/service-points?tz=America/New_York")
    assert "美国（纽约）时间" in text_of(response) and "02:00–10:00" in text_of(response)


def test_viewer_time_zone_not_in_the_list_is_added(seeded, client, monkeypatch):
    at(monkeypatch, datetime(2026, 3, 27, 9, 0, tzinfo=window.BEIJING))
    response = client.get("/en/service-points?tz=Asia/Kolkata")
    assert "(UTC+5:30): 11:30–19:30" in text_of(response)
    assert '<option value="Asia/Kolkata" selected>' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "Mars/Olympus_Mons", "x" * 500,
                                   "../../etc/passwd", "Europe/Rome\x00"])
def test_garbage_time_zone_gets_a_message_not_an_echo(seeded, client, value):
    response = client.get("/en/service-points", query_string={"tz": value})
    assert response.status_code == 400
    markup = response.get_data(as_text=True)
    assert "We do not know this time zone. Please choose one from the list." in markup
    assert "<script>alert(1)" not in markup
    assert value.rstrip("\x00") not in text_of(response)
    assert 'id="milan"' in markup  # the page is still there
    assert " selected>" not in markup


def test_time_zone_form_works_without_javascript(seeded, client):
    markup = client.get("/fr/service-points").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)" class="tzform">(.*?)</form>', markup,
                     re.S)
    assert form.group(1) == "/fr/service-points"
    assert '<select id="tz" name="tz">' in form.group(2)
    for zone in ("Europe/Rome", "Europe/Paris", "Asia/Dubai", "Africa/Johannesburg",
                 "America/New_York"):
        assert f'<option value="{zone}">' in form.group(2)
    assert 'type="submit"' in form.group(2)
