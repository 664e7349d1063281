"""gunicorn settings: access log without secrets or query strings."""

import re

from gunicorn.glogging import Logger

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
# whole worker (and is not cut by the sync worker's 30 s timeout).
worker_class = "gthread"
threads = 4
timeout = 120
