"""The routes of the ``cases`` blueprint, one module per part of the applicant's side."""

from ..blueprint import bp
from . import agent, documents, journey, materials, video  # noqa: F401  (they add routes)

__all__ = ["bp"]
