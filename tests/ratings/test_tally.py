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


def _whole():
    return StatCell.get((StatCell.county == 0) & (StatCell.item == 0) & (StatCell.point == 0))


def test_promised_materials_supplied_on_time_are_counted_by_the_month_of_acceptance(staff_app):
    from tests.conftest import jpeg_bytes
    journey, _clerk = delivered_case(staff_app, defer=True)
    with staff_app.app_context(), db.connection_context():
        assert (_whole().deferred, _whole().deferred_on_time) == (1, 0)
    assert journey.upload("medical_certificate", jpeg_bytes()).status_code == 303
    case = fresh_case(staff_app, journey.reference)
    assert case.deferred == [] and case.deferred_done_at is not None
    with staff_app.app_context(), db.connection_context():
        assert (_whole().deferred, _whole().deferred_on_time) == (1, 1)
        running = _snapshot()
        tally.rebuild()
        assert _snapshot() == running


def test_result_after_the_promised_date_is_late_and_its_working_days_are_kept(staff_app):
    from datetime import timedelta
    from app.clock import clock_at, utcnow
    from tests.conftest import confirm_video, decide, sign_in, submitted_case
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    decide(clerk, journey.reference, "approve")
    case = fresh_case(staff_app, journey.reference)
    with clock_at(utcnow() + timedelta(days=60)):
        decide(sign_in(staff_app, "clerk@test"), journey.reference, "result", note="Late")
    with staff_app.app_context(), db.connection_context():
        whole = StatCell.select().where((StatCell.county == 0) & (StatCell.item == 0)
                                        & (StatCell.point == 0) & (StatCell.results > 0)).get()
        assert (whole.results, whole.on_time) == (1, 0)
        taken = StatDays.get((StatDays.county == 0) & (StatDays.item == 0) & (StatDays.point == 0)
                             & (StatDays.measure == "taken"))
        limit = StatDays.get((StatDays.county == 0) & (StatDays.item == 0) & (StatDays.point == 0)
                             & (StatDays.measure == "limit"))
        from app.models import Item
        assert limit.days == Item.get_by_id(case.item_id).time_limit_days
        assert taken.days > limit.days


def test_the_rebuild_command_puts_back_counts_lost(staff_app):
    delivered_case(staff_app)
    with staff_app.app_context(), db.connection_context():
        running = _snapshot()
        StatCell.delete().execute()
    result = staff_app.test_cli_runner().invoke(args=["statistics-rebuild"])
    assert result.exit_code == 0 and "1 cases" in result.output, result.output
    with staff_app.app_context(), db.connection_context():
        assert _snapshot() == running


def test_waived_materials_still_count_as_owed_and_not_supplied_on_time(staff_app):
    from tests.conftest import decide, sign_in
    journey, _clerk = delivered_case(staff_app, defer=True)
    decide(sign_in(staff_app, "supervisor@test"), journey.reference, "waive",
           reason="The traffic police checked the medical record directly")
    case = fresh_case(staff_app, journey.reference)
    assert case.deferred_due is None and case.deferred_waived_at is not None
    with staff_app.app_context(), db.connection_context():
        assert (_whole().deferred, _whole().deferred_on_time) == (1, 0)
        running = _snapshot()
        tally.rebuild()
        assert _snapshot() == running


def test_a_change_waits_for_a_rebuild_and_is_not_lost(staff_app):
    """The rebuild is one transaction that blocks the counts' writers: a change made while
    it runs lands on the rebuilt counts (here: the rebuild, stopped between reading and
    writing, holds the write lock; a rating in another connection waits for it)."""
    import threading
    journey, _clerk = delivered_case(staff_app)
    reading_done, go_on = threading.Event(), threading.Event()
    real = tally._from_scratch

    def slow():
        result = real()
        reading_done.set()
        go_on.wait(10)
        return result

    def rebuild():
        with staff_app.app_context(), db.connection_context():
            tally.rebuild()

    def rating():
        with staff_app.test_request_context(), db.connection_context():
            service.rate(fresh_case(staff_app, journey.reference), "delivered",
                         Answers(level=5, visits=0), locale="en")

    tally._from_scratch = slow
    try:
        rebuilding = threading.Thread(target=rebuild)
        rebuilding.start()
        assert reading_done.wait(10)
        rater = threading.Thread(target=rating)
        rater.start()
        rater.join(0.5)
        assert rater.is_alive(), "the rating waits for the rebuild"
        go_on.set()
        rebuilding.join(10)
        rater.join(10)
    finally:
        tally._from_scratch = real
        go_on.set()
    with staff_app.app_context(), db.connection_context():
        assert (_whole().rated, _whole().level_5) == (1, 1)
        running = _snapshot()
        tally.rebuild()
        assert _snapshot() == running
