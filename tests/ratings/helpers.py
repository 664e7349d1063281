"""Cases taken to delivery through the window's own decisions, for the ratings' tests."""

from app.models import Case, db
from tests.conftest import confirm_video, decide, sign_in, submitted_case


def delivered_case(app, lang="en", clerk=None, defer=False, entrust=False):
    """A driving-licence case sent, accepted, approved, its result recorded and delivered by
    courier; returns ``(journey, clerk client)``."""
    journey = submitted_case(app, lang=lang, defer=defer, entrust=entrust)
    clerk = clerk or sign_in(app, "clerk@test")
    confirm_video(app, journey.reference, agent=entrust)
    decide(clerk, journey.reference, "accept")
    if defer:
        return journey, clerk
    decide(clerk, journey.reference, "approve")
    decide(clerk, journey.reference, "result", note="New licence issued")
    decide(clerk, journey.reference, "deliver", method="courier", tracking="SF1234567890")
    return journey, clerk


def fresh_case(app, reference):
    """The case row, read fresh."""
    with app.app_context(), db.connection_context():
        return Case.get(Case.reference == reference)
