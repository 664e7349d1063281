"""Uploaded files: validation by content, re-encoding, storage, download."""
