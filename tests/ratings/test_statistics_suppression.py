"""Hidden small groups stay hidden: subtracting one range's totals from another's, or a
filtered view from the wider one beside it, brings back nothing the page hides (one
level deep: see app.ratings.figures). Runs on SQLite and on PostgreSQL."""

import pytest

from app.ratings.figures import Scope
from tests.conftest import make_point

from .test_statistics import figures_of, ids, page, put_cell, put_days, table_rows

CASES = "Cases, results and time limits"
TOTAL = "Total of the months shown"
REST_NOTE = "Not shown: subtracted from a wider choice, it would reveal fewer than 5 cases"


def month(received, rated=0, **more):
    """A month's counts: ``received`` cases all accepted, finished and delivered on time,
    ``rated`` of them rated very satisfied, no visit, a trip from abroad avoided."""
    return dict(received=received, accepted=received, results=received, on_time=received,
                delivered=received, rated=rated, level_5=rated, visits_0=rated,
                trips_abroad=rated, **more)


def cases_total(client, query):
    return table_rows(page(client, f"/en/statistics?{query}"), CASES)[TOTAL]


# -- Two ranges -------------------------------------------------------------------------------

def test_two_ranges_differ_by_shown_months_only(app):
    put_cell(app, 202608, **month(3, rated=3))    # hidden: 3 cases
    put_cell(app, 202609, **month(20, rated=9))
    put_cell(app, 202610, **month(12, rated=2))   # cases shown, its 2 ratings hidden
    put_days(app, 202608, "taken", {40: 3})
    put_days(app, 202609, "taken", {2: 20})
    client = app.test_client()
    wide, narrow = (cases_total(client, "from=2026-08&to=2026-10"),
                    cases_total(client, "from=2026-09&to=2026-10"))
    assert wide == narrow and wide[0] == "32"
    # The median of the total is September's and October's, not August's 40 days.
    assert figures_of(app, Scope(first=202608, last=202610)).total.median_taken == 2
    ratings = table_rows(page(client, "/en/statistics?from=2026-08&to=2026-10"), "Ratings")
    assert ratings[TOTAL][0] == "9"  # neither August's 3 nor October's 2
    assert ratings["Oct 2026"] == ["Fewer than 5 ratings: not shown"]
    # The CSV and the key figures say the same.
    for query in ("from=2026-08&to=2026-10", "from=2026-09&to=2026-10"):
        csv = client.get(f"/en/statistics/cases.csv?{query}").get_data(as_text=True)
        assert f"{TOTAL},32," in csv
        soup = page(client, f"/en/statistics?{query}")
        assert soup.select_one("dl.keyfigs dd").get_text(strip=True) == "32"
        assert "totals add up the months shown only" in soup.get_text()


def test_a_share_hidden_in_its_month_is_not_in_the_total(app):
    # October: 30 cases, 4 results (3 on time): its share is not shown, nor in the total.
    put_cell(app, 202609, **month(10))
    put_cell(app, 202610, received=30, accepted=30, results=4, on_time=3, delivered=30)
    total = figures_of(app, Scope(first=202609, last=202610)).total
    assert total.results == 14 and total.share_on_time == 1


# -- A filtered view beside its wider one -----------------------------------------------------

@pytest.fixture
def places(app):
    county, item = ids(app)
    milan = make_point(app, "milan", "Milan")
    return county, item, milan


def test_a_point_is_hidden_when_the_rest_of_its_county_is_small(app, places):
    county, _item, milan = places
    put_cell(app, 202610, county=county, **month(20, rated=20))
    put_cell(app, 202610, county=county, point=milan, **month(17, rated=17))
    put_cell(app, 202611, county=county, **month(30, rated=30))
    put_cell(app, 202611, county=county, point=milan, **month(10, rated=10))
    client = app.test_client()
    query = "county=wencheng&point=milan&from=2026-10&to=2026-11"
    soup = page(client, f"/en/statistics?{query}")
    cases = table_rows(soup, CASES)
    # 20 − 17 = 3 would be the county's cases without Milan: October is not shown.
    assert cases["Oct 2026"] == [REST_NOTE]
    assert cases["Nov 2026"][0] == "10" and cases[TOTAL][0] == "10"
    assert table_rows(soup, "Ratings")["Oct 2026"] == [REST_NOTE]
    assert "17" not in soup.select_one("main").get_text()
    # The wider choice shows its own month: nothing subtracts to 3.
    assert table_rows(page(client, "/en/statistics?county=wencheng&from=2026-10&to=2026-11"),
                      CASES)["Oct 2026"][0] == "20"
    csv = client.get(f"/en/statistics/cases.csv?{query}").get_data(as_text=True)
    assert "2026-10,,,,,,,,,," in csv and "17" not in csv
    # The charts draw no bar for it: two bars for November alone.
    assert len(soup.select("figure.chart svg rect.a, figure.chart svg rect.b")) == 2


