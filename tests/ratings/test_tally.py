"""The statistics' counts move with every change, and a rebuild from scratch agrees."""

from app.models import StaffCell, StatCell, StatDays, db
from app.ratings import service, tally
from app.ratings.service import Answers

from .helpers import delivered_case, fresh_case


def _snapshot():
    cells = {(c.county, c.item, c.point, c.month): {n: getattr(c, n) for n in StatCell.counters()
                                                    if getattr(c, n)}
             for c in StatCell.select()}
    staff = {(c.office, c.staff, c.month): {n: getattr(c, n) for n in StaffCell.counters()
                                            if getattr(c, n)}
             for c in StaffCell.select()}
    days = {(d.county, d.item, d.point, d.month, d.measure, d.days): d.n
            for d in StatDays.select() if d.n}
    return ({k: v for k, v in cells.items() if v}, {k: v for k, v in staff.items() if v}, days)


def test_delivered_and_rated_case_is_counted_and_rebuild_agrees(staff_app):
    journey, _clerk = delivered_case(staff_app)
    case = fresh_case(staff_app, journey.reference)
    with staff_app.test_request_context(), db.connection_context():
        whole = StatCell.get((StatCell.county == 0) & (StatCell.item == 0) & (StatCell.point == 0))
        assert (whole.received, whole.accepted, whole.results, whole.delivered) == (1, 1, 1, 1)
        assert whole.on_time == 1
        service.rate(case, "delivered", Answers(level=2, visits=0, guide="no", speed=1,
                                                comment="slow"), locale="en")
        whole = StatCell.get((StatCell.county == 0) & (StatCell.item == 0) & (StatCell.point == 0))
        assert (whole.rated, whole.level_2, whole.visits_0, whole.trips_abroad) == (1, 1, 1, 1)
        assert (whole.speed_rated, whole.speed_ok, whole.follow_ups) == (1, 0, 1)
        county = StatCell.get((StatCell.county != 0) & (StatCell.item == case.item_id)
                              & (StatCell.point == tally.NO_POINT))
        assert county.rated == 1
        window = StaffCell.get((StaffCell.office == case.office_id) & (StaffCell.staff == 0))
        assert window.level_2 == 1
        # Changed within the week: the counts move, they do not add up.
        service.rate(fresh_case(staff_app, journey.reference), "delivered",
                     Answers(level=5, visits=1), locale="en")
        whole = StatCell.get((StatCell.county == 0) & (StatCell.item == 0) & (StatCell.point == 0))
        assert (whole.rated, whole.level_2, whole.level_5, whole.trips_abroad) == (1, 0, 1, 0)
        running = _snapshot()
        tally.rebuild()
        assert _snapshot() == running
