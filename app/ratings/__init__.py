"""Ratings (好差评), follow-ups of bad ones, public statistics and the staff dashboard."""


def init_ratings(app) -> None:
    """Keep the statistics' counts moving with every change of a case; name a rating's
    answers in templates."""
    from ..cases import lifecycle
    from . import labels, tally
    from .pages import answered_aspects
    lifecycle.changed.connect(tally.case_changed, weak=False)
    app.jinja_env.globals.update(
        RATING_LEVEL_LABELS=labels.LEVEL_LABELS, RATING_VISIT_LABELS=labels.VISIT_LABELS,
        RATING_GUIDE_LABELS=labels.GUIDE_LABELS, RATING_ASPECT_NAMES=labels.ASPECT_NAMES,
        RATING_STAGE_LABELS=labels.STAGE_LABELS, rating_aspects=answered_aspects)
