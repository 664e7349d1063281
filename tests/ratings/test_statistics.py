"""The public statistics page: figures summed from the counters, filters, suppression of
small groups, six locales, and 400s for filters it cannot show."""

import csv
import io

import pytest
from bs4 import BeautifulSoup

from app.models import Item, Jurisdiction, StatCell, StatDays, db
from app.ratings import service
from app.ratings.figures import Scope, figures, median_of
from app.ratings.service import Answers
from app.ratings.tally import NO_POINT

from .helpers import delivered_case, fresh_case

LOCALES = ("zh", "en", "it", "fr", "es", "pt")
#: The suite's clock stands in November 2026 (tests/conftest.py): the default range.
THIS_MONTH, FIRST_DEFAULT = 202611, 202511


def put_cell(app, month, county=0, item=0, point=0, **counts):
    """One counter row, as the tally would have left it (in place of any there was)."""
    with app.app_context(), db.connection_context():
        row = {name: 0 for name in StatCell.counters()}
        row.update(counts)
        StatCell.delete().where((StatCell.county == county) & (StatCell.item == item)
                                & (StatCell.point == point) & (StatCell.month == month)).execute()
        StatCell.insert(county=county, item=item, point=point, month=month, **row).execute()


def put_days(app, month, measure, histogram, county=0, item=0, point=0):
    """One month's histogram of working days (in place of any there was)."""
    with app.app_context(), db.connection_context():
        StatDays.delete().where((StatDays.county == county) & (StatDays.item == item)
                                & (StatDays.point == point) & (StatDays.month == month)
                                & (StatDays.measure == measure)).execute()
        StatDays.insert_many([{"county": county, "item": item, "point": point, "month": month,
                               "measure": measure, "days": days, "n": n}
                              for days, n in histogram.items()]).execute()


def ids(app, county_key="wencheng"):
    with app.app_context(), db.connection_context():
        county = Jurisdiction.get(Jurisdiction.key == county_key)
        item = Item.get(Item.code == "JJ-JZ-001")
        return county.id, item.id


def figures_of(app, scope):
    with app.test_request_context("/en/statistics"), db.connection_context():
        return figures(scope)


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def table_rows(soup, caption):
    """``{row header: [cell texts]}`` of the table with ``caption``."""
    table = next(t for t in soup.select("table") if t.caption.get_text(strip=True) == caption)
    return {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
            for tr in table.select("tbody tr, tfoot tr")}


# -- Arithmetic from counters ---------------------------------------------------------------

def test_median_from_a_histogram():
    assert median_of({}) is None
    assert median_of({7: 1}) == 7
    assert median_of({3: 2, 10: 1}) == 3          # 3 3 10
    assert median_of({3: 1, 5: 1, 9: 2}) == 7     # 3 5 | 9 9 -> (5 + 9) / 2
    assert median_of({1: 5, 20: 5}) == 10.5       # the two middle values differ
    assert median_of({4: 0, 6: 3}) == 6           # empty buckets count for nothing


def test_figures_add_up_months_and_compute_rates_medians_trips_and_money(app):
    put_cell(app, 202610, received=40, accepted=38, results=30, on_time=27, delivered=29,
             deferred=10, deferred_on_time=8, rated=20, level_5=10, level_4=5, level_3=2,
             level_2=2, level_1=1, excluded=3, visits_0=12, visits_1=5, visits_2=2,
             visits_3=1, guide_yes=15, guide_partly=3, guide_no=2, trips_abroad=10,
             trips_province=2)
    put_cell(app, 202611, received=10, accepted=10, results=10, on_time=10, delivered=10,
             rated=5, level_5=5, visits_0=5, trips_abroad=5)
    put_days(app, 202610, "taken", {3: 10, 5: 10, 12: 10})
    put_days(app, 202610, "limit", {10: 30})
    put_days(app, 202611, "taken", {2: 10})
    put_days(app, 202611, "limit", {10: 9, 20: 1})
    shown = figures_of(app, Scope(first=202609, last=202611))
    september, october, november = shown.months
    assert september.received == 0 and september.share_on_time is None
    assert october.share_on_time == 27 / 30
    assert october.median_taken == 5 and october.median_limit == 10
    assert october.share_deferred_on_time == 8 / 10
    # (非常满意 + 满意 + 基本满意) / every rating counted; those found unfair are apart.
    assert october.satisfaction == 17 / 20 and october.excluded == 3
    assert october.trips == 12
    assert october.money == 10 * 30000 + 2 * 2000
    total = shown.total
    assert (total.received, total.delivered, total.rated) == (50, 39, 25)
    assert total.satisfaction == 22 / 25
    assert total.share_on_time == 37 / 40
    # The total's median is the median of every result of the range: 2×10, 3×10, 5×10, 12×10.
    assert total.median_taken == 4  # the 20th (3) and 21st (5) of 40
    assert total.median_limit == 10
    assert total.money == 15 * 30000 + 2 * 2000


