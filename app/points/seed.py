"""The demo service points, loaded from ``data/service_points.yaml``.

Loading only adds the points whose key is missing: a point that exists, maybe
edited by an admin since, is never overwritten.
"""

from pathlib import Path

import yaml
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from ..models import ServicePoint, db
from .forms import ServicePointForm
from .service import save_point, seed_form_data, set_served

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "service_points.yaml"


class SeedError(ValueError):
    """The seed file is broken; the message names the file and the point."""


def read_service_points(path=None) -> list[dict]:
    """Read and check the seed file; return the validated model fields of each point.

    Every point must pass the admin form's rules (checked with English
    messages); the first problem raises :class:`SeedError` naming the point.
    """
    path = Path(path or DEFAULT_PATH)
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"{path.name}: cannot read: {exc}") from exc
    entries = data.get("points") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise SeedError(f"{path.name}: expected a list of points under 'points'")
    points, seen = [], set()
    with force_locale("en"):
        for number, entry in enumerate(entries, 1):
            name = (entry.get("key") if isinstance(entry, dict) else None) or f"#{number}"
            label = f"{path.name}: service point {name!r}"
            try:
                values = seed_form_data(entry)
            except ValueError as exc:
                raise SeedError(f"{label}: {exc}") from None
            form = ServicePointForm(formdata=MultiDict(values), check_unique=False,
                                    meta={"csrf": False})
            if not form.validate():
                problems = "; ".join(f"{field}: {message}"
                                     for field, message in form.errors_by_field().items())
                raise SeedError(f"{label}: {problems}")
            clean = form.values()
            if clean["key"] in seen:
                raise SeedError(f"{label}: the key is used twice")
            seen.add(clean["key"])
            points.append(clean)
    return points


def load_service_points(path=None) -> int:
    """Insert the seed file's points whose key is not in the database yet.

    Existing rows are left as they are, except that a point serving no county
    yet (one stored before points were shared) gets the seed's counties.
    Returns how many points were inserted. Needs an app context and an open
    database connection.
    """
    points = read_service_points(path)
    inserted = 0
    with db.atomic():
        existing = {p.key: p for p in ServicePoint.select()}
        for fields in points:
            point = existing.get(fields["key"])
            if point is None:
                save_point(fields)
                inserted += 1
            elif not point.jurisdiction_ids():
                set_served(point, fields["serves"])
    return inserted
