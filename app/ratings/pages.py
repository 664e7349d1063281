"""What the applicant's pages show of ratings: the block on the status page (and on the
agent's page), and where the rating page and its emailed link lead."""

from dataclasses import dataclass

from flask import url_for

from ..models import Case, Rating
from ..models.ratings import ASPECTS, STAGES
from .service import locked, rateable_stages, rating_of


@dataclass
class Block:
    """One stage of the case to rate, or rated: ``rating`` (None: not rated yet), whether
    it is the reader's own (``mine``: the applicant's or the agent's, whoever rated first;
    the other sees the levels, not the comment) and whether they can still change it."""

    stage: str
    rating: Rating | None
    changeable: bool
    url: str
    mine: bool = True


def answered_aspects(rating: Rating) -> list[tuple[str, int]]:
    """The aspects a rating answered, as ``(name, level)``."""
    return [(name, getattr(rating, name)) for name in ASPECTS
            if getattr(rating, name) is not None]


def rateable(case: Case, stage: str) -> bool:
    """The case can be rated at ``stage`` now (configured, and reached)."""
    return stage in STAGES and stage in rateable_stages(case)


def rating_blocks(case: Case, by: str = "applicant") -> list[Block]:
    """The rating block of each stage the case may be rated at, as ``by`` (``applicant``
    or ``agent``) sees it, latest stage first."""
    stages = rateable_stages(case)
    if not stages:
        return []
    ratings = {r.stage: r for r in Rating.select().where(
        (Rating.case == case.id) & Rating.stage.in_(stages))}
    blocks = []
    for stage in sorted(stages, key=STAGES.index):
        rating = ratings.get(stage)
        blocks.append(Block(stage, rating, locked(rating, by) is None,
                            url_for("ratings.rate", reference=case.reference, stage=stage),
                            mine=rating is None or rating.by == by))
    return blocks


def after_rating_url(case: Case, by: str) -> str:
    """Where the rating page leads back to: the applicant's status page, or the agent's."""
    if by == "agent":
        return url_for("cases.agent_case", reference=case.reference)
    return url_for("cases.status", reference=case.reference)


def landing_url(case: Case, stage: str) -> str:
    """Where an emailed rating link lands: the rating page while it can be (re)rated,
    else the status page."""
    if rateable(case, stage) and locked(rating_of(case, stage), "applicant") is None:
        return url_for("ratings.rate", reference=case.reference, stage=stage)
    return url_for("cases.status", reference=case.reference)
