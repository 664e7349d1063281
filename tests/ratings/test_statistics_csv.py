"""Each table of the statistics as a CSV file: UTF-8 with BOM, headers in the page's
language, plain numbers, small groups blank with a note, the page's filter."""

import csv
import io

import pytest

from .test_statistics import ids, put_cell, put_days

TABLES = ("cases", "ratings", "trips", "questions")


def read_csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="onevisit-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def counted(app):
    put_cell(app, 202610, received=3, accepted=3, results=3, on_time=3, delivered=3)
    put_cell(app, 202611, received=1234, accepted=1200, results=1000, on_time=947,
             delivered=990, deferred=100, deferred_on_time=90, rated=800, level_5=500,
             level_4=200, level_3=58, level_2=30, level_1=12, excluded=4, visits_0=600,
             visits_1=150, visits_2=40, visits_3=10, guide_yes=700, guide_partly=80,
             guide_no=20, trips_abroad=550, trips_province=50)
    put_days(app, 202611, "taken", {4: 500, 6: 500})
    put_days(app, 202611, "limit", {10: 1000})
    return app


def test_cases_csv_has_plain_numbers_a_total_and_notes(counted):
    rows = read_csv(counted.test_client().get(
        "/en/statistics/cases.csv?from=2026-10&to=2026-11"))
    assert rows[0] == ["Month", "Received", "Accepted", "Delivered", "Results",
                       "Results on time (%)", "Median working days to the result",
                       "Median time limit promised, working days",
                       "Accepted with materials owed", "Materials supplied on time (%)", "Note"]
    assert rows[1] == ["2026-10", "", "", "", "", "", "", "", "", "",
                       "Fewer than 5 cases: not shown"]
    assert rows[2] == ["2026-11", "1234", "1200", "990", "1000", "94.7", "5", "10", "100",
                       "90.0", ""]
    # The total is of the months shown: October's three cases are not in it.
    assert rows[3][0] == "Total of the months shown" and rows[3][1] == "1234"
    assert rows[3][-1] == ""


def test_ratings_and_trips_csv(counted):
    client = counted.test_client()
    ratings = read_csv(client.get("/en/statistics/ratings.csv?month=2026-11"))
    assert ratings[0][1:8] == ["Ratings", "Very satisfied", "Satisfied", "Fairly satisfied",
                               "Dissatisfied", "Very dissatisfied", "Satisfaction rate (%)"]
    assert ratings[1] == ["2026-11", "800", "500", "200", "58", "30", "12", "94.8", "4", ""]
    trips = read_csv(client.get("/en/statistics/trips.csv?month=2026-11"))
    assert trips[1][-4:] == ["550", "50", str(550 * 30000 + 50 * 2000), ""]


def test_headers_follow_the_page_language(counted):
    rows = read_csv(counted.test_client().get("/zh/statistics/cases.csv"))
    header = rows[0]
    # Translated once the catalog has them; never the English of another locale's page.
    assert header[0] in ("月份", "Month")
    assert len(header) == 11
    response = counted.test_client().get("/zh/statistics/cases.csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="onevisit-cases-2025-11-2026-11.csv"')


@pytest.mark.parametrize("table", TABLES)
def test_every_table_downloads_with_the_page_filter(counted, table):
    county, item = ids(counted)
    put_cell(counted, 202611, county=county, item=item, received=77, accepted=77)
    client = counted.test_client()
    rows = read_csv(client.get(f"/pt/statistics/{table}.csv?county=wencheng&item=JJ-JZ-001"))
    assert len(rows) == 1 + 13 + 1  # header, 13 months, total
    if table == "cases":
        assert rows[-2][1] == "77"
    # The page links each table's CSV with its own filter.
    page = client.get("/pt/statistics?county=wencheng&item=JJ-JZ-001&month=2026-11")
    html = page.get_data(as_text=True)
    assert (f'/pt/statistics/{table}.csv?county=wencheng&amp;item=JJ-JZ-001'
            f'&amp;from=2026-11&amp;to=2026-11') in html


def test_unknown_table_is_404_and_bad_filter_400(counted):
    client = counted.test_client()
    assert client.get("/en/statistics/people.csv").status_code == 404
    response = client.get("/en/statistics/cases.csv?from=2026-13")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "There is no month 13." in response.get_data(as_text=True)