def test_rates_follow_the_configuration(app):
    app.config.update(TRIP_ABROAD_YUAN=1000, TRIP_PROVINCE_YUAN=10)
    put_cell(app, 202611, received=9, delivered=9, rated=9, level_5=9, visits_0=9,
             trips_abroad=7, trips_province=2)
    shown = figures_of(app, Scope(first=202611, last=202611))
    assert shown.total.money == 7 * 1000 + 2 * 10


def test_small_groups_are_not_shown_in_months_nor_totals(app):
    put_cell(app, 202610, received=3, accepted=3, results=3, on_time=3, delivered=3,
             rated=3, level_1=3)
    put_cell(app, 202611, received=30, accepted=30, results=4, on_time=4, delivered=30,
             deferred=2, deferred_on_time=2, rated=4, level_5=4)
    put_days(app, 202611, "taken", {3: 4})
    shown = figures_of(app, Scope(first=202610, last=202611))
    october, november = shown.months
    assert not october.shown and october.share_on_time is None and october.satisfaction is None
    assert november.shown and november.received == 30
    # Shares and medians from fewer than five are not shown either.
    assert november.share_on_time is None and november.median_taken is None
    assert november.share_deferred_on_time is None
    assert not november.ratings_shown and november.satisfaction is None
    # The total adds up what the months show: November's cases, no month's ratings, no
    # share nor median (7 ratings and 7 results, but from months that hide them).
    total = shown.total
    assert total.shown and (total.received, total.results) == (30, 4)
    assert not total.ratings_shown and total.satisfaction is None
    assert total.share_on_time is None and total.median_taken is None
    client = app.test_client()
    soup = page(client, "/en/statistics?from=2026-10&to=2026-11")
    cases = table_rows(soup, "Cases, results and time limits")
    assert cases["Oct 2026"] == ["Fewer than 5 cases: not shown"]
    assert cases["Nov 2026"][:3] == ["30", "30", "30"] and cases["Nov 2026"][4] == "—"
    assert cases["Total of the months shown"][:4] == ["30", "30", "30", "4"]
    ratings = table_rows(soup, "Ratings")
    assert ratings["Nov 2026"] == ["Fewer than 5 ratings: not shown"]
    assert ratings["Total of the months shown"] == [
        "No month above is shown, so there is no total."]
    text = soup.get_text()
    assert "1,2" not in text and "57%" not in text  # nothing leaks as a share


def test_a_total_under_five_shows_nothing(app):
    put_cell(app, 202611, received=2, accepted=2, results=2, on_time=2, delivered=2, rated=2,
             level_5=2, visits_0=2, trips_abroad=2)
    soup = page(app.test_client(), "/en/statistics")
    assert table_rows(soup, "Cases, results and time limits")["Total of the months shown"] == [
        "No month above is shown, so there is no total."]
    assert table_rows(soup, "Trips home avoided")["Total of the months shown"] == [
        "No month above is shown, so there is no total."]
    figures_box = soup.select_one("dl.keyfigs").get_text(" ", strip=True)
    assert "2" not in figures_box and "60,000" not in soup.get_text()


def test_the_page_shows_the_figures_definitions_rates_and_charts(app):
    put_cell(app, 202611, received=120, accepted=110, results=100, on_time=95, delivered=90,
             rated=80, level_5=50, level_4=14, level_3=8, level_2=5, level_1=3, excluded=2,
             visits_0=60, trips_abroad=55, trips_province=5)
    client = app.test_client()
    soup = page(client, "/en/statistics")
    text = " ".join(soup.get_text().split())
    assert ("Satisfaction rate = (very satisfied + satisfied + fairly satisfied) ÷ all "
            "ratings counted") in text
    assert "Ratings an appeal found unfair are left out: 2 in the months shown" in text
    assert "CN¥30,000 for a trip from abroad and CN¥2,000 for a trip across provinces" in text
    assert "55 trips from abroad and 5 across provinces, together CN¥1,660,000" in text
    keyfigs = soup.select_one("dl.keyfigs").get_text(" ", strip=True)
    assert "120" in keyfigs and "95%" in keyfigs and "90%" in keyfigs and "60" in keyfigs
    # Each chart is an image with a title and a description, its table beside it.
    charts = soup.select("figure.chart svg[role=img]")
    assert len(charts) == 3
    for svg in charts:
        labelled = svg["aria-labelledby"].split()
        assert svg.find("title")["id"] == labelled[0] and svg.find("desc")["id"] == labelled[1]
    assert len(soup.select("table caption")) == 4
    assert all(th.get("scope") in ("col", "row") for th in soup.select("table th"))
    assert table_rows(soup, "Ratings")["Nov 2026"] == [
        "80", "50", "14", "8", "5", "3", "90%", "2"]
    # Five bars for the five levels, in order, widths in proportion.
    levels = soup.select("figure.chart svg rect[class^=l]")
    assert [r["class"][0] for r in levels] == ["l5", "l4", "l3", "l2", "l1"]
    assert not soup.select("img") and not soup.select("script:not([src])")
    assert "Nothing to show" not in text


