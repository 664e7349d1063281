"""The ``points`` blueprint: overseas service points.

It serves ``/<lang>/service-points`` (the public directory),
``/staff/point/…`` (a volunteer's desk) and ``/staff/admin/service-points…``
(the admins' list and form); the routes are in :mod:`app.points.routes`.
"""

from flask import Blueprint

bp = Blueprint("points", __name__)
