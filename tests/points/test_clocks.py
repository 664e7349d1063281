"""The shift's clocks: Beijing time with the window's hours, and each zone of the service
points worked with, open or closed, across the spring daylight-saving change."""

from datetime import datetime, timezone

from app.models import Staff, db
from app.points.clocks import clocks

from ..conftest import make_point, sign_in
from ..pages import Page


def at(app, email, moment, lang="en"):
    with app.test_request_context(f"/{lang}/"), db.connection_context():
        from flask import g
        g.lang = lang
        return clocks(Staff.get(Staff.email == email), moment)


def test_beijing_first_then_each_zone_of_the_points_served(staff_app):
    make_point(staff_app, "paris", "Paris", tz="Europe/Paris", country="FR")
    make_point(staff_app, "lisbon", "Lisboa", tz="Europe/Lisbon", country="PT")
    make_point(staff_app, "elsewhere", "Madrid", tz="Europe/Madrid", country="ES",
               serves=("qingtian",))
    # Thursday 3 December 2026, 15:30 in Beijing: the window works (14:00-22:00); Milan and
    # Paris are at 08:30, before their points open at 09:00; Lisbon is at 07:30.
    shown = at(staff_app, "clerk@test", datetime(2026, 12, 3, 7, 30, tzinfo=timezone.utc))
    beijing, *abroad = shown
    assert (beijing.zone, beijing.time, beijing.window_open) == ("Asia/Shanghai", "15:30", True)
    # East to west; zones at the same offset in the points' order.
    assert [c.zone for c in abroad] == ["Europe/Rome", "Europe/Paris", "Europe/Lisbon"]
    assert [c.time for c in abroad] == ["08:30", "08:30", "07:30"]
    assert all(not p.open and p.opens == "Thu 09:00" for c in abroad for p in c.points)
    assert "Madrid" not in [p.name for c in abroad for p in c.points]  # another county's
    # Two hours later Milan is open; at 23:00 in Beijing the window is closed until Friday.
    later = at(staff_app, "clerk@test", datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc))
    assert [p.open for p in later[2].points] == [True]
    night = at(staff_app, "clerk@test", datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc))
    assert night[0].window_open is False and night[0].window_opens == "Fri 14:00"


def test_the_clocks_follow_daylight_saving(staff_app):
    # Europe moves its clocks on Sunday 28 March 2027: on Monday 29 March, 16:00 in Beijing
    # is 10:00 in Milan (it was 09:00 the Monday before). China keeps its time.
    before = at(staff_app, "clerk@test", datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc))
    after = at(staff_app, "clerk@test", datetime(2027, 3, 29, 8, 0, tzinfo=timezone.utc))
    assert (before[0].time, before[1].time) == ("16:00", "09:00")
    assert (after[0].time, after[1].time) == ("16:00", "10:00")


def test_the_queue_and_the_desk_show_them_in_the_staff_language(staff_app):
    clerk = sign_in(staff_app, "clerk@test")
    clerk.get("/it/staff/queue")
    page = Page(clerk.get("/staff/queue"))
    clocks_box = page.first("#clocks")
    assert clocks_box["data-hx-get"] == "/staff/clocks"
    places = page.texts("#clocks .place")
    assert places[0] == "Pechino" and "Italia" in " ".join(places[1:])
    assert page.texts("#clocks .points li")[0].startswith("Milano: ")
    # The fragment the page refreshes itself with.
    fragment = Page(clerk.get("/staff/clocks"))
    assert fragment.status == 200 and fragment.first("section#clocks")
    volunteer = sign_in(staff_app, "volunteer@test")
    desk = Page(volunteer.get("/staff/point/"))
    assert len(desk.texts("#clocks .clock")) == 2  # Beijing and the volunteer's own point


def test_the_clocks_refreshing_do_not_keep_a_session_alive(staff_app):
    from datetime import timedelta

    from app.models import StaffSession
    clerk = sign_in(staff_app, "clerk@test")
    with staff_app.app_context(), db.connection_context():
        before = StaffSession.select().order_by(StaffSession.id.desc()).first()
        StaffSession.update(last_seen_at=before.last_seen_at - timedelta(minutes=20)).where(
            StaffSession.id == before.id).execute()
        left = StaffSession.get_by_id(before.id).last_seen_at
    for _minute in range(3):
        assert clerk.get("/staff/clocks").status_code == 200
    with staff_app.app_context(), db.connection_context():
        assert StaffSession.get_by_id(before.id).last_seen_at == left
    # A page the person opens does.
    clerk.get("/staff/queue")
    with staff_app.app_context(), db.connection_context():
        assert StaffSession.get_by_id(before.id).last_seen_at > left
