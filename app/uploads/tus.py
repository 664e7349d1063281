"""The ``uploads`` blueprint, ``/files/``: resumable uploads (tus 1.0), written for this app.

Core protocol plus the creation, expiration, checksum (sha1) and termination
extensions. Each upload belongs to one material slot of one case and is
authorised like the case (the applicant's session must hold it). When the
last byte arrives, the file goes through exactly the same validation,
re-encoding and recording as a form upload; a refusal carries the same message.

Status codes follow tus: 412 without ``Tus-Resumable: 1.0.0``, 415 for a
PATCH that is not ``application/offset+octet-stream``, 409 for a wrong
``Upload-Offset``, 460 for a checksum mismatch (the chunk is discarded), 413
for more bytes than declared or allowed, 404 for unknown and 410 for expired
uploads.
"""

import base64
import binascii
import hashlib
import secrets
from datetime import timedelta, timezone
from email.utils import format_datetime

from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale, gettext as _

from ..authz import guard, may_open, public
from ..cases import journey
from ..clock import utcnow
from ..config import LOCALES
from ..models import Case, TusUpload, db
from .resumable import partial_path, purge_one
from .service import UploadError

bp = Blueprint("uploads", __name__, url_prefix="/files")
VERSION = "1.0.0"
EXTENSIONS = "creation,expiration,checksum,termination"


def _response(status: int, body: str = "", **headers) -> Response:
    response = Response(body, status=status, mimetype="text/plain")
    response.headers["Tus-Resumable"] = VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = str(value)
    return response


def _http_date(moment) -> str:
    return format_datetime(moment.replace(tzinfo=timezone.utc), usegmt=True)


@bp.before_request
def _check_version():
    if request.method == "OPTIONS":
        return None
    if request.headers.get("Tus-Resumable") != VERSION:
        return _response(412, "Tus-Resumable 1.0.0 required", Tus_Version=VERSION)
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
        return _response(400, "Upload-Length and Upload-Metadata required")
    case = Case.by_reference(meta.get("case", ""))
    if not may_open(case):
        return _response(404, "unknown case")
    kwargs.update(case=case, meta=meta)
    return None


def _held_upload(kwargs):
    """An upload of a case this browser holds, not expired."""
    upload = TusUpload.get_or_none(TusUpload.id == kwargs.pop("upload_id")[:32])
    if upload is None or not may_open(upload.case):
        return _response(404, "unknown upload")
    if upload.expires_at < utcnow():
        purge_one(upload)
        return _response(410, "upload expired")
    kwargs["upload"] = upload
    return None


#: Applicant routes: the upload's case must be open in this browser (404 otherwise).
slot_of_held_case = guard("applicant", _new_upload_slot)
held_upload = guard("applicant", _held_upload)


@bp.route("/", methods=["OPTIONS"])
@public
def options():
    """What this server supports."""
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
        return _response(404, "unknown material")
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
        return _response(400, "Upload-Length and Upload-Metadata required")
    if length < 1:
        return _response(400, "empty upload")
    lang = meta.get("lang") if meta.get("lang") in LOCALES else case.locale
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
    return _response(201, Location=f"/files/{upload.id}", Upload_Expires=_http_date(expires))


@bp.route("/<upload_id>", methods=["HEAD"])
@held_upload
def head(upload):
    """Where an upload stands (never cached)."""
    return _response(200, Upload_Offset=upload.offset, Upload_Length=upload.length,
                     Upload_Expires=_http_date(upload.expires_at))


def _chunk(upload, offset):
    """The request's chunk if it fits and passes its checksum, else a refusal."""
    limit = min(upload.length - upload.offset, current_app.config["TUS_MAX_CHUNK"])
    declared = request.content_length
    if declared is not None and declared > limit:
        return None, _response(413, "more bytes than declared or allowed")
    chunk = request.stream.read(limit + 1)
    if len(chunk) > limit:
        return None, _response(413, "more bytes than declared or allowed")
    checksum = request.headers.get("Upload-Checksum")
    if checksum:
        algorithm, _sep, encoded = checksum.partition(" ")
        if algorithm != "sha1":
            return None, _response(400, "checksum algorithm not supported")
        try:
            expected = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return None, _response(400, "bad checksum")
        if hashlib.sha1(chunk).digest() != expected:
            return None, _response(460, "checksum mismatch")
    return chunk, None


@bp.route("/<upload_id>", methods=["PATCH"])
@held_upload
def patch(upload):
    """Append one chunk at the current offset."""
    if request.mimetype != "application/offset+octet-stream":
        return _response(415, "Content-Type must be application/offset+octet-stream")
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return _response(400, "Upload-Offset required")
    if offset != upload.offset:
        return _response(409, "offset mismatch", Upload_Offset=upload.offset)
    if upload.upload_id is not None:
        return _response(204, Upload_Offset=upload.offset)
    chunk, refused = _chunk(upload, offset)
    if refused:
        return refused
    if not _append(upload, offset, chunk):
        return _response(409, "offset mismatch")
    if offset + len(chunk) < upload.length:
        return _response(204, Upload_Offset=offset + len(chunk),
                         Upload_Expires=_http_date(upload.expires_at))
    return _finish(TusUpload.get_by_id(upload.id))


def _append(upload, offset: int, chunk: bytes) -> bool:
    """Write the chunk where the offset says; False when another request moved it."""
    with db.atomic():
        moved = (TusUpload.update(offset=TusUpload.offset + len(chunk))
                 .where((TusUpload.id == upload.id) & (TusUpload.offset == offset)).execute())
        if moved != 1:
            return False
        with partial_path(upload.id).open("r+b") as fh:
            fh.seek(offset)
            fh.write(chunk)
            fh.truncate(offset + len(chunk))
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
        return _response(error.status, str(error))
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
    """Termination: the applicant gave up on this upload."""
    purge_one(upload)
    return _response(204)
