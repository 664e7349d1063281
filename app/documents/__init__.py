"""PDF documents of a case: forms, letters and receipts, rendered with WeasyPrint.

Templates live in ``pdfs/<document>/template.html`` with their ``print.css``;
``app/documents/context.py`` builds the plain data each one is given, and
``app/documents/render.py`` turns HTML into PDF under time and memory limits
with a URL fetcher that can only read ``pdfs/`` and ``static/``.
"""
