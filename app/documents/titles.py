"""The names of the documents (message ids, translated where they are shown or printed)."""

from ..i18n import N_


TITLES = {
    "form": N_("Application form"),
    "entrustment": N_("Entrustment letter"),
    "commitment": N_("Letter of commitment"),
    "receipt": N_("Receipt of application"),
    # Made on the fly, never stored as issued documents (not in DOC_TYPES).
    "cover": N_("Print pack"),
    "slip": N_("Access slip"),
}