def test_ratings_alone_are_hidden_when_their_rest_is_small(app, places):
    county, item, _milan = places
    put_cell(app, 202611, county=county, **month(40, rated=20))
    put_cell(app, 202611, county=county, item=item, **month(30, rated=18))
    soup = page(app.test_client(), "/en/statistics?county=wencheng&item=JJ-JZ-001&month=2026-11")
    assert table_rows(soup, CASES)["Nov 2026"][0] == "30"
    ratings = table_rows(soup, "Ratings")
    assert ratings["Nov 2026"] == [
        "Not shown: subtracted from a wider choice, it would reveal fewer than 5 ratings"]
    assert ratings[TOTAL] == ["No month above is shown, so there is no total."]
    assert not soup.select("figure.chart rect.l5")  # no levels chart either
    assert "90%" not in soup.get_text()


def test_a_share_is_hidden_when_the_rest_has_few_results(app, places):
    county, item, _milan = places
    put_cell(app, 202611, county=county, received=40, accepted=40, results=12, on_time=10,
             delivered=40)
    put_cell(app, 202611, county=county, item=item, received=20, accepted=20, results=10,
             on_time=10, delivered=20)
    shown = figures_of(app, Scope(county=county, item=item, first=202611, last=202611))
    november = shown.months[0]
    assert november.shown and november.results == 10
    assert november.share_on_time is None  # 12 − 10 = 2 results of the rest


@pytest.mark.parametrize("chosen, wider, query", [
    # A county beside every county.
    ("county", ["all"], "county=wencheng"),
    # A service beside its county.
    ("county item", ["county"], "county=wencheng&item=JJ-JZ-001"),
    # A point beside every county's cases; a county's at a point beside the county, and
    # beside every county's at the point.
    ("point", ["all"], "point=milan"),
    ("county point", ["county", "point"], "county=wencheng&point=milan"),
    # A service at a point: beside the service anywhere, and the county at the point.
    ("county item point", ["county item", "county point"],
     "county=wencheng&item=JJ-JZ-001&point=milan"),
])
def test_every_wider_choice_is_checked(app, places, chosen, wider, query):
    county, item, milan = places
    values = {"county": county, "item": item, "point": milan}

    def dims(names):
        return {name: values[name] for name in names.split() if name != "all"}

    put_cell(app, 202611, **dims(chosen), **month(17))
    for parent in wider:  # each wider choice in turn has 3 more, the others 13 more
        for other in wider:
            put_cell(app, 202611, **dims(other), **month(20 if other == parent else 30))
        shown = table_rows(page(app.test_client(), f"/en/statistics?{query}"), CASES)
        assert shown["Nov 2026"] == [REST_NOTE], (query, parent)
    for other in wider:
        put_cell(app, 202611, **dims(other), **month(30))
    assert table_rows(page(app.test_client(), f"/en/statistics?{query}"),
                      CASES)["Nov 2026"][0] == "17"


def test_the_page_states_the_rule_and_what_the_questions_cover(app, places):
    county, item, _milan = places
    put_cell(app, 202611, county=county, item=item, **month(20))
    put_cell(app, 202611, county=county, **month(20))
    text = " ".join(page(app.test_client(), "/en/statistics?county=wencheng&item=JJ-JZ-001")
                    .get_text().split())
    assert ("A month of a chosen county, service or service point is hidden as well when "
            "subtracting it from the wider choice") in text
    assert "Questions asked to the windows of" in text
    assert "the service and service point chosen above do not narrow them" in text
    text = page(app.test_client(), "/en/statistics?point=milan").get_text()
    assert "Questions asked to every window." in text and "do not narrow them" in text
    assert "do not narrow them" not in page(app.test_client(), "/en/statistics").get_text()
