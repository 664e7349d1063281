"""Resumable uploads at ``/files/``: the tus 1.0 protocol, written for this app.

Core protocol plus the creation, expiration, checksum (sha1) and termination
extensions. Each upload belongs to one material slot of one case and is
authorised like the case (the applicant's session must hold it). When the
last byte arrives, the file goes through exactly the same validation and
re-encoding as a form upload; a refusal carries the same message.

Status codes follow tus: 412 without ``Tus-Resumable: 1.0.0``, 415 for a
PATCH that is not ``application/offset+octet-stream``, 409 for a wrong
``Upload-Offset``, 460 for a checksum mismatch (the chunk is discarded), 413
for more bytes than declared or allowed, 404 for unknown and 410 for expired
uploads.
"""

import base64
import binascii
import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale, gettext as _

from ..cases import services
from ..cases.access import may_open
from ..config import LOCALES
from ..models import Case, Material, TusUpload, db, utcnow
from ..security import access
from .service import UploadError, storage_root, store

bp = Blueprint("tus", __name__, url_prefix="/files")
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
    from email.utils import format_datetime
    from datetime import timezone
    return format_datetime(moment.replace(tzinfo=timezone.utc), usegmt=True)


def partial_path(upload_id: str) -> Path:
    """Where the bytes of an unfinished upload are kept."""
    directory = storage_root() / "partial"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / upload_id


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


def _slot_open(case, key: str) -> bool:
    if services.editable(case):
        return True
    return case.status in ("accepted", "transferred", "approved") and key in (case.deferred or [])


def _load(upload_id: str):
    """The upload if this browser may use it; a response otherwise."""
    upload = TusUpload.get_or_none(TusUpload.id == upload_id[:32])
    if upload is None or not may_open(upload.case_id):
        return None, _response(404, "unknown upload")
    if upload.expires_at < utcnow():
        purge_one(upload)
        return None, _response(410, "upload expired")
    return upload, None


@bp.route("/", methods=["OPTIONS"])
@access("public")
def options():
    """What this server supports."""
    return _response(204, Tus_Version=VERSION, Tus_Extension=EXTENSIONS,
                     Tus_Max_Size=current_app.config["UPLOAD_MAX_BYTES"],
                     Tus_Checksum_Algorithm="sha1")


@bp.route("/", methods=["POST"])
@access("applicant")
def create():
    """Creation: a new upload for one material slot of a case this browser holds."""
    try:
        meta = _metadata()
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return _response(400, "Upload-Length and Upload-Metadata required")
    if length < 1:
        return _response(400, "empty upload")
    lang = meta.get("lang") if meta.get("lang") in LOCALES else "zh"
    if length > current_app.config["UPLOAD_MAX_BYTES"]:
        with force_locale(lang):
            mb = f"{current_app.config['UPLOAD_MAX_BYTES'] / 1024 / 1024:.0f}"
            return _response(413, _("This file is larger than %(mb)s MB. Please take a new photo "
                                    "at a lower resolution, or scan the document at 200 dpi.",
                                    mb=mb))
    case = Case.get_or_none(Case.reference == meta.get("case", ""))
    if case is None or not may_open(case.id):
        return _response(404, "unknown case")
    material = Material.get_or_none((Material.item == case.item_id)
                                    & (Material.key == meta.get("material", "")))
    if material is None or not _slot_open(case, material.key):
        return _response(404, "unknown material")
    state = next(s for s in services.material_states(case) if s.material.key == material.key)
    if not state.can_add:
        with force_locale(lang):
            return _response(409, _("This item already has the most files it takes. Remove one "
                                    "to replace it."))
    expires = utcnow() + timedelta(hours=current_app.config["TUS_EXPIRY_HOURS"])
    upload = TusUpload.create(id=secrets.token_hex(16), case=case, material_key=material.key,
                              filename=(meta.get("filename") or "file")[:200], length=length,
                              locale=meta.get("lang") if meta.get("lang") in LOCALES else case.locale,
                              expires_at=expires)
    partial_path(upload.id).touch()
    return _response(201, Location=f"/files/{upload.id}", Upload_Expires=_http_date(expires))


