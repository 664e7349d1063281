"""Settings read from the environment, with safe defaults for one machine.

Every setting can be overridden by an environment variable of the same name
prefixed with ``ONEVISIT_`` (``DATABASE_URL`` and ``SECRET_KEY`` are also read
without the prefix, as most hosting platforms set them that way).
"""

import os
import secrets
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

LOCALES = ("zh", "en", "it", "fr", "es", "pt")


def _env(name, default=None):
    """Return ``ONEVISIT_<name>`` or ``<name>`` from the environment."""
    return os.environ.get(f"ONEVISIT_{name}", os.environ.get(name, default))


def _bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class SharedKeyMissing(RuntimeError):
    """A server database without a key that every host shares."""


class ScannerMissing(RuntimeError):
    """A deployment that must scan uploads, without clamd."""


def _secret_key(data_dir: Path) -> str:
    """A stable random key kept in the data directory when none is configured.

    Generating one per process would log everybody out on every restart and
    break sessions between gunicorn workers; hosts that share the data directory
    share the key. It is written whole under a temporary name and linked into
    place, so a host starting at the same moment reads the key, never half of it.
    """
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # atomic; fails if another process was first
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


#: Audit events younger than this cannot be deleted (the database's own rule).
AUDIT_FLOOR_DAYS = 365


def _shared_key_check(config: dict, data_dir_given: bool) -> None:
    """A server database (PostgreSQL) is how several hosts share their state: their
    sessions and signed links then need one key. Refuse to start when each host would
    make its own: the key must come from the environment or from a data directory
    named explicitly (a volume the hosts share)."""
    if config["DATABASE_URL"].startswith("sqlite"):
        return
    if _env("SECRET_KEY") or data_dir_given:
        return
    raise SharedKeyMissing(
        "DATABASE_URL names a server database, which several hosts may share: set "
        "SECRET_KEY (the same on every host) or ONEVISIT_DATA_DIR (a directory every host "
        "shares, where the key is kept with the uploads, documents and outbox)")


#: Where `flask public-url` keeps the address every process builds its links with.
PUBLIC_URL_FILE = "public_url"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def _kept_public_url(data_dir: Path) -> str:
    """The public URL kept in the data directory (the run command writes it), so that a
    command run in another terminal (send-reminders) links to the same server."""
    try:
        kept = (data_dir / PUBLIC_URL_FILE).read_text().strip()
    except OSError:
        return DEFAULT_PUBLIC_URL
    return kept if kept.startswith(("http://", "https://")) else DEFAULT_PUBLIC_URL


def keep_public_url(data_dir: str, url: str) -> None:
    """Write the public URL every process of this data directory reads."""
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise ValueError(f"not an http(s) URL: {url!r}")
    from .storage import write_atomically
    write_atomically(Path(data_dir) / PUBLIC_URL_FILE, (url.rstrip("/") + "\n").encode())


