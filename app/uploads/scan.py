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
    _scan_parts(data[start:start + CHUNK] for start in range(0, len(data), CHUNK))


def scan_file(path) -> None:
    """As :func:`scan`, for a file on disk (a recording), read a part at a time."""
    def parts():
        with open(path, "rb") as source:
            while part := source.read(CHUNK):
                yield part
    _scan_parts(parts())


def _scan_parts(parts) -> None:
    config = current_app.config
    if not configured(config):
        return
    try:
        with _connect(config) as conn:
            conn.sendall(b"zINSTREAM\0")
            for chunk in parts:
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
        if "size limit exceeded" in answer:
            log.error("clamd refused a stream over its StreamMaxLength: raise it to the "
                      "largest upload kept (a recording: ONEVISIT_RECORDING_MAX_MB)")
        else:
            log.error("clamd answered %r: upload refused", answer[:200])
        raise ScannerDown()
