"""The ``questions_staff`` blueprint, ``/staff/…``: the window's questions queue and
question pages (:mod:`.staff`), and the questions a volunteer logs at their service
point's desk (:mod:`.desk`)."""

from flask import Blueprint

bp = Blueprint("questions_staff", __name__, url_prefix="/staff")
