"""A self-contained app in a directory, for tests and benchmarks."""

from pathlib import Path

from flask_babel import force_locale

from . import create_app
from .catalog.loader import load_catalog
from .models import db
from .models.migrations import upgrade


def create_sandbox_app(directory, load=True, **overrides):
    """An app whose database, uploads and outbox all live in ``directory``.

    The schema is upgraded and, unless ``load`` is false, the real catalog is
    loaded, so the app is ready to serve.
    """
    directory = Path(directory)
    config = {
        "TESTING": True,
        "INSTANCE_DIR": str(directory),
        "SECRET_KEY": "sandbox-secret",
        "DATABASE_URL": f"sqlite:///{directory / 'sandbox.db'}",
        "UPLOAD_DIR": str(directory / "uploads"),
        "OUTBOX_DIR": str(directory / "outbox"),
        "RATELIMIT_ENABLED": True,
        "PUBLIC_URL": "http://onevisit.test",
        # Tests change the catalog and look at once: the stamp is read on every request.
        "PAGE_CACHE_STAMP_S": 0,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context(), db.connection_context(), force_locale("en"):
        upgrade()
        if load:  # a broken data file is told in English, outside any request
            load_catalog(app.config["CATALOG_DIR"])
    return app
