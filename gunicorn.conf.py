"""gunicorn settings: access log without secrets or query strings."""

import re

import gunicorn.http.wsgi
from gunicorn.glogging import Logger

# Do not announce the server software (its name and version help nobody but an attacker).
gunicorn.http.wsgi.SERVER = "OneVisit"

_SECRET_PATH = re.compile(r"(/cases/access/)[^/?]+")


class RedactingLogger(Logger):
    """Access log that never writes access-link tokens or query strings."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = _SECRET_PATH.sub(r"\1[redacted]", atoms.get("U", ""))
        atoms["U"] = path
        atoms["r"] = f"{atoms.get('m', '')} {path} {atoms.get('H', '')}"
        atoms["q"] = ""
        return atoms


logger_class = RedactingLogger
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
worker_tmp_dir = "/dev/shm"
# Threads, so an upload chunk arriving slowly over a 3G link does not hold a
# whole worker (and is not cut by the sync worker's 30 s timeout). Requests with a
# body take at most ONEVISIT_UPLOAD_SLOTS (8) + ONEVISIT_FORM_SLOTS (4) of them
# (app/slowclients.py): the other four are always there for pages and /healthz,
# however many uploads stall.
worker_class = "gthread"
threads = 16
timeout = 120


def post_worker_init(worker):
    """Start the PDF render worker in the background; say so when the body slots
    would leave no thread for pages."""
    config = getattr(worker.wsgi, "config", {})
    if config.get("RENDER_WARM_UP"):
        from app.documents.service import warm_up
        warm_up(config)
        worker.log.info("PDF render worker starting (warm-up)")
    slots = config.get("UPLOAD_SLOTS", 0) + config.get("FORM_SLOTS", 0)
    if slots >= worker.cfg.threads:
        worker.log.warning("ONEVISIT_UPLOAD_SLOTS + ONEVISIT_FORM_SLOTS = %s leave none of "
                           "the %s threads for pages", slots, worker.cfg.threads)
