"""Scans of signed paper forms, added by a volunteer at a service point."""

from flask_babel import lazy_gettext as _l

#: Which signed paper each scan slot holds, by stored material key.
SIGNED_LABELS = {
    "_signed_form": _l("Signed application form"),
    "_signed_entrustment": _l("Signed entrustment letter"),
    "_signed_commitment": _l("Signed commitment letter"),
    "_signed_other": _l("Other signed paper"),
    "_recording": _l("Recording of the video check"),
}
SIGNED_KEYS = ["_signed_form", "_signed_entrustment", "_signed_commitment", "_signed_other"]
