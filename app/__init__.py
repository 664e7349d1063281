"""OneVisit: a cross-border public service desk."""

import logging

from flask import Flask, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .config import load_config


def create_app(config=None) -> Flask:
    """Application factory: configuration, extensions, blueprints, errors."""
    app = Flask(__name__, static_folder=None, template_folder="../templates",
                instance_path=None)
    app.config.update(load_config(config))
    from .fragments import FollowInPlace
    # A journey step's boosted POST is answered with the next page (see fragments.see_next).
    app.wsgi_app = FollowInPlace(app.wsgi_app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Behind a load balancer: the client's address, scheme and host are in the
        # X-Forwarded-* headers; only the last ``proxies`` entries (those our own
        # proxies added) are believed, never what the client sent itself.
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .assets import init_assets
    from .database import init_db
    from .extensions import babel, compress, csrf, htmx, limiter
    from .i18n import init_i18n, select_locale
    from .security import init_security
    from .slowclients import init_slow_clients
    from .tasks import init_jobs
    from .templating import init_templating

    from .ids import init_ids
    init_ids(app)  # before the blueprints add their <int:…> rules
    init_db(app)
    init_slow_clients(app)  # before anything reads a request body
    init_i18n(app)
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: "Asia/Shanghai")
    csrf.init_app(app)
    htmx.init_app(app)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_MIN_SIZE", 256)
    app.config.setdefault("COMPRESS_REGISTER", True)
    compress.init_app(app)
    from . import ratelimits  # noqa: F401  (the onevisit+db:// storage of the limits)
    limiter.init_app(app)
    init_security(app)
    init_assets(app)
    init_templating(app)
    init_jobs(app)
    from .ratings import init_ratings
    init_ratings(app)
    _register_blueprints(app)

    from .cli import init_cli
    init_cli(app)
    _register_errors(app)
    _check_scanning(app)
    return app


def _check_scanning(app: Flask) -> None:
    """Behind https (a real deployment) uploads must be scanned: without clamd the app
    does not start, unless ``ONEVISIT_UPLOAD_SCAN=off`` says so; the embedded default
    starts and says plainly that nothing is scanned."""
    from .config import ScannerMissing
    from .uploads.scan import configured
    if configured(app.config):
        return
    mode = app.config["UPLOAD_SCAN"]
    if mode == "on" or (mode == "auto" and app.config["PUBLIC_URL"].startswith("https://")):
        raise ScannerMissing(
            "uploads must be scanned for malware here: set ONEVISIT_CLAMD_SOCKET (Debian's "
            "clamav-daemon: /run/clamav/clamd.ctl) or ONEVISIT_CLAMD_ADDRESS, or "
            "ONEVISIT_UPLOAD_SCAN=off to run without scanning")
    if not app.config.get("TESTING"):
        app.logger.warning("Uploads are NOT scanned for malware: set ONEVISIT_CLAMD_SOCKET "
                           "(Debian's clamav-daemon: /run/clamav/clamd.ctl) to scan them.")


def _register_blueprints(app: Flask) -> None:
    """One blueprint per area of the URL map (see the README's table)."""
    from .auth.views import bp as auth
    from .cases.routes import bp as cases
    from .catalog.admin import bp as catalog_admin
    from .catalog.editor import bp as catalog_editor
    from .catalog.views import bp as catalog
    from .core import bp as core
    from .documents.views import bp as documents
    from .points.routes import bp as points
    from .questions.admin import bp as answers_admin
    from .questions.convert_views import bp as question_case
    from .questions.staff_routes import bp as questions_staff
    from .questions.faq_admin import bp as faq_admin
    from .questions.faq_views import bp as faq
    from .questions.views import bp as questions
    from .ratings.follow_views import bp as follow_ups
    from .ratings.views import bp as ratings
    from .ratings.dashboard import bp as dashboard
    from .ratings.statistics import bp as statistics
    from .reasons.admin import bp as reasons_admin
    from .review.views import bp as review
    from .uploads.tus import bp as uploads
    for blueprint in (core, catalog, catalog_admin, catalog_editor, cases, uploads, documents,
                      auth, review, points, reasons_admin, questions_staff, answers_admin,
                      question_case, faq, faq_admin, questions, follow_ups, ratings,
                      dashboard, statistics):
        app.register_blueprint(blueprint)


def _register_errors(app: Flask) -> None:
    """Error pages in the page's language; never a bare 500 for bad input."""
    from .cases.routes.materials import too_large
    from .i18n import locale_redirect_target
    from .security import same_origin
    from .uploads.tus import refusal as files_refusal

    @app.errorhandler(CSRFError)
    def _csrf(error):
        if request.path.startswith("/files/"):
            return files_refusal(error)
        # A form of this site (its token had expired): what was typed comes back in a
        # form with a fresh token. From anywhere else: a plain refusal, no token.
        if not same_origin(request):
            return render_template("errors/csrf.html", fields=None), 400
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        return render_template("errors/csrf.html", fields=fields,
                               action=request.full_path.rstrip("?")), 400

    @app.errorhandler(HTTPException)
    def _http(error):
        if request.path.startswith("/files/") and (error.code or 500) >= 400:
            return files_refusal(error)  # plain text with Tus-Resumable, never a page
        if error.code == 404:
            target = locale_redirect_target(request.path)
            if target:
                query = request.query_string.decode()
                return redirect(target + (f"?{query}" if query else ""), 302)
        if error.code is None or error.code < 400:
            return error
        if error.code == 413 and request.endpoint == "cases.upload":
            return too_large(request.view_args.get("reference", ""))
        response = app.make_response((render_template("errors/http.html", error=error),
                                      error.code))
        if error.code in (429, 503):
            wait = getattr(error, "retry_after", None)
            response.headers["Retry-After"] = str(
                wait if isinstance(wait, int) else 60 if error.code == 429 else 5)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return _http(error)
        app.logger.exception("Unhandled error on %s %s", request.method, request.endpoint)
        if request.path.startswith("/files/"):
            return files_refusal(error)
        return render_template("errors/http.html", error=None), 500
