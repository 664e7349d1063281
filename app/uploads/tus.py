"""The ``uploads`` blueprint, ``/files/``: resumable uploads (tus 1.0), written for this app.

Core protocol plus the creation (with upload: a POST may carry the first part of
the file), expiration, checksum (sha1) and termination extensions. Each upload belongs to one material slot of one case and is
authorised like the case (the applicant's session must hold it). When the
last byte arrives, the file goes through exactly the same validation,
re-encoding and recording as a form upload; a refusal carries the same message.

A PATCH may carry the whole rest of an upload at once (tus-js-client's default): its
body is read in pieces and written as it arrives, never held whole in memory; a body cut
short keeps what arrived (the next HEAD gives the new offset), unless it carried a
checksum, which cannot be checked then. ``X-HTTP-Method-Override`` is honoured.

Every answer under ``/files/`` carries ``Tus-Resumable`` and is short plain text in the
request's language (the upload's, else the browser's ``Accept-Language``, else English),
refusals raised before a view runs (CSRF, 405, body limits) included (:func:`refusal`).
Status codes follow tus: 412 without ``Tus-Resumable: 1.0.0``, 415 for a PATCH that is
not ``application/offset+octet-stream``, 409 for a wrong ``Upload-Offset``, 460 for a
checksum mismatch (the chunk is discarded), 413 for more bytes than the upload declared
(or than allowed at creation), 404 for unknown and 410 for expired uploads. A finished
file we do not accept (not a photo or PDF, damaged, …) is 422 with the form upload's
message. DELETE of a finished upload takes its file off the case, as the materials
page's "Remove" does (409 once the application no longer takes changes).
"""

import base64
import binascii
import re
import secrets
from datetime import timedelta, timezone
from email.utils import format_datetime

from flask import Blueprint, Response, current_app, g, request
from flask_babel import force_locale, format_decimal, gettext as _, refresh
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import ClientDisconnected, HTTPException

from ..authz import guard, may_open, public
from ..cases import journey
from ..clock import utcnow
from ..config import LOCALES
from ..i18n import negotiate_locale
from ..models import Case, TusUpload, Upload
from ..slowclients import carries_body
from ..templating import ERROR_TITLES
from .resumable import TooMuch, append, partial_path, purge_one, spool
from .service import UploadError

bp = Blueprint("uploads", __name__, url_prefix="/files")
VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,expiration,checksum,termination"
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
OFFSET_TYPE = "application/offset+octet-stream"


class MethodOverride:
    """WSGI middleware: under ``/files/``, ``X-HTTP-Method-Override`` is the request's
    method (tus core: the server MUST take it so; for clients that cannot send PATCH or
    DELETE). CSRF is then checked as for that method."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        method = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").strip().upper()
        if method.isalpha() and len(method) <= 10 and \
                environ.get("PATH_INFO", "").startswith(bp.url_prefix + "/"):
            environ["REQUEST_METHOD"] = method
        return self.wsgi_app(environ, start_response)


@bp.record_once
def _install_override(state):
    state.app.wsgi_app = MethodOverride(state.app.wsgi_app)


def _response(status: int, body: str = "", **headers) -> Response:
    response = Response(body, status=status, mimetype="text/plain")
    response.headers["Tus-Resumable"] = VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = str(value)
    return response


def request_lang() -> str:
    """The language of this request's answers: its upload's or metadata's (set as
    ``g.lang``), else the browser's Accept-Language, else English."""
    lang = getattr(g, "lang", None)
    if lang in LOCALES:
        return lang
    return negotiate_locale() if request.headers.get("Accept-Language") else "en"


def refusal(error: Exception) -> Response:
    """Any error under /files/ that no view answered (CSRF, unknown address or method,
    body limits, a crash): its status, ``Tus-Resumable`` and one short line of text."""
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    headers = {}
    with force_locale(request_lang()):
        if isinstance(error, CSRFError):
            text = _("The security token of this upload is missing or has expired. Reload "
                     "the page, then send the file again.")
        else:
            text = str(ERROR_TITLES.get(code) or ERROR_TITLES[500 if code >= 500 else 400])
    if code == 405:
        headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or ())
    if code in (429, 503):
        wait = getattr(error, "retry_after", None)
        headers["Retry-After"] = wait if isinstance(wait, int) else 5
    return _response(code, text, **headers)


def _http_date(moment) -> str:
    return format_datetime(moment.replace(tzinfo=timezone.utc), usegmt=True)


@bp.before_request
def _check_version():
    g.lang = request_lang()
    if request.method == "OPTIONS":
        return None
    if request.headers.get("Tus-Resumable") != VERSION:
        return _response(412, _("This address speaks tus 1.0.0: send Tus-Resumable: 1.0.0."),
                         Tus_Version=VERSION)
    return None


def _metadata() -> dict:
    values = {}
    for pair in (request.headers.get("Upload-Metadata") or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _sep, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded, validate=True).decode() if encoded else ""
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("metadata") from None
    return values


