"""OneVisit: a cross-border public service desk."""

import logging

from flask import Flask, g, redirect, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .config import load_config


def create_app(config=None) -> Flask:
    """Application factory: configuration, extensions, blueprints, errors."""
    app = Flask(__name__, static_folder=None, template_folder="../templates",
                instance_path=None)
    app.config.update(load_config(config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .database import init_db
    from .extensions import babel, compress, csrf, htmx, limiter
    from .i18n import init_i18n, select_locale
    from .assets import init_assets
    from .security import init_security

    init_db(app)
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
    limiter.init_app(app)
    init_security(app)
    init_assets(app)

    from . import templating
    templating.init_templating(app)

    from .core import bp as core_bp
    from .catalog.views import bp as catalog_bp
    from .cases.views import bp as cases_bp
    from .uploads.views import bp as uploads_bp
    from .documents.views import bp as documents_bp
    from .auth.views import bp as auth_bp
    from .review.views import bp as review_bp
    from .uploads.tus import bp as tus_bp
    from .points.directory import bp as points_bp
    from .points.desk import bp as desk_bp
    from .cases.video import bp as video_bp
    from .cases.agent import bp as agent_bp
    app.register_blueprint(core_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(tus_bp)
    app.register_blueprint(points_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(video_bp)
    app.register_blueprint(agent_bp)

    from . import cli
    cli.init_cli(app)

    _register_errors(app)
    return app


def _register_errors(app: Flask) -> None:
    """Error pages in the page's language; never a bare 500 for bad input."""
    from .i18n import locale_redirect_target

    @app.errorhandler(CSRFError)
    def _csrf(error):
        # Keep what was typed: show it again in a form with a fresh token.
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        return render_template("errors/csrf.html", fields=fields,
                               action=request.full_path.rstrip("?")), 400

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code == 404:
            target = locale_redirect_target(request.path)
            if target:
                query = request.query_string.decode()
                return redirect(target + (f"?{query}" if query else ""), 302)
        if error.code is None or error.code < 400:
            return error
        if error.code == 413 and request.endpoint == "uploads.upload":
            from .uploads.views import too_large
            return too_large(request.view_args.get("reference", ""))
        if request.path.startswith("/files/"):
            return error
        template = "errors/http.html"
        response = app.make_response((render_template(template, error=error), error.code))
        if error.code == 429:
            response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return _http(error)
        app.logger.exception("Unhandled error on %s %s", request.method, request.endpoint)
        return render_template("errors/http.html", error=None), 500