def test_money_is_formatted_in_the_page_language(app):
    put_cell(app, 202611, received=9, delivered=9, rated=9, level_5=9, visits_0=9,
             trips_abroad=9)
    assert "270.000" in page(app.test_client(), "/it/statistics").get_text()
    zh = page(app.test_client(), "/zh/statistics").get_text()
    assert "¥270,000" in zh and "2026年11月" in zh


def test_demo_cases_are_said_plainly(app):
    put_cell(app, 202611, received=12, demo=12)
    soup = page(app.test_client(), "/en/statistics")
    notice = soup.select_one("main .notice.warn").get_text(" ", strip=True)
    assert "12 demonstration cases" in notice and "not real" in notice
    put_cell(app, 202510, received=12)  # outside the months shown
    assert page(app.test_client(), "/en/statistics?from=2025-10&to=2025-10").select_one(
        "main .notice.warn") is None


# -- Filters --------------------------------------------------------------------------------

def test_each_filter_reads_its_own_counters(app):
    county, item = ids(app)
    from tests.conftest import make_point
    milan = make_point(app, "milan", "Milan")
    put_cell(app, 202611, received=101)
    put_cell(app, 202611, county=county, received=102)
    put_cell(app, 202611, county=county, item=item, received=103)
    put_cell(app, 202611, county=county, item=item, point=milan, received=104)
    put_cell(app, 202611, point=milan, received=105)
    put_cell(app, 202611, point=NO_POINT, received=106)
    put_cell(app, 202611, county=county, point=NO_POINT, received=107)
    client = app.test_client()
    expected = {"": "101", "county=wencheng": "102", "county=wencheng&item=JJ-JZ-001": "103",
                "county=wencheng&item=JJ-JZ-001&point=milan": "104", "point=milan": "105",
                "point=online": "106", "county=wencheng&point=online": "107",
                # A service alone: its county is taken as chosen.
                "item=JJ-JZ-001": "103"}
    for query, received in expected.items():
        soup = page(client, f"/en/statistics?{query}")
        cells = table_rows(soup, "Cases, results and time limits")["Nov 2026"]
        assert cells[0] == received, query
    soup = page(client, "/en/statistics?item=JJ-JZ-001")
    assert soup.select_one("#f-county option[selected]")["value"] == "wencheng"
    # The county's services are offered, grouped by department; none without a county.
    assert soup.select("#f-item optgroup option[value=JJ-JZ-001]")
    assert len(page(client, "/en/statistics").select("#f-item option")) == 1


def test_months_from_to_and_one_month(app):
    put_cell(app, 202401, received=11)
    put_cell(app, 202402, received=12)
    put_cell(app, 202301, received=13)
    put_cell(app, 202611, received=14)
    client = app.test_client()
    soup = page(client, "/en/statistics?from=2024-01&to=2024-02")
    assert list(table_rows(soup, "Cases, results and time limits")) == [
        "Jan 2024", "Feb 2024", "Total of the months shown"]
    assert table_rows(soup, "Cases, results and time limits")["Total of the months shown"][
        0] == "23"
    soup = page(client, "/en/statistics?month=2024-02")
    assert list(table_rows(soup, "Cases, results and time limits")) == [
        "Feb 2024", "Total of the months shown"]
    # By default: the last 12 whole months and this one.
    rows = list(table_rows(page(client, "/en/statistics"), "Cases, results and time limits"))
    assert rows[0] == "Nov 2025" and rows[-2] == "Nov 2026" and len(rows) == 14
    # "from" alone: 13 months from it; 24 months at most.
    rows = list(table_rows(page(client, "/en/statistics?from=2023-01"),
                           "Cases, results and time limits"))
    assert rows[0] == "Jan 2023" and rows[-2] == "Jan 2024"
    rows = list(table_rows(page(client, "/en/statistics?from=2024-12&to=2026-11"),
                           "Cases, results and time limits"))
    assert len(rows) == 25
    # Months without a case: nothing to show, the form still there.
    soup = page(client, "/en/statistics?month=2020-05")
    assert "Nothing to show for this choice yet." in soup.get_text()
    assert soup.select_one("#f-from")["value"] == "2020-05"