def _new_upload_slot(kwargs):
    """Creation: the case named in the metadata must be held by this browser."""
    try:
        meta = _metadata()
    except ValueError:
        return _response(400, _("Upload-Length and Upload-Metadata are required."))
    if meta.get("lang") in LOCALES:
        g.lang = meta["lang"]
        refresh()
    case = Case.by_reference(meta.get("case", ""))
    if not may_open(case):
        return _response(404, _("There is no such application open in this browser."))
    kwargs.update(case=case, meta=meta)
    return None


def _held_upload(kwargs):
    """An upload of a case this browser holds, not expired; its id exactly (32 hex)."""
    upload_id = kwargs.pop("upload_id")
    upload = TusUpload.get_or_none(TusUpload.id == upload_id) \
        if UPLOAD_ID.fullmatch(upload_id) else None
    if upload is None or not may_open(upload.case):
        return _response(404, _("There is no such upload."))
    g.lang = upload.locale  # answers about an upload read in its applicant's language
    refresh()
    if upload.expires_at < utcnow():
        purge_one(upload)
        return _response(410, _("This upload has expired. Send the file again."))
    kwargs["upload"] = upload
    return None


#: Applicant routes: the upload's case must be open in this browser (404 otherwise).
slot_of_held_case = guard("applicant", _new_upload_slot)
held_upload = guard("applicant", _held_upload)


@bp.route("/", methods=["OPTIONS"])
@bp.route("/<upload_id>", methods=["OPTIONS"])
@public
def options(upload_id=None):
    """What this server supports (the same at every address under /files/)."""
    return _response(204, Tus_Version=VERSION, Tus_Extension=EXTENSIONS,
                     Tus_Max_Size=current_app.config["UPLOAD_MAX_BYTES"],
                     Tus_Checksum_Algorithm="sha1")


def _refusal(case, state, length: int):
    """Why a new upload of ``length`` bytes for the slot ``state`` is refused (a response
    in the current locale), or None."""
    config = current_app.config
    if length > config["UPLOAD_MAX_BYTES"]:
        return _response(413, _("This file is larger than %(mb)s MB. Please take a new photo "
                                "at a lower resolution, or scan the document at 200 dpi.",
                                mb=f"{config['UPLOAD_MAX_BYTES'] / 1024 / 1024:.0f}"))
    if state is None or not case.takes_files_for(state.material.key):
        return _response(404, _("This application takes no files for this item."))
    if not state.can_add:
        return _response(409, _("This item already has the most files it takes. Remove one to "
                                "replace it."))
    open_now = TusUpload.select().where((TusUpload.case == case) & TusUpload.upload_id.is_null()
                                        & (TusUpload.expires_at > utcnow()))
    if open_now.count() >= config["TUS_MAX_OPEN"]:
        return _response(429, _("Many files of this application are being sent already. Wait "
                                "until they have arrived, then send this one."),
                         Retry_After="30")
    try:
        journey.check_room(case, length, sum(u.length - u.offset for u in open_now))
    except UploadError as error:
        return _response(error.status, str(error))
    return None


@bp.route("/", methods=["POST"])
@slot_of_held_case
def create(case, meta):
    """Creation: a new upload for one material slot of a case this browser holds."""
    try:
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return _response(400, _("Upload-Length and Upload-Metadata are required."))
    if length < 1:
        return _response(400, _("The file is empty. Please choose the file again."))
    lang = g.lang if meta.get("lang") in LOCALES else case.locale
    state = journey.material_state(case, meta.get("material", ""))
    with force_locale(lang):  # refusals read as in the applicant's language
        refused = _refusal(case, state, length)
    if refused is not None:
        return refused
    expires = utcnow() + timedelta(hours=current_app.config["TUS_EXPIRY_HOURS"])
    upload = TusUpload.create(id=secrets.token_hex(16), case=case, material_key=state.material.key,
                              filename=(meta.get("filename") or "file")[:200], length=length,
                              locale=lang, expires_at=expires)
    partial_path(upload.id).touch()
    created = {"Location": f"/files/{upload.id}", "Upload_Expires": _http_date(expires)}
    if request.mimetype != OFFSET_TYPE or not carries_body():
        return _response(201, **created)
    return _first_part(upload, created)


def _first_part(upload, created: dict):
    """Creation with upload: the POST carries the first part of the file (one round trip
    less per file on a slow link). Answered 201 with the offset reached; a part that
    failed its checksum is dropped (offset 0: the client sends it again by PATCH); a
    whole file is stored, or refused as a PATCH's last part would be."""
    try:
        refused = _take_body(upload)
    except BaseException:
        purge_one(upload)  # cut short: the client never learnt where this upload is
        raise
    if refused is not None and refused.status_code == 413:
        purge_one(upload)
        return refused
    upload = TusUpload.get_by_id(upload.id)
    if upload.offset >= upload.length:
        finished = _finish(upload)
        if finished.status_code != 204:
            return finished
        created["Upload_Stored"] = finished.headers["Upload-Stored"]
    return _response(201, Upload_Offset=upload.offset, **created)


@bp.route("/<upload_id>", methods=["HEAD"])
@held_upload
def head(upload):
    """Where an upload stands (never cached)."""
    return _response(200, Upload_Offset=upload.offset, Upload_Length=upload.length,
                     Upload_Expires=_http_date(upload.expires_at))


