"""Validate an uploaded file by its content and store it outside ``static/``.

* The type is decided from the bytes, never the name: JPEG, PNG, PDF, and
  HEIC/HEIF photos from iPhones (converted to JPEG).
* Photos are decoded under a pixel cap, turned upright, re-encoded as JPEG
  with no EXIF or other metadata, and their long side capped.
* PDFs must parse; encrypted ones are refused (a clerk could not open them); what is
  kept is the PDF without its active content (:mod:`.pdfclean`).
* Files are stored under random names; the SHA-256 of the stored bytes is kept.
"""

import hashlib
import io
import secrets
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..models import Upload
from ..storage import clean_filename, write_atomically

try:  # HEIC support is optional at import time so a missing wheel cannot take the site down.
    import pillow_heif
    pillow_heif.register_heif_opener()
    HEIF = True
except Exception:  # pragma: no cover - depends on the platform wheel
    HEIF = False

CHUNK = 64 * 1024
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}


class UploadError(ValueError):
    """The file is refused; ``args[0]`` is the user message, ``status`` the HTTP code."""

    def __init__(self, message, status=422):
        super().__init__(message)
        self.status = status


def sniff(head: bytes) -> str | None:
    """The file type from its first bytes: jpeg, png, pdf, heif, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.lstrip(b"\xef\xbb\xbf\r\n\t ").startswith(b"%PDF-"):
        return "pdf"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    return None


def _human_mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}"


def read_limited(stream, limit: int) -> bytes:
    """Read at most ``limit`` bytes; raise 413 if the stream has more."""
    buffer = io.BytesIO()
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        buffer.write(chunk)
        if buffer.tell() > limit:
            raise UploadError(_("This file is larger than %(mb)s MB. Please take a new photo at a "
                                "lower resolution, or scan the document at 200 dpi.",
                                mb=_human_mb(limit)), status=413)
    return buffer.getvalue()


def _reencode_photo(data: bytes) -> tuple[bytes, int, int]:
    config = current_app.config
    Image.MAX_IMAGE_PIXELS = config["PHOTO_MAX_PIXELS"]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > config["PHOTO_MAX_PIXELS"]:
                raise UploadError(_("This picture has too many pixels to process. Please send a "
                                    "smaller photo."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode in {"RGBA", "LA", "P"}:
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, "white")
                background.paste(image, mask=image.getchannel("A"))
                image = background
            elif image.mode != "RGB":
                image = image.convert("RGB")
            side = config["PHOTO_MAX_SIDE"]
            if max(image.size) > side:
                image.thumbnail((side, side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # No exif/icc arguments: the re-encoded file carries no metadata.
            image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
            return out.getvalue(), image.size[0], image.size[1]
    except UploadError:
        raise
    except Image.DecompressionBombError:
        raise UploadError(_("This picture has too many pixels to process. Please send a smaller "
                            "photo.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadError(_("This picture is damaged or incomplete and cannot be opened. Please "
                            "take the photo again.")) from None


def _clean_pdf(data: bytes) -> tuple[bytes, int]:
    """The PDF as it is kept (active content removed: :mod:`.pdfclean`), its pages."""
    from .pdfclean import PdfRefused, clean
    try:
        return clean(data)
    except PdfRefused as refused:
        raise UploadError({
            "encrypted": _("This PDF is password-protected. Please send it without a password."),
            "damaged": _("This PDF is damaged and cannot be opened. Please scan or save it "
                         "again."),
            "pages": _("A PDF here needs between 1 and 50 pages. Please send only the pages "
                       "asked for."),
            "inflates": _("This PDF holds far more than its size shows, so it cannot be opened "
                          "safely. Please scan the document again, or save it again as a "
                          "plain PDF."),
        }[refused.reason]) from None


def _scanned(data: bytes | None, path=None) -> None:
    """The file as sent (its bytes, or the file at ``path``), through ClamAV
    (:mod:`.scan`) before anything else reads it."""
    from .scan import Infected, ScannerDown, scan, scan_file
    try:
        scan(data) if path is None else scan_file(path)
    except Infected:
        raise UploadError(_("This file contains malicious software and was not accepted. "
                            "Scan the document again on a clean computer or phone, then "
                            "send the new file."), status=422) from None
    except ScannerDown:
        raise UploadError(_("Files cannot be checked for viruses at the moment, so this one "
                            "was not accepted. Everything else you entered is kept: please "
                            "try again in a few minutes."), status=503) from None


def prepare(data: bytes, formats: list[str]) -> dict:
    """Validate and convert file bytes; return what to store.

    ``formats`` are the material's accepted types (``jpeg``, ``png``, ``pdf``);
    HEIC photos count as JPEG since they are converted.
    """
    if not data:
        raise UploadError(_("The file is empty. Please choose the file again."), status=400)
    _scanned(data)
    kind = sniff(data[:64])
    accepted = set(formats)
    names = {"jpeg": "JPEG", "png": "PNG", "pdf": "PDF"}
    allowed_text = ", ".join(names[f] for f in formats if f in names)
    if kind == "heif" and "jpeg" in accepted and HEIF:
        kind = "jpeg"
    if kind is None or kind == "heif" or kind not in accepted:
        raise UploadError(_("This file is not a photo or PDF we can accept. Accepted here: "
                            "%(formats)s.", formats=allowed_text), status=415)
    if kind == "pdf":
        cleaned, pages = _clean_pdf(data)
        return {"bytes": cleaned, "content_type": "application/pdf", "ext": "pdf",
                "pages": pages, "width": None, "height": None}
    out, width, height = _reencode_photo(data)
    return {"bytes": out, "content_type": "image/jpeg", "ext": "jpg", "pages": None,
            "width": width, "height": height}


def storage_root() -> Path:
    """Directory holding uploaded files (outside ``static/``)."""
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_for(stored_name: str) -> Path:
    """Where a stored file lives on disk."""
    return storage_root() / stored_name[:2] / stored_name


def store(case, material, data: bytes, original_name: str) -> Upload:
    """Validate, convert and store one file for a material slot of a case."""
    prepared = prepare(data, material.formats)
    stored_name = secrets.token_hex(16)
    write_atomically(path_for(stored_name), prepared["bytes"])
    safe_name = clean_filename(original_name)
    stem = safe_name.rsplit(".", 1)[0] if "." in safe_name else safe_name
    return Upload.create(
        case=case, material_key=material.key, stored_name=stored_name,
        original_name=f"{stem}.{prepared['ext']}", content_type=prepared["content_type"],
        size=len(prepared["bytes"]), sha256=hashlib.sha256(prepared["bytes"]).hexdigest(),
        width=prepared["width"], height=prepared["height"], pages=prepared["pages"])


#: Recordings of video checks: container signatures and their content types.
RECORDING_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "ogg": "audio/ogg",
                   "mp3": "audio/mpeg"}


def sniff_recording(head: bytes) -> str | None:
    """The recording's container from its first bytes: mp4, webm, ogg, mp3, or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] not in HEIF_BRANDS:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    return None


