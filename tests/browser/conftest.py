"""Fixtures for real-browser tests: a live OneVisit server and headless Chromium.

The browser is Debian's Chromium driven by Playwright (its own browser
downloads are never used). Set ONEVISIT_CHROMIUM to use another binary.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.sandbox import create_sandbox_app

from ..conftest import ON_POSTGRESQL

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real headless Chromium through Playwright")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _chromium_path():
    configured = os.environ.get("ONEVISIT_CHROMIUM")
    candidate = configured or "/usr/bin/chromium"
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(candidate)
    return found


class LiveURL(str):
    """The base URL of the live server, carrying the app for tests that seed data."""

    app = None


@pytest.fixture
def live_server(request, tmp_path):
    """The app on a fresh database with the real catalog, served over HTTP: a SQLite
    file, or on PostgreSQL a database copied from the run's catalog database."""
    overrides = {}
    if ON_POSTGRESQL:
        cluster = request.getfixturevalue("postgres")
        name = f"live_{tmp_path.name}".lower().replace("-", "_")[:60]
        overrides["DATABASE_URL"] = cluster.create(
            name, template=request.getfixturevalue("catalog_database"))
    application = create_sandbox_app(tmp_path, SECRET_KEY="test-secret",
                                      load=not ON_POSTGRESQL, **overrides)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="onevisit-live-server",
                              daemon=True)
    thread.start()
    try:
        url = LiveURL(f"http://127.0.0.1:{server.server_port}")
        url.app = application
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        if ON_POSTGRESQL:
            from ..conftest import release_connections
            release_connections()
            request.getfixturevalue("postgres").drop(name)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    executable = _chromium_path()
    if not executable:
        pytest.fail("Chromium not found: install Debian's chromium (apt-get install chromium) "
                    "or set ONEVISIT_CHROMIUM", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