def _expected_sha1():
    """The chunk's declared SHA-1 (None without ``Upload-Checksum``), or a 400."""
    checksum = request.headers.get("Upload-Checksum")
    if not checksum:
        return None, None
    algorithm, _sep, encoded = checksum.partition(" ")
    if algorithm != "sha1":
        return None, _response(400, _("Only sha1 checksums are supported."))
    try:
        return base64.b64decode(encoded, validate=True), None
    except binascii.Error:
        return None, _response(400, _("The checksum is not valid base64."))


def _not_appendable(upload):
    """Why this PATCH cannot add to the upload (checked before its body is read)."""
    if request.mimetype != OFFSET_TYPE:
        return _response(415, _("A PATCH must be sent as %(type)s.", type=OFFSET_TYPE))
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return _response(400, _("Upload-Offset is required."))
    if offset != upload.offset:
        return _mismatch(upload)
    if upload.upload_id is not None:
        return _response(204, Upload_Offset=upload.offset)
    if (request.content_length or 0) > upload.length - upload.offset:
        return _too_much(upload)
    return None


def _too_much(upload):
    left = format_decimal(upload.length - upload.offset)
    return _response(413, _("This upload takes at most %(bytes)s more bytes.", bytes=left),
                     Upload_Offset=upload.offset)


def _mismatch(upload):
    return _response(409, _("The offset does not match: this upload has %(offset)s bytes.",
                            offset=format_decimal(upload.offset)), Upload_Offset=upload.offset)


@bp.route("/<upload_id>", methods=["PATCH"])
@held_upload
def patch(upload):
    """Append the body at the current offset: as much as arrived, checked if it carries
    a checksum; the last byte stores the file."""
    refused = _not_appendable(upload) or _take_body(upload)
    if refused:
        return refused
    upload = TusUpload.get_by_id(upload.id)
    if upload.offset < upload.length:
        return _response(204, Upload_Offset=upload.offset,
                         Upload_Expires=_http_date(upload.expires_at))
    return _finish(upload)


def _take_body(upload):
    """Add this request's body to the upload at its offset: None once kept (the new
    offset is in the database), else the answer (413, 460, 409)."""
    expected, bad_checksum = _expected_sha1()
    if bad_checksum:
        return bad_checksum
    try:
        arrived = spool(upload.id, request.stream, upload.length - upload.offset)
    except TooMuch:
        return _too_much(upload)
    try:
        kept = _keep(upload, arrived, expected)
    finally:
        arrived.discard()
    return None if kept is True else kept


def _keep(upload, arrived, expected):
    """Add what arrived to the upload: True, or the answer. A body cut short ends the
    request with its error once what arrived is kept (nothing, if it carried a checksum);
    one cut after its last byte finishes the upload."""
    checked = expected is not None
    if checked and arrived.cut is None and arrived.sha1 != expected:
        return _response(460, _("The checksum does not match: this part was damaged on the "
                                "way. Send it again."), Upload_Offset=upload.offset)
    if arrived.size and not (checked and arrived.cut) and \
            not append(upload, upload.offset, arrived):
        now = TusUpload.get_or_none(TusUpload.id == upload.id)
        return _mismatch(now) if now is not None else _response(404, _("There is no such upload."))
    if arrived.cut is not None and (checked or upload.offset + arrived.size < upload.length):
        raise arrived.cut if isinstance(arrived.cut, HTTPException) else ClientDisconnected()
    return True


def _finish(upload):
    """The last byte arrived: validate and store exactly like a form upload."""
    path = partial_path(upload.id)
    data = path.read_bytes()
    case = upload.case
    material = case.spec.material(upload.material_key)
    try:
        # Validated in the applicant's language, so a refusal reads as in the form upload.
        with force_locale(upload.locale):
            _case, stored = journey.add_file(case, material, data, upload.filename)
    except UploadError as error:
        purge_one(upload)
        # 415 is the PATCH's own content type; a file we do not accept is 422.
        return _response(422 if error.status == 415 else error.status, str(error))
    except Exception:
        # Gone for good, so the client's next HEAD finds nothing and starts again.
        purge_one(upload)
        raise
    path.unlink(missing_ok=True)
    TusUpload.update(upload_id=stored.id).where(TusUpload.id == upload.id).execute()
    return _response(204, Upload_Offset=upload.length, Upload_Stored=stored.id)


@bp.route("/<upload_id>", methods=["DELETE"])
@held_upload
def terminate(upload):
    """Termination: the applicant gave up on this upload; a finished one's file leaves
    the case as with the materials page's "Remove" (while the case takes changes)."""
    case = upload.case
    stored = Upload.current(case, [upload.material_key]).where(
        Upload.id == upload.upload_id).first() if upload.upload_id is not None else None
    if stored is not None:
        if not case.takes_files_for(stored.material_key):
            with force_locale(upload.locale):
                return _response(409, _("This application has been sent and can no longer "
                                        "be changed here."))
        journey.remove_file(case, stored)
    purge_one(upload)
    return _response(204)
