"""Ratings (好差评), follow-ups of bad ones, public statistics and the staff dashboard."""


def init_ratings(app) -> None:
    """Keep the statistics' counts moving with every change of a case (and a rating's
    words going with the case's personal details); name a rating's answers in templates."""
    from ..cases import lifecycle
    from . import labels, service, tally
    from .pages import answered_aspects
    lifecycle.changed.connect(tally.case_changed, weak=False)
    lifecycle.changed.connect(service.forget_words, weak=False)
    app.jinja_env.globals.update(
        RATING_LEVEL_LABELS=labels.LEVEL_LABELS, RATING_VISIT_LABELS=labels.VISIT_LABELS,
        RATING_GUIDE_LABELS=labels.GUIDE_LABELS, RATING_ASPECT_NAMES=labels.ASPECT_NAMES,
        RATING_STAGE_LABELS=labels.STAGE_LABELS, rating_aspects=answered_aspects)
