"""Bad ratings and their follow-ups, for the follow-up and appeal tests."""

from app.models import Case, db

from .helpers import delivered_case


def rate(app, reference, level, visits=0, comment="", locale="en", **aspects):
    """Rate the delivered case as its applicant would (through the service); returns the
    rating's id."""
    from app.models import Case
    from app.ratings import service
    with app.test_request_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        return service.rate(case, "delivered", service.Answers(
            level=level, visits=visits, comment=comment, **aspects), locale=locale).id


def follow_up_of(app, reference):
    """The case's latest follow-up, read fresh (None: none)."""
    from app.models import FollowUp
    with app.app_context(), db.connection_context():
        return (FollowUp.select().join(Case).where(Case.reference == reference)
                .order_by(FollowUp.id.desc()).first())


def bad_rating(app, level=2, comment="The clerk never answered my emails.", lang="en"):
    """A delivered case rated bad: ``(journey, clerk client, follow-up id)``."""
    journey, clerk = delivered_case(app, lang=lang)
    rate(app, journey.reference, level, comment=comment, locale=lang)
    return journey, clerk, follow_up_of(app, journey.reference).id


def step(client, follow_up_id, action, status=303, **data):
    """POST the step ``action`` as the follow-up's page would (its CSRF token and the
    version the page shows, unless ``data`` gives one); fail unless the answer is
    ``status``. Returns the page (a refused step: the follow-up page again)."""
    url = f"/staff/follow-ups/{follow_up_id}"
    page = client.page(url)
    payload = {"csrf_token": page.csrf(), **data}
    version = page.first("input[name=version]")
    if version is not None and "version" not in data:
        payload["version"] = version.get("value")
    return client.submit(f"{url}/{action}", payload, status=status)
