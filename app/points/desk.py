"""The volunteer's desk at a service point: assisted cases, print packs, signed scans."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/staff/point")