def load_config(overrides=None) -> dict:
    """Build the configuration mapping for :func:`app.create_app`."""
    overrides = dict(overrides or {})
    instance_dir = Path(overrides.get("INSTANCE_DIR") or _env("INSTANCE_DIR", BASE_DIR / "instance"))
    instance_dir.mkdir(parents=True, exist_ok=True)
    # What every host must see alike: uploads (partial ones too), issued documents, the
    # mail outbox and the secret key. One host: the instance folder; several: a shared
    # volume named by ONEVISIT_DATA_DIR.
    data_dir_given = bool(overrides.get("DATA_DIR") or _env("DATA_DIR"))
    data_dir = Path(overrides.get("DATA_DIR") or _env("DATA_DIR", instance_dir))
    upload_cap_mb = float(_env("UPLOAD_MAX_MB", "10"))
    public_url = overrides.get("PUBLIC_URL") or _env("PUBLIC_URL") or _kept_public_url(data_dir)
    https = public_url.lower().startswith("https://")
    config = {
        "INSTANCE_DIR": str(instance_dir),
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(data_dir),
        "DATABASE_URL": _env("DATABASE_URL", f"sqlite:///{instance_dir / 'onevisit.db'}"),
        "DATABASE_POOL_SIZE": int(_env("DATABASE_POOL_SIZE", "20")),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(data_dir / "uploads")),
        "UPLOAD_MAX_BYTES": int(upload_cap_mb * 1024 * 1024),
        # Long side of re-encoded photos, in pixels; also the decoder's pixel cap.
        "PHOTO_MAX_SIDE": int(_env("PHOTO_MAX_SIDE", "2400")),
        "PHOTO_MAX_PIXELS": int(_env("PHOTO_MAX_PIXELS", str(60_000_000))),
        "OUTBOX_DIR": _env("OUTBOX_DIR", str(data_dir / "outbox")),
        "SMTP_HOST": _env("SMTP_HOST", ""),
        "SMTP_PORT": int(_env("SMTP_PORT", "25")),
        "SMTP_USER": _env("SMTP_USER", ""),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(_env("SMTP_STARTTLS", "false")),
        "SMTP_TIMEOUT_S": float(_env("SMTP_TIMEOUT_S", "10")),
        "MAIL_FROM": _env("MAIL_FROM", "OneVisit <no-reply@onevisit.localhost>"),
        # The outbox: a worker holds an event this long while it sends; failures are
        # retried with growing waits (1, 2, 4 … minutes, at most 6 h) this many times.
        "OUTBOX_LEASE_S": int(_env("OUTBOX_LEASE_S", "300")),
        "OUTBOX_MAX_ATTEMPTS": int(_env("OUTBOX_MAX_ATTEMPTS", "12")),
        # Used to build absolute links in emails.
        "PUBLIC_URL": public_url.rstrip("/"),
        # How long an emailed access link keeps working.
        "ACCESS_LINK_DAYS": int(_env("ACCESS_LINK_DAYS", "180")),
        # Retention (app/cases/retention.py; the README's table). An application never
        # sent is deleted this many days after its last change; an ended one loses its
        # files and issued PDFs, then its personal details, this many days after it
        # ended; audit events go after AUDIT_DAYS (a year at least: the database refuses
        # to delete younger ones); the outbox directory's copies of emails after a month.
        "DRAFT_DAYS": int(_env("DRAFT_DAYS", "30")),
        "ENDED_FILES_DAYS": int(_env("ENDED_FILES_DAYS", "180")),
        "ENDED_DETAILS_DAYS": int(_env("ENDED_DETAILS_DAYS", "730")),
        # A question's files, and its personal details, after it was closed or answered
        # and left untouched (app/questions/retention.py).
        "QUESTION_FILES_DAYS": int(_env("QUESTION_FILES_DAYS", "180")),
        "QUESTION_DETAILS_DAYS": int(_env("QUESTION_DETAILS_DAYS", "730")),
        "AUDIT_DAYS": max(AUDIT_FLOOR_DAYS, int(_env("AUDIT_DAYS", "1825"))),
        "MAIL_OUTBOX_DAYS": int(_env("MAIL_OUTBOX_DAYS", "30")),
        # A browser's hold on a case ends after this many days unused, and this many
        # days after it was given whatever the use (the access code opens it again).
        "APPLICANT_IDLE_DAYS": int(_env("APPLICANT_IDLE_DAYS", "30")),
        "APPLICANT_ABSOLUTE_DAYS": int(_env("APPLICANT_ABSOLUTE_DAYS", "180")),
        "FIND_CASE_RATE_LIMIT": _env("FIND_CASE_RATE_LIMIT", "10 per 15 minutes"),
        # Tries of a code on one reference, whoever tries (counted in the database).
        "CODE_TRIES_LIMIT": _env("CODE_TRIES_LIMIT", "10 per 15 minutes"),
        # New applications that email one address, and an applicant's changes to one
        # case's video check (bookings, moves, cancellations), whoever sends them.
        "NEW_CASES_PER_EMAIL_LIMIT": _env("NEW_CASES_PER_EMAIL_LIMIT", "10 per day"),
        "VIDEO_CHANGES_LIMIT": _env("VIDEO_CHANGES_LIMIT", "6 per day"),
        # Public pages kept in memory per catalog stamp, read at most this often.
        "PAGE_CACHE": _bool(_env("PAGE_CACHE", "true")),
        "PAGE_CACHE_STAMP_S": float(_env("PAGE_CACHE_STAMP_S", "2")),
        # How many proxies (nginx, a load balancer) stand in front and add X-Forwarded-*.
        "TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        # Per-address limits: Redis when given, else the database (shared by every worker).
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "onevisit+db://"),
        # Shared storage (Redis) down: count in this process meanwhile, never answer 500.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "RATELIMIT_ENABLED": _bool(_env("RATELIMIT_ENABLED", "true")),
        # Behind HTTPS (an https:// public URL) cookies are Secure and HSTS is on, unless
        # a setting says otherwise.
        "SESSION_COOKIE_SECURE": _bool(_env("SESSION_COOKIE_SECURE", str(https))),
        "HSTS": _bool(_env("HSTS", str(https))),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LOCALES": LOCALES,
        "WTF_CSRF_TIME_LIMIT": None,
        "DOCUMENT_DIR": _env("DOCUMENT_DIR", str(data_dir / "documents")),
        # Deferred materials are due this many Chinese working days after submission.
        "COMMITMENT_WORKING_DAYS": int(_env("COMMITMENT_WORKING_DAYS", "15")),
        "RENDER_TIMEOUT_S": float(_env("RENDER_TIMEOUT_S", "20")),
        "RENDER_MEMORY_MB": int(_env("RENDER_MEMORY_MB", "2048")),
        # Start (and warm up) each app process's PDF render worker when the process
        # starts, in the background (gunicorn.conf.py), not on the first document.
        "RENDER_WARM_UP": _bool(_env("RENDER_WARM_UP", "true")),
        # Approximate local prices beside CNY fees, e.g. "EUR=0.128,USD=0.139"; none if unset.
        "FX_RATES": dict(pair.split("=", 1) for pair in _env("FX_RATES", "").split(",")
                         if "=" in pair),
        # Incomplete resumable uploads are purged after this many hours.
        "TUS_EXPIRY_HOURS": int(_env("TUS_EXPIRY_HOURS", "24")),
        # ClamAV's clamd: a Unix socket or host:port turns scanning of uploads on (and it
        # then fails closed); unset, nothing is scanned (said at start).
        # Demo accounts (flask load-demo) come enrolled in two-step sign-in, and
        # `flask demo-code` prints their current code; off, neither works and demo
        # accounts cannot sign in. The README's run command turns it on.
        "DEMO": _bool(_env("DEMO", "false")),
        # Whether the app may run without clamd: "auto" refuses to start behind an
        # https:// public URL (a real deployment) without it, "on" always, "off" never.
        "UPLOAD_SCAN": _env("UPLOAD_SCAN", "auto"),
        "CLAMD_SOCKET": _env("CLAMD_SOCKET", ""),
        "CLAMD_ADDRESS": _env("CLAMD_ADDRESS", ""),
        "CLAMD_TIMEOUT_S": float(_env("CLAMD_TIMEOUT_S", "30")),
        # What one application may hold: files kept and being sent, in MB; resumable
        # uploads open at once; and new applications started per address and hour.
        "CASE_MAX_BYTES": int(float(_env("CASE_MAX_MB", "60")) * 1024 * 1024),
        "TUS_MAX_OPEN": int(_env("TUS_MAX_OPEN", "6")),
        "NEW_CASES_RATE_LIMIT": _env("NEW_CASES_RATE_LIMIT", "20 per hour"),
        # Posts of the ask form per address (two for each question: check, then send).
        "NEW_QUESTIONS_RATE_LIMIT": _env("NEW_QUESTIONS_RATE_LIMIT", "40 per hour"),
        # An asker's replies per address; and what one question may hold over its whole
        # thread: files, and their MB.
        "QUESTION_REPLIES_RATE_LIMIT": _env("QUESTION_REPLIES_RATE_LIMIT", "30 per hour"),
        "QUESTION_MAX_FILES": int(_env("QUESTION_MAX_FILES", "12")),
        "QUESTION_MAX_BYTES": int(float(_env("QUESTION_MAX_MB", "40")) * 1024 * 1024),
        # Requests with a body (over 64 KB: uploads; smaller: forms) served at once per
        # process; together below gunicorn's threads, which serve pages meanwhile. And
        # how long such a body may go quiet (app/slowclients.py).
        "UPLOAD_SLOTS": int(_env("UPLOAD_SLOTS", "8")),
        "FORM_SLOTS": int(_env("FORM_SLOTS", "4")),
        "BODY_IDLE_S": float(_env("BODY_IDLE_S", "20")),
        # The window at home (Beijing time) and its video identity checks.
        "WINDOW_HOURS": _env("WINDOW_HOURS", "14:00-22:00"),
        # A first answer to a question is owed within this many Chinese working days (by
        # the window's closing time).
        "QUESTION_ANSWER_DAYS": int(_env("QUESTION_ANSWER_DAYS", "2")),
        # Ratings (好差评): the stages a case is rated at (``delivered``, and ``accepted``
        # when listed), the days after delivery the one invitation waits for a rating, the
        # Chinese working days a bad rating's follow-up is due in.
        "RATING_STAGES": tuple(s.strip() for s in _env("RATING_STAGES", "delivered").split(",")
                               if s.strip() in ("delivered", "accepted")) or ("delivered",),
        "RATING_INVITE_DAYS": int(_env("RATING_INVITE_DAYS", "3")),
        "FOLLOW_UP_DAYS": int(_env("FOLLOW_UP_DAYS", "15")),
        # Public statistics: what a trip home avoided stands for, in yuan (abroad; from
        # another province), and the smallest group whose figures are shown.
        "TRIP_ABROAD_YUAN": int(_env("TRIP_ABROAD_YUAN", "30000")),
        "TRIP_PROVINCE_YUAN": int(_env("TRIP_PROVINCE_YUAN", "2000")),
        "STATISTICS_MIN_GROUP": int(_env("STATISTICS_MIN_GROUP", "5")),
        "VIDEO_SLOT_MINUTES": int(_env("VIDEO_SLOT_MINUTES", "20")),
        "VIDEO_BOOKING_DAYS": int(_env("VIDEO_BOOKING_DAYS", "10")),
        "VIDEO_MIN_NOTICE_HOURS": int(_env("VIDEO_MIN_NOTICE_HOURS", "2")),
        # One room per appointment on the office's own (e.g. Jitsi) server.
        "MEETING_URL_TEMPLATE": _env("MEETING_URL_TEMPLATE", "https://meet.onevisit.example/{room}"),
        "RECORDING_MAX_MB": int(_env("RECORDING_MAX_MB", "200")),
        "CATALOG_DIR": _env("CATALOG_DIR", str(BASE_DIR / "app" / "catalog" / "data")),
        "TESTING": False,
    }
    config.update(overrides)
    _shared_key_check(config, data_dir_given or bool(overrides.get("SECRET_KEY")))
    if "{room}" not in config["MEETING_URL_TEMPLATE"]:
        raise ValueError("ONEVISIT_MEETING_URL_TEMPLATE must contain {room}")
    config.setdefault("MAX_CONTENT_LENGTH", config["UPLOAD_MAX_BYTES"] * 2 + 1024 * 1024)
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if config["SESSION_COOKIE_SECURE"]:
        # Only this host, over HTTPS, for the whole site: no subdomain or plain-HTTP
        # page can set or overwrite it.
        config.setdefault("SESSION_COOKIE_NAME", "__Host-session")
    return config
