"""The demo history: made through the real code paths, marked as demo, once, and its
running counts agree with a rebuild from scratch."""

from collections import Counter

from app.demo import load_demo_data
from app.demohistory import load_history
from app.models import (Case, Event, FollowUp, FollowUpEvent, Rating, Staff, StaffCell, StatCell,
                        db)
from app.ratings import tally

from .test_tally import _snapshot


def _history(app, size=40):
    app.config["DEMO"] = True
    with app.test_request_context(), db.connection_context():
        load_demo_data()
        return load_history(size)


def test_history_is_demo_spread_over_a_year_and_counts_agree_with_a_rebuild(app):
    made = _history(app, 60)
    assert made["cases"] >= 50 and made["ratings"] >= 20
    with app.test_request_context(), db.connection_context():
        cases = list(Case.select())
        assert cases and all(case.demo for case in cases)
        assert all(case.contact_email is None for case in cases)  # nobody to email
        statuses = Counter(case.status for case in cases)
        assert statuses["closed"] > len(cases) / 2
        months = {tally.month_key(tally.beijing_date(c.submitted_at)) for c in cases}
        assert len(months) >= 8
        # Each case went through the lifecycle: its events are on its timeline.
        kinds = {e.kind for e in Event.select(Event.kind)}
        assert {"submitted", "accepted", "approved", "result_ready", "delivered",
                "closed", "rated"} <= kinds
        assert Case.select().where(Case.service_point.is_null(False)).exists()
        assert len({c.item_id for c in cases}) >= 8
        assert not Event.select().where(Event.outbox_state == "pending").exists()
        levels = Counter(r.level for r in Rating.select())
        assert levels[5] > levels[4] > levels[2] + levels[1]
        whole = StatCell.get((StatCell.county == 0) & (StatCell.item == 0)
                             & (StatCell.point == 0)
                             & (StatCell.month == max(months)))
        assert whole.demo == whole.received > 0
        assert StaffCell.select().where(StaffCell.staff != 0).exists()
        running = _snapshot()
        tally.rebuild()
        assert _snapshot() == running


def test_history_is_made_once(app):
    first = _history(app, 20)
    with app.app_context(), db.connection_context():
        before = (Case.select().count(), Rating.select().count(), StatCell.select().count())
    again = _history(app, 20)
    assert again["cases"] == 0 and again["existing"] == first["cases"]
    with app.app_context(), db.connection_context():
        assert (Case.select().count(), Rating.select().count(),
                StatCell.select().count()) == before
        # The history's own accounts are demo accounts, made once.
        assert Staff.select().where(Staff.email == "clerk.zhang@demo.onevisit").count() == 1
        assert Staff.get(Staff.email == "clerk.zhang@demo.onevisit").demo


def test_bad_ratings_are_followed_up_with_appeals(app):
    _history(app, 150)
    with app.app_context(), db.connection_context():
        follow_ups = list(FollowUp.select())
        assert follow_ups, "a year of ratings has some bad ones"
        steps = Counter(e.kind for e in FollowUpEvent.select())
        assert steps["opened"] == len(follow_ups)
        assert steps["verified"] and steps["visit"] and steps["reply"]
        closed = [f for f in follow_ups if f.status == "closed"]
        assert closed and all(f.visited_at or f.appeal == "upheld" for f in closed)
        assert {f.appeal for f in follow_ups} >= {"upheld", "dismissed"}
        assert Rating.select().where(Rating.excluded == True).count() == 1  # noqa: E712
