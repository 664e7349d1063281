"""Every finished upload is scanned by ClamAV before it is accepted (clamd, Debian's
``clamav-daemon``, over its socket with the INSTREAM command).

``ONEVISIT_CLAMD_SOCKET`` (a Unix socket path) or ``ONEVISIT_CLAMD_ADDRESS``
(``host:port``) turns scanning on; it then fails closed: when clamd does not answer, the
file is not accepted and the applicant is asked to try again later (nothing they entered
is lost). Without either setting nothing is scanned, and the app says so when it starts.
"""

import logging
import socket
import struct

from flask import current_app

log = logging.getLogger(__name__)
CHUNK = 64 * 1024


class Infected(Exception):
    """clamd found something; ``name`` is the signature's."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class ScannerDown(Exception):
    """Scanning is on and clamd did not answer."""


def configured(config) -> bool:
    return bool(config.get("CLAMD_SOCKET") or config.get("CLAMD_ADDRESS"))


def _connect(config) -> socket.socket:
    timeout = config["CLAMD_TIMEOUT_S"]
    if config.get("CLAMD_SOCKET"):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        conn.connect(config["CLAMD_SOCKET"])
        return conn
    host, _sep, port = config["CLAMD_ADDRESS"].rpartition(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def scan(data: bytes) -> None:
    """Raise :class:`Infected` or :class:`ScannerDown`; return when the bytes are clean
    (or scanning is off)."""
    config = current_app.config
    if not configured(config):
        return
    try:
        with _connect(config) as conn:
            conn.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start:start + CHUNK]
                conn.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = conn.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as error:
        log.error("clamd did not answer (%s): upload refused until it does", error)
        raise ScannerDown() from None
    answer = reply.rstrip(b"\0").decode("utf-8", "replace")
    if answer.endswith(" FOUND"):
        name = answer.removeprefix("stream: ").removesuffix(" FOUND")
        log.warning("upload refused: %s", name)
        raise Infected(name)
    if not answer.endswith(" OK"):
        log.error("clamd answered %r: upload refused", answer[:200])
        raise ScannerDown()
