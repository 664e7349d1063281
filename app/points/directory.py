"""Public directory of service points and their management by admins."""

from flask import Blueprint

bp = Blueprint("points", __name__)
