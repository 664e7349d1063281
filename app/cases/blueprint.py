"""The ``cases`` blueprint: the applicant's side of a case, under ``/<lang>/``.

It serves ``/<lang>/services/<code>/apply`` (the journey's first page),
``/<lang>/cases/…`` (the journey, materials, documents, status, video check),
``/<lang>/appointments/<token>`` (the emailed appointment link) and
``/<lang>/agent…`` (the entrusted agent's page). The routes are in
:mod:`app.cases.routes`.
"""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/<lang:lang>")
