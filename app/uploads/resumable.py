"""Unfinished resumable uploads: where their bytes wait, and their expiry."""

from pathlib import Path

from ..clock import utcnow
from ..models import TusUpload
from .service import storage_root


def partial_path(upload_id: str) -> Path:
    """Where the bytes of an unfinished upload are kept."""
    directory = storage_root() / "partial"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / upload_id


def purge_one(upload: TusUpload) -> None:
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
