"""Files that several hosts may share (uploads, documents, the mail outbox): each is
written whole under a unique temporary name in its own directory, then renamed into
place, so any host reads a complete file or none, and two hosts writing the same file
never mix their bytes."""

import os
import tempfile
import unicodedata
from pathlib import Path


def write_atomically(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (on the same file system)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def clean_filename(name: str | None, default: str = "file") -> str:
    """A file name as sent, safe to show and to hand back: its last path part, without
    control, format (bidirectional overrides, zero-width) or unassigned characters,
    which could make ``invoice\u202egpj.jpg`` read as a JPEG; at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(Path(name).name.split()).lstrip(". ")[:200]
    return name or default


def document_file(stored_name: str) -> Path:
    """Where an issued PDF is kept (``DOCUMENT_DIR``)."""
    from flask import current_app
    return Path(current_app.config["DOCUMENT_DIR"]) / stored_name
