"""Ratings (好差评), follow-ups of bad ones, public statistics and the staff dashboard."""


def init_ratings(app) -> None:
    """Keep the statistics' counts moving with every change of a case."""
    from ..cases import lifecycle
    from . import tally
    lifecycle.changed.connect(tally.case_changed, weak=False)