@pytest.mark.parametrize("query, field, message", [
    ("county=nowhere", "county", "Choose a county or district from the list."),
    ("county=9999", "county", "Choose a county or district from the list."),
    ("month=2026-13", "from", "There is no month 13."),
    ("from=abc", "from", "Enter a month as year and month, for example 2026-11."),
    ("from=2026-05&to=2026-01", "to", "The last month must not be before the first."),
    ("from=2022-01&to=2026-01", "to", "Choose at most 24 months."),
    ("to=2027-01", "to", "Choose a month from 2015-01 to 2026-11."),
    ("county=wencheng&item=QT-GA-HJ-001", "item", "This service is not one of the chosen "
     "county's."),
    ("item=NO-SUCH", "item", "Choose a service from the list."),
    ("point=atlantis", "point", "Choose a service point from the list."),
])
def test_bad_filters_are_refused_with_the_form_and_a_clear_message(app, query, field, message):
    client = app.test_client()
    response = client.get(f"/en/statistics?{query}")
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    summary = soup.select_one(".error-summary").get_text(" ", strip=True)
    assert message in summary
    assert soup.select_one(f"#f-{field}")["aria-invalid"] == "true"
    assert not soup.select("table")  # no figures for a filter that cannot be shown
    # What was asked is kept in the form.
    value = query.split("=", 1)[1].split("&")[0]
    if field in ("from", "to") and "month=" not in query:
        assert soup.select_one(f"#f-{query.split('=')[0]}")["value"] == value
    csv = client.get(f"/en/statistics/cases.csv?{query}")
    assert csv.status_code == 400 and message in csv.get_data(as_text=True)


@pytest.mark.parametrize("query, field, message", [
    ("county=%00", "county", "Choose a county or district from the list."),
    ("county=wencheng%00", "county", "Choose a county or district from the list."),
    ("item=%00", "item", "Choose a service from the list."),
    ("county=wencheng&item=JJ-JZ-001%00", "item", "Choose a service from the list."),
    ("point=milan%00", "point", "Choose a service point from the list."),
    ("point=%00", "point", "Choose a service point from the list."),
    ("point=" + "m" * 65, "point", "Choose a service point from the list."),
    ("county=wen%27cheng", "county", "Choose a county or district from the list."),
    ("from=2026-01%00", "from", "Enter a month as year and month"),
    ("month=%00", "from", "Enter a month as year and month"),
])
def test_odd_characters_are_refused_before_any_lookup(app, query, field, message):
    """A NUL (which PostgreSQL refuses in text), a quote, a key too long: 400 with the
    usual message, page and CSV alike, on either database."""
    from tests.conftest import make_point
    make_point(app, "milan", "Milan")
    client = app.test_client()
    for lang, expected in (("en", message), ("zh", None)):
        response = client.get(f"/{lang}/statistics?{query}")
        assert response.status_code == 400, (query, response.status_code)
        body = response.get_data(as_text=True)
        assert "\x00" not in body  # shown as a browser would: U+FFFD
        soup = BeautifulSoup(body, "html.parser")
        assert soup.select_one(f"#f-{field}")["aria-invalid"] == "true"
        if expected:
            assert expected in soup.select_one(".error-summary").get_text(" ", strip=True)
        csv = client.get(f"/{lang}/statistics/ratings.csv?{query}")
        assert csv.status_code == 400 and csv.mimetype == "text/plain"
        if expected:
            assert expected in csv.get_data(as_text=True)


def test_bad_filters_speak_the_page_language(app):
    soup = page(app.test_client(), "/zh/statistics?month=2026-13", status=400)
    assert soup.html["lang"] == "zh-Hans"
    assert soup.select_one(".error-summary")


def test_script_in_the_address_is_text(app):
    response = app.test_client().get("/en/statistics?county=<script>alert(1)</script>"
                                     "&from=<script>x</script>")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<script>x" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body


def same_in(lang) -> set:
    """The messages ``lang`` writes as English does ("Total" in French)."""
    from babel.messages.pofile import read_po
    from tests.i18n.test_no_english_leaks import ROOT
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return {m.id for m in read_po(fh, locale=lang) if m.id and m.string == m.id}