def store_recording(case, stream, original_name: str, limit: int) -> Upload:
    """Keep the recording of a video check (streamed to disk, never re-encoded).

    The type is decided by content; anything that is not an audio or video
    container, or is larger than ``limit`` bytes, raises :class:`UploadError`.
    """
    head = stream.read(64)
    kind = sniff_recording(head)
    if kind is None:
        raise UploadError(_("A recording must be a video or audio file (MP4, WebM, Ogg or "
                            "MP3)."), status=415)
    stored_name = secrets.token_hex(16)
    target = path_for(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(head), len(head)
    tmp = target.with_suffix(".part")
    try:
        with open(tmp, "wb") as out:
            out.write(head)
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadError(_("This recording is larger than %(mb)s MB. Please keep "
                                        "a shorter or smaller file.", mb=_human_mb(limit)),
                                      status=413)
                digest.update(chunk)
                out.write(chunk)
        _scanned(None, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    stem = clean_filename(original_name, "recording").rsplit(".", 1)[0][:150] or "recording"
    return Upload.create(case=case, material_key="_recording", stored_name=stored_name,
                         original_name=f"{stem}.{kind}", content_type=RECORDING_TYPES[kind],
                         size=size, sha256=digest.hexdigest())


def remove(upload: Upload) -> None:
    """Delete the bytes of a file taken out of its slot."""
    path_for(upload.stored_name).unlink(missing_ok=True)


class StoredFiles:
    """Files stored inside a change: when the change is refused (its rows are rolled
    back), their bytes are deleted too. ``with StoredFiles() as kept: … kept(store(…))``."""

    def __init__(self):
        self.uploads = []

    def __call__(self, upload: Upload) -> Upload:
        self.uploads.append(upload)
        return upload

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is not None:
            for upload in self.uploads:
                remove(upload)
        return False


def attachment(path: Path, content_type: str, name: str):
    """A stored file as a download: attachment only, never cached, never run."""
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=name,
                         max_age=0, etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
