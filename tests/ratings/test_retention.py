"""A rating's words go with the case's personal details; what was rated stays counted."""

from app.cases import lifecycle
from app.models import Case, FollowUpEvent, Rating, Staff, StatCell, db
from app.ratings import service, tally

from .follow_helpers import bad_rating, follow_up_of, rate


def test_anonymising_a_case_strips_its_ratings_comments_and_follow_up_words(staff_app):
    journey, _clerk, _fid = bad_rating(staff_app, comment="Mr Lin, passport E12345678.")
    rate(staff_app, journey.reference, 1, comment="Still nobody called me on +39 312 345 6789")
    with staff_app.test_request_context(), db.connection_context():
        supervisor = Staff.get(Staff.email == "supervisor@test")
        service.note(follow_up_of(staff_app, journey.reference), supervisor,
                     "Called Mr Lin at home.")
        before = {(c.county, c.item, c.point, c.month): c.level_1 for c in StatCell.select()}
        case = Case.get(Case.reference == journey.reference)
        lifecycle.anonymise(case)
        rating = Rating.get(Rating.case == case.id)
        assert rating.comment == "" and rating.level == 1
        assert all(earlier["comment"] == "" for earlier in rating.history)
        assert rating.history and rating.history[0]["level"] == 2
        assert not [e for e in FollowUpEvent.select() if e.note]
        after = {(c.county, c.item, c.point, c.month): c.level_1 for c in StatCell.select()}
        assert after == before  # still counted
        tally.rebuild()
        assert {(c.county, c.item, c.point, c.month): c.level_1
                for c in StatCell.select()} == before
