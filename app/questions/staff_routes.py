"""The routes of the ``questions_staff`` blueprint (they are added by the modules)."""

from . import desk, staff  # noqa: F401  (they add routes)
from .staff_blueprint import bp

__all__ = ["bp"]