# -- Locales, caching -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LOCALES)
def test_the_page_renders_in_every_locale(app, lang):
    put_cell(app, 202611, received=50, accepted=50, results=50, on_time=45, delivered=50,
             rated=20, level_5=20, visits_0=20, trips_abroad=20)
    response = app.test_client().get(f"/{lang}/statistics")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.html["lang"] == ("zh-Hans" if lang == "zh" else lang)
    assert len(soup.select("table")) == 4 and len(soup.select("figure.chart")) == 3
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "private, max-age=300"
    again = app.test_client().get(f"/{lang}/statistics",
                                  headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_linked_from_every_page_footer(app):
    soup = page(app.test_client(), "/pt/")
    assert soup.select_one("footer a[href='/pt/statistics']")


# -- Through the real journey -----------------------------------------------------------------

def test_a_delivered_and_rated_case_shows_in_the_figures(staff_app):
    journey, _clerk = delivered_case(staff_app)
    case = fresh_case(staff_app, journey.reference)
    with staff_app.test_request_context(), db.connection_context():
        service.rate(case, "delivered", Answers(level=4, visits=0, guide="yes"), locale="en")
    client = staff_app.test_client()
    # One case: under the smallest group, nothing of it shows.
    soup = page(client, "/en/statistics")
    assert table_rows(soup, "Cases, results and time limits")["Nov 2026"] == [
        "Fewer than 5 cases: not shown"]
    staff_app.config["STATISTICS_MIN_GROUP"] = 1
    soup = page(client, "/en/statistics?county=wencheng&item=JJ-JZ-001&point=online")
    cases = table_rows(soup, "Cases, results and time limits")["Nov 2026"]
    assert cases[:5] == ["1", "1", "1", "1", "100%"]
    ratings = table_rows(soup, "Ratings")["Nov 2026"]
    assert ratings == ["1", "0", "1", "0", "0", "0", "100%", "0"]
    trips = table_rows(soup, "Trips home avoided")["Nov 2026"]
    # The applicant lives abroad: one trip from abroad avoided, 30,000 yuan.
    assert trips[0] == "1" and trips[7:] == ["1", "0", "CN¥30,000"]


@pytest.mark.parametrize("lang", ("zh", "it", "fr", "es", "pt"))
def test_no_english_on_the_statistics_page_nor_in_its_csv(app, lang):
    """Every text of the page, its refusals and its CSV headers is translated (fails
    until this branch's messages are in the catalogs)."""
    from tests.i18n.test_no_english_leaks import english_messages, leaks, visible_text
    sources = english_messages(lang)
    put_cell(app, 202610, received=3)
    put_cell(app, 202611, received=50, accepted=50, results=50, on_time=45, delivered=50,
             rated=20, level_5=20, visits_0=20, trips_abroad=20, demo=50)
    client = app.test_client()
    problems = {}
    # A service whose ratings, and a month whose cases, its county would reveal.
    county, item = ids(app)
    put_cell(app, 202611, county=county, received=40, rated=20)
    put_cell(app, 202611, county=county, item=item, received=30, rated=18)
    put_cell(app, 202610, county=county, received=20)
    put_cell(app, 202610, county=county, item=item, received=17)
    for url, status in ((f"/{lang}/statistics", 200),
                        (f"/{lang}/statistics?county=wencheng&item=JJ-JZ-001", 200),
                        (f"/{lang}/statistics?point=online", 200),
                        (f"/{lang}/statistics?county=%00", 400),
                        (f"/{lang}/statistics?county=nowhere&from=2026-13&to=x", 400),
                        (f"/{lang}/statistics?from=2026-05&to=2026-01", 400)):
        response = client.get(url)
        assert response.status_code == status, url
        found = leaks(visible_text(BeautifulSoup(response.get_data(as_text=True),
                                                 "html.parser")), sources)
        if found:
            problems[url] = found
    same = same_in(lang)
    for table in ("cases", "ratings", "trips", "questions"):
        text = client.get(f"/{lang}/statistics/{table}.csv").get_data(as_text=True)
        english = client.get(f"/en/statistics/{table}.csv").get_data(as_text=True)
        header, english_header = (next(csv.reader(io.StringIO(t.lstrip("\ufeff"))))
                                  for t in (text, english))
        # A header left in English, unless the language writes it the same ("Total").
        untranslated = [h for h, e in zip(header, english_header)
                        if h == e and h.removesuffix(" (%)") not in same]
        if untranslated:
            problems.setdefault(table, []).extend(untranslated)
        found = leaks(text, sources)
        if found:
            problems.setdefault(table, []).extend(found)
    assert not problems, problems
