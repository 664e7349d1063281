"""What was typed in a form whose body was too large to read (413).

Browsers send a form's fields in the page's order, and the forms with files put them
after the text: the first part of the body holds what was typed. It is read (at most
``HEAD_BYTES``, never past the body's length) and decoded up to the first file, so the
page that refuses the files can show the text again; the rest of the body is left
unread (:mod:`app.slowclients` closes the connection after the answer).
"""

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.multipart import Data, Field, MultipartDecoder, Preamble

#: How much of the start of a body is read for its fields (a question's 5,000
#: characters are at most 20 KB in UTF-8).
HEAD_BYTES = 256 * 1024


def _head(limit: int) -> bytes:
    stream = request.environ["wsgi.input"]
    wanted = min(limit, request.content_length or 0)
    chunks, got = [], 0
    while got < wanted:
        chunk = stream.read(min(64 * 1024, wanted - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def fields_before_files(limit: int = HEAD_BYTES) -> MultiDict:
    """The fields sent before the first file of this multipart body (nothing when the
    body cannot be read: chunked, not multipart, already read, a broken connection)."""
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype != "multipart/form-data" or not boundary or not request.content_length:
        return MultiDict()
    try:
        decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=limit)
        decoder.receive_data(_head(limit))
        return MultiDict(_fields(decoder))
    except (HTTPException, OSError, ValueError, UnicodeError):
        return MultiDict()


def _fields(decoder) -> list[tuple[str, str]]:
    fields, name, parts = [], None, []
    while True:
        event = decoder.next_event()
        if isinstance(event, Preamble):
            continue
        if isinstance(event, Field):
            name, parts = event.name, []
        elif isinstance(event, Data) and name is not None:
            parts.append(event.data)
            if not event.more_data:
                fields.append((name, b"".join(parts).decode("utf-8", "replace")))
                name = None
        else:  # the first file, the end of what was read, or the end of the body
            return fields
