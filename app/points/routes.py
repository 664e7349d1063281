"""The routes of the ``points`` blueprint: directory, desk and admin pages."""

from . import admin, desk, directory  # noqa: F401  (they add routes)
from .blueprint import bp

__all__ = ["bp"]