@bp.route("/<upload_id>", methods=["HEAD"])
@access("applicant")
def head(upload_id):
    """Where an upload stands (never cached)."""
    upload, refused = _load(upload_id)
    if refused:
        return refused
    return _response(200, Upload_Offset=upload.offset, Upload_Length=upload.length,
                     Upload_Expires=_http_date(upload.expires_at))


@bp.route("/<upload_id>", methods=["PATCH"])
@access("applicant")
def patch(upload_id):
    """Append one chunk at the current offset."""
    upload, refused = _load(upload_id)
    if refused:
        return refused
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
    remaining = upload.length - upload.offset
    limit = min(remaining, current_app.config["TUS_MAX_CHUNK"])
    declared = request.content_length
    if declared is not None and declared > limit:
        return _response(413, "more bytes than declared or allowed")
    chunk = request.stream.read(limit + 1)
    if len(chunk) > limit:
        return _response(413, "more bytes than declared or allowed")
    checksum = request.headers.get("Upload-Checksum")
    if checksum:
        algorithm, _sep, encoded = checksum.partition(" ")
        if algorithm != "sha1":
            return _response(400, "checksum algorithm not supported")
        try:
            expected = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return _response(400, "bad checksum")
        if hashlib.sha1(chunk).digest() != expected:
            return _response(460, "checksum mismatch")
    with db.atomic():
        moved = (TusUpload.update(offset=TusUpload.offset + len(chunk))
                 .where((TusUpload.id == upload.id) & (TusUpload.offset == offset)).execute())
        if moved != 1:
            return _response(409, "offset mismatch")
        with partial_path(upload.id).open("r+b") as fh:
            fh.seek(offset)
            fh.write(chunk)
            fh.truncate(offset + len(chunk))
    new_offset = offset + len(chunk)
    if new_offset < upload.length:
        return _response(204, Upload_Offset=new_offset, Upload_Expires=_http_date(upload.expires_at))
    return _finish(TusUpload.get_by_id(upload.id))


def _finish(upload):
    """The last byte arrived: validate and store exactly like a form upload."""
    path = partial_path(upload.id)
    data = path.read_bytes()
    case = Case.get_by_id(upload.case_id)
    material = Material.get((Material.item == case.item_id) & (Material.key == upload.material_key))
    try:
        # Validated in the applicant's language, so a refusal reads as in the form upload.
        with force_locale(upload.locale):
            stored = store(case, material, data, upload.filename)
    except UploadError as error:
        purge_one(upload)
        return _response(error.status, str(error))
    except Exception:
        # Gone for good, so the client's next HEAD finds nothing and starts again.
        purge_one(upload)
        raise
    path.unlink(missing_ok=True)
    if case.status in ("accepted", "transferred", "approved"):
        services.supplied_later(case, material)
    TusUpload.update(upload_id=stored.id).where(TusUpload.id == upload.id).execute()
    return _response(204, Upload_Offset=upload.length, Upload_Stored=stored.id)


@bp.route("/<upload_id>", methods=["DELETE"])
@access("applicant")
def terminate(upload_id):
    """Termination: the applicant gave up on this upload."""
    upload, refused = _load(upload_id)
    if refused:
        return refused
    purge_one(upload)
    return _response(204)


def purge_one(upload) -> None:
    """Delete an unfinished upload and its bytes."""
    partial_path(upload.id).unlink(missing_ok=True)
    TusUpload.delete().where(TusUpload.id == upload.id).execute()


def purge_expired() -> int:
    """Delete every expired upload with its bytes; return how many."""
    count = 0
    for upload in TusUpload.select().where(TusUpload.expires_at < utcnow()):
        purge_one(upload)
        count += 1
    return count
