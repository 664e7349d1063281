"""English is the source language: its catalog's msgstr is the msgid itself."""

import sys

from babel.messages.pofile import read_po, write_po

path = sys.argv[1]
with open(path, "rb") as fh:
    catalog = read_po(fh, locale="en")
for message in catalog:
    if not message.id:
        continue
    message.flags.discard("fuzzy")
    if isinstance(message.id, (list, tuple)):
        message.string = (message.id[0], message.id[1])
    else:
        message.string = message.id
with open(path, "wb") as fh:
    write_po(fh, catalog, width=100, sort_output=True)
