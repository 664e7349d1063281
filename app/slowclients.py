"""Slow clients: a request body that trickles in must not take the threads pages need.

gunicorn's threaded worker (the README's run command) parks idle connections in its
poller, but once a request's headers are in, the thread that parsed them also reads
the body: an upload over a 3G link that goes quiet holds that thread. Two limits keep
the rest of the service answering:

- **Body slots.** A request that carries a body takes a slot of its size's kind for as
  long as it runs: one of ``UPLOAD_SLOTS`` per process for a body over 64 KB (a file,
  a chunk of a resumable upload), one of ``FORM_SLOTS`` for a smaller one (a page of
  answers). Together they are fewer than gunicorn's threads, so some threads are always
  left for pages and ``/healthz``, and stalled uploads never keep a form from being
  sent. A request that finds no free slot is answered at once with 503 and
  ``Retry-After``, before any of its body is read: the resumable-upload client waits
  and resumes; a form is sent again with the browser's Back (which keeps what was
  typed) after the message.
- **Quiet bodies end.** While a body is read, the connection may stay silent for at most
  ``BODY_IDLE_S`` seconds; then the request ends with 408 and the connection is closed
  (a resumable upload keeps every chunk that arrived whole and resumes from there).

Behind nginx (``deploy/nginx.conf``) the proxy buffers bodies, so neither limit is met.
"""

import socket
import threading

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException, RequestTimeout, ServiceUnavailable
from werkzeug.wsgi import LimitedStream

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Bodies above this size count as uploads.
UPLOAD_BYTES = 64 * 1024


class _Slots:
    """The process's body slots (one counter per process, shared by its threads)."""

    def __init__(self, size: int):
        self.size = size
        self._free = threading.BoundedSemaphore(size)

    def take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


def _carries_body() -> bool:
    if request.method not in BODY_METHODS:
        return False
    return _chunked() or (request.content_length or 0) > 0


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def init_slow_clients(app: Flask) -> None:
    """Register the limits; called before anything that reads a body (CSRF, forms)."""
    kinds = {"upload": _Slots(app.config["UPLOAD_SLOTS"]),
             "form": _Slots(app.config["FORM_SLOTS"])}
    idle = app.config["BODY_IDLE_S"]
    app.extensions["body_slots"] = kinds

    @app.before_request
    def _take_a_slot():
        if not _carries_body():
            return
        kind = ("upload" if _chunked() or request.content_length > UPLOAD_BYTES
                else "form")
        if not kinds[kind].take():
            raise ServiceUnavailable(retry_after=5)
        g.body_slot = kind
        client = _client_socket()
        if client is not None:
            client.settimeout(idle)
            request.environ["wsgi.input"] = _QuietEnds(request.environ["wsgi.input"])

    @app.after_request
    def _unread_rest(response):
        if _carries_body() and not _read_whole():
            _stop_reading()
        return response

    @app.teardown_request
    def _give_it_back(_error=None):
        kind = g.pop("body_slot", None)
        if kind:
            kinds[kind].give_back()



def _read_whole() -> bool:
    """Whether the application read the request's body to its end (a chunked body of
    unknown length: whether it read any of it)."""
    try:
        stream = request.stream
    except HTTPException:  # over the size cap: refused unread
        return False
    if not isinstance(stream, LimitedStream):
        return True
    if request.content_length is None:
        return stream.is_exhausted or stream.tell() > 0
    return stream.tell() >= request.content_length


class _QuietEnds:
    """The body as the server reads it, where a read that waited ``BODY_IDLE_S`` for
    nothing ends the request with 408 (the WSGI layer would take it for a disconnect)."""

    def __init__(self, body):
        self._body = body

    def _bounded(self, method, *args):
        try:
            return method(*args)
        except TimeoutError:
            raise RequestTimeout() from None

    def read(self, *args):
        return self._bounded(self._body.read, *args)

    def readline(self, *args):
        return self._bounded(self._body.readline, *args)

    def readlines(self, *args):
        return self._bounded(self._body.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")


def _client_socket():
    client = request.environ.get("gunicorn.socket")
    return client if isinstance(client, socket.socket) else None


def _stop_reading() -> None:
    """The answer went out before the body was read whole (refused, or it stopped
    arriving): gunicorn must not hold the thread to read the rest (up to 5 s) before it
    takes the next request on this connection. With the reading side shut, what is left
    reads as the end at once, and the connection closes after the answer."""
    client = _client_socket()
    if client is not None:
        try:
            client.shutdown(socket.SHUT_RD)
        except OSError:
            pass
