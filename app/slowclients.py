"""Slow clients: a request body that trickles in must not take the threads pages need.

gunicorn's threaded worker (the README's run command) parks idle connections in its
poller, but once a request's headers are in, the thread that parsed them also reads
the body: an upload over a 3G link that goes quiet holds that thread. Two limits keep
the rest of the service answering:

- **Body slots.** A request body takes a slot of its size's kind while it is being
  read: one of ``UPLOAD_SLOTS`` per process for a body over 64 KB (a file, a chunk of a
  resumable upload), one of ``FORM_SLOTS`` for a smaller one (a page of answers). A body
  that arrives at once holds its slot for a moment; one that trickles in holds it until
  it is whole (or quiet too long). Together the slots are fewer than gunicorn's threads,
  so some threads are always left for pages and ``/healthz``, and stalled uploads never
  keep a form from being sent. A body that finds no free slot is answered at once with
  503 and ``Retry-After``, before any of it is read: the resumable-upload client waits
  and resumes; a form is sent again with the browser's Back (which keeps what was
  typed) after the message.
- **Quiet bodies end.** While a body is read, the connection may stay silent for at most
  ``BODY_IDLE_S`` seconds; then the request ends with 408 and the connection is closed
  (a resumable upload keeps what arrived, in whole 64 KB pieces, and resumes from there;
  one PATCH may carry a whole file, read as it arrives).

Behind nginx (``deploy/nginx.conf``) the proxy buffers bodies, so neither limit is met.

A body may be at most ``MAX_CONTENT_LENGTH`` (two photos and a form); a view marked with
:func:`body_limit` (the recording of a video check) allows more, decided here before
anything reads the body.
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


def carries_body() -> bool:
    """Whether this request comes with a body to read (a length, or chunked)."""
    if request.method not in BODY_METHODS:
        return False
    return _chunked() or (request.content_length or 0) > 0


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def body_limit(limit):
    """Mark a view whose body may be larger than ``MAX_CONTENT_LENGTH``: ``limit(view_args,
    config)`` gives its bytes, or None for the default (put it under the route, above the
    guards)."""
    def mark(view):
        view.body_limit = limit
        return view
    return mark


def init_slow_clients(app: Flask) -> None:
    """Register the limits; called before anything that reads a body (CSRF, forms)."""
    kinds = {"upload": _Slots(app.config["UPLOAD_SLOTS"]),
             "form": _Slots(app.config["FORM_SLOTS"])}
    idle = app.config["BODY_IDLE_S"]
    app.extensions["body_slots"] = kinds

    @app.before_request
    def _larger_body():
        limit = getattr(app.view_functions.get(request.endpoint), "body_limit", None)
        allowed = limit(request.view_args or {}, app.config) if limit else None
        if allowed:
            request.max_content_length = allowed

    @app.before_request
    def _count_the_body():
        if not carries_body():
            return
        kind = ("upload" if _chunked() or request.content_length > UPLOAD_BYTES
                else "form")
        g.body_reader = request.environ["wsgi.input"] = _BodyReader(
            request.environ["wsgi.input"], kinds[kind], request.content_length)
        client = _client_socket()
        if client is not None:
            client.settimeout(idle)

    @app.after_request
    def _unread_rest(response):
        reader = g.get("body_reader")
        if reader is not None and not _read_whole() and (reader.refused or not _drained()):
            _stop_reading()
        return response

    @app.teardown_request
    def _give_it_back(_error=None):
        reader = g.pop("body_reader", None)
        if reader is not None:
            reader.release()


#: What of a body the app did not read is read and dropped, so that the connection can
#: carry the next request (a refused form, the end of a multipart body): at most this
#: much, with this long a wait for each part; more, or slower, and the connection closes.
DRAIN_BYTES = 2 * 1024 * 1024
DRAIN_WAIT_S = 1.0


def _drained() -> bool:
    client = _client_socket()
    if client is not None:
        client.settimeout(DRAIN_WAIT_S)
    drained = 0
    try:
        while drained <= DRAIN_BYTES:
            chunk = request.stream.read(64 * 1024)
            if not chunk:
                return True
            drained += len(chunk)
    except (HTTPException, OSError, ValueError):
        return False
    return False


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


class _BodyReader:
    """The body as the server reads it. Its first read takes a slot of its kind (none
    free: 503, nothing read); the read that reaches its end gives it back, so a slot is
    held only while a body is arriving. A read that waited ``BODY_IDLE_S`` for nothing
    ends the request with 408 (the WSGI layer would take it for a disconnect)."""

    def __init__(self, body, slots: _Slots, length: int | None):
        self._body, self._slots, self._left = body, slots, length
        self.started = self.refused = self.holding = False

    def release(self) -> None:
        if self.holding:
            self.holding = False
            self._slots.give_back()

    def _read(self, method, *args):
        if not self.started:
            self.started = True
            if not self._slots.take():
                self.refused = True
                raise ServiceUnavailable(retry_after=5)
            self.holding = True
        try:
            data = method(*args)
        except TimeoutError:
            self.release()
            raise RequestTimeout() from None
        if self._left is not None:
            self._left -= len(data)
        if not data or (self._left is not None and self._left <= 0):
            self.release()
        return data

    def read(self, *args):
        return self._read(self._body.read, *args)

    def readline(self, *args):
        return self._read(self._body.readline, *args)

    def readlines(self, *args):
        return self._read(self._body.readlines, *args)

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
