"""Unfinished resumable uploads: where their bytes wait, how a chunk joins them, and
their expiry."""

import contextlib
import hashlib
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..clock import utcnow
from ..models import TusUpload, db
from .service import storage_root

#: A request body is read and written in pieces of this size, never whole in memory.
PIECE = 64 * 1024


def partial_path(upload_id: str) -> Path:
    """Where the bytes of an unfinished upload are kept."""
    directory = storage_root() / "partial"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / upload_id


class TooMuch(Exception):
    """The body is longer than the upload may still take."""


@dataclass
class Arrived:
    """What a PATCH body brought: ``size`` bytes spooled in ``path``, their SHA-1, and
    the error that cut the body short (None when it arrived whole)."""

    path: Path
    size: int
    sha1: bytes
    cut: Exception | None

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def spool(upload_id: str, stream, limit: int) -> Arrived:
    """Read a request body piece by piece into a file of its own beside the upload (so
    that two requests racing for one offset never write into each other): at most
    ``limit`` bytes, else :class:`TooMuch` (nothing kept). A body that stops early (the
    connection dropped or went quiet) keeps what arrived, with the error that cut it."""
    path = partial_path(upload_id).with_name(f"{upload_id}.{secrets.token_hex(6)}.part")
    digest, size, cut = hashlib.sha1(), 0, None
    try:
        with path.open("wb") as out:
            while True:
                try:
                    piece = stream.read(min(PIECE, limit + 1 - size))
                except Exception as error:  # disconnect, quiet link, no free body slot
                    cut = error
                    break
                if not piece:
                    break
                size += len(piece)
                if size > limit:
                    raise TooMuch()
                digest.update(piece)
                out.write(piece)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Arrived(path, size, digest.digest(), cut)


def append(upload: TusUpload, offset: int, arrived: Arrived) -> bool:
    """Add what arrived at ``offset`` (the upload's offset moves on in the same
    transaction); False when another request moved the offset first."""
    with db.atomic():
        moved = (TusUpload.update(offset=TusUpload.offset + arrived.size)
                 .where((TusUpload.id == upload.id) & (TusUpload.offset == offset)).execute())
        if moved != 1:
            return False
        with partial_path(upload.id).open("r+b") as out, arrived.path.open("rb") as src:
            out.seek(offset)
            shutil.copyfileobj(src, out, PIECE)
            out.truncate(offset + arrived.size)
    return True


def purge_one(upload: TusUpload) -> None:
    """Delete an unfinished upload and its bytes."""
    partial_path(upload.id).unlink(missing_ok=True)
    TusUpload.delete().where(TusUpload.id == upload.id).execute()


#: A request's spool file not written to for this long was left by a process that
#: stopped mid-request (a live one is written to at least every ``BODY_IDLE_S``).
SPOOL_STALE_S = 3600


def purge_expired() -> int:
    """Delete every expired upload with its bytes, and spool files left behind; return
    how many uploads."""
    count = 0
    for upload in TusUpload.select().where(TusUpload.expires_at < utcnow()):
        purge_one(upload)
        count += 1
    stale = time.time() - SPOOL_STALE_S
    for left in partial_path("x").parent.glob("*.part"):
        with contextlib.suppress(OSError):
            if left.stat().st_mtime < stale:
                left.unlink()
    return count
